"""Several processes on one PostgreSQL database behave as one bot towards Slack: one set of rate limits per
workspace, shared by every process (and a 429 seen by one slows them all), and the outbox as one work queue
that any process may drain (a process killed mid kick-off leaves the rest to the others)."""

from __future__ import annotations

import threading
import time

import pytest

from bot.app import web_client
from bot.pacing import Pacer
from storage.kinds import MessageKind
from storage.outbox import OutboxStore, Owed
from storage.rate_slots import DatabaseRateSlots, MemoryRateSlots
from tests.conftest import SCHEMAS, _postgres_engine, make_settings
from tests.harness import wait_for
from tests.test_processes import BotProcess, parents

WORKSPACE_LIMIT = 20.0  # chat.postMessage a second, workspace-wide, as the simulated Slack enforces it


@pytest.fixture
def second_engine(postgres_engine):
    """What a second process would have: its own engine (and pool) on the same PostgreSQL schema."""
    other = _postgres_engine(SCHEMAS[postgres_engine])
    yield other
    other.dispose()


def _members(slack, prefix: str, count: int, channel: str) -> list[str]:
    members = [f"{prefix}{i:03d}" for i in range(count)]
    for user_id in members:
        slack.add_user("T1", user_id, name=user_id.lower())
    slack.add_channel("T1", channel, name=channel.lower(), members=["U1", *members])
    return members


def _posts_by_threads(slack, client_for, threads: int, posts: int) -> None:
    for n in range(threads):
        for m in range(posts):
            slack.add_channel("T1", f"D{n:02d}{m:03d}", name=f"d{n:02d}{m:03d}", members=["U1"])

    def post(n: int) -> None:
        client = client_for(n)
        for m in range(posts):
            client.chat_postMessage(channel=f"D{n:02d}{m:03d}", text="hello")

    workers = [threading.Thread(target=post, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


@pytest.mark.parametrize("in_database", [True, False], ids=["buckets in the database", "a pacer per process"])
def test_two_processes_posting_at_once_keep_the_workspace_limit_only_with_buckets_in_the_database(
    slack, postgres_engine, second_engine, in_database
):
    """Two 'processes' (each its own engine and pacer) post 60 messages into 60 channels as fast as they
    may. With the buckets in the database Slack never answers 429; with a pacer each, as before, the two
    together go at twice the limit and Slack throttles them."""
    slack.enforce_rate_limits("chat.postMessage", per_channel=1.0, per_workspace=WORKSPACE_LIMIT)
    settings = make_settings(slack)
    pacers = [  # the production pacing: 19 a second per workspace, 1 a second per channel
        Pacer(DatabaseRateSlots(engine) if in_database else MemoryRateSlots())
        for engine in (postgres_engine, second_engine)
    ]
    clients = [web_client(settings, pacer=pacer) for pacer in pacers]
    started = time.monotonic()
    _posts_by_threads(slack, lambda n: clients[n % 2], threads=6, posts=10)
    took = time.monotonic() - started
    posted = [c for c in slack.calls_to("chat.postMessage") if c.status == 200 and not c.error]
    assert len(posted) == 60  # 429s are waited out and retried: nothing is lost either way
    if in_database:
        assert slack.throttled == 0
        print(
            f"60 posts from two processes with shared buckets: {took:.1f} s (floor {57 / WORKSPACE_LIMIT:.1f} s), 0 x 429"
        )
    else:
        assert slack.throttled > 0
        print(f"60 posts from two processes with a pacer each: {slack.throttled} x 429")


def test_summaries_into_one_channel_from_two_processes_keep_one_a_second(slack, postgres_engine, second_engine):
    """Two processes posting into one team channel at once (two facilitators asking for summaries, a
    scheduled one): the channel's limit is shared too, so Slack never sees more than its short burst."""
    slack.enforce_rate_limits("chat.postMessage", per_channel=1.0, per_workspace=WORKSPACE_LIMIT)
    slack.add_channel("T1", "CTEAM", name="team", members=["U1"])
    settings = make_settings(slack)
    clients = [
        web_client(settings, pacer=Pacer(DatabaseRateSlots(engine))) for engine in (postgres_engine, second_engine)
    ]

    answered: list[float] = []

    def post(client) -> None:
        for n in range(3):
            client.chat_postMessage(channel="CTEAM", text=f"summary part {n}")
            answered.append(time.monotonic())

    workers = [threading.Thread(target=post, args=(clients[n % 2],)) for n in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    posted = slack.top_level("CTEAM", team_id="T1")
    assert len(posted) == 6
    assert slack.throttled == 0
    moments = sorted(answered)
    busiest = max(sum(1 for m in moments if start <= m < start + 1.0) for start in moments)
    assert busiest <= 3, f"{busiest} posts into one channel within one second"


def test_a_429_seen_by_one_process_holds_back_the_others(slack, postgres_engine, second_engine):
    settings = make_settings(slack)
    first, second = (
        web_client(settings, pacer=Pacer(DatabaseRateSlots(engine))) for engine in (postgres_engine, second_engine)
    )
    slack.fail("users.info", status=429, retry_after=2, times=1)
    throttled_at = []
    first_done = threading.Thread(target=lambda: first.users_info(user="U1"))
    first_done.start()
    wait_for(lambda: any(c.status == 429 for c in slack.calls_to("users.info")), timeout=5, what="the 429")
    throttled_at.append(time.monotonic())
    second.users_info(user="U2")  # another process, another member: the same workspace and method
    waited = time.monotonic() - throttled_at[0]
    first_done.join()
    assert waited >= 1.5, f"the second process called users.info {waited:.2f} s after Slack's Retry-After of 2 s"
    assert [c.status for c in slack.calls_to("users.info")] == [429, 200, 200]
    print(f"a 429 with Retry-After 2 s in one process: the other waited {waited:.1f} s")


def test_senders_in_two_processes_share_the_outbox_and_never_take_one_message_twice(postgres_engine, second_engine):
    stores = [OutboxStore(engine) for engine in (postgres_engine, second_engine)]
    for n in range(300):
        stores[0].enqueue("T1", Owed(key=f"test:{n}", kind=MessageKind.REMINDER, channel=f"U{n}", text="hi"))
    claimed: list[int] = []
    lock = threading.Lock()

    def drain(store: OutboxStore) -> None:
        while batch := store.claim_due(limit=3):
            with lock:
                claimed.extend(message.id for message in batch)

    workers = [threading.Thread(target=drain, args=(stores[n % 2],)) for n in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(claimed) == 300 and len(set(claimed)) == 300
    assert stores[1].claim_due(limit=10) == []  # every one is leased now, none is due again before its lease ends


def test_two_bot_processes_kick_off_two_channels_at_once_within_the_workspace_limit(slack, postgres_engine, tmp_path):
    slack.enforce_rate_limits("chat.postMessage", per_channel=1.0, per_workspace=WORKSPACE_LIMIT)
    north = _members(slack, "UN", 60, "CNORTH")
    south = _members(slack, "US", 60, "CSOUTH")
    everyone = [*north, *south, "U1"]  # the facilitator is in both channels: a kick-off for each round
    # The production pacing (19 a second per workspace by default), no clock: the processes' own senders.
    pacing = dict(MATURITY_WORKSPACE_RATE=None, MATURITY_TIER_SCALE=None, MATURITY_CLOCK="false")
    processes = [BotProcess(slack, postgres_engine, tmp_path, name=f"web{n}", **pacing) for n in (1, 2)]
    try:
        web = [process.wait_ready(slack) for process in processes]
        started = time.monotonic()
        commands = [
            threading.Thread(target=workspace.command, args=("U1", "start"), kwargs={"channel_id": channel})
            for workspace, channel in zip(web, ["CNORTH", "CSOUTH"])
        ]
        for command in commands:
            command.start()
        wait_for(
            lambda: min(parents(slack, everyone).values()) >= 1 and parents(slack, ["U1"])["U1"] == 2,
            timeout=60,
            what="every member's kick-off",
        )
        took = time.monotonic() - started
        for command in commands:
            command.join()
        time.sleep(1.0)  # anything still to come would be a duplicate
    finally:
        for process in processes:
            process.stop()
    counts = parents(slack, everyone)
    assert counts.pop("U1") == 2
    assert set(counts.values()) == {1}, {u: n for u, n in counts.items() if n != 1}
    assert slack.throttled == 0
    print(
        f"two processes, 2 x 60 members: kick-off {took:.1f} s (floor {len(everyone) / WORKSPACE_LIMIT:.1f} s), "
        f"each member once, 0 x 429"
    )


def test_a_process_killed_mid_kickoff_leaves_the_rest_to_the_other(slack, postgres_engine, tmp_path):
    members = _members(slack, "UK", 150, "CKILL")
    everyone = [*members, "U1"]
    # 30 a second: the kick-off takes about five seconds, and the first process is killed a second in.
    pacing = dict(MATURITY_WORKSPACE_RATE="30", MATURITY_CLOCK="false")
    starting = BotProcess(slack, postgres_engine, tmp_path, name="starting", **pacing)
    other = BotProcess(slack, postgres_engine, tmp_path, name="other", **pacing)
    try:
        workspace = starting.wait_ready(slack)
        other.wait_ready(slack)
        threading.Thread(target=workspace.command, args=("U1", "start"), kwargs={"channel_id": "CKILL"}).start()
        wait_for(lambda: sum(parents(slack, everyone).values()) >= 20, timeout=30, what="the first kick-offs")
        starting.kill()
        at_kill = sum(parents(slack, everyone).values())
        wait_for(lambda: min(parents(slack, everyone).values()) >= 1, timeout=60, what="the rest, by the other")
        time.sleep(3.0)  # past the killed process's leases: anything still to come would be a duplicate
    finally:
        starting.stop()
        other.stop()
    counts = parents(slack, everyone)
    assert set(counts.values()) == {1}, {u: n for u, n in counts.items() if n != 1}
    assert at_kill < len(everyone)  # the kill did come mid kick-off
    assert OutboxStore(postgres_engine).owed_count("T1") == 0
    print(f"killed after {at_kill} of {len(everyone)} kick-offs: the other process sent the rest, each once")
