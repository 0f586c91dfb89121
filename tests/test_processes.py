"""Real processes: a bot killed with SIGKILL in the middle of a kick-off and restarted (SQLite and
PostgreSQL), and two bot processes plus two clock processes on one PostgreSQL database."""

from __future__ import annotations

import functools
import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from bot import values
from storage.outbox import OutboxStore
from tests.conftest import MEMBERS, POSTGRES_URL, SCHEMAS
from tests.harness import SIGNING_SECRET, Workspace
from tests.harness import wait_for as harness_wait_for
from tests.walk import dm, open_prompt, parent, prompts

wait_for = functools.partial(harness_wait_for, timeout=60.0)

ROOT = Path(__file__).resolve().parents[1]


def database_url(engine) -> str:
    schema = SCHEMAS.get(engine)
    if schema is None:
        return engine.url.render_as_string(hide_password=False)
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BotProcess:
    """`python -m bot` (or `python -m bot clock`) as a child process."""

    def __init__(self, slack, engine, tmp_path, *, clock_only=False, with_clock=True, name="bot", **settings):
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MATURITY_", "DATABASE_URL"))}
        env.update(
            PYTHONPATH=str(ROOT),
            SLACK_BOT_TOKEN="xoxb-T1",
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=slack.api_url,
            DATABASE_URL=database_url(engine),
            PORT=str(self.port),
            MATURITY_CLOCK="true" if with_clock else "false",
            MATURITY_CLOCK_TICK="0.5",
            MATURITY_OUTBOX_LEASE="2",
            MATURITY_WORKSPACE_RATE="200",
            MATURITY_TIER_SCALE="100",
        )
        env.update({name: value for name, value in settings.items() if value is not None})
        for name in [name for name, value in settings.items() if value is None]:  # None: the default
            env.pop(name, None)
        self.log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 (closed in stop())
        command = [sys.executable, "-m", "bot"] + (["clock"] if clock_only else [])
        self.process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}/slack/events"

    def wait_ready(self, slack, timeout=30):
        workspace = Workspace(slack, self.url)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if workspace.command("U1", "help").status == 200:
                    return workspace
            except OSError:
                pass
            assert self.process.poll() is None, "the bot process exited"
            assert time.monotonic() < deadline, "the bot did not become ready"
            time.sleep(0.1)

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


def parents(slack, members):
    return Counter({u: len(slack.top_level(dm(slack, u), team_id="T1")) for u in members})


def test_a_bot_killed_mid_kickoff_sends_the_rest_once_after_a_restart(slack, engine, tmp_path):
    members = [f"UK{i:03d}" for i in range(200)]
    for user_id in members:
        slack.add_user("T1", user_id, name=user_id.lower())
    slack.add_channel("T1", "CK", name="kickoff", members=members)
    slack.fail("chat.postMessage", delay=0.03, rate=1.0)  # a slow Slack, so the kill lands mid-way
    first = BotProcess(slack, engine, tmp_path, name="first")
    try:
        workspace = first.wait_ready(slack)
        workspace.command("U1", "start", channel_id="CK")
        wait_for(lambda: sum(parents(slack, members).values()) >= 40, what="40 kick-offs")
        first.kill()
    finally:
        first.stop()
    sent_before = sum(parents(slack, members).values())
    owed_before = OutboxStore(engine).owed_count("T1")
    assert sent_before < 200 and owed_before > 0
    slack.clear_faults()
    second = BotProcess(slack, engine, tmp_path, name="second")
    try:
        second.wait_ready(slack)
        wait_for(
            lambda: sum(parents(slack, members).values()) >= 200 and OutboxStore(engine).owed_count("T1") == 0,
            what="all kick-offs",
        )
        time.sleep(1.0)  # anything still to come would be a duplicate
    finally:
        second.stop()
    counts = parents(slack, members)
    assert set(counts.values()) == {1}, {u: c for u, c in counts.items() if c != 1}
    print(
        f"killed after {sent_before} sent with {owed_before} owed; after restart: sent 200, owed 0, duplicates 0, lost 0"
    )


def test_two_bot_processes_and_two_clocks_on_one_postgres_database(slack, postgres_engine, tmp_path, nps):
    engine = postgres_engine  # several processes share PostgreSQL; SQLite is the single-process default
    members = [f"UM{i:02d}" for i in range(10)]
    for user_id in members:
        slack.add_user("T1", user_id, name=user_id.lower())
    slack.add_channel("T1", "CM", name="multi", members=["U1", *members])
    # Slack's limits, and the production pacing in every process: together they must keep them.
    slack.enforce_rate_limits("chat.postMessage", per_channel=1.0, per_workspace=20.0)
    pacing = dict(MATURITY_WORKSPACE_RATE=None, MATURITY_TIER_SCALE=None)
    processes = [
        BotProcess(slack, engine, tmp_path, with_clock=False, name="web1", **pacing),
        BotProcess(slack, engine, tmp_path, with_clock=False, name="web2", **pacing),
        BotProcess(slack, engine, tmp_path, clock_only=True, name="clock1", **pacing),
        BotProcess(slack, engine, tmp_path, clock_only=True, name="clock2", **pacing),
    ]
    try:
        web = [p.wait_ready(slack) for p in processes[:2]]
        web[0].command("U1", "start", channel_id="CM")
        wait_for(lambda: all(parents(slack, members)[u] == 1 for u in members), what="kick-offs")
        for n, user_id in enumerate(members):
            web[n % 2].click(user_id, parent(slack, user_id), values.CONTINUE)
        wait_for(lambda: all(len(prompts(slack, u)) == 1 for u in members), what="first prompts")
        import threading

        threads = []
        for n, user_id in enumerate(members):
            prompt = open_prompt(slack, user_id)
            for workspace in web:  # the same click reaches both web processes at once
                threads.append(
                    threading.Thread(target=workspace.click, args=(user_id, prompt, values.answer_action_id(1 + n % 5)))
                )
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wait_for(lambda: all(len(prompts(slack, u)) == 2 for u in members), what="second prompts")
        now = datetime.now(UTC)
        web[1].command("U1", f"schedule daily {now:%H:%M} UTC", channel_id="CM")
        summaries = lambda: [m for m in slack.top_level("CM", team_id="T1") if m.text.startswith("Maturity summary")]  # noqa: E731
        wait_for(lambda: len(summaries()) >= 1, timeout=30, what="the scheduled summary")
        time.sleep(2.0)  # both clocks have ticked several times since
    finally:
        for process in processes:
            process.stop()
    from storage import Stores

    stores = Stores.open(engine)
    round_ = stores.rounds.open_in_channel("T1", "CM")
    answers = stores.answers.answers("T1", round_.id)
    assert len(answers) == 10 and sorted(a.user_id for a in answers) == sorted(members)
    assert all(len(prompts(slack, u)) == 2 for u in members)
    assert len(summaries()) == 1
    assert slack.throttled == 0
    print("web processes 2, clocks 2: answers stored 10 of 20 clicks, prompts 2 per member, summaries 1, duplicates 0")


def test_a_bot_killed_while_the_final_summary_is_posted_sends_it_and_its_chart_once(slack, engine, tmp_path):
    """`/maturity close` closes the round with its final summary owed in one transaction. Killed while Slack
    is still posting it (slowly), the restarted bot finds the late post instead of sending a second one,
    and the chart, owed from the moment the summary is known to be in Slack, still comes, once."""
    members = ["U1", "U2", "U3"]
    slack.add_channel("T1", "CF", name="final", members=members)
    settings = dict(MATURITY_SLACK_TIMEOUT="1", MATURITY_SLOW_POST_GRACE="3", MATURITY_OUTBOX_LEASE="2")
    first = BotProcess(slack, engine, tmp_path, name="first", **settings)
    try:
        workspace = first.wait_ready(slack)
        workspace.command("U1", "start", channel_id="CF")
        wait_for(lambda: sum(parents(slack, members).values()) == 3, what="the kick-offs")
        slack.fail("chat.postMessage", delay=4.0, times=1)  # Slack takes 4 s, then posts the final summary
        workspace.command("U1", "close", channel_id="CF")
        time.sleep(1.5)  # the client has timed out; Slack has not posted yet
        first.kill()
    finally:
        first.stop()

    def finals():
        return [m for m in slack.top_level("CF", team_id="T1") if m.text.startswith("Final summary")]

    assert finals() == [] and OutboxStore(engine).owed_count("T1") == 1
    wait_for(lambda: len(finals()) == 1, timeout=10, what="Slack's late post")
    second = BotProcess(slack, engine, tmp_path, name="second", **settings)
    try:
        second.wait_ready(slack)
        wait_for(
            lambda: OutboxStore(engine).owed_count("T1") == 0 and [f for f in slack.files if f.name.endswith(".png")],
            what="the summary found and its chart sent",
        )
        time.sleep(1.0)  # anything still to come would be a duplicate
    finally:
        second.stop()
    [final] = finals()
    charts = [f for f in slack.files if f.name.endswith(".png")]
    assert len(charts) == 1 and charts[0].thread_ts == final.ts
    print("killed while Slack posted the final summary: final summaries 1, charts 1 (in its thread)")


def test_a_prompt_claimed_by_a_bot_killed_before_sending_it_arrives_soon_after_a_restart_once(slack, engine, tmp_path):
    """The default lease and clock tick: a prompt a killed process had leased is sent at the restarted
    clock's next tick after the (short, renewed-while-alive) lease runs out, well within a minute, once."""
    defaults = dict(MATURITY_OUTBOX_LEASE=None, MATURITY_CLOCK_TICK=None)
    first = BotProcess(slack, engine, tmp_path, name="first", **defaults)
    try:
        workspace = first.wait_ready(slack)
        workspace.command("U1", "start")
        # Every kick-off first: the one fault below must meet the prompt's post, not another member's kick-off.
        wait_for(lambda: set(parents(slack, MEMBERS).values()) == {1}, what="the kick-offs")
        slack.fail("chat.postMessage", delay=20.0, drop=True, times=1)  # the prompt's post hangs, then is lost
        workspace.click("U2", parent(slack, "U2"), values.CONTINUE)
        wait_for(lambda: OutboxStore(engine).owed_count("T1") == 1, timeout=10, what="the prompt claimed")
        time.sleep(0.5)  # the sender has leased it and is waiting on Slack
        first.kill()
    finally:
        first.stop()
    assert prompts(slack, "U2") == []
    slack.clear_faults()
    second = BotProcess(slack, engine, tmp_path, name="second", **defaults)
    try:
        restarted = time.monotonic()
        second.wait_ready(slack)
        wait_for(lambda: len(prompts(slack, "U2")) >= 1, timeout=45, what="the prompt after the restart")
        took = time.monotonic() - restarted
        time.sleep(1.0)  # anything still to come would be a duplicate
    finally:
        second.stop()
    assert len(prompts(slack, "U2")) == 1
    print(f"prompt leased by a killed bot: sent {took:.1f} s after the restart, once")
