"""Figure 1: interaction latency and throughput, the real bot over HTTP against the simulated Slack.

The timed runs meet each app as Slack and an outside load test do: in a process of its own (ProcessRig). The
bot is `python -m bot` in HTTP mode with the production settings (ack first, the work in listener threads);
the simulated Slack and the clients stay in this process. Members are enrolled the way Slack users are: a
facilitator types `/maturity start` in a channel, every member gets the kick-off in a DM, and every member
clicks its button (Continue/Start), which posts their first prompt. Only then does timing start. Everything is
observed from outside: signed requests in, the calls arriving at the simulated Slack out, and each app
process's CPU from /proc; never the bot's internals, so the benchmark holds while the click path changes.

The clients (bench/clients.py) click a level on a member's open prompt and wait for the next message in that
member's thread, at 1, 8 and 32 concurrent clients. Beside the bot, in the same run, each in a process of its
own (bench/app_process.py) served by the same kind of threaded wsgiref server through bot.wsgi, with the same
signing, clients and simulated Slack:

- the bare app: a slack_bolt App that only acks (clicks/s goal: the bot >= 0.5x its throughput);
- the floor app (bench/floor.py): a slack_bolt App doing only what a click cannot avoid (ack, one
  transaction, the next prompt, the update, each Slack call within Slack's rate limits through the bot's
  pacer, bot.pacing); goal: the bot's clicks/s >= the floor's / 1.3. The pacer-off section measures both
  again with the limits lifted, so the figures show what the limits cost and what the bot's own work does.

Then, once per database, on a database of its own and in this process (Rig, so that SQLAlchemy events on each
app's engine count its statements): a sequential pass counting SQL statements, transactions and Slack calls
per click, before and after the next prompt (bench/counts.py), for the bot and the floor; and the kick-off
burst, 50 members clicking Start within 5 s of `/maturity start` at Slack's limits (bench/burst.py).
"""

from __future__ import annotations

import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench import counts, floor
from bench.burst import kickoff_burst
from bench.clients import ARRIVAL_TIMEOUT, Member, Run, click, drive, drive_bare
from bench.common import (
    TEAM,
    Database,
    Row,
    describe_pacer,
    fmt_ratio,
    median,
    ms,
    percentile,
    production_services,
    ratio,
)
from bench.fake import SIGNING_SECRET, PromptWatch, bot_server, workspace
from bench.processes import AppProcess, cpu_seconds, machine_cpu_seconds
from simulated_slack import Driver

FACILITATOR = "UFACILITATOR"
# The diagnostic run: the product's own pacing settings (the apps' environment), set beyond anything a
# benchmark reaches.
UNPACED = {"MATURITY_CHANNEL_RATE": "1e9", "MATURITY_WORKSPACE_RATE": "1e9"}
LATENCY_TARGETS = {8: 0.100, 32: 0.250}  # p95, by clients
THROUGHPUT_TARGET = 0.5  # x the bare app's
FLOOR_FACTOR = 1.3  # the bot's clicks/s >= the floor's / this


@dataclass(frozen=True)
class Level:
    clients: int
    members_per_client: int
    clicks_per_client: int
    bare_requests_per_client: int


@dataclass(frozen=True)
class Sizes:
    levels: list[Level]
    count_members: int  # the counting pass
    count_clicks: int
    burst_members: int
    burst_window: float  # seconds


FULL = Sizes(
    levels=[Level(1, 96, 192, 300), Level(8, 16, 32, 100), Level(32, 8, 16, 40)],
    count_members=4,
    count_clicks=12,
    burst_members=50,
    burst_window=5.0,
)
QUICK = Sizes(
    levels=[Level(1, 12, 12, 60), Level(8, 4, 4, 20)],
    count_members=1,
    count_clicks=1,
    burst_members=8,
    burst_window=1.0,
)


class Apps:
    """What every rig has: the simulated Slack and signed drivers to the bot and the floor app on one simulated
    workspace; the tallies of the apps' engines, where they are in this process."""

    team, facilitator = TEAM, FACILITATOR
    slack: PromptWatch
    workspace: Driver  # the bot's
    floor: Driver
    deferred: float  # the bot defers the progress at the top of a thread by this much on purpose
    tallies: list = []

    def settle(self, *, deferred: bool = False) -> None:
        """Until the apps are quiet (no statement, no Slack call), so that one phase's tail work (the answer
        shown, Home published; with `deferred`, the bot's deferred progress too) is not the next phase's."""
        quiet = counts.QUIET + (self.deferred if deferred else 0.0)
        counts.wait_quiet(self.slack, self.tallies, time.perf_counter(), quiet=quiet, timeout=quiet + 15)

    def enrol(self, channel: str, count: int, *, timeout: float = 300.0) -> list[Member]:
        """Start a round for `count` new members in `channel` and have each click the kick-off's button."""
        return enrol(self.slack, self.workspace, channel, count, timeout=timeout, settle=self.settle)

    def floor_members(self, count: int, prompt, prefix: str = "UFLOOR") -> list[Member]:
        return floor.seed_members(self.slack, TEAM, "UBOT", count, prompt, prefix=prefix)

    def warm_floor(self, member: Member) -> None:
        """One click, so that the floor app's first request (bolt's auth.test) is not in a timed run."""
        run = drive(self.slack, self.floor, [[member]], 1, seed=0)
        if run.errors:
            raise RuntimeError(f"the floor app's warm-up click failed: {run.errors[0]}")


class Rig(Apps):
    """The simulated Slack, the real bot and the floor app in this process, each behind its own threaded WSGI
    server, at the production pacing: the counting pass (SQLAlchemy events on each app's own engine) and the
    kick-off burst."""

    def __init__(self, db: Database):
        from bot.app import create_app, web_client
        from core.settings import Settings

        self.kind = db.kind
        self.slack = PromptWatch()
        self.slack.add_team(TEAM, bot_token="xoxb-T1", bot_user_id="UBOT")
        self.slack.add_user(TEAM, FACILITATOR, name="facilitator", real_name="Facilitator")
        settings = Settings(
            _env_file=None,
            slack_bot_token="xoxb-T1",
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=self.slack.api_url,
            slack_app_token=None,
            slack_client_id=None,
            process_before_response=False,
        )
        self.deferred = settings.maturity_progress_delay
        self.tally = counts.Tally(db.engine)  # attached before the bot opens a connection
        self.services = production_services(settings, db.engine)
        self.pacing = describe_pacer(self.services)
        self.servers = [bot_server(create_app(self.services))]
        self.workspace = workspace(self.slack, self.servers[0].url, TEAM)

        engine = db.another_engine()
        floor.create_tables(engine)
        self.floor_tally = counts.Tally(engine)
        # The floor's calls keep Slack's rate limits through the bot's own pacer (its buckets: the apps take turns).
        client = web_client(settings, pacer=self.services.pacer)
        self.servers.append(bot_server(floor.create_floor_app(client, SIGNING_SECRET, engine)))
        self.floor = workspace(self.slack, self.servers[-1].url, TEAM)
        self.tallies = [self.tally, self.floor_tally]

    def close(self) -> None:
        for server in self.servers:
            server.stop()
        self.slack.stop()


class ProcessRig(Apps):
    """The timed runs' rig: the simulated Slack and the clients in this process; the bot (`python -m bot`, HTTP
    mode, production settings), the bare app and the floor app (`python -m bench.app_process`) each in a process
    of its own, as Slack meets them in production and as an outside load test sees them: no app shares an
    interpreter with another app or with the simulated Slack. Their settings come through the environment."""

    def __init__(self, db: Database, logs: Path, *, unpaced: bool = False):
        from core.settings import Settings

        self.kind = db.kind
        self.slack = PromptWatch()
        self.slack.add_team(TEAM, bot_token="xoxb-T1", bot_user_id="UBOT")
        self.slack.add_user(TEAM, FACILITATOR, name="facilitator", real_name="Facilitator")
        self.deferred = float(Settings.model_fields["maturity_progress_delay"].default)
        pacing = UNPACED if unpaced else {}
        self.pacing = "pacer off" if unpaced else "the production pacing"
        self.processes = {
            "bot": AppProcess.python_m_bot(self.slack, db, logs, "bot", **pacing),
            "bare": AppProcess.comparison("bare", self.slack, db, logs, **pacing),
            "floor": AppProcess.comparison("floor", self.slack, db, logs, **pacing),
        }
        try:
            urls = {name: process.wait_ready() for name, process in self.processes.items()}
        except Exception:
            self.close()
            raise
        self.workspace = workspace(self.slack, urls["bot"], TEAM)
        self.bare = workspace(self.slack, urls["bare"], TEAM)
        self.floor = workspace(self.slack, urls["floor"], TEAM)

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far of each app's process."""
        return {name: cpu_seconds(process.process.pid) for name, process in self.processes.items()}

    def close(self) -> None:
        for process in self.processes.values():
            process.stop()
        self.slack.stop()


def enrol(slack: PromptWatch, driver, channel: str, count: int, *, timeout: float = 300.0, settle=None) -> list[Member]:
    """A round for `count` new members of `channel`, started by the facilitator through `driver` (the app's
    Slack side); once every kick-off has arrived (and `settle` has run), each member clicks its button and
    gets their first prompt: the members the clients then click through."""
    from bot import values

    users = [f"U{channel}{i:04d}" for i in range(count)]
    for user_id in users:
        slack.add_user(TEAM, user_id, name=user_id.lower())
    slack.add_channel(TEAM, channel, name=channel.lower(), members=[FACILITATOR, *users])
    dms = {user_id: slack.dm_channel(TEAM, user_id) for user_id in users}
    kickoffs = {user_id: slack.expect_top_level(dm) for user_id, dm in dms.items()}
    reply = driver.command(FACILITATOR, "start", channel_id=channel)
    if reply.status != 200:
        raise RuntimeError(f"/maturity start answered {reply.status}: {reply.body[:200]}")
    deadline = time.monotonic() + timeout
    for user_id in users:
        if not kickoffs[user_id].wait(max(0.0, deadline - time.monotonic())):
            raise RuntimeError(f"the kick-off of {count} members did not finish in {timeout:.0f} s")
    if settle is not None:
        settle()

    def start(user_id: str) -> Member:
        dm = dms[user_id]
        arrival = slack.expect(dm)
        reply, _ = click(driver, user_id, kickoffs[user_id].message, values.CONTINUE)
        if reply.status != 200:
            raise RuntimeError(f"Continue for {user_id} answered HTTP {reply.status}")
        if not arrival.wait(ARRIVAL_TIMEOUT):
            raise RuntimeError(f"Continue gave {user_id} no first prompt within {ARRIVAL_TIMEOUT:.0f} s")
        if not arrival.is_prompt:
            raise RuntimeError(f"Continue gave {user_id} {arrival.text!r}, not a prompt")
        return Member(user_id, dm, arrival.message, arrival.at)

    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(start, users))


def one_level(
    rig: ProcessRig, lv: Level, groups, floor_groups, prompt, repeat: int, *, deferred: bool = True
) -> tuple[Run, Run, Run]:
    """One run of each app at one level, one after the other, each starting when the others are quiet (with
    `deferred`, also after the bot's deferred work; --quick does not wait for it). The bot's and the floor's
    runs carry their process's CPU a click."""
    rig.settle()
    bare = drive_bare(rig.bare, lv.clients, lv.bare_requests_per_client, prompt)
    rig.settle()
    bot = _with_cpu(rig, "bot", lambda: drive(rig.slack, rig.workspace, groups, lv.clicks_per_client, seed=repeat))
    rig.settle(deferred=deferred)
    low = _with_cpu(rig, "floor", lambda: drive(rig.slack, rig.floor, floor_groups, lv.clicks_per_client, seed=repeat))
    return bare, bot, low


def _with_cpu(rig: ProcessRig, app: str, work) -> Run:
    before, machine_before = rig.cpu()[app], machine_cpu_seconds()
    run = work()
    if run.latencies:
        run.cpu_per_click = (rig.cpu()[app] - before) / len(run.latencies)
        run.machine_per_click = (machine_cpu_seconds() - machine_before) / len(run.latencies)
    return run


def measure(db: Database, *, quick: bool, repeats: int, unpaced: bool = False, log=print) -> tuple[list[Row], dict]:
    """The timed runs, every app in a process of its own (ProcessRig); then, unless `unpaced`, the counting
    pass and the kick-off burst, in this process (Rig), on a database of their own."""
    label = f"{db.kind}, pacer off" if unpaced else db.kind
    with tempfile.TemporaryDirectory(prefix="bench-apps-") as logs:
        rig = ProcessRig(db, Path(logs), unpaced=unpaced)
        try:
            out, data = timed_runs(rig, label, QUICK if quick else FULL, quick=quick, repeats=repeats, log=log)
        finally:
            rig.close()
    if unpaced:
        return out, data
    with Database(db.kind) as own:
        more, counted = count_and_burst(own, QUICK if quick else FULL, quick=quick, log=log)
    data["counts"] = counted
    return out + more, data


def timed_runs(
    rig: ProcessRig, label: str, sizes: Sizes, *, quick: bool, repeats: int, log=print
) -> tuple[list[Row], dict]:
    """Each level `repeats` times: the bare app, the bot and the floor app in turn, on members of their own."""
    levels = sizes.levels
    # One pool of members, enrolled once; each level has its own members, every repeat moves them on.
    need = {lv.clients: lv.clients * lv.members_per_client for lv in levels}
    clicks_per_member = max(-(-lv.clicks_per_client * repeats // lv.members_per_client) for lv in levels)
    if clicks_per_member > 12:
        raise ValueError("too few members per client for this many clicks and repeats")
    started = time.perf_counter()
    members = rig.enrol("CBENCH", sum(need.values()))
    log(
        f"  [{label}] {rig.pacing}; enrolled {len(members)} members (kick-off + Continue) in "
        f"{time.perf_counter() - started:.1f} s"
    )
    pools: dict[int, list[Member]] = {}
    offset = 0
    for lv in levels:
        pools[lv.clients] = members[offset : offset + need[lv.clients]]
        offset += need[lv.clients]
    sample_prompt = members[0].prompt
    floor_pool = rig.floor_members(max(need.values()) + 1, sample_prompt)
    rig.warm_floor(floor_pool.pop())

    bot_runs: dict[int, list[Run]] = {lv.clients: [] for lv in levels}
    bare_runs: dict[int, list[Run]] = {lv.clients: [] for lv in levels}
    floor_runs: dict[int, list[Run]] = {lv.clients: [] for lv in levels}
    for repeat in range(repeats):
        for lv in levels:
            groups = [pools[lv.clients][i :: lv.clients] for i in range(lv.clients)]
            floor_groups = [floor_pool[: need[lv.clients]][i :: lv.clients] for i in range(lv.clients)]
            bare, bot, low = one_level(rig, lv, groups, floor_groups, sample_prompt, repeat, deferred=not quick)
            bare_runs[lv.clients].append(bare)
            bot_runs[lv.clients].append(bot)
            floor_runs[lv.clients].append(low)
            log(
                f"  [{label}] run {repeat + 1}/{repeats}, {lv.clients:>2} clients: bot {len(bot.latencies)} clicks, "
                f"p95 {ms(percentile(bot.latencies, 95))}, {bot.throughput:.1f}/s (idle {bot.idle:.1f} s, "
                f"{len(bot.errors)} errors, {bot.resets} resets{_cpu_text(bot)}); bare {bare.throughput:.0f}/s "
                f"({bare.resets} resets); floor p95 {ms(percentile(low.latencies, 95))}, {low.throughput:.1f}/s "
                f"(idle {low.idle:.1f} s, {len(low.errors)} errors{_cpu_text(low)})"
            )
            errors = bot.errors + bare.errors + low.errors
            if errors:
                log(f"  [{label}]   errors: {sorted(set(errors))[:3]}")
    return rows(label, levels, bot_runs, bare_runs, floor_runs, diagnostic=label.endswith("pacer off"))


def _cpu_text(run: Run) -> str:
    return f", {_cpu_figures((run.cpu_per_click, run.machine_per_click))}" if run.cpu_per_click else ""


def count_and_burst(db: Database, sizes: Sizes, *, quick: bool, log=print) -> tuple[list[Row], dict]:
    """Per click, sequentially: statements, transactions and Slack calls, the bot beside the floor, counted
    with SQLAlchemy events on their engines in this process; then the kick-off burst."""
    rig = Rig(db)
    label = db.kind
    try:
        counted = rig.enrol("CCOUNT", sizes.count_members)
        floor_pool = rig.floor_members(sizes.count_members + 1, counted[0].prompt)
        rig.warm_floor(floor_pool.pop())
        rig.settle(deferred=True)
        bot_counts = counts.count_clicks(
            rig.slack, rig.workspace, rig.tally, counted, sizes.count_clicks, app="bot", deferred=rig.deferred
        )
        rig.settle()
        floor_counts = counts.count_clicks(
            rig.slack, rig.floor, rig.floor_tally, floor_pool, sizes.count_clicks, app="floor"
        )
        for who, c in (("bot", bot_counts), ("floor", floor_counts)):
            sql_text, slack_text = counts.sentence(c)
            log(f"  [{label}] {who:<5} {sql_text}; {slack_text}")
            log(f"  [{label}] {who:<5} statements by kind: {counts.verbs_text(c)}")
            log(f"  [{label}] {who:<5} {counts.timing_text(c)}")
            if c.errors:
                log(f"  [{label}] {who:<5} counting errors: {c.errors[:3]}")
        out = counts.rows(label, bot_counts, floor_counts)
        data = {"bot": counts.summary(bot_counts), "floor": counts.summary(floor_counts)}

        # Last, because it switches Slack's rate limits on for the rest of this rig's life.
        rig.settle()
        out.append(kickoff_burst(rig, members=sizes.burst_members, window=sizes.burst_window, log=log))
        return out, data
    finally:
        rig.close()


def check(kind: str, clients: int, runs: list[Run], what: str) -> None:
    """A crashed client, or more than 5% of clicks failing, makes the benchmark fail."""
    crashes = [e for r in runs for e in r.errors if e.startswith("client crashed")]
    if crashes:
        raise RuntimeError(f"{kind}, {clients} clients, {what}: {crashes[0]}")
    errors = sum(len(r.errors) for r in runs)
    attempted = sum(len(r.latencies) for r in runs) + errors
    if attempted == 0 or errors > 0.05 * attempted:
        raise RuntimeError(f"{kind}, {clients} clients, {what}: {errors} errors in {attempted} clicks")


def _clients(n: int) -> str:
    return f"{n} client{'s' if n > 1 else ''}"


def _range(values: list[float], fmt: str) -> str:
    return f" ({min(values):{fmt}}-{max(values):{fmt}})" if len(values) > 1 else ""


def rows(
    kind: str,
    levels: list[Level],
    bot_runs: dict,
    bare_runs: dict,
    floor_runs: dict | None = None,
    *,
    diagnostic: bool = False,
) -> tuple[list[Row], dict]:
    """Per level: latency, HTTP ack and throughput against the bare app; with the floor app, its latency and
    the bot's throughput against it. Diagnostic rows carry no target."""
    out, data = [], {}
    for lv in levels:
        bots, bares = bot_runs[lv.clients], bare_runs[lv.clients]
        check(kind, lv.clients, bots, "bot")
        check(kind, lv.clients, bares, "bare app")
        lat = [x for r in bots for x in r.latencies]
        acks = [x for r in bots for x in r.acks]
        bare_lat = [x for r in bares for x in r.latencies]
        p95s = [percentile(r.latencies, 95) for r in bots]
        tps = [r.throughput for r in bots]
        bare_tps = [r.throughput for r in bares]
        clicks = len(lat)
        errors = sum(len(r.errors) for r in bots + bares)
        p50, p95, p99 = (percentile(lat, p) for p in (50, 95, 99))
        b50, b95 = percentile(bare_lat, 50), percentile(bare_lat, 95)
        runs = f", p95 {ms(min(p95s))}-{ms(max(p95s))} over {len(bots)} runs" if len(bots) > 1 else ""
        resets, bare_resets = sum(r.resets for r in bots), sum(r.resets for r in bares)
        if resets:
            runs += f", {resets} conn. resets resent"
        goal = None if diagnostic else LATENCY_TARGETS.get(lv.clients)
        out.append(
            Row(
                figure=f"click -> next prompt, {_clients(lv.clients)} [{kind}]",
                target=f"p95 <= {goal * 1000:.0f} ms" if goal else "",
                measured=f"{ms(p50)} / {ms(p95)} / p99 {ms(p99)} ({clicks} clicks{runs})",
                baseline=f"bare ack {ms(b50)} / {ms(b95)}" + (f" ({bare_resets} resets)" if bare_resets else ""),
                ratio=fmt_ratio(ratio(p95, b95)),
                met=(p95 <= goal) if goal else None,
                data={
                    "db": kind,
                    "clients": lv.clients,
                    "clicks": clicks,
                    "p50_s": p50,
                    "p95_s": p95,
                    "p99_s": p99,
                    "p95_per_run_s": p95s,
                    "ack_p50_s": percentile(acks, 50),
                    "ack_p95_s": percentile(acks, 95),
                    "bare_p50_s": b50,
                    "bare_p95_s": b95,
                    "idle_s": sum(r.idle for r in bots),
                    "errors": errors,
                    "connection_resets": resets,
                    "bare_connection_resets": bare_resets,
                    "bare_requests": len(bare_lat),
                },
            )
        )
        a50, a95 = percentile(acks, 50), percentile(acks, 95)
        out.append(
            Row(
                figure=f"click HTTP ack, {_clients(lv.clients)} [{kind}]",
                target="(Slack allows 3 s)",
                measured=f"{ms(a50)} / {ms(a95)} / p99 {ms(percentile(acks, 99))}",
                baseline=f"bare ack {ms(b50)} / {ms(b95)}",
                ratio=fmt_ratio(ratio(a95, b95)),
                met=None,
                data={"db": kind, "clients": lv.clients, "ack_p50_s": a50, "ack_p95_s": a95},
            )
        )
        tp, btp = median(tps), median(bare_tps)
        out.append(
            Row(
                figure=f"clicks per second, {_clients(lv.clients)} [{kind}]",
                target="" if diagnostic else f">= {THROUGHPUT_TARGET}x bare",
                measured=f"{tp:.1f}/s{_range(tps, '.1f')}",
                baseline=f"bare {btp:.0f}/s{_range(bare_tps, '.0f')}",
                ratio=fmt_ratio(ratio(tp, btp)),
                met=None if diagnostic else ratio(tp, btp) >= THROUGHPUT_TARGET,
                data={"db": kind, "clients": lv.clients, "clicks_per_s": tps, "bare_per_s": bare_tps},
            )
        )
        data[lv.clients] = {"bot_p95_s": p95, "bot_per_s": tp, "bare_per_s": btp}
        if floor_runs is not None:
            bot_cpu = (median([r.cpu_per_click for r in bots]), median([r.machine_per_click for r in bots]))
            out += floor_rows(kind, lv, floor_runs[lv.clients], p50, p95, tp, bot_cpu, data[lv.clients])
    return out, data


def floor_rows(
    kind: str, lv: Level, lows: list[Run], p50: float, p95: float, tp: float, bot_cpu: tuple[float, float], data: dict
) -> list[Row]:
    """The floor app's latency beside the bot's, and the bot's clicks/s against the floor's (the goal), with
    the CPU a click of each app's process and of the whole machine (`bot_cpu`: the bot's, in that order)."""
    check(kind, lv.clients, lows, "floor app")
    lat = [x for r in lows for x in r.latencies]
    f50, f95, f99 = (percentile(lat, p) for p in (50, 95, 99))
    ftps = [r.throughput for r in lows]
    ftp = median(ftps)
    floor_cpu = (median([r.cpu_per_click for r in lows]), median([r.machine_per_click for r in lows]))
    idle = sum(r.idle for r in lows)
    data.update({"floor_p50_s": f50, "floor_p95_s": f95, "floor_per_s": ftp})
    return [
        Row(
            figure=f"floor app: click -> next prompt, {_clients(lv.clients)} [{kind}]",
            measured=f"{ms(f50)} / {ms(f95)} / p99 {ms(f99)} ({len(lat)} clicks, idle {idle:.1f} s)",
            baseline=f"bot {ms(p50)} / {ms(p95)}",
            ratio=fmt_ratio(ratio(p95, f95)),
            data={
                "db": kind,
                "clients": lv.clients,
                "floor_p50_s": f50,
                "floor_p95_s": f95,
                "floor_p99_s": f99,
                "floor_idle_s": idle,
                "bot_p95_over_floor_p95": ratio(p95, f95),
            },
        ),
        Row(
            figure=f"clicks per second, bot vs floor app, {_clients(lv.clients)} [{kind}]",
            target=f">= floor / {FLOOR_FACTOR} ({1 / FLOOR_FACTOR:.2f}x)",
            measured=f"bot {tp:.1f}/s, {_cpu_figures(bot_cpu)}",
            baseline=f"floor {ftp:.1f}/s{_range(ftps, '.1f')}, {_cpu_figures(floor_cpu)}",
            ratio=fmt_ratio(ratio(tp, ftp)),
            met=ratio(tp, ftp) >= 1 / FLOOR_FACTOR,
            data={
                "db": kind,
                "clients": lv.clients,
                "bot_per_s": tp,
                "floor_per_s": ftps,
                "bot_cpu_s": bot_cpu[0],
                "floor_cpu_s": floor_cpu[0],
                "bot_machine_cpu_s": bot_cpu[1],
                "floor_machine_cpu_s": floor_cpu[1],
            },
        ),
    ]


def _cpu_figures(cpu: tuple[float, float]) -> str:
    process, machine = cpu
    return f"{process * 1000:.1f} ms CPU a click ({machine * 1000:.1f} ms the whole machine)"
