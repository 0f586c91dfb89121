"""Figure 5: scale out on PostgreSQL. Bot processes started as in production (`python -m bot`, or gunicorn as
the Procfile starts it), on one PostgreSQL schema, against the simulated Slack; everything measured from outside,
at the simulated Slack (what arrived, when, and what it answered) and from /proc (CPU), never the bot's internals.

5a. Two `python -m bot` processes in HTTP mode kick off two channels of N members at once (N = 500). The
    simulated Slack enforces chat.postMessage at 20 a second per workspace and 1 a second per channel, with a
    burst of 3, answering 429 with Retry-After as Slack does; the bots pace themselves as in production (the
    shared buckets, 19 a second). The clock runs from the two `/maturity start` to the last kick-off arriving at
    Slack. The floor is what the workspace limit allows: the rounds' posts (every kick-off, the facilitator's in
    each round, the two announcements) at 20 a second after the burst. Goals: <= 1.2x the floor, 0 x 429, each
    member exactly one kick-off (the facilitator, in both channels, one per round).
5b. Clicks per second with 1, 2 and 4 gunicorn workers (the Procfile's command, gunicorn.conf.py,
    bot.wsgi:application), 8 concurrent clients clicking through walk-throughs (bench/clients.py), the simulated
    Slack answering at once. The pacing is raised out of the way (one workspace's 19 posts a second would cap
    the clicks of any number of workers, and the clients click a member at most once a second anyway); the figure is the scaling efficiency, clicks/s at N workers / (N x
    clicks/s at 1), beside the CPU count and where the CPU went (the workers, this process: the simulated Slack
    and the clients, the machine as a whole).
5c. A workspace of 10,000 people and a channel of 2,000: `/maturity start` through one `python -m bot`, the
    simulated Slack enforcing Slack's published tiers on the methods a kick-off reads with (conversations.members,
    users.list, users.info, conversations.info, team.info). The enumeration is measured in full, every page,
    at Slack's own tiers (1,000 people a page: 11 pages of users.list). The kick-off of the 2,000 runs through
    the outbox at Slack's 20 posts a second with the production pacing (19), so it takes about 100 s. (At a
    raised rate, 100 a second, the two spare calls of Slack's burst the pacer keeps absorb only 20 ms of this
    machine's scheduling jitter, against 100 ms at 20 a second, and a 429 appeared.) Goals: 0 x 429 on every method, each member one kick-off, the
    kick-off <= 1.2x the raised floor.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.clients import Run, drive
from bench.common import TEAM, Database, Row, fmt_ratio, ms, percentile, ratio
from bench.fake import PromptWatch, TopLevelPosts, workspace
from bench.interactions import enrol
from bench.kickoff import CHANNEL_LIMIT, WORKSPACE_LIMIT
from bench.processes import TOKEN, AppProcess, cpu_seconds, machine_busy, postgres_cpu_seconds
from bot.members import PAGE_SIZE

BOT_USER = "UBOT"
FACILITATOR = "UFAC"
SLACK_BURST = 3  # the simulated Slack's buckets, like Slack's "short bursts"
# Slack's published tiers (calls a minute per workspace) for the methods a kick-off reads the channel with.
SLACK_TIERS = {
    "conversations.members": 100.0,  # Tier 4
    "users.info": 100.0,  # Tier 4
    "users.list": 20.0,  # Tier 2
    "conversations.info": 50.0,  # Tier 3
    "team.info": 50.0,  # Tier 3
}
ENUMERATION = ("conversations.members", "users.list", "users.info")
# 5b: the pacing out of the way (the click path's own work is the subject; the clients click a member at most
# once a second anyway). With the channel's pacing on, a busy machine's clicks wait ~1 s for it (a re-reserved
# moment, bot/pacing.py LATE).
UNPACED = {"MATURITY_WORKSPACE_RATE": "1000", "MATURITY_CHANNEL_RATE": "1000", "MATURITY_TIER_SCALE": "100"}
PACER_SHARE = 19 / 20  # 5c: the bot's pace against Slack's limit, as in production (19 a second against 20)
QUIET = 2.5  # s without a Slack call: the bot's deferred progress updates (2 s) are done


# -- what arrives at the simulated Slack -------------------------------------------------------------------


@dataclass
class Calls:
    """The calls the simulated Slack answered during a run (bench.fake's stamped log)."""

    log: list = field(default_factory=list)

    def by_method(self) -> Counter:
        return Counter(c.method for c in self.log)

    def throttled(self) -> Counter:
        return Counter(c.method for c in self.log if c.status == 429)

    def times(self, *methods: str, ok: bool = True) -> list[float]:
        return [c.at for c in self.log if c.method in methods and (c.status == 200 or not ok)]

    def peak_per_second(self, method: str) -> int:
        """The most calls of `method` answered 200 in any one second."""
        times, peak, low = sorted(self.times(method)), 0, 0
        for high, at in enumerate(times):
            while at - times[low] >= 1.0:
                low += 1
            peak = max(peak, high - low + 1)
        return peak

    def throttled_text(self, started: float) -> str:
        """Each 429, its method and when (s after `started`): where to look."""
        hits: dict[str, list[float]] = {}
        for c in self.log:
            if c.status == 429:
                hits.setdefault(c.method, []).append(c.at - started)
        if not hits:
            return "none"
        return ", ".join(
            f"{method} {len(at)} at {', '.join(f'{t:.1f}' for t in at[:4])}{', ...' if len(at) > 4 else ''} s"
            for method, at in hits.items()
        )

    def text(self, methods=None) -> str:
        counted = self.by_method()
        return ", ".join(f"{m} {counted[m]}" for m in (methods or sorted(counted)) if counted[m])


def new_slack(members: dict[str, list[str]], *, everyone: int = 0) -> PromptWatch:
    """A simulated Slack with the bot installed, the facilitator, the channels' members (and more people, up
    to `everyone` in the workspace), each channel holding the facilitator and its members."""
    slack = PromptWatch()
    slack.add_team(TEAM, bot_token=TOKEN, bot_user_id=BOT_USER)
    slack.add_user(TEAM, FACILITATOR, name="facilitator")
    people = {user_id for users in members.values() for user_id in users}
    for user_id in sorted(people):
        slack.add_user(TEAM, user_id, name=user_id.lower())
    for n in range(max(0, everyone - len(people) - 1)):
        slack.add_user(TEAM, f"UX{n:05d}", name=f"ux{n:05d}")
    for channel, users in members.items():
        slack.add_channel(TEAM, channel, name=channel.lower(), members=[FACILITATOR, *users])
    return slack


def command_all(urls_and_channels: list[tuple[str, str]], slack) -> list[int]:
    """`/maturity start` in each channel at the same moment, each through its own process; the HTTP statuses."""
    statuses: list[int] = [0] * len(urls_and_channels)
    barrier = threading.Barrier(len(urls_and_channels))

    def start(index: int, url: str, channel: str) -> None:
        driver = workspace(slack, url, TEAM)
        barrier.wait()
        statuses[index] = driver.command(FACILITATOR, "start", channel_id=channel).status

    threads = [threading.Thread(target=start, args=(i, *pair)) for i, pair in enumerate(urls_and_channels)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


# -- 5a: two processes, one workspace's limits -------------------------------------------------------------


def two_processes_kickoff(db: Database, *, members: int, logs: Path, quick: bool, log=print) -> list[Row]:
    channels = {
        "CNORTH": [f"UN{i:04d}" for i in range(members)],
        "CSOUTH": [f"US{i:04d}" for i in range(members)],
    }
    slack = new_slack(channels)
    slack.enforce_rate_limits("chat.postMessage", per_channel=CHANNEL_LIMIT, per_workspace=WORKSPACE_LIMIT)
    owed = {user_id: 1 for users in channels.values() for user_id in users}
    owed[FACILITATOR] = len(channels)  # in both channels: a kick-off for each round
    posts = TopLevelPosts(slack, TEAM, list(owed))
    needed = sum(owed.values()) + len(channels)  # the kick-offs and each channel's announcement
    floor = (needed - SLACK_BURST) / WORKSPACE_LIMIT
    # --quick: 2 x 25 members are looked up one by one (users.info, Tier 4): 50 calls, 28 s at Slack's tiers.
    tiers = {"MATURITY_TIER_SCALE": "10"} if quick else {}
    processes = [AppProcess.python_m_bot(slack, db, logs, f"web{n}", **tiers) for n in (1, 2)]
    try:
        urls = [process.wait_ready() for process in processes]
        slack.record_calls()
        started = time.perf_counter()
        statuses = command_all(list(zip(urls, channels)), slack)
        if statuses != [200] * len(channels):
            raise RuntimeError(f"/maturity start answered {statuses}")
        complete = posts.wait(owed, timeout=floor * 3 + 90)
        posts.settle()
    finally:
        for process in processes:
            process.stop()
        calls = Calls(slack.recorded_calls())
        slack.stop()
    once, twice, missing = posts.exactly(owed)
    elapsed = (posts.last - started) if complete else float("nan")
    enumerated = max(calls.times(*ENUMERATION), default=started) - started
    posting = (posts.last - posts.first) if complete else float("nan")
    throttled = slack.throttled
    each_once = once == len(owed)
    log(
        f"  2 processes, 2 x {members} members: last kick-off at {elapsed:.1f} s (floor {floor:.1f} s for {needed} "
        f"posts); channels read by {enumerated:.1f} s, first to last kick-off {posting:.1f} s; peak "
        f"{calls.peak_per_second('chat.postMessage')} posts in a second; 429s {throttled}; exactly once "
        f"{once}/{len(owed)}, duplicates {twice}, missing {missing}" + (" (tiers x10, --quick)" if quick else "")
    )
    counted = calls.by_method()
    at_tiers = sum(max(0, counted[m] - SLACK_BURST) * 60 / SLACK_TIERS[m] for m in ENUMERATION)
    log(
        f"  calls at the simulated Slack: {calls.text()}; 429s: {calls.throttled_text(started)}; the reads made "
        f"need >= {at_tiers:.1f} s at Slack's tiers, which this simulated Slack does not enforce"
    )
    figure = f"kick-off 2 x {members} by 2 `python -m bot`, one schema (Slack 20/s/workspace, 1/s/channel)"
    return [
        Row(
            figure=figure + (" [tiers x10, --quick]" if quick else ""),
            target="<= 1.2x floor, 0 x 429, each once",
            measured=f"{elapsed:.1f} s; 429s {throttled}; each once: {'yes' if each_once else 'NO'}",
            baseline=f"floor {floor:.1f} s ({needed} posts)",
            ratio=fmt_ratio(ratio(elapsed, floor)),
            met=complete and ratio(elapsed, floor) <= 1.2 and throttled == 0 and each_once,
            data={
                "members": len(owed),
                "posts": needed,
                "seconds": elapsed,
                "floor_s": floor,
                "enumerated_by_s": enumerated,
                "first_to_last_kickoff_s": posting,
                "peak_posts_per_s": calls.peak_per_second("chat.postMessage"),
                "throttled": throttled,
                "once": once,
                "duplicates": twice,
                "missing": missing,
                "calls": dict(calls.by_method()),
            },
        )
    ]


# -- 5b: gunicorn workers ----------------------------------------------------------------------------------


def wait_quiet(slack: PromptWatch, quiet: float = QUIET, timeout: float = 30.0) -> None:
    """Until the simulated Slack has had no call for `quiet` seconds (the bot's deferred work is done)."""
    deadline = time.monotonic() + timeout
    while time.perf_counter() - slack.last_call_at < quiet and time.monotonic() < deadline:
        time.sleep(0.1)


@dataclass
class WorkerRun:
    workers: int
    run: Run
    cpu_workers: float  # CPU seconds of the gunicorn workers during the clicks
    cpu_here: float  # of this process: the simulated Slack and the clients
    cpu_postgres: float  # of the PostgreSQL server's processes
    cpu_machine: float  # of the whole machine (whatever else runs on it too)
    machine: float  # the machine's CPUs busy, 0..1

    @property
    def cpu_others(self) -> float:
        return max(0.0, self.cpu_machine - self.cpu_workers - self.cpu_here - self.cpu_postgres)

    @property
    def throughput(self) -> float:
        return self.run.throughput


def clicks_by_workers(
    db: Database,
    *,
    worker_counts: list[int],
    clients: int,
    members_per_client: int,
    clicks_per_client: int,
    logs: Path,
    log=print,
) -> list[Row]:
    slack = PromptWatch()
    slack.add_team(TEAM, bot_token=TOKEN, bot_user_id=BOT_USER)
    slack.add_user(TEAM, FACILITATOR, name="facilitator")
    runs: list[WorkerRun] = []
    try:
        for workers in worker_counts:
            server = AppProcess.gunicorn(slack, db, logs, workers, **UNPACED)
            try:
                launched = time.perf_counter()
                url = server.wait_ready()
                ready = time.perf_counter()
                members = enrol(
                    slack, workspace(slack, url, TEAM), f"CW{workers}", clients * members_per_client, timeout=120.0
                )
                enrolled = time.perf_counter()
                wait_quiet(slack)
                pids = server.worker_pids()
                cpu = (sum(cpu_seconds(p) for p in pids), time.process_time(), postgres_cpu_seconds())
                busy = machine_busy()
                groups = [members[i::clients] for i in range(clients)]
                run = drive(slack, workspace(slack, url, TEAM), groups, clicks_per_client, seed=workers)
                now_busy = machine_busy()
                ticks = os.sysconf("SC_CLK_TCK")
                measured = WorkerRun(
                    workers,
                    run,
                    cpu_workers=sum(cpu_seconds(p) for p in pids) - cpu[0],
                    cpu_here=time.process_time() - cpu[1],
                    cpu_postgres=postgres_cpu_seconds() - cpu[2],
                    cpu_machine=(now_busy[0] - busy[0]) / ticks,
                    machine=ratio(now_busy[0] - busy[0], now_busy[1] - busy[1]),
                )
            finally:
                server.stop()
            errors = len(run.errors)
            if not run.latencies or errors > 0.05 * (len(run.latencies) + errors):
                raise RuntimeError(f"{workers} workers: {errors} errors, e.g. {sorted(set(run.errors))[:2]}")
            runs.append(measured)
            log(
                f"  {workers} worker(s): ready in {ready - launched:.1f} s, {len(members)} members enrolled in "
                f"{enrolled - ready:.1f} s; {run.throughput:.1f} clicks/s ({len(run.latencies)} clicks in "
                f"{run.wall:.1f} s, p50 {ms(percentile(run.latencies, 50))}, p95 {ms(percentile(run.latencies, 95))}, "
                f"idle {run.idle:.1f} s, {errors} errors); CPU s: workers {measured.cpu_workers:.1f} "
                f"({measured.cpu_workers / max(1, len(run.latencies)) * 1000:.1f} ms a click), PostgreSQL "
                f"{measured.cpu_postgres:.1f}, this process (simulated Slack + clients) {measured.cpu_here:.1f}, "
                f"anything else {measured.cpu_others:.1f}; machine {measured.machine:.0%} busy"
            )
    finally:
        slack.stop()
    one = next((r.throughput for r in runs if r.workers == 1), float("nan"))
    cpus = os.cpu_count()
    rows = []
    for r in runs:
        efficiency = ratio(r.throughput, r.workers * one)
        lat = r.run.latencies
        rows.append(
            Row(
                figure=f"clicks/s, {r.workers} gunicorn worker{'s' if r.workers > 1 else ''} x 8 threads, "
                f"{clients} clients, pacer raised [postgres, {cpus} CPUs]",
                target="(scaling efficiency)" if r.workers > 1 else "",
                measured=f"{r.throughput:.1f}/s, p50 {ms(percentile(lat, 50))}, p95 {ms(percentile(lat, 95))} "
                f"({len(lat)} clicks; CPUs {r.machine:.0%} busy, {r.cpu_others:.1f} s not ours)",
                baseline=f"1 worker {one:.1f}/s",
                ratio=f"eff. {efficiency:.2f}" if r.workers > 1 else "",
                met=None,
                data={
                    "workers": r.workers,
                    "cpus": cpus,
                    "clicks": len(lat),
                    "clicks_per_s": r.throughput,
                    "efficiency": efficiency,
                    "p50_s": percentile(lat, 50),
                    "p95_s": percentile(lat, 95),
                    "idle_s": r.run.idle,
                    "cpu_workers_s": r.cpu_workers,
                    "cpu_bench_process_s": r.cpu_here,
                    "cpu_postgres_s": r.cpu_postgres,
                    "cpu_others_s": r.cpu_others,
                    "machine_busy": r.machine,
                    "wall_s": r.run.wall,
                },
            )
        )
    return rows


# -- 5c: a big workspace -----------------------------------------------------------------------------------


def big_channel_kickoff(
    db: Database, *, people: int, channel_size: int, kickoff_rate: float, tier_scale: float, logs: Path, log=print
) -> list[Row]:
    """`/maturity start` in a channel of `channel_size` in a workspace of `people`, at Slack's tiers (times
    `tier_scale`, the simulated Slack's limits and the bot's pacing alike) and chat.postMessage at
    `kickoff_rate` a second per workspace (the bot paced at 19/20 of it, as it is at 19 against Slack's 20)."""
    step = max(1, people // channel_size)
    members = [f"UB{i:05d}" for i in range(0, channel_size * step, step)]
    slack = new_slack({"CBIG": members}, everyone=people)
    tiers = {method: per_minute * tier_scale for method, per_minute in SLACK_TIERS.items()}
    for method, per_minute in tiers.items():
        slack.enforce_rate_limits(method, per_channel=per_minute / 60, per_workspace=per_minute / 60)
    slack.enforce_rate_limits("chat.postMessage", per_channel=CHANNEL_LIMIT, per_workspace=kickoff_rate)
    owed = {user_id: 1 for user_id in [FACILITATOR, *members]}
    posts = TopLevelPosts(slack, TEAM, list(owed))
    pacing = {"MATURITY_WORKSPACE_RATE": f"{kickoff_rate * PACER_SHARE:g}", "MATURITY_TIER_SCALE": f"{tier_scale:g}"}
    process = AppProcess.python_m_bot(slack, db, logs, "big", **pacing)
    try:
        url = process.wait_ready()
        slack.record_calls()
        started = time.perf_counter()
        reply = workspace(slack, url, TEAM).command(FACILITATOR, "start", channel_id="CBIG")
        if reply.status != 200:
            raise RuntimeError(f"/maturity start answered {reply.status}")
        pages = {"conversations.members": -(-channel_size // PAGE_SIZE), "users.list": -(-people // PAGE_SIZE)}
        reading = sum(max(0, n - SLACK_BURST) * 60 / tiers[m] for m, n in pages.items())
        complete = posts.wait(owed, timeout=reading * 2 + len(owed) / kickoff_rate * 3 + 60)
        posts.settle()
    finally:
        process.stop()
        calls = Calls(slack.recorded_calls())
        slack.stop()
    counted, throttled = calls.by_method(), calls.throttled()
    read = max(calls.times(*ENUMERATION), default=started) - started
    # The floor of the reads the bot made (those answered 200): each method's calls beyond the burst, at its
    # tier, one method after the other.
    answered = {m: counted[m] - throttled[m] for m in ENUMERATION}
    read_floor = sum(max(0, n - SLACK_BURST) * 60 / tiers[m] for m, n in answered.items())
    once, twice, missing = posts.exactly(owed)
    kickoffs = len(owed)
    stored = (posts.first - started - read) if complete else float("nan")  # the round stored, announced
    kickoff_s = (posts.last - posts.first) if complete else float("nan")
    kickoff_floor = (kickoffs - SLACK_BURST) / kickoff_rate
    total = (posts.last - started) if complete else float("nan")
    reads = calls.text([*ENUMERATION, "conversations.info", "team.info"])
    scaled = f", tiers x{tier_scale:g}" if tier_scale != 1 else ""
    tier_429s = sum(throttled[m] for m in SLACK_TIERS)
    own = f", at Slack's own tiers about {read * tier_scale:.0f} s" if scaled else ""
    log(
        f"  {people:,} people, channel of {channel_size:,}{scaled}: channel read by {read:.1f} s ({reads}, of which "
        f"429: {dict((m, throttled[m]) for m in ENUMERATION if throttled[m]) or 0}; the tiers' floor for the "
        f"calls answered {read_floor:.1f} s{own}); "
        f"round stored and announced {stored:.1f} s later; kick-off of {kickoffs} {kickoff_s:.1f} s at "
        f"{kickoff_rate:g}/s, pacer {kickoff_rate * PACER_SHARE:g}/s (floor {kickoff_floor:.1f} s, peak "
        f"{calls.peak_per_second('chat.postMessage')} posts in a second); last kick-off at {total:.1f} s; exactly "
        f"once {once}/{kickoffs}, duplicates {twice}, missing {missing}"
    )
    log(f"  calls at the simulated Slack: {calls.text()}; 429s: {calls.throttled_text(started)}")
    size = f"{channel_size:,} of {people:,}"
    return [
        Row(
            figure=f"read a channel of {size} people (Slack's tiers{f' x{tier_scale:g}' if scaled else ''}: "
            "users.list 20/min, conversations.members 100/min)",
            target="0 x 429",
            measured=f"{read:.1f} s; {reads}; 429s {tier_429s}",
            baseline=f"tiers' floor {read_floor:.1f} s",
            ratio=fmt_ratio(ratio(read, read_floor)),
            met=tier_429s == 0,
            data={
                "people": people,
                "channel": channel_size,
                "tier_scale": tier_scale,
                "seconds": read,
                "floor_s": read_floor,
                "calls": dict(counted),
                "throttled": dict(throttled),
                "stored_and_announced_s": stored,
            },
        ),
        Row(
            figure=f"kick-off of {size} via the outbox at Slack's {kickoff_rate:g} a second, the bot's pace "
            f"{kickoff_rate * PACER_SHARE:g}",
            target="<= 1.2x floor, 0 x 429, each once",
            measured=f"{kickoff_s:.1f} s (all done at {total:.1f} s); 429s {throttled['chat.postMessage']}; each "
            f"once: {'yes' if once == kickoffs else 'NO'}",
            baseline=f"floor {kickoff_floor:.1f} s ({kickoffs} posts)",
            ratio=fmt_ratio(ratio(kickoff_s, kickoff_floor)),
            met=complete
            and ratio(kickoff_s, kickoff_floor) <= 1.2
            and not throttled["chat.postMessage"]
            and once == kickoffs,
            data={
                "kickoffs": kickoffs,
                "rate": kickoff_rate,
                "pacer_rate": kickoff_rate * PACER_SHARE,
                "seconds": kickoff_s,
                "floor_s": kickoff_floor,
                "total_s": total,
                "peak_posts_per_s": calls.peak_per_second("chat.postMessage"),
                "once": once,
                "duplicates": twice,
                "missing": missing,
            },
        ),
    ]


# -- the section -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    kickoff_members: int  # 5a: per channel
    worker_counts: list[int]  # 5b
    members_per_client: int
    clicks_per_client: int
    people: int  # 5c
    channel: int
    kickoff_rate: float
    tier_scale: float  # 5c: Slack's tiers x this, both sides (1: Slack's own)


FULL = Sizes(500, [1, 2, 4], 24, 48, 10_000, 2_000, WORKSPACE_LIMIT, 1.0)
QUICK = Sizes(25, [1, 2], 4, 4, 1_000, 200, WORKSPACE_LIMIT, 1.0)
CLIENTS = 8


def measure(*, quick: bool, log=print) -> list[tuple[str, callable]]:
    """The section's parts, (title, work) each, every one on a fresh PostgreSQL schema of its own."""
    import tempfile

    sizes = QUICK if quick else FULL

    def on_postgres(work):
        def run() -> list[Row]:
            with tempfile.TemporaryDirectory(prefix="bench-scale-") as logs, Database("postgres") as db:
                return work(db, Path(logs))

        return run

    return [
        (
            f"5a. kick-off of 2 x {sizes.kickoff_members} by two processes [postgres]",
            on_postgres(
                lambda db, logs: two_processes_kickoff(
                    db, members=sizes.kickoff_members, logs=logs, quick=quick, log=log
                )
            ),
        ),
        (
            f"5b. clicks/s by gunicorn workers {sizes.worker_counts} [postgres]",
            on_postgres(
                lambda db, logs: clicks_by_workers(
                    db,
                    worker_counts=sizes.worker_counts,
                    clients=CLIENTS,
                    members_per_client=sizes.members_per_client,
                    clicks_per_client=sizes.clicks_per_client,
                    logs=logs,
                    log=log,
                )
            ),
        ),
        (
            f"5c. a channel of {sizes.channel:,} in a workspace of {sizes.people:,} [postgres]",
            on_postgres(
                lambda db, logs: big_channel_kickoff(
                    db,
                    people=sizes.people,
                    channel_size=sizes.channel,
                    kickoff_rate=sizes.kickoff_rate,
                    tier_scale=sizes.tier_scale,
                    logs=logs,
                    log=log,
                )
            ),
        ),
    ]
