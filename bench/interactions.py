"""Figure 1: interaction latency and throughput, the real bot over HTTP against the simulated Slack.

The real App (production mode: process_before_response=False, so bolt acknowledges at once and does the
work in its listener thread pool) is served by simulated_slack.AppServer, the threaded wsgiref server around
bot.wsgi.wsgi_app. Members are enrolled the way Slack users are: a facilitator types `/maturity start` in
a channel, every member gets the kick-off in a DM, and every member clicks Continue, which posts their
first prompt. Only then does timing start.

A client is a person at a keyboard going through members' threads: it clicks a level on a member's open
prompt (a signed block_actions request), waits until the bot's next message lands in that member's thread
at the simulated Slack (the next area's prompt; for a member's last area, their profile), then moves to its
next member, round-robin. Each client owns several members so that it always has a fresh prompt to click,
and it never clicks the same member more often than once per MEMBER_MIN_GAP seconds (Slack allows one
message per second per conversation, and nobody reads an area in less): the figure is the bot's, not
Slack's per-channel limit's. Time a client spends waiting for that gap is reported as idle.

The baseline, in the same run and over the same server class: a bare slack_bolt App with the same signing
secret and one block_actions listener that only acks, driven by the same number of clients sending the
same signed clicks back to back; its latency is the HTTP answer.
"""

from __future__ import annotations

import http.client
import random
import re
import threading
import time
import urllib.error
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

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

FACILITATOR = "UFACILITATOR"
# The diagnostic run: the product's own pacing settings, set beyond anything a benchmark reaches.
UNPACED = {"maturity_channel_rate": 1e9, "maturity_workspace_rate": 1e9}
MEMBER_MIN_GAP = 1.0  # seconds between two clicks in one member's thread
ARRIVAL_TIMEOUT = 30.0
LATENCY_TARGET = 0.100  # p95 at 8 clients
THROUGHPUT_TARGET = 0.5  # x the bare app's


CONNECTION_ERRORS = (ConnectionError, urllib.error.URLError, http.client.HTTPException)
MAX_ATTEMPTS = 10


def click(workspace, user_id: str, message, action_id: str):
    """A signed click; connections the server resets (its listen backlog is 5, as in `python -m bot`) are
    sent again at once. Returns the reply and how many resets it took."""
    for resets in range(MAX_ATTEMPTS):
        try:
            return workspace.click(user_id, message, action_id), resets
        except CONNECTION_ERRORS:
            continue
    raise RuntimeError(f"{MAX_ATTEMPTS} connection resets in a row")


@dataclass(frozen=True)
class Level:
    clients: int
    members_per_client: int
    clicks_per_client: int
    bare_requests_per_client: int


FULL_LEVELS = [Level(1, 48, 96, 300), Level(8, 8, 24, 100), Level(32, 4, 12, 40)]
QUICK_LEVELS = [Level(1, 12, 12, 60), Level(8, 4, 4, 20)]


@dataclass
class Member:
    user_id: str
    dm: str
    prompt: object  # simulated_slack.Message
    ready_at: float
    clicks: int = 0
    done: bool = False


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)  # click sent -> next message in the thread
    acks: list[float] = field(default_factory=list)  # click sent -> HTTP answer
    wall: float = 0.0
    idle: float = 0.0
    resets: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0


def guarded(client, run: Run, lock: threading.Lock):
    """A client thread that records its crash (which makes the benchmark fail) instead of dying quietly."""

    def target(*args):
        try:
            client(*args)
        except BaseException as error:
            with lock:
                run.errors.append(f"client crashed: {error!r}")

    return target


class Rig:
    """The simulated Slack, the real bot and the bare app, each behind its own threaded WSGI server."""

    def __init__(self, db: Database, *, unpaced: bool = False):
        from slack_bolt import App

        from bot.app import create_app, web_client
        from core.settings import Settings

        self.slack = PromptWatch()
        self.slack.add_team(TEAM, bot_token="xoxb-T1", bot_user_id="UBOT")
        self.slack.add_user(TEAM, FACILITATOR, name="facilitator", real_name="Facilitator")
        overrides = UNPACED if unpaced else {}
        settings = Settings(
            _env_file=None,
            slack_bot_token="xoxb-T1",
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=self.slack.api_url,
            slack_app_token=None,
            slack_client_id=None,
            process_before_response=False,
            **{k: v for k, v in overrides.items() if k in Settings.model_fields},
        )
        self.services = production_services(settings, db.engine)
        self.pacing = describe_pacer(self.services)
        self.server = bot_server(create_app(self.services))
        self.workspace = workspace(self.slack, self.server.url, TEAM)

        bare = App(client=web_client(settings), signing_secret=SIGNING_SECRET, process_before_response=False)

        @bare.action(re.compile(r"^answer_level_\d+$"))
        def _only_ack(ack):
            ack()

        self.bare_server = bot_server(bare)
        self.bare = workspace(self.slack, self.bare_server.url, TEAM)

    def close(self) -> None:
        self.server.stop()
        self.bare_server.stop()
        self.slack.stop()

    # -- enrolment -------------------------------------------------------------------------------------

    def enrol(self, channel: str, count: int, *, timeout: float = 300.0) -> list[Member]:
        """Start a round for `count` new members in `channel` and have each click Continue."""
        from bot import values

        users = [f"U{channel}{i:04d}" for i in range(count)]
        for user_id in users:
            self.slack.add_user(TEAM, user_id, name=user_id.lower())
        self.slack.add_channel(TEAM, channel, name=channel.lower(), members=[FACILITATOR, *users])
        reply = self.workspace.command(FACILITATOR, "start", channel_id=channel)
        if reply.status != 200:
            raise RuntimeError(f"/maturity start answered {reply.status}: {reply.body[:200]}")
        deadline = time.monotonic() + timeout
        round_ = None
        while True:
            round_ = round_ or self.services.stores.rounds.open_in_channel(TEAM, channel)
            if round_ is not None:
                participants = self.services.stores.answers.participants(TEAM, round_.id)
                if len(participants) == count + 1 and all(p.thread_ts for p in participants):
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"the kick-off of {count} members did not finish in {timeout:.0f} s")
            time.sleep(0.1)

        def start(user_id: str) -> Member:
            dm = self.slack.dm_channel(TEAM, user_id)
            parent = self.slack.top_level(dm, team_id=TEAM)[0]
            arrival = self.slack.expect(dm)
            reply = self.workspace.click(user_id, parent, values.CONTINUE)
            if reply.status != 200:
                raise RuntimeError(f"Continue for {user_id} answered HTTP {reply.status}")
            if not arrival.wait(ARRIVAL_TIMEOUT):
                raise RuntimeError(f"Continue gave {user_id} no first prompt within {ARRIVAL_TIMEOUT:.0f} s")
            if not arrival.is_prompt:
                raise RuntimeError(f"Continue gave {user_id} {arrival.text!r}, not a prompt")
            return Member(user_id, dm, arrival.message, arrival.at)

        with ThreadPoolExecutor(8) as pool:
            return list(pool.map(start, users))

    # -- the bot ---------------------------------------------------------------------------------------

    def drive(self, groups: list[list[Member]], clicks_per_client: int, seed: int) -> Run:
        """Each group of members is one client; all clients start together."""
        from bot import values

        run = Run()
        lock = threading.Lock()
        barrier = threading.Barrier(len(groups) + 1)

        def client(index: int, members: list[Member]) -> None:
            rng = random.Random(seed * 1000 + index)
            active = [m for m in members if not m.done]
            latencies, acks, errors, idle, turn, resets = [], [], [], 0.0, 0, 0
            barrier.wait()
            for _ in range(clicks_per_client):
                if not active:
                    errors.append("client ran out of members")
                    break
                member = active[turn % len(active)]
                turn += 1
                gap = member.ready_at + MEMBER_MIN_GAP - time.perf_counter()
                if gap > 0:
                    idle += gap
                    time.sleep(gap)
                arrival = self.slack.expect(member.dm)
                sent = time.perf_counter()
                try:
                    reply, reset = click(
                        self.workspace, member.user_id, member.prompt, values.answer_action_id(rng.randint(1, 5))
                    )
                except RuntimeError as error:
                    errors.append(str(error))
                    self.slack.forget(member.dm)
                    continue
                resets += reset
                acks.append(time.perf_counter() - sent)
                if reply.status != 200:
                    errors.append(f"click answered HTTP {reply.status}")
                    self.slack.forget(member.dm)
                    continue
                if not arrival.wait(ARRIVAL_TIMEOUT):
                    errors.append(f"no message in {member.user_id}'s thread within {ARRIVAL_TIMEOUT:.0f} s")
                    self.slack.forget(member.dm)
                    active.remove(member)
                    continue
                latencies.append(arrival.at - sent)
                member.clicks += 1
                if arrival.is_prompt:
                    member.prompt, member.ready_at = arrival.message, arrival.at
                else:  # the profile: this member is complete
                    member.done = True
                    active.remove(member)
            with lock:
                run.latencies += latencies
                run.acks += acks
                run.errors += errors
                run.idle += idle
                run.resets += resets

        threads = [
            threading.Thread(target=guarded(client, run, lock), args=(i, g), daemon=True) for i, g in enumerate(groups)
        ]
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        run.wall = time.perf_counter() - started
        return run

    # -- the bare app ----------------------------------------------------------------------------------

    def drive_bare(self, clients: int, requests_per_client: int, prompt) -> Run:
        from bot import values

        run = Run()
        lock = threading.Lock()
        barrier = threading.Barrier(clients + 1)

        def client(index: int) -> None:
            latencies, errors, resets = [], [], 0
            user_id = f"UBARE{index}"
            barrier.wait()
            for _ in range(requests_per_client):
                sent = time.perf_counter()
                try:
                    reply, reset = click(self.bare, user_id, prompt, values.answer_action_id(3))
                except RuntimeError as error:
                    errors.append(str(error))
                    continue
                resets += reset
                took = time.perf_counter() - sent
                if reply.status != 200:
                    errors.append(f"bare app answered HTTP {reply.status}")
                    continue
                latencies.append(took)
            with lock:
                run.latencies += latencies
                run.acks += latencies
                run.errors += errors
                run.resets += resets

        threads = [threading.Thread(target=guarded(client, run, lock), args=(i,), daemon=True) for i in range(clients)]
        for thread in threads:
            thread.start()
        barrier.wait()
        started = time.perf_counter()
        for thread in threads:
            thread.join()
        run.wall = time.perf_counter() - started
        return run


def pacer_configurable() -> bool:
    """Whether the settings pace the outbox (the sending path is being reworked)."""
    from core.settings import Settings

    return all(name in Settings.model_fields for name in UNPACED)


def settle(rig: Rig, timeout: float = 10.0) -> None:
    """Let the listener threads' tail work (answer shown, Home published) finish before the next phase."""
    deadline = time.monotonic() + timeout
    last = -1
    while time.monotonic() < deadline:
        count = rig.slack.call_count
        if count == last:
            return
        last = count
        time.sleep(0.3)


def measure(db: Database, *, quick: bool, repeats: int, unpaced: bool = False, log=print) -> tuple[list[Row], dict]:
    levels = QUICK_LEVELS if quick else FULL_LEVELS
    rig = Rig(db, unpaced=unpaced)
    label = f"{db.kind}, pacer off" if unpaced else db.kind
    try:
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

        bot_runs: dict[int, list[Run]] = {lv.clients: [] for lv in levels}
        bare_runs: dict[int, list[Run]] = {lv.clients: [] for lv in levels}
        for repeat in range(repeats):
            for lv in levels:
                settle(rig)
                bare = rig.drive_bare(lv.clients, lv.bare_requests_per_client, sample_prompt)
                bare_runs[lv.clients].append(bare)
                settle(rig)
                pool = pools[lv.clients]
                groups = [pool[i :: lv.clients] for i in range(lv.clients)]
                bot = rig.drive(groups, lv.clicks_per_client, seed=repeat)
                bot_runs[lv.clients].append(bot)
                log(
                    f"  [{label}] run {repeat + 1}/{repeats}, {lv.clients:>2} clients: bot {len(bot.latencies)} clicks, "
                    f"p95 {ms(percentile(bot.latencies, 95))}, {bot.throughput:.1f}/s (idle {bot.idle:.1f} s, "
                    f"{len(bot.errors)} errors, {bot.resets} resets); bare {bare.throughput:.0f}/s ({bare.resets} resets)"
                )
                if bot.errors or bare.errors:
                    log(f"  [{label}]   errors: {sorted(set(bot.errors + bare.errors))[:3]}")
        return rows(label, levels, bot_runs, bare_runs, diagnostic=unpaced)
    finally:
        rig.close()


def rows(
    kind: str, levels: list[Level], bot_runs: dict, bare_runs: dict, *, diagnostic: bool = False
) -> tuple[list[Row], dict]:
    """Two rows per level: latency and throughput. Diagnostic rows carry no target."""
    out, data = [], {}
    for lv in levels:
        bots, bares = bot_runs[lv.clients], bare_runs[lv.clients]
        lat = [x for r in bots for x in r.latencies]
        acks = [x for r in bots for x in r.acks]
        bare_lat = [x for r in bares for x in r.latencies]
        p95s = [percentile(r.latencies, 95) for r in bots]
        tps = [r.throughput for r in bots]
        bare_tps = [r.throughput for r in bares]
        clicks = len(lat)
        errors = sum(len(r.errors) for r in bots + bares)
        attempted = clicks + sum(len(r.errors) for r in bots)
        crashes = [e for r in bots + bares for e in r.errors if e.startswith("client crashed")]
        if crashes:
            raise RuntimeError(f"{kind}, {lv.clients} clients: {crashes[0]}")
        if attempted == 0 or errors > 0.05 * attempted:
            raise RuntimeError(f"{kind}, {lv.clients} clients: {errors} errors in {attempted} clicks")
        p50, p95, p99 = (percentile(lat, p) for p in (50, 95, 99))
        b50, b95 = percentile(bare_lat, 50), percentile(bare_lat, 95)
        runs = f", p95 {ms(min(p95s))}-{ms(max(p95s))} over {len(bots)} runs" if len(bots) > 1 else ""
        resets, bare_resets = sum(r.resets for r in bots), sum(r.resets for r in bares)
        if resets:
            runs += f", {resets} conn. resets resent"
        judged = lv.clients == 8 and not diagnostic
        target = f"p95 <= {LATENCY_TARGET * 1000:.0f} ms" if judged else ""
        out.append(
            Row(
                figure=f"click -> next prompt, {lv.clients} client{'s' if lv.clients > 1 else ''} [{kind}]",
                target=target,
                measured=f"{ms(p50)} / {ms(p95)} / p99 {ms(p99)} ({clicks} clicks{runs})",
                baseline=f"bare ack {ms(b50)} / {ms(b95)}" + (f" ({bare_resets} resets)" if bare_resets else ""),
                ratio=fmt_ratio(ratio(p95, b95)),
                met=(p95 <= LATENCY_TARGET) if judged else None,
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
                figure=f"click HTTP ack, {lv.clients} client{'s' if lv.clients > 1 else ''} [{kind}]",
                target="(Slack allows 3 s)",
                measured=f"{ms(a50)} / {ms(a95)} / p99 {ms(percentile(acks, 99))}",
                baseline=f"bare ack {ms(b50)} / {ms(b95)}",
                ratio=fmt_ratio(ratio(a95, b95)),
                met=None,
                data={"db": kind, "clients": lv.clients, "ack_p50_s": a50, "ack_p95_s": a95},
            )
        )
        tp, btp = median(tps), median(bare_tps)
        tp_range = f" ({min(tps):.1f}-{max(tps):.1f})" if len(tps) > 1 else ""
        btp_range = f" ({min(bare_tps):.0f}-{max(bare_tps):.0f})" if len(bare_tps) > 1 else ""
        out.append(
            Row(
                figure=f"clicks per second, {lv.clients} client{'s' if lv.clients > 1 else ''} [{kind}]",
                target="" if diagnostic else f">= {THROUGHPUT_TARGET}x bare",
                measured=f"{tp:.1f}/s{tp_range}",
                baseline=f"bare {btp:.0f}/s{btp_range}",
                ratio=fmt_ratio(ratio(tp, btp)),
                met=None if diagnostic else ratio(tp, btp) >= THROUGHPUT_TARGET,
                data={"db": kind, "clients": lv.clients, "clicks_per_s": tps, "bare_per_s": bare_tps},
            )
        )
        data[lv.clients] = {"bot_p95_s": p95, "bot_per_s": tp, "bare_per_s": btp}
    return out, data
