"""The database going away under the running bot (HTTP, ack-first, PostgreSQL) and coming back.

A small TCP proxy stands between the bot's engine and the PostgreSQL server. Cutting it closes every open
connection and leaves new ones hanging unanswered (a server that has gone, not one that refuses), which is
the worst case for a bot: every connection attempt waits for its timeout."""

from __future__ import annotations

import functools
import socket
import threading
import time

import pytest

from bot import values
from bot.app import create_app
from bot.clock import Clock
from bot.listeners.errors import NOT_RECORDED
from bot.services import Services
from storage.db import make_engine
from tests.conftest import POSTGRES_URL, SCHEMAS, TEAM, make_settings
from tests.harness import BotServer, Workspace, text_of
from tests.harness import wait_for as harness_wait_for
from tests.walk import dm, has_button, open_prompt, parent, prompts

wait_for = functools.partial(harness_wait_for, timeout=15.0)

NOT_SAVED = "nothing was saved"


class Proxy:
    """Forwards 127.0.0.1:<port> to the PostgreSQL server until cut; restore() lets connections through again."""

    def __init__(self, upstream=("127.0.0.1", 5432)):
        self.upstream = upstream
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut_off = False
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.sockets.append(client)
                if self.cut_off:
                    continue  # accepted, never answered: the client waits for its own timeout
            server = socket.create_connection(self.upstream)
            with self.lock:
                self.sockets.append(server)
            for source, target in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source, target):
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        for sock in (source, target):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        with self.lock:
            self.cut_off = True
            for sock in self.sockets:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            self.sockets = []

    def restore(self):
        with self.lock:
            self.cut_off = False
            for sock in self.sockets:  # the hanging attempts fail now; new ones go through
                sock.close()
            self.sockets = []

    def close(self):
        self.cut()
        self.listener.close()


@pytest.fixture
def outage(slack, postgres_engine):
    """(proxy, workspace): the real App over HTTP, acknowledging first, on PostgreSQL through the proxy."""
    engine = postgres_engine
    schema = SCHEMAS[engine]
    proxy = Proxy()
    proxied = _proxied_engine(proxy, schema)
    services = Services.compose(
        make_settings(slack, process_before_response=False), engine=proxied, migrate_database=False
    )
    server = BotServer(create_app(services))
    workspace = Workspace(slack, server.url, TEAM)
    workspace.services = services
    yield proxy, workspace
    server.stop()
    proxy.close()
    proxied.dispose()


def not_saved_lines(slack):
    return [e for e in slack.ephemerals if NOT_SAVED in (e.get("text") or "")]


def saved_lines(slack):
    return [e for e in slack.ephemerals if "Your answer is saved" in (e.get("text") or "")]


def test_while_the_database_is_down_every_click_and_command_is_acknowledged_and_the_person_told(outage, slack):
    proxy, workspace = outage
    workspace.command("U1", "start")
    wait_for(
        lambda: all(len(slack.top_level(dm(slack, u), team_id=TEAM)) == 1 for u in ("U1", "U2", "U3")), what="kick-offs"
    )
    before = parent(slack, "U2")
    workspace.click("U2", before, values.CONTINUE)
    wait_for(lambda: len(prompts(slack, "U2")) == 1, what="the first prompt")
    wait_for(
        lambda: parent(slack, "U2").blocks != before.blocks,
        what="the Continue click's last step (its parent refreshed)",
    )
    prompt = open_prompt(slack, "U2")

    proxy.cut()
    replies, timings = [], []
    # More requests than bolt's default five listener threads: none may wait behind another's database wait.
    for n in range(4):
        for request in (
            lambda n=n: workspace.click("U2", prompt, values.answer_action_id(1 + n)),
            lambda: workspace.command("U3", "status"),
        ):
            started = time.monotonic()
            replies.append(request())
            timings.append(time.monotonic() - started)
    assert [r.status for r in replies] == [200] * 8
    assert max(timings) < 3.0, timings
    wait_for(
        lambda: len(not_saved_lines(slack)) == 8,
        timeout=30,
        what=lambda: f"eight 'nothing was saved' lines ({slack.ephemerals})",
    )
    told = not_saved_lines(slack)
    assert {e["text"] for e in told} == {
        "I couldn't record that just now, so nothing was saved. Please try again in a minute."
    }
    print(
        f"database cut: 8 of 8 requests answered 200, slowest {max(timings):.2f} s; 8 ephemeral 'nothing was saved' lines"
    )

    proxy.restore()
    assert (
        workspace.services.stores.answers.answers(
            TEAM, workspace.services.stores.rounds.open_in_channel(TEAM, "C1").id, "U2"
        )
        == []
    )
    workspace.click("U2", prompt, values.answer_action_id(2))
    wait_for(lambda: len(prompts(slack, "U2")) == 2, what="the next prompt once the database is back")


def test_an_answer_stored_just_before_the_database_went_is_shown_once_it_is_back(outage, slack, nps):
    proxy, workspace = outage
    services = workspace.services
    # Continue's last step (the parent's progress, a chat.update) is done before the failure below is armed:
    # otherwise it can take that failure instead of the answered prompt's update.
    prompt = _round_under_way(workspace, slack)

    record = services.stores.answers.record_answer

    def record_then_lose_the_database(**kwargs):
        result = record(**kwargs)
        proxy.cut()  # the answer is committed; everything after it fails
        return result

    services.stores.answers.record_answer = record_then_lose_the_database
    # The answered prompt is updated before anything more is written, so the database's going alone does not
    # stop it being shown; Slack failing that update as well does.
    slack.fail("chat.update", error="internal_error", times=1)
    assert workspace.click("U2", prompt, values.answer_action_id(3)).status == 200
    # Told that the answer is kept (it is), never that nothing was saved.
    wait_for(lambda: saved_lines(slack), timeout=20, what="the person told")
    assert not_saved_lines(slack) == []
    services.stores.answers.record_answer = record

    def shown(message_ts) -> bool:
        [current] = [m for m in prompts(slack, "U2") if m.ts == message_ts]
        return not has_button(current, values.answer_action_id(1))

    assert not shown(prompt.ts)  # the old buttons: the stored answer is not shown
    proxy.restore()
    stored = services.stores.answers.answers(TEAM, services.stores.rounds.open_in_channel(TEAM, "C1").id, "U2")
    assert [a.level for a in stored] == [3]

    # The clock's tick shows it, with nobody acting.
    started = time.monotonic()
    client = _client(services)
    Clock(services, lambda team_id: client).tick()
    assert shown(prompt.ts)
    print(
        f"answer stored, database cut before its prompt was updated: shown by the clock's tick in {time.monotonic() - started:.2f} s"
    )


def test_the_members_next_message_shows_a_stored_answer_its_prompt_missed(outage, slack):
    proxy, workspace = outage
    services = workspace.services
    workspace.command("U1", "start")
    wait_for(lambda: len(slack.top_level(dm(slack, "U2"), team_id=TEAM)) == 1, what="the kick-off")
    workspace.click("U2", parent(slack, "U2"), values.CONTINUE)
    wait_for(lambda: len(prompts(slack, "U2")) == 1, what="the first prompt")
    prompt = open_prompt(slack, "U2")
    record = services.stores.answers.record_answer

    def record_then_lose_the_database(**kwargs):
        result = record(**kwargs)
        proxy.cut()
        return result

    services.stores.answers.record_answer = record_then_lose_the_database
    workspace.click("U2", prompt, values.answer_action_id(4))
    wait_for(lambda: saved_lines(slack), timeout=20, what="the person told")
    assert not_saved_lines(slack) == []
    services.stores.answers.record_answer = record
    proxy.restore()
    thread_ts = parent(slack, "U2").ts
    assert workspace.direct_message("U2", "hello again").status == 200

    def in_thread():
        return slack.replies(dm(slack, "U2"), thread_ts, team_id=TEAM)

    def shown():
        [current] = [m for m in in_thread() if m.ts == prompt.ts]
        return not has_button(current, values.answer_action_id(1))

    wait_for(shown, what="the stored answer shown after the member's message")
    wait_for(lambda: sum(has_button(m, values.answer_action_id(1)) for m in in_thread()) == 1, what="the next prompt")


def _client(services):
    from bot.app import web_client

    return web_client(services.settings)


def test_0007_starts_existing_prompts_as_shown(unmigrated_engine, nps):
    """Migration 0007 on a database holding prompts: every row kept, none taken as pending."""
    from alembic import command
    from sqlalchemy import text

    from storage import Stores
    from storage.db import alembic_config, migrate

    engine = unmigrated_engine
    command.upgrade(alembic_config(engine), "0006")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO round (team_id, channel_id, framework_id, framework_version, area_count, started_by,"
                " status, anonymous, created_at) VALUES ('T1', 'C1', :fid, :fver, 13, 'U1', 'open', true, CURRENT_TIMESTAMP)"
            ),
            dict(fid=nps.id, fver=nps.version),
        )
        round_id = connection.execute(text("SELECT id FROM round")).scalar_one()
        connection.execute(
            text(
                "INSERT INTO prompt (team_id, round_id, user_id, area_id, attempt, state, ts, created_at)"
                " VALUES ('T1', :r, 'U2', :area, 1, 'answered', '1700000000.000100', CURRENT_TIMESTAMP)"
            ),
            dict(r=round_id, area=nps.area_ids[0]),
        )
    migrate(engine)
    with engine.connect() as connection:
        row = connection.execute(text("SELECT state, ts, answer_rev, shown_rev FROM prompt")).one()
    assert tuple(row) == ("answered", "1700000000.000100", 0, 0)
    assert Stores.open(engine).answers.pending_shows() == []


# -- many workspaces (OAuth): the installation is looked up before any listener runs ---------------------

OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET = "111.222", "client-secret-for-tests"


def _proxied_engine(proxy, schema):
    return make_engine(POSTGRES_URL.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}"), schema=schema)


@pytest.fixture
def oauth_outage(slack, postgres_engine):
    """(proxy, workspace): the real App in multi-workspace (OAuth) mode over HTTP, acknowledging first, on
    PostgreSQL through the proxy; T1 installed through Slack's OAuth flow (installer U1)."""
    from tests.test_multi_workspace import install

    proxy = Proxy()
    proxied = _proxied_engine(proxy, SCHEMAS[postgres_engine])
    slack.set_oauth_client(OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET)
    settings = make_settings(
        slack,
        process_before_response=False,
        slack_bot_token=None,
        slack_client_id=OAUTH_CLIENT_ID,
        slack_client_secret=OAUTH_CLIENT_SECRET,
    )
    services = Services.compose(settings, engine=proxied, migrate_database=False)
    app = create_app(services)
    server = BotServer(app)
    workspace = Workspace(slack, server.url, TEAM)
    workspace.services, workspace.app = services, app
    install(workspace, slack)
    yield proxy, workspace
    server.stop()
    proxy.close()
    proxied.dispose()


def _timed(request):
    started = time.monotonic()
    reply = request()
    return reply, time.monotonic() - started


def _round_under_way(workspace, slack):
    """U2's first prompt of a round started in C1 (every request served with the installation read)."""
    workspace.command("U1", "start")
    wait_for(lambda: len(slack.top_level(dm(slack, "U2"), team_id=TEAM)) == 1, what="the kick-off")
    before = parent(slack, "U2")
    workspace.click("U2", before, values.CONTINUE)
    wait_for(lambda: len(prompts(slack, "U2")) == 1, what="the first prompt")
    # The Continue click's last step (the parent's progress) must be done before a test cuts the database:
    # cut under it, that step fails and tells U2 too, one line more than the clicks under test earn.
    wait_for(lambda: parent(slack, "U2").blocks != before.blocks, what="the Continue click's last step")
    return open_prompt(slack, "U2")


def test_oauth_mode_while_the_database_is_down_requests_are_acknowledged_and_the_person_told(oauth_outage, slack):
    proxy, workspace = oauth_outage
    prompt = _round_under_way(workspace, slack)
    proxy.cut()
    click, click_took = _timed(lambda: workspace.click("U2", prompt, values.answer_action_id(2)))
    command, command_took = _timed(lambda: workspace.command("U3", "status"))
    assert (click.status, command.status) == (200, 200)
    assert max(click_took, command_took) < 3.0, (click_took, command_took)
    wait_for(
        lambda: len(not_saved_lines(slack)) == 2,
        timeout=30,
        what=lambda: f"two 'nothing was saved' lines ({slack.ephemerals})",
    )
    assert {e["text"] for e in not_saved_lines(slack)} == {NOT_RECORDED}
    print(f"OAuth mode, database cut: click {click_took:.2f} s, command {command_took:.2f} s, both told")

    proxy.restore()
    workspace.click("U2", prompt, values.answer_action_id(2))
    wait_for(lambda: len(prompts(slack, "U2")) == 2, what="the next prompt once the database is back")


def test_oauth_mode_an_expired_installation_is_served_stale_while_the_database_is_down(oauth_outage, slack):
    """Past the cache's time to live the installation is read again; the database being unreachable then,
    the last one read is used (within Slack's 3 s) rather than the request failing unanswered."""
    proxy, workspace = oauth_outage
    prompt = _round_under_way(workspace, slack)
    store = workspace.app.installation_store
    later = time.monotonic() + store.ttl_seconds + 1
    store.clock = lambda: later  # every entry read so far has expired
    proxy.cut()
    replies = [_timed(lambda n=n: workspace.click("U2", prompt, values.answer_action_id(1 + n))) for n in range(3)]
    assert [reply.status for reply, _ in replies] == [200, 200, 200]
    assert max(took for _, took in replies) < 3.0, [took for _, took in replies]
    wait_for(
        lambda: len(not_saved_lines(slack)) == 3,
        timeout=30,
        what=lambda: f"three 'nothing was saved' lines ({slack.ephemerals})",
    )
    assert {e["text"] for e in not_saved_lines(slack)} == {NOT_RECORDED}
    print(f"OAuth mode, cache expired, database cut: 3 clicks answered, slowest {max(t for _, t in replies):.2f} s")
    proxy.restore()
    workspace.click("U2", prompt, values.answer_action_id(4))
    wait_for(lambda: len(prompts(slack, "U2")) == 2, what="the next prompt once the database is back")


# -- the comment modal: what was typed must not be lost ------------------------------------------------------

COMMENT_STATE = {"comment": {"comment_text": {"type": "plain_text_input", "value": "We brief the cabinet monthly"}}}
LEVEL_3 = {
    "level": {
        "level_choice": {
            "type": "static_select",
            "selected_option": {"value": "3", "text": {"type": "plain_text", "text": "3 · Mature"}},
        }
    }
}


def _comment_modal(workspace, slack, message):
    """Click the message's Comment button and wait for the modal it opens."""
    seen = len(slack.views)
    assert workspace.click("U2", message, values.COMMENT).status == 200
    wait_for(
        lambda: len(slack.views) > seen and slack.views[-1].view.get("callback_id") == values.COMMENT_VIEW,
        what="the comment modal",
    )
    return slack.views[-1]


def _stored(workspace, area_id):
    stores = workspace.services.stores
    round_ = stores.rounds.open_in_channel(TEAM, "C1")
    return stores.answers.answer(TEAM, round_.id, "U2", area_id)


def _refused_for_now(reply, took):
    assert reply.status == 200 and took < 3.0, (reply.status, took)
    assert reply.json["response_action"] == "errors", reply.body
    said = reply.json["errors"]["comment"]
    assert "couldn't save" in said and "still in the box" in said and "in a minute" in said, said
    return said


def test_a_comment_submitted_while_the_database_is_down_stays_in_the_open_modal(outage, slack, nps):
    proxy, workspace = outage
    workspace.command("U1", "start")
    wait_for(lambda: len(slack.top_level(dm(slack, "U2"), team_id=TEAM)) == 1, what="the kick-off")
    workspace.click("U2", parent(slack, "U2"), values.CONTINUE)
    wait_for(lambda: len(prompts(slack, "U2")) == 1, what="the first prompt")
    prompt = open_prompt(slack, "U2")
    workspace.click("U2", prompt, values.answer_action_id(2))
    wait_for(lambda: len(prompts(slack, "U2")) == 2, what="the second prompt")
    answered = next(m for m in prompts(slack, "U2") if m.ts == prompt.ts)
    modal = _comment_modal(workspace, slack, answered)

    proxy.cut()
    reply, took = _timed(lambda: workspace.submit_view("U2", modal, COMMENT_STATE))
    said = _refused_for_now(reply, took)
    print(f"comment submitted with the database cut: answered in {took:.2f} s with {said!r}")

    proxy.restore()
    assert _stored(workspace, nps.area_ids[0]).comment is None  # nothing was saved, as the person was told
    again = workspace.submit_view("U2", modal, COMMENT_STATE)
    assert again.status == 200 and not again.body  # saved: the modal closes
    assert (_stored(workspace, nps.area_ids[0]).level, _stored(workspace, nps.area_ids[0]).comment) == (
        2,
        "We brief the cabinet monthly",
    )
    wait_for(
        lambda: "We brief the cabinet monthly" in text_of(slack.message(prompt.channel, prompt.ts, team_id=TEAM)),
        what="the comment shown on its prompt",
    )


def test_a_first_answer_with_a_comment_while_the_database_is_down_is_kept_for_the_next_press(outage, slack, nps):
    proxy, workspace = outage
    workspace.command("U1", "start")
    wait_for(lambda: len(slack.top_level(dm(slack, "U2"), team_id=TEAM)) == 1, what="the kick-off")
    workspace.click("U2", parent(slack, "U2"), values.CONTINUE)
    wait_for(lambda: len(prompts(slack, "U2")) == 1, what="the first prompt")
    modal = _comment_modal(workspace, slack, open_prompt(slack, "U2"))

    proxy.cut()
    reply, took = _timed(lambda: workspace.submit_view("U2", modal, {**LEVEL_3, **COMMENT_STATE}))
    _refused_for_now(reply, took)
    proxy.restore()
    assert _stored(workspace, nps.area_ids[0]) is None
    again = workspace.submit_view("U2", modal, {**LEVEL_3, **COMMENT_STATE})
    assert again.status == 200 and not again.body
    stored = _stored(workspace, nps.area_ids[0])
    assert (stored.level, stored.comment) == (3, "We brief the cabinet monthly")
    wait_for(lambda: len(prompts(slack, "U2")) == 2, what="the walk-through moving on")


def test_a_comment_whose_save_hangs_is_answered_within_3_s_and_never_doubled(outage, slack, nps):
    """The database answers the first reads, then the save hangs (a lock, a dying server): the modal is
    answered in time all the same. The save that finishes late is kept and shown by the clock's sweep; the
    member's second press then changes nothing."""
    proxy, workspace = outage
    services = workspace.services
    workspace.command("U1", "start")
    wait_for(lambda: len(slack.top_level(dm(slack, "U2"), team_id=TEAM)) == 1, what="the kick-off")
    workspace.click("U2", parent(slack, "U2"), values.CONTINUE)
    wait_for(lambda: len(prompts(slack, "U2")) == 1, what="the first prompt")
    prompt = open_prompt(slack, "U2")
    workspace.click("U2", prompt, values.answer_action_id(2))
    wait_for(lambda: len(prompts(slack, "U2")) == 2, what="the second prompt")
    modal = _comment_modal(workspace, slack, next(m for m in prompts(slack, "U2") if m.ts == prompt.ts))

    record, release = services.stores.answers.record_answer, threading.Event()

    def hanging(**kwargs):
        release.wait(20)
        return record(**kwargs)

    services.stores.answers.record_answer = hanging
    try:
        reply, took = _timed(lambda: workspace.submit_view("U2", modal, COMMENT_STATE))
        _refused_for_now(reply, took)
    finally:
        release.set()
        services.stores.answers.record_answer = record
    wait_for(lambda: _stored(workspace, nps.area_ids[0]).comment is not None, what="the late save")
    changes = _changes(services.engine)
    again = workspace.submit_view("U2", modal, COMMENT_STATE)
    assert again.status == 200 and not again.body
    assert _changes(services.engine) == changes  # the same comment again: nothing doubled
    Clock(services, lambda team_id: _client(services)).tick()
    assert "We brief the cabinet monthly" in text_of(slack.message(prompt.channel, prompt.ts, team_id=TEAM))


def _changes(engine) -> int:
    from sqlmodel import Session, func, select

    from storage.models import AnswerChange

    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(AnswerChange)).one()


def test_oauth_mode_a_comment_submitted_past_the_cache_expiry_while_the_database_is_down_stays_open(
    oauth_outage, slack
):
    """The two waits before the ack together: the installation's read (given up after a quarter of a second, the
    one read before served) and the comment's save (one connection timeout): still within Slack's 3 s."""
    proxy, workspace = oauth_outage
    prompt = _round_under_way(workspace, slack)
    modal = _comment_modal(workspace, slack, prompt)
    store = workspace.app.installation_store
    later = time.monotonic() + store.ttl_seconds + 1
    store.clock = lambda: later
    proxy.cut()
    reply, took = _timed(lambda: workspace.submit_view("U2", modal, {**LEVEL_3, **COMMENT_STATE}))
    _refused_for_now(reply, took)
    print(f"OAuth mode, cache expired, database cut: the comment form answered in {took:.2f} s, kept open")
