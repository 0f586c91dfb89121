"""Per click: SQL statements, transactions and Slack Web API calls, before and after the next prompt is posted.

Counted from outside only, so the figures hold whatever the click path looks like inside:

- SQL statements: SQLAlchemy's `before_cursor_execute` event on the app's engine (every statement the
  app sends, SELECTs included; BEGIN and COMMIT are not cursor executes).
- Transactions: the engine's `begin` event (one per transaction, whether it ends in a commit or, as a
  read-only Session does when it closes, a rollback); commits are counted from the `commit` event, and
  connection checkouts from the pool's `checkout` event (on PostgreSQL each checkout also pings the
  server: pool_pre_ping, one round trip that no cursor event sees).
- Slack calls: every call the simulated Slack answered (bench.fake.PromptWatch), by method.

A separate, sequential pass: one client, a handful of members, one click at a time. For each click the
statements and calls are stamped (time.perf_counter), the pass waits until the app is quiet (no statement
and no Slack call for QUIET seconds, and at least the bot's progress delay, MATURITY_PROGRESS_DELAY, after
the prompt, since that update is deferred on purpose) and splits at the moment the simulated Slack stored
the next prompt's chat.postMessage. The members are clicked in turn with seconds between two clicks of one
member, as people reading an area do, so deferred work is counted with the click that caused it.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import event

from bench.clients import ARRIVAL_TIMEOUT, MEMBER_MIN_GAP, Member, answer_action_id, click
from bench.common import Row, fmt_ratio, median, ms, ratio

QUIET = 0.3  # seconds without a statement or a Slack call that mean the click's work is over
QUIET_TIMEOUT = 20.0


class Tally:
    """Stamps of one engine's statements, transactions, commits and checkouts (only while recording), and the
    moment of its last statement (always)."""

    def __init__(self, engine) -> None:
        self._lock = threading.Lock()
        self._log: dict[str, list] | None = None
        self.last_at = 0.0
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "after_cursor_execute", self._statement_done)
        event.listen(engine, "begin", self._stamp("begin"))
        event.listen(engine, "commit", self._stamp("commit"))
        event.listen(engine, "checkout", self._stamp("checkout"))

    def _statement(self, conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        now = time.perf_counter()
        verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "?"
        conn.info.setdefault("bench_started", []).append(now)
        with self._lock:
            self.last_at = now
            if self._log is not None:
                self._log["statement"].append((now, verb))

    def _statement_done(self, conn, *_args) -> None:
        """The statement's time in the driver and the database (from its start, as seen by SQLAlchemy)."""
        started = conn.info.get("bench_started")
        if not started:
            return
        begun = started.pop()
        with self._lock:
            if self._log is not None:
                self._log["statement_time"].append((begun, time.perf_counter() - begun))

    def _stamp(self, kind: str):
        def listener(*_args) -> None:
            now = time.perf_counter()
            with self._lock:
                if self._log is not None:
                    self._log[kind].append((now, kind))

        return listener

    def record(self) -> None:
        with self._lock:
            self._log = {"statement": [], "statement_time": [], "begin": [], "commit": [], "checkout": []}

    def recorded(self) -> dict[str, list]:
        with self._lock:
            log, self._log = self._log or {}, None
        return log


@dataclass
class ClickCount:
    """One click's activity, split at the next prompt."""

    sql: tuple[int, int]
    transactions: tuple[int, int]
    commits: tuple[int, int]
    checkouts: tuple[int, int]
    verbs: tuple[Counter, Counter]
    calls: tuple[Counter, Counter]
    sql_seconds: tuple[float, float]  # time inside the statements (cursor execute), before and after
    latency: float  # click sent -> next prompt stored, this click alone


@dataclass
class Counts:
    app: str
    clicks: list[ClickCount] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def wait_quiet(slack, tallies, since: float, *, quiet: float = QUIET, timeout: float = QUIET_TIMEOUT) -> bool:
    """Until neither the engines (Tally) nor the simulated Slack have done anything for `quiet` s, after `since`."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        now = time.perf_counter()
        last = max(slack.last_call_at, since, *(t.last_at for t in tallies))
        if now - last >= quiet:
            return True
        time.sleep(min(0.05, quiet - (now - last) + 0.001))
    return False


def count_clicks(slack, driver, tally: Tally, members: list[Member], clicks: int, *, app: str, deferred: float = 0.0):
    """`clicks` clicks, one at a time, round-robin over `members`."""
    counts = Counts(app)
    wait_quiet(slack, [tally], time.perf_counter())
    for index in range(clicks):
        member = members[index % len(members)]
        gap = member.ready_at + MEMBER_MIN_GAP - time.perf_counter()
        if gap > 0:
            time.sleep(gap)
        tally.record()
        slack.record_calls()
        arrival = slack.expect(member.dm)
        sent = time.perf_counter()
        reply, _ = click(driver, member.user_id, member.prompt, answer_action_id(1 + index % 5))
        arrived = reply.status == 200 and arrival.wait(ARRIVAL_TIMEOUT)
        if arrived:
            # The deferred work (the progress shown at the top of the thread) comes `deferred` s after.
            wait_quiet(slack, [tally], arrival.at + deferred)
        log, calls = tally.recorded(), slack.recorded_calls()
        if not arrived:
            slack.forget(member.dm)
            counts.errors.append(f"click {index + 1}: HTTP {reply.status}, no next message")
            continue
        if not arrival.is_prompt:
            counts.errors.append(f"click {index + 1}: {member.user_id} got no next prompt")
        member.prompt, member.ready_at = arrival.message, arrival.at
        counts.clicks.append(split(log, calls, arrival.at, member.dm, arrival.at - sent))
    return counts


def split(log: dict[str, list], calls: list, at: float, dm: str, latency: float) -> ClickCount:
    """Split at `at`, the moment the prompt was stored: statements and transactions begun before it are
    "before"; calls answered up to the prompt's own chat.postMessage (answered just after it was stored)."""

    def halves(kind: str) -> tuple[int, int]:
        before = sum(1 for stamp, _ in log.get(kind, []) if stamp < at)
        return before, len(log.get(kind, [])) - before

    prompt = next(
        (
            i
            for i, c in enumerate(calls)
            if c.at >= at and c.method == "chat.postMessage" and c.channel == dm and c.thread_ts
        ),
        len(calls) - 1,
    )
    verbs = (
        Counter(v for stamp, v in log.get("statement", []) if stamp < at),
        Counter(v for stamp, v in log.get("statement", []) if stamp >= at),
    )
    return ClickCount(
        sql=halves("statement"),
        transactions=halves("begin"),
        commits=halves("commit"),
        checkouts=halves("checkout"),
        verbs=verbs,
        calls=(Counter(c.method for c in calls[: prompt + 1]), Counter(c.method for c in calls[prompt + 1 :])),
        sql_seconds=(
            sum(d for stamp, d in log.get("statement_time", []) if stamp < at),
            sum(d for stamp, d in log.get("statement_time", []) if stamp >= at),
        ),
        latency=latency,
    )


# -- what is printed -----------------------------------------------------------------------------------------


def per_click(values: list[int]) -> str:
    """'9' when every click did the same, else 'mean (min-max)'."""
    if not values:
        return "n/a"
    low, high = min(values), max(values)
    if low == high:
        return str(low)
    return f"{sum(values) / len(values):.1f} ({low}-{high})"


def mean(values: list[int]) -> float:
    return sum(values) / len(values) if values else 0.0


def sentence(counts: Counts) -> tuple[str, str]:
    """('SQL per click: 9 before the next prompt, 4 after; transactions 1 + 1', 'Slack: ...')."""
    cs = counts.clicks

    def pair(attr: str) -> tuple[str, str]:
        return per_click([getattr(c, attr)[0] for c in cs]), per_click([getattr(c, attr)[1] for c in cs])

    sql, tx, commits, checkouts = pair("sql"), pair("transactions"), pair("commits"), pair("checkouts")
    sql_text = (
        f"SQL per click: {sql[0]} before the next prompt, {sql[1]} after; transactions {tx[0]} + {tx[1]} "
        f"(BEGIN events; commits {commits[0]} + {commits[1]}; pool checkouts {checkouts[0]} + {checkouts[1]})"
    )
    parts = []
    for half, word in ((0, "before"), (1, "after")):
        methods = sorted({m for c in cs for m in c.calls[half]})
        for method in methods:
            parts.append(f"{method} {per_click([c.calls[half][method] for c in cs])} {word}")
    return sql_text, "Slack: " + ("; ".join(parts) if parts else "none")


def timing_text(counts: Counts) -> str:
    """Where one sequential click's time to its next prompt goes, as far as the engine's events show it."""
    cs = counts.clicks
    if not cs:
        return "no complete click"
    return (
        f"click -> next prompt median {ms(median([c.latency for c in cs]))}, of which inside SQL statements "
        f"{ms(median([c.sql_seconds[0] for c in cs]))} (after the prompt: "
        f"{ms(median([c.sql_seconds[1] for c in cs]))} more)"
    )


def verbs_text(counts: Counts) -> str:
    out = []
    for half, word in ((0, "before"), (1, "after")):
        verbs = sorted({v for c in counts.clicks for v in c.verbs[half]})
        listed = ", ".join(f"{mean([c.verbs[half][v] for c in counts.clicks]):g} {v}" for v in verbs)
        out.append(f"{word}: {listed or 'none'}")
    return "; ".join(out)


def summary(counts: Counts) -> dict:
    cs = counts.clicks
    return {
        "clicks": len(cs),
        "sql_before": mean([c.sql[0] for c in cs]),
        "sql_after": mean([c.sql[1] for c in cs]),
        "transactions_before": mean([c.transactions[0] for c in cs]),
        "transactions_after": mean([c.transactions[1] for c in cs]),
        "commits_before": mean([c.commits[0] for c in cs]),
        "commits_after": mean([c.commits[1] for c in cs]),
        "checkouts_before": mean([c.checkouts[0] for c in cs]),
        "checkouts_after": mean([c.checkouts[1] for c in cs]),
        "slack_before": {m: mean([c.calls[0][m] for c in cs]) for m in {m for c in cs for m in c.calls[0]}},
        "slack_after": {m: mean([c.calls[1][m] for c in cs]) for m in {m for c in cs for m in c.calls[1]}},
        "verbs": verbs_text(counts),
        "latency_s": [c.latency for c in cs],
        "sql_seconds_before": [c.sql_seconds[0] for c in cs],
        "sql_seconds_after": [c.sql_seconds[1] for c in cs],
        "errors": counts.errors,
    }


def rows(kind: str, bot: Counts, floor: Counts) -> list[Row]:
    """Two rows (SQL and Slack calls per click), the bot measured beside the floor app; no targets."""
    if not bot.clicks or not floor.clicks:
        raise RuntimeError(f"{kind}: the counting pass saw no complete click ({bot.errors[:1] + floor.errors[:1]})")
    b, f = summary(bot), summary(floor)
    (b_sql, b_slack), (f_sql, f_slack) = sentence(bot), sentence(floor)
    b_calls = sum(b["slack_before"].values()) + sum(b["slack_after"].values())
    f_calls = sum(f["slack_before"].values()) + sum(f["slack_after"].values())
    return [
        Row(
            figure=f"SQL per click, 1 client, {len(bot.clicks)} clicks [{kind}]",
            measured="bot " + b_sql.removeprefix("SQL per click: "),
            baseline="floor " + f_sql.removeprefix("SQL per click: "),
            ratio=fmt_ratio(ratio(b["sql_before"] + b["sql_after"], f["sql_before"] + f["sql_after"])),
            data={"db": kind, "bot": b, "floor": f},
        ),
        Row(
            figure=f"Slack calls per click, 1 client [{kind}]",
            measured="bot " + b_slack.removeprefix("Slack: "),
            baseline="floor " + f_slack.removeprefix("Slack: "),
            ratio=fmt_ratio(ratio(b_calls, f_calls)),
            data={"db": kind, "bot_calls": b_calls, "floor_calls": f_calls},
        ),
    ]
