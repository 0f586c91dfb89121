"""Socket Mode: the simulated Slack's WebSocket endpoint (hello, one-time tickets, envelopes and their acks,
redelivery of events after a dropped connection), then the real bot behind the Socket Mode handler bot/main.py
uses (slack_bolt's websocket-client adapter): one bot in this process walking a round through to its summary, a
`python -m bot` process whose connection is cut without a close frame mid-walk-through (back within seconds, not
spinning), and two `python -m bot` processes on one PostgreSQL schema sharing the envelopes, each click and
command handled once, a redelivered event acted on once."""

from __future__ import annotations

import json
import os
import threading
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from bot import values
from bot.app import create_app
from bot.services import Services
from bot.socket_mode import close_socket_mode, socket_mode_handler
from simulated_slack import Driver
from simulated_slack.socket_mode import EVENT_RETRIES, NotAcknowledged
from storage import Stores
from storage.outbox import OutboxStore
from tests.conftest import MEMBERS, make_settings
from tests.harness import Workspace, text_of, wait_for
from tests.test_processes import BotProcess, parents
from tests.test_running import _env, _run
from tests.test_summaries import summaries_in
from tests.test_walkthrough import _levels
from tests.walk import answer_all, area_of, dm, has_button, open_prompt, parent, prompts, thread

APP = "A0FAKEAPP"  # the app id SimulatedSlack.add_team gives the installation


class SocketWorkspace(Workspace):
    """The suite's Workspace (its checks and quirks), its people's actions sent as Socket Mode envelopes."""

    def __init__(self, slack, team_id: str = "T1", timeout: float = 30.0):
        Driver.__init__(self, slack, team_id=team_id, timeout=timeout, socket_mode=True)


# -- the simulated Slack's side of the protocol, with a bare WebSocket client as the app -------------------


class RawApp:
    """One WebSocket connection opened the way an app opens it; a thread reads what Slack sends and, when
    ``acking``, acknowledges each envelope with ``{"seen": <envelope_id>}`` as its payload."""

    def __init__(self, slack, token: str, stack: ExitStack, *, acking: bool = True):
        url = WebClient(token=token, base_url=slack.api_url).apps_connections_open(app_token=token)["url"]
        self.url, self.acking = url, acking
        self.ws: ClientConnection = stack.enter_context(connect(url))
        self.hello = json.loads(self.ws.recv(timeout=5))
        self.received: list[dict] = []
        self.closed = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for message in self.ws:
                envelope = json.loads(message)
                self.received.append(envelope)
                if self.acking and "envelope_id" in envelope:
                    self.ack(envelope["envelope_id"], {"seen": envelope["envelope_id"]})
        except Exception:
            pass
        finally:
            self.closed.set()

    def ack(self, envelope_id: str, payload: dict | None = None) -> None:
        self.ws.send(json.dumps({"envelope_id": envelope_id, **({"payload": payload} if payload else {})}))


@pytest.fixture
def app_token(slack):
    return slack.add_app_token(APP)


@pytest.fixture
def raw_apps(slack, app_token):
    with ExitStack() as stack:
        yield lambda **options: RawApp(slack, app_token, stack, **options)


def test_hello_on_connect_and_each_ticket_opens_one_connection(slack, app_token, raw_apps):
    first = raw_apps()
    assert first.url.startswith(f"ws://127.0.0.1:{slack.socket_mode.port}/link/?ticket=")
    assert first.hello["type"] == "hello" and first.hello["num_connections"] == 1
    assert first.hello["connection_info"] == {"app_id": APP} and "host" in first.hello["debug_info"]
    with pytest.raises(InvalidStatus) as refused:  # the same URL again: its ticket is spent
        connect(first.url)
    assert refused.value.response.status_code == 401
    with pytest.raises(InvalidStatus):
        connect(first.url.replace("ticket=", "ticket=0"))  # a ticket Slack never gave
    second = raw_apps()
    assert second.hello["num_connections"] == 2
    assert [(c.id, c.open) for c in slack.socket_mode.connections] == [(1, True), (2, True)]


def test_apps_connections_open_takes_only_an_app_level_token(slack, app_token):
    def error(token: str | None) -> str:
        with pytest.raises(SlackApiError) as refused:
            WebClient(token=token, base_url=slack.api_url, retry_handlers=[]).api_call("apps.connections.open")
        return refused.value.response["error"]

    assert error("xoxb-T1") == "not_allowed_token_type"  # the bot token
    assert error("xapp-1-never-issued") == "invalid_auth"
    assert error(None) == "not_authed"
    narrow = slack.add_app_token(APP, scopes=["authorizations:read"])
    assert error(narrow) == "missing_scope"
    with pytest.raises(SlackApiError) as misused:  # and an app-level token is no bot token
        WebClient(token=app_token, base_url=slack.api_url, retry_handlers=[]).chat_postMessage(channel="C1", text="x")
    assert misused.value.response["error"] == "not_allowed_token_type"
    slack.revoke_token(app_token)
    assert error(app_token) == "token_revoked"
    assert slack.socket_mode.connections == []


def test_an_envelope_is_acknowledged_and_stray_acks_are_ignored(slack, raw_apps):
    app = raw_apps(acking=False)
    answered: list = []
    delivering = threading.Thread(
        target=lambda: answered.append(
            slack.socket_mode.deliver("slash_commands", {"command": "/maturity"}, app_id=APP)
        )
    )
    delivering.start()
    wait_for(lambda: app.received, timeout=5, what="the envelope")
    [envelope] = app.received
    assert envelope["type"] == "slash_commands" and envelope["payload"] == {"command": "/maturity"}
    assert envelope["accepts_response_payload"] is True and "retry_attempt" not in envelope
    app.ack("not-an-envelope-of-ours", {"text": "lost"})
    app.ack(envelope["envelope_id"], {"text": "Started."})
    delivering.join(timeout=5)
    assert answered == [{"text": "Started."}]
    assert [a["envelope_id"] for a in slack.socket_mode.ignored_acks] == ["not-an-envelope-of-ours"]
    [delivery] = slack.socket_deliveries
    assert (delivery.outcome, delivery.connection) == ("acked", 1)


def test_envelopes_take_turns_over_the_open_connections(slack, raw_apps):
    apps = [raw_apps(), raw_apps()]
    for n in range(4):
        payload = {"type": "event_callback", "event_id": f"Ev{n}", "event": {"type": "app_mention"}}
        assert slack.socket_mode.deliver("events_api", payload, app_id=APP)["seen"]
    assert [len(app.received) for app in apps] == [2, 2]
    assert [d.connection for d in slack.socket_deliveries] == [1, 2, 1, 2]
    assert apps[0].received[0]["retry_attempt"] == 0 and apps[0].received[0]["accepts_response_payload"] is False


def test_a_dropped_connection_redelivers_the_event_on_another_with_retry_attempt_one(slack, raw_apps):
    apps = [raw_apps(), raw_apps()]
    slack.socket_mode.drop_next()
    payload = {"type": "event_callback", "event_id": "EvDROP", "event": {"type": "message"}}
    acked = slack.socket_mode.deliver("events_api", payload, app_id=APP)
    first, again = slack.socket_deliveries
    assert (first.connection, first.retry_attempt, first.outcome) == (1, 0, "dropped")
    assert (again.connection, again.retry_attempt, again.retry_reason, again.outcome) == (2, 1, "timeout", "acked")
    assert acked == {"seen": again.envelope_id}
    assert apps[0].closed.wait(5) and apps[0].received[0]["payload"] == payload  # it did arrive, then the line went
    assert apps[1].received[0]["retry_attempt"] == 1 and apps[1].received[0]["retry_reason"] == "timeout"
    assert [c.open for c in slack.socket_mode.connections] == [False, True]


def test_an_interaction_whose_connection_drops_is_not_redelivered_the_person_sees_an_error(slack, raw_apps):
    apps = [raw_apps(), raw_apps()]
    workspace = SocketWorkspace(slack, timeout=5)
    slack.socket_mode.drop_next()
    reply = workspace.command("U1", "help")
    assert reply.status == 502 and "dropped" in reply.body
    assert [d.outcome for d in slack.socket_deliveries] == ["dropped"]
    assert apps[0].closed.wait(5)  # the line went after the envelope arrived; nothing came to the other
    assert [e["type"] for e in apps[0].received] == ["slash_commands"] and apps[1].received == []


def test_an_event_nobody_acknowledges_is_retried_then_given_up(slack, raw_apps):
    apps = [raw_apps(acking=False), raw_apps(acking=False)]
    payload = {"type": "event_callback", "event_id": "EvSILENT", "event": {"type": "message"}}
    with pytest.raises(NotAcknowledged):
        slack.socket_mode.deliver("events_api", payload, app_id=APP, timeout=0.2)
    deliveries = slack.socket_deliveries
    assert [(d.retry_attempt, d.outcome) for d in deliveries] == [(n, "timeout") for n in range(EVENT_RETRIES + 1)]
    assert [d.connection for d in deliveries] == [1, 2, 1, 2]  # each retry on another connection
    assert [d.retry_reason for d in deliveries] == ["", "timeout", "timeout", "timeout"]
    assert sum(len(app.received) for app in apps) == 4


# -- one bot in this process, through the Socket Mode handler `python -m bot` uses ---------------------------


@pytest.fixture
def socket_bot(slack, engine, app_token):
    """The real App in Socket Mode, connected to the simulated Slack; returns a SocketWorkspace towards it."""
    settings = make_settings(slack, slack_app_token=app_token)
    services = Services.compose(settings, engine=engine, migrate_database=False)
    handler = socket_mode_handler(create_app(services), app_token)
    handler.connect()
    wait_for(lambda: slack.socket_mode.open_connections(APP), what="the bot's connection")
    workspace = SocketWorkspace(slack)
    workspace.services = services
    yield workspace
    close_socket_mode(handler)


def test_a_round_walked_through_in_socket_mode_ends_with_its_summary(socket_bot, slack, nps):
    """The flow of test_walkthrough's HTTP test, over a WebSocket: /maturity start, three members answer
    every area, /maturity summary."""
    workspace = socket_bot
    assert workspace.command("U1", "start").status == 200
    expected = {member: _levels(nps, offset) for offset, member in enumerate(MEMBERS)}
    for member in MEMBERS:
        answer_all(workspace, slack, member, expected[member])
    assert workspace.command("U1", "summary").status == 200

    stores = workspace.services.stores
    round_ = stores.rounds.open_in_channel("T1", "C1")
    for member in MEMBERS:
        assert {a.area_id: a.level for a in stores.answers.answers("T1", round_.id, member)} == expected[member]
        assert [area_of(m) for m in prompts(slack, member)] == nps.area_ids
        assert thread(slack, member)[-1].text.startswith("Your maturity profile: 13 of 13")
    [summary] = summaries_in(slack, "C1")
    shown = text_of(summary)
    assert "Maturity summary: round 1" in shown and "*3 of 3* complete" in shown
    kinds = Counter(d.kind for d in slack.socket_deliveries)
    assert kinds == {"slash_commands": 2, "interactive": len(MEMBERS) * (1 + len(nps.area_ids))}
    assert {d.outcome for d in slack.socket_deliveries} == {"acked"}
    assert not slack.calls_to("apps.connections.open")[0].error


def test_the_bot_answers_on_a_new_connection_after_slack_asks_it_to_refresh(socket_bot, slack):
    [old] = slack.socket_mode.refresh(APP)
    wait_for(lambda: [c.id for c in slack.socket_mode.open_connections(APP)] == [old + 1], what="the new connection")
    reply = socket_bot.command("U1", "help risk")
    assert reply.status == 200 and "Managing Strategic Risk" in reply.body
    assert [d.connection for d in slack.socket_deliveries] == [old + 1]


# -- `python -m bot` processes in Socket Mode ------------------------------------------------------------


def _walk_through(workspace, slack, user_id: str, levels: dict[str, int], areas: range | None = None) -> None:
    """What a member does with a bot that acknowledges first: Start, then each area as it arrives (``areas``:
    only those, by number from 1)."""
    areas = areas or range(1, len(levels) + 1)
    if areas[0] == 1:
        assert workspace.click(user_id, parent(slack, user_id), values.CONTINUE).status == 200
    for n in areas:
        wait_for(
            lambda n=n: (
                len(prompts(slack, user_id)) == n
                and has_button(prompts(slack, user_id)[-1], values.answer_action_id(1))
            ),
            what=f"{user_id}'s prompt {n}",
        )
        prompt = open_prompt(slack, user_id)
        assert workspace.click(user_id, prompt, values.answer_action_id(levels[area_of(prompt)])).status == 200
    if areas[-1] == len(levels):
        wait_for(
            lambda: thread(slack, user_id)[-1].text.startswith("Your maturity profile: 13 of 13"),
            what=f"{user_id}'s profile",
        )


def _log(process: BotProcess) -> str:
    return Path(process.log.name).read_text()


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time the process has used so far (/proc/<pid>/stat, fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_a_connection_cut_without_a_close_frame_mid_walk_through_is_back_within_seconds(slack, engine, tmp_path, nps):
    """The TCP connection goes (no close frame) right after an event reached the bot, before its ack: the bot
    opens a new connection at once, Slack's redelivery there is acted on once, and the process does not spin."""
    token = slack.add_app_token(APP)
    bot = BotProcess(slack, engine, tmp_path, name="socket", with_clock=False, SLACK_APP_TOKEN=token)
    try:
        wait_for(lambda: slack.socket_mode.open_connections(APP), timeout=60, what="the bot's connection")
        workspace = SocketWorkspace(slack)
        assert workspace.command("U1", "start").status == 200
        wait_for(lambda: set(parents(slack, MEMBERS).values()) == {1}, what="every member's kick-off")
        levels = _levels(nps, 1)
        _walk_through(workspace, slack, "U2", levels, range(1, 6))

        # U1, who has not begun, writes to the bot; the line goes right after the event arrives.
        [before] = slack.socket_mode.open_connections(APP)
        cpu_before, sent = _cpu_seconds(bot.process.pid), time.monotonic()
        slack.socket_mode.drop_next(abrupt=True)
        assert workspace.direct_message("U1", "ready", event_id="EvCUT").status == 200
        back_after = time.monotonic() - sent
        assert back_after < 5, f"the redelivered event was acknowledged only after {back_after:.1f} s"
        [now] = slack.socket_mode.open_connections(APP)
        assert now.id > before.id and now.token == token
        cut, again = [d for d in slack.socket_deliveries if d.payload.get("event_id") == "EvCUT"]
        assert (cut.connection, cut.outcome) == (before.id, "dropped")
        assert (again.connection, again.retry_attempt, again.outcome) == (now.id, 1, "acked")

        cpu_after = _cpu_seconds(bot.process.pid)
        time.sleep(3)
        idle = _cpu_seconds(bot.process.pid) - cpu_after
        assert idle < 0.5, f"the bot used {idle:.2f} s of CPU in the 3 s after it reconnected"
        assert cpu_after - cpu_before < 2, f"the bot used {cpu_after - cpu_before:.2f} s of CPU to reconnect"

        wait_for(lambda: [m for m in slack.messages(dm(slack, "U1")) if m.thread_ts], what="U1's first area")
        _walk_through(workspace, slack, "U2", levels, range(6, len(levels) + 1))  # the rest, on the new connection
        assert workspace.command("U1", "summary").status == 200
        wait_for(lambda: OutboxStore(engine).owed_count("T1") == 0, what="nothing left to send")
    finally:
        bot.stop()

    assert bot.process.returncode == 0
    log = _log(bot)
    assert "Traceback" not in log and " ERROR " not in log, log
    # The event was acted on once: one first area for U1.
    posted = [m for m in slack.messages(dm(slack, "U1")) if m.bot_id and m.thread_ts]
    assert [area_of(m) for m in posted] == [nps.area_ids[0]]
    stores = Stores.open(engine)
    round_ = stores.rounds.open_in_channel("T1", "C1")
    assert {a.area_id: a.level for a in stores.answers.answers("T1", round_.id, "U2")} == levels
    [summary] = summaries_in(slack, "C1")
    assert "*1 of 3* complete" in text_of(summary)
    assert [d for d in slack.socket_deliveries if d.outcome != "acked"] == [cut]


# -- two `python -m bot` processes in Socket Mode on one PostgreSQL schema ---------------------------------


def test_two_socket_mode_processes_share_the_envelopes_and_act_on_each_once(slack, postgres_engine, tmp_path, nps):
    members = [f"US{i}" for i in range(4)]
    for user_id in members:
        slack.add_user("T1", user_id, name=user_id.lower())
    slack.add_channel("T1", "CS", name="socket-team", members=["U1", *members])
    tokens = [slack.add_app_token(APP) for _ in range(2)]  # two app-level tokens of the one app: we see who is who
    processes = [
        BotProcess(slack, postgres_engine, tmp_path, name=f"socket{n}", with_clock=False, SLACK_APP_TOKEN=token)
        for n, token in enumerate(tokens)
    ]
    try:
        wait_for(
            lambda: {c.token for c in slack.socket_mode.open_connections(APP)} == set(tokens),
            timeout=60,
            what="both processes connected",
        )
        workspace = SocketWorkspace(slack)
        assert workspace.command("U1", "start", channel_id="CS").status == 200
        wait_for(lambda: set(parents(slack, members).values()) == {1}, what="every member's kick-off")

        expected = {member: _levels(nps, offset) for offset, member in enumerate(members)}
        walkers = [
            threading.Thread(target=_walk_through, args=(workspace, slack, member, expected[member]))
            for member in members
        ]
        for walker in walkers:
            walker.start()
        for walker in walkers:
            walker.join()

        # The facilitator, who has not begun, writes to the bot (which starts their walk-through); the connection
        # the event reaches drops before the ack, and Slack sends it again.
        slack.socket_mode.drop_next()
        assert workspace.direct_message("U1", "ready", event_id="EvSOCKETDM").status == 200
        wait_for(
            lambda: any("dropped a redelivered event EvSOCKETDM" in _log(p) for p in processes),
            what="the second delivery seen, and dropped",
        )
        wait_for(lambda: [m for m in slack.messages(dm(slack, "U1")) if m.thread_ts], what="U1's first area")
        wait_for(  # the process whose connection dropped is back at once, not at its monitor's next round
            lambda: {c.token for c in slack.socket_mode.open_connections(APP)} == set(tokens),
            timeout=5,
            what="the dropped process reconnected",
        )
        assert workspace.command("U1", "summary", channel_id="CS").status == 200
        wait_for(lambda: OutboxStore(postgres_engine).owed_count("T1") == 0, what="nothing left to send")
    finally:
        for process in processes:
            process.stop()

    assert [p.process.returncode for p in processes] == [0, 0]  # SIGTERM: closed their connections, exited cleanly
    deliveries = slack.socket_deliveries
    by_token = {c.id: c.token for c in slack.socket_mode.connections}
    received = Counter(by_token[d.connection] for d in deliveries)
    assert received[tokens[0]] > 10 and received[tokens[1]] > 10, received  # both processes took a share
    dropped, again = [d for d in deliveries if d.payload.get("event_id") == "EvSOCKETDM"]
    assert (dropped.outcome, again.outcome, again.retry_attempt) == ("dropped", "acked", 1)
    assert by_token[dropped.connection] != by_token[again.connection]
    assert [d for d in deliveries if d.outcome != "acked"] == [dropped]

    # Each command and click acted on once: one kick-off per member, each area prompted once, one summary.
    kickoffs = {m: [p for p in slack.top_level(dm(slack, m), team_id="T1") if p.bot_id] for m in ["U1", *members]}
    assert {m: len(posted) for m, posted in kickoffs.items()} == dict.fromkeys(["U1", *members], 1)
    stores = Stores.open(postgres_engine)
    round_ = stores.rounds.open_in_channel("T1", "CS")
    for member in members:
        assert [area_of(m) for m in prompts(slack, member)] == nps.area_ids
        assert {a.area_id: a.level for a in stores.answers.answers("T1", round_.id, member)} == expected[member]
    [summary] = summaries_in(slack, "CS")
    assert "*4 of 5* complete" in text_of(summary)  # the facilitator, U1, has not answered
    # The direct message was acted on once, whichever process took each delivery: one first area.
    posted = [m for m in slack.messages(dm(slack, "U1")) if m.bot_id and m.thread_ts]
    assert [area_of(m) for m in posted] == [nps.area_ids[0]]


def test_a_bot_token_given_as_slack_app_token_stops_start_up_saying_so(tmp_path, slack):
    result = _run(tmp_path, _env(tmp_path, slack, SLACK_APP_TOKEN="xoxb-T1"))
    assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
    assert "Cannot start: Slack refused SLACK_APP_TOKEN (not_allowed_token_type)." in result.stderr
    assert slack.socket_mode.connections == []
