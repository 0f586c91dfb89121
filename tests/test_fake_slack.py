"""The simulated Slack (simulated_slack), driven through the real slack_sdk clients.

These tests pin down the behaviour the rest of the suite, the benchmarks and the sandbox rely on: it answers like
Slack and refuses what Slack refuses (methods, arguments, scopes, Block Kit), so a bot that passes against it is
not merely passing against a lenient mock.  One test cross-checks the project's method table against Slack's
published spec when that spec happens to sit beside the checkout; everything else needs only this repository.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from http.client import RemoteDisconnected

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.webhook import WebhookClient

from simulated_slack import SimulatedSlack, WebApi
from tests.harness import manifest_bot_scopes

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "hello"}}


@pytest.fixture
def slack():
    fake = SimulatedSlack(scopes=manifest_bot_scopes())
    fake.add_team("T1", bot_token="xoxb-T1", bot_user_id="UBOT1", name="Team one")
    fake.add_user("T1", "U1", name="alice", real_name="Alice")
    fake.add_user("T1", "U2", name="bob", real_name="Bob")
    fake.add_user("T1", "U3", name="carol", real_name="Carol")
    fake.add_channel("T1", "C1", name="procurement", members=["U1", "U2"])
    yield fake
    fake.stop()


@pytest.fixture
def client(slack):
    return WebClient(token="xoxb-T1", base_url=slack.api_url, retry_handlers=[])


def api_error(call) -> dict:
    with pytest.raises(SlackApiError) as info:
        call()
    return info.value.response.data


# ------------------------------------------------------------------------------------------------ messages


def test_posting_to_a_user_id_lands_in_the_bots_dm(slack, client):
    response = client.chat_postMessage(channel="U1", text="Your assessment is ready")

    dm = slack.dm_channel("T1", "U1")
    assert dm.startswith("D")
    assert response["channel"] == dm
    [message] = slack.messages(dm)
    assert (message.text, message.user, message.ts) == ("Your assessment is ready", "UBOT1", response["ts"])
    assert client.conversations_open(users="U1")["channel"]["id"] == dm


def test_threads_keep_replies_under_their_parent(slack, client):
    parent = client.chat_postMessage(channel="C1", text="Round 1")
    reply = client.chat_postMessage(channel="C1", text="Answer", thread_ts=parent["ts"])
    client.chat_postMessage(channel="C1", text="Round 2")

    assert float(reply["ts"]) > float(parent["ts"])
    assert [m.text for m in slack.messages("C1")] == ["Round 1", "Answer", "Round 2"]
    assert [m.text for m in slack.top_level("C1")] == ["Round 1", "Round 2"]
    assert [m.text for m in slack.replies("C1", parent["ts"])] == ["Answer"]
    thread = client.conversations_replies(channel="C1", ts=parent["ts"])["messages"]
    assert [m["text"] for m in thread] == ["Round 1", "Answer"]
    assert thread[0]["reply_count"] == 1


def test_update_replaces_content_and_keeps_thread_position(slack, client):
    parent = client.chat_postMessage(channel="C1", text="Q1")
    reply = client.chat_postMessage(channel="C1", text="draft", thread_ts=parent["ts"])

    updated = client.chat_update(channel="C1", ts=reply["ts"], text="final", blocks=[SECTION])

    assert updated["ts"] == reply["ts"]
    message = slack.message("C1", reply["ts"])
    assert (message.text, message.blocks, message.thread_ts) == ("final", [SECTION], parent["ts"])
    assert message.edited and message.history[0]["text"] == "draft"
    assert api_error(lambda: client.chat_update(channel="C1", ts="1.000000", text="x"))["error"] == "message_not_found"
    human = slack.add_message("T1", "C1", "U1", "mine")
    assert api_error(lambda: client.chat_update(channel="C1", ts=human.ts, text="x"))["error"] == "cant_update_message"


def test_metadata_is_stored_with_the_message(slack, client):
    metadata = {"event_type": "assessment_started", "event_payload": {"assessment_id": 7}}
    response = client.chat_postMessage(channel="C1", text="go", metadata=metadata)

    assert slack.message("C1", response["ts"]).metadata == metadata


def test_channel_membership_rules(slack, client):
    slack.add_channel("T1", "C2", name="public-no-bot", members=["U1"], bot_member=False)
    slack.add_channel("T1", "G1", name="private-no-bot", members=["U1"], bot_member=False, is_private=True)

    assert api_error(lambda: client.chat_postMessage(channel="C2", text="x"))["error"] == "not_in_channel"
    assert client.conversations_members(channel="C2")["members"] == ["U1"]
    assert api_error(lambda: client.conversations_members(channel="G1"))["error"] == "channel_not_found"
    assert api_error(lambda: client.chat_postMessage(channel="C404", text="x"))["error"] == "channel_not_found"
    assert api_error(lambda: client.chat_postMessage(channel="C1"))["error"] == "no_text"


def test_ephemeral_needs_the_user_in_the_channel(slack, client):
    client.chat_postEphemeral(channel="C1", user="U1", text="only you")

    assert [(e["channel"], e["user"], e["text"]) for e in slack.ephemerals] == [("C1", "U1", "only you")]
    assert (
        api_error(lambda: client.chat_postEphemeral(channel="C1", user="U3", text="x"))["error"]
        == "user_not_in_channel"
    )


def test_conversation_members_paginate(slack, client):
    members = [f"U{n:04d}" for n in range(250)]
    slack.add_channel("T1", "CBIG", name="big", members=members, bot_member=False)

    pages, cursor = [], None
    while True:
        page = client.conversations_members(channel="CBIG", limit=100, cursor=cursor)
        pages.append(page["members"])
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break

    assert [len(p) for p in pages] == [100, 100, 50]
    assert [m for p in pages for m in p] == members
    assert api_error(lambda: client.conversations_members(channel="CBIG", cursor="bogus"))["error"] == "invalid_cursor"


def test_users_info(slack, client):
    assert client.users_info(user="U1")["user"]["real_name"] == "Alice"
    assert api_error(lambda: client.users_info(user="U404"))["error"] == "user_not_found"
    assert client.auth_test()["user_id"] == "UBOT1"


# ------------------------------------------------------------------------------------------------ strictness


def test_unknown_method_is_404(client):
    data = api_error(lambda: client.api_call("chat.postMesage", json={"channel": "C1", "text": "x"}))
    assert data == {"ok": False, "error": "unknown_method"}


def test_missing_required_argument(slack, client):
    with pytest.raises(SlackApiError) as info:
        client.api_call("conversations.members", http_verb="GET", params={})
    assert info.value.response["error"] == "invalid_arguments"
    assert info.value.response["response_metadata"]["messages"] == ["[ERROR] missing required field: channel"]


def test_files_upload_is_retired(client):
    assert api_error(lambda: client.files_upload(content="x", channels="C1"))["error"] == "method_deprecated"


def test_authentication(slack):
    def bad(token):
        return WebClient(token=token, base_url=slack.api_url, retry_handlers=[])

    assert api_error(lambda: bad(None).auth_test())["error"] == "not_authed"
    assert api_error(lambda: bad("xoxb-nope").auth_test())["error"] == "invalid_auth"
    slack.revoke_token("xoxb-T1")
    assert api_error(lambda: bad("xoxb-T1").auth_test())["error"] == "token_revoked"


def test_block_limits(client):
    client.chat_postMessage(channel="C1", text="ok", blocks=[{"type": "divider"}] * 50)
    data = api_error(lambda: client.chat_postMessage(channel="C1", text="x", blocks=[{"type": "divider"}] * 51))
    assert data["error"] == "invalid_blocks"
    assert api_error(lambda: client.chat_postMessage(channel="C1", text="x" * 40_001))["error"] == "msg_too_long"


def _button(text: str) -> dict:
    return {
        "type": "actions",
        "elements": [{"type": "button", "action_id": "go", "text": {"type": "plain_text", "text": text}}],
    }


@pytest.mark.parametrize(
    "blocks",
    [
        pytest.param([_button("x" * 76)], id="button text 76"),
        pytest.param([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], id="section text 3001"),
        pytest.param([{"type": "sectoin", "text": {"type": "mrkdwn", "text": "x"}}], id="unknown block type"),
        pytest.param([{"type": "actions", "elements": [{"type": "buton", "action_id": "a"}]}], id="unknown element"),
        pytest.param([{**SECTION, "colour": "red"}], id="unknown property"),
        pytest.param([{"type": "section", "text": "bare string"}], id="string instead of text object"),
        pytest.param([{**SECTION, "block_id": "b"}, {**SECTION, "block_id": "b"}], id="duplicate block_id"),
    ],
)
def test_invalid_blocks_are_rejected(client, blocks):
    data = api_error(lambda: client.chat_postMessage(channel="C1", text="x", blocks=blocks))
    assert data["error"] == "invalid_blocks"
    assert data["response_metadata"]["messages"][0].startswith("[ERROR]")


def test_valid_blocks_pass_in_json_and_form_encoding(slack, client):
    client.chat_postMessage(channel="C1", text="x", blocks=[_button("x" * 75), SECTION])
    client.api_call("chat.postMessage", data={"channel": "C1", "text": "form", "blocks": json.dumps([SECTION])})

    assert slack.top_level("C1")[-1].blocks == [SECTION]


# ------------------------------------------------------------------------------------------------ views


def _modal(blocks=None, title="Assessment"):
    return {"type": "modal", "title": {"type": "plain_text", "text": title}, "blocks": blocks or [SECTION]}


def test_views_open_update_and_publish(slack, client):
    trigger = slack.new_trigger_id("T1", user_id="U1")
    view_id = client.views_open(trigger_id=trigger, view=_modal())["view"]["id"]
    client.views_update(view_id=view_id, view=_modal(title="Step 2"))
    client.views_publish(user_id="U1", view={"type": "home", "blocks": [SECTION]})

    modal, home = slack.views
    assert (modal.id, modal.view["title"]["text"], len(modal.history)) == (view_id, "Step 2", 1)
    assert (home.type, home.user_id) == ("home", "U1")
    assert api_error(lambda: client.views_open(trigger_id=trigger, view=_modal()))["error"] == "expired_trigger_id"
    assert api_error(lambda: client.views_open(trigger_id="1.2.3", view=_modal()))["error"] == "invalid_trigger_id"


def test_invalid_views_are_rejected(slack, client):
    too_many = {"type": "home", "blocks": [{"type": "divider"}] * 101}
    long_title = _modal(title="x" * 25)

    assert api_error(lambda: client.views_publish(user_id="U1", view=too_many))["error"] == "invalid_arguments"
    trigger = slack.new_trigger_id("T1")
    assert api_error(lambda: client.views_open(trigger_id=trigger, view=long_title))["error"] == "invalid_arguments"


# ------------------------------------------------------------------------------------------------ files, response_url


def test_files_upload_v2_round_trip(slack, client):
    parent = client.chat_postMessage(channel="C1", text="report follows")
    response = client.files_upload_v2(
        channel="C1",
        content=b"\x00score,3\n",
        filename="report.csv",
        title="Report",
        initial_comment="Your report",
        thread_ts=parent["ts"],
    )

    [stored] = slack.files
    assert response["file"]["id"] == stored.id
    assert (stored.name, stored.title, stored.content) == ("report.csv", "Report", b"\x00score,3\n")
    assert (stored.channel_id, stored.thread_ts, stored.initial_comment) == ("C1", parent["ts"], "Your report")
    assert slack.replies("C1", parent["ts"])[0].files == [stored.id]


def test_complete_upload_without_uploading_fails(slack, client):
    file_id = client.files_getUploadURLExternal(filename="a.txt", length=3)["file_id"]
    data = api_error(lambda: client.files_completeUploadExternal(files=[{"id": file_id}], channel_id="C1"))
    assert data["error"] == "file_not_found"
    assert slack.files == []


def test_response_url_posts_are_recorded(slack):
    url = slack.new_response_url("T1", channel="C1", user="U1")
    webhook = WebhookClient(url)

    assert webhook.send(text="Saved", blocks=[SECTION]).status_code == 200
    assert webhook.send(text="Public", response_type="in_channel", replace_original=True).status_code == 200
    rejected = webhook.send(text="x", blocks=[_button("x" * 76)])

    assert rejected.status_code == 400 and json.loads(rejected.body)["error"] == "invalid_blocks"
    assert [(r["url"], r["text"]) for r in slack.responses] == [(url, "Saved"), (url, "Public")]
    assert [(e["channel"], e["user"], e["text"]) for e in slack.ephemerals] == [("C1", "U1", "Saved")]


# ------------------------------------------------------------------------------------------------ teams


def test_teams_are_walled_off_even_with_colliding_ids(slack, client):
    slack.add_team("T2", bot_token="xoxb-T2", bot_user_id="UBOT2", name="Team two")
    slack.add_user("T2", "U1", name="zed", real_name="Zed")
    slack.add_channel("T2", "C1", name="other", members=["U1"])
    slack.add_channel("T2", "C2", name="only-in-two", members=["U1"])
    other = WebClient(token="xoxb-T2", base_url=slack.api_url, retry_handlers=[])

    client.chat_postMessage(channel="C1", text="for team one")
    other.chat_postMessage(channel="C1", text="for team two")

    assert [m.text for m in slack.messages("C1", team_id="T1")] == ["for team one"]
    assert [m.text for m in slack.messages("C1", team_id="T2")] == ["for team two"]
    assert other.users_info(user="U1")["user"]["real_name"] == "Zed"
    assert api_error(lambda: client.conversations_info(channel="C2"))["error"] == "channel_not_found"
    assert api_error(lambda: other.users_info(user="U2"))["error"] == "user_not_found"
    assert {c.team_id for c in slack.calls_to("chat.postMessage")} == {"T1", "T2"}


def test_oauth_code_exchange(slack):
    slack.set_oauth_client("cid", "secret")
    code = slack.new_oauth_code("T1", installer_user_id="U1")
    anonymous = WebClient(base_url=slack.api_url, retry_handlers=[])

    response = anonymous.oauth_v2_access(client_id="cid", client_secret="secret", code=code)

    assert (response["access_token"], response["team"]["id"], response["bot_user_id"]) == ("xoxb-T1", "T1", "UBOT1")
    again = lambda: anonymous.oauth_v2_access(client_id="cid", client_secret="secret", code=code)  # noqa: E731
    assert api_error(again)["error"] == "invalid_code"


# ------------------------------------------------------------------------------------------------ faults


def test_rate_limit_then_success_with_retry_handler(slack, monkeypatch):
    class NoJitter:
        @staticmethod
        def random():
            return 0.0

    monkeypatch.setattr("slack_sdk.http_retry.builtin_handlers.random", NoJitter)
    slack.fail("chat.postMessage", status=429, retry_after=0)
    retrying = WebClient(token="xoxb-T1", base_url=slack.api_url, retry_handlers=[RateLimitErrorRetryHandler()])

    retrying.chat_postMessage(channel="C1", text="eventually")

    assert [(c.status, c.error) for c in slack.calls_to("chat.postMessage")] == [(429, "ratelimited"), (200, None)]
    assert [m.text for m in slack.messages("C1")] == ["eventually"]


def test_rate_limit_carries_retry_after(slack, client):
    slack.fail("users.info", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as info:
        client.users_info(user="U1")
    assert info.value.response.status_code == 429
    assert info.value.response.headers["Retry-After"] in ("7", ["7"])


def test_each_methods_rate_limit_is_its_own(slack, client):
    """Slack counts each method apart: a users.info does not use up chat.postMessage's allowance."""
    slack.enforce_rate_limits("chat.postMessage", per_channel=1.0, per_workspace=1.0, burst=1)
    slack.enforce_rate_limits("users.info", per_channel=1.0, per_workspace=1.0, burst=1)
    client.users_info(user="U1")
    client.chat_postMessage(channel="C1", text="not held back by users.info")
    with pytest.raises(SlackApiError) as info:
        client.chat_postMessage(channel="C1", text="the second within a second")
    assert info.value.response.status_code == 429
    assert slack.throttled == 1


def test_injected_server_error_and_api_error(slack, client):
    slack.fail("chat.postMessage", status=500)
    slack.fail("users.info", error="fatal_error")

    assert api_error(lambda: client.chat_postMessage(channel="C1", text="x"))["error"] == "internal_error"
    assert api_error(lambda: client.users_info(user="U1"))["error"] == "fatal_error"
    assert slack.messages("C1") == []
    client.chat_postMessage(channel="C1", text="recovered")  # times=1: the next call works


def test_dropped_connection(slack, client):
    slack.fail("auth.test", drop=True)
    with pytest.raises((urllib.error.URLError, RemoteDisconnected, ConnectionError)):
        client.auth_test()

    slack.fail("auth.test", drop=True)
    retry = ConnectionErrorRetryHandler(interval_calculator=FixedValueRetryIntervalCalculator(0))
    retrying = WebClient(token="xoxb-T1", base_url=slack.api_url, retry_handlers=[retry])
    assert retrying.auth_test()["team_id"] == "T1"


def test_delay_and_seeded_rate(slack, client):
    slack.fail("auth.test", delay=0.2)
    started = time.monotonic()
    client.auth_test()
    assert time.monotonic() - started >= 0.2

    slack.fail("users.info", error="fatal_error", rate=0.5)
    outcomes = []
    for _ in range(20):
        try:
            client.users_info(user="U1")
            outcomes.append(True)
        except SlackApiError:
            outcomes.append(False)
    assert 0 < outcomes.count(False) < 20


def test_state_snapshot_endpoint(slack, client):
    client.chat_postMessage(channel="C1", text="visible to other processes")
    with urllib.request.urlopen(slack.base_url + "/_simulated_slack/state") as response:
        state = json.load(response)
    assert state["messages"]["T1"]["C1"][0]["text"] == "visible to other processes"


def test_web_api_table_applies_corrections():
    catalog = WebApi.load()
    assert catalog.required["files.getUploadURLExternal"] == ("filename", "length")
    assert catalog.required["files.completeUploadExternal"] == ("files",)
    assert "user" in catalog.required["users.info"]
    assert catalog.required["chat.postMessage"] == ("channel",)
    assert not catalog.is_known("files.uploadV2")


def test_concurrent_posts_get_unique_increasing_ts(slack, client):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda n: client.chat_postMessage(channel="C1", text=str(n))["ts"], range(40)))

    stored = [m.ts for m in slack.messages("C1")]
    assert len(set(results)) == 40 and sorted(results) == stored


def test_standalone_process(tmp_path):
    import signal
    import subprocess
    import sys
    from pathlib import Path

    seed = {
        "teams": [
            {
                "id": "T9",
                "bot_token": "xoxb-T9",
                "users": [{"id": "U1", "name": "alice"}],
                "channels": [{"id": "C9", "name": "general", "members": ["U1"]}],
            }
        ]
    }
    (tmp_path / "seed.json").write_text(json.dumps(seed))
    repo = Path(__file__).resolve().parents[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulated_slack",
            "--scopes",
            "chat:write",
            "--port",
            "0",
            "--state",
            str(tmp_path / "seed.json"),
            "--dump",
            str(tmp_path / "dump.json"),
        ],
        cwd=repo,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        api_url = process.stdout.readline().strip()
        WebClient(token="xoxb-T9", base_url=api_url).chat_postMessage(channel="U1", text="hello from afar")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=5)
    dump = json.loads((tmp_path / "dump.json").read_text())
    assert dump["messages"]["T9"]["DU1"][0]["text"] == "hello from afar"


# ------------------------------------------------------------------------------------------------ scopes


def test_the_app_gets_exactly_the_scopes_it_is_given(slack, client):
    granted = client.auth_test().headers["X-OAuth-Scopes"]
    assert (granted if isinstance(granted, str) else granted[0]).split(",") == list(manifest_bot_scopes())
    assert client.team_info()["team"]["name"] == "Team one"
    narrowed = [scope for scope in manifest_bot_scopes() if scope != "team:read"]
    slack.set_scopes("T1", narrowed)
    assert api_error(lambda: client.team_info()) == {
        "ok": False,
        "error": "missing_scope",
        "needed": "team:read",
        "provided": ",".join(narrowed),
    }
    assert api_error(lambda: client.conversations_open(users="U1,U2"))["needed"] == "mpim:write"


@pytest.mark.parametrize(
    "kind, withheld, method, kwargs",
    [
        pytest.param("public", "channels:history", "conversations_history", {}, id="channels:history public"),
        pytest.param("private", "groups:history", "conversations_history", {}, id="groups:history private"),
        pytest.param("dm", "im:history", "conversations_history", {}, id="im:history dm"),
        pytest.param("public", "channels:history", "conversations_replies", {"ts": "thread"}, id="replies public"),
        pytest.param("private", "groups:history", "conversations_replies", {"ts": "thread"}, id="replies private"),
        pytest.param("private", "groups:read", "conversations_members", {}, id="groups:read private"),
        pytest.param("public", "channels:read", "conversations_info", {}, id="channels:read public"),
    ],
)
def test_a_withheld_scope_bites_by_kind_of_conversation(slack, kind, withheld, method, kwargs):
    slack.add_channel("T1", "G1", name="private", members=["U1"], is_private=True)
    channels = {"public": "C1", "private": "G1", "dm": slack.dm_channel("T1", "U1")}
    channel, other = channels[kind], channels["private" if kind == "public" else "public"]
    full = WebClient(token="xoxb-T1", base_url=slack.api_url, retry_handlers=[])
    parents = {c: full.chat_postMessage(channel=c, text="thread")["ts"] for c in (channel, other)}

    def call(target):
        args = {key: parents[target] if value == "thread" else value for key, value in kwargs.items()}
        return getattr(full, method)(channel=target, **args)

    call(channel)  # granted: it works
    narrowed = [scope for scope in manifest_bot_scopes() if scope != withheld]
    slack.set_scopes("T1", narrowed)
    assert api_error(lambda: call(channel)) == {
        "ok": False,
        "error": "missing_scope",
        "needed": withheld,
        "provided": ",".join(narrowed),
    }
    assert call(other)["ok"]  # another kind of conversation needs another scope, still granted


def test_posting_and_uploading_need_their_scopes(slack):
    slack.add_team("T2", bot_token="xoxb-T2", bot_user_id="UBOT2", scopes=["users:read"])
    slack.add_channel("T2", "C9", name="other", members=["U1"])
    narrow = WebClient(token="xoxb-T2", base_url=slack.api_url, retry_handlers=[])

    assert api_error(lambda: narrow.chat_postMessage(channel="C9", text="x"))["needed"] == "chat:write"
    assert api_error(lambda: narrow.conversations_open(users="U1"))["needed"] == "im:write"
    assert api_error(lambda: narrow.files_getUploadURLExternal(filename="a", length=1))["needed"] == "files:write"
    assert narrow.users_info(user="U1")["ok"]
    assert narrow.views_publish(user_id="U1", view={"type": "home", "blocks": [SECTION]})["ok"]  # no scope needed


def test_retired_unknown_and_app_token_methods(client):
    assert api_error(lambda: client.api_call("workflows.stepCompleted", params={}))["error"] == "method_deprecated"
    assert api_error(lambda: client.api_call("chat.scheduleMessage", params={}))["error"] == "unknown_method"
    assert api_error(lambda: client.api_call("apps.connections.open"))["error"] == "not_allowed_token_type"


def test_every_method_the_bot_calls_is_in_the_table():
    """The table is the oracle: every Web API method the product's code calls must be in it."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    api = WebApi.load()
    sdk_name = {name.replace(".", "_"): name for name in api.methods}
    called = set()
    for package in ("bot", "core", "results", "admin", "storage"):
        for path in (root / package).rglob("*.py"):
            called.update(re.findall(r"client\.([a-z]+_[A-Za-z_]+)\(", path.read_text(encoding="utf-8")))
    called.discard("files_upload_v2")  # slack_sdk's helper over the two files.*External methods
    assert called, "found no client calls: the scan is broken"
    assert called <= set(sdk_name), f"not in simulated_slack/web_api.json: {sorted(called - set(sdk_name))}"


# ------------------------------------------------------------------------------------------------ listeners


def test_listeners_see_every_visible_change(slack, client):
    events = []
    slack.listen(events.append)
    posted = client.chat_postMessage(channel="C1", text="hello")
    client.chat_update(channel="C1", ts=posted["ts"], text="edited")
    client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    client.views_open(trigger_id=slack.new_trigger_id("T1", user_id="U1"), view=_modal())
    client.views_publish(user_id="U2", view={"type": "home", "blocks": [SECTION]})
    client.files_upload_v2(channel="C1", content=b"a,b\n", filename="r.csv")
    client.chat_delete(channel="C1", ts=posted["ts"])
    WebhookClient(slack.new_response_url("T1", channel="C1", user="U1")).send(text="in reply")
    WebhookClient(slack.new_response_url("T1", channel="C1", user="U1")).send(text="all", response_type="in_channel")
    api_error(lambda: client.chat_postMessage(channel="C404", text="x"))  # refused: nothing to see

    assert [(e.kind, e.method) for e in events] == [
        ("post", "chat.postMessage"),
        ("update", "chat.update"),
        ("ephemeral", "chat.postEphemeral"),
        ("view", "views.open"),
        ("view", "views.publish"),
        ("post", "files.completeUploadExternal"),
        ("file", "files.completeUploadExternal"),
        ("delete", "chat.delete"),
        ("ephemeral", "response_url"),
        ("post", "response_url"),
    ]
    assert events[0].message.text == "hello" and events[1].message.text == "edited"  # copies, taken then
    assert (events[2].user, events[2].payload["text"]) == ("U1", "only you")
    assert (events[3].view.type, events[3].user, events[4].view.type, events[4].user) == ("modal", "U1", "home", "U2")
    assert events[6].file.content == b"a,b\n" and events[6].message.files == [events[6].file.id]
    assert slack.top_level("C1")[-1].text == "all"  # an in_channel response is a message in the channel


def test_a_failing_listener_does_not_break_the_call(slack, client):
    def broken(event):
        raise RuntimeError("listener bug")

    slack.listen(broken)
    assert client.chat_postMessage(channel="C1", text="still posted")["ok"]


# ------------------------------------------------------------------------------------------------ Slack's side


def test_driver_signs_as_slack_does_and_fills_payloads_from_the_workspace(slack):
    from slack_sdk.signature import SignatureVerifier

    from simulated_slack import AppServer, Driver, sign

    now = int(time.time())
    assert SignatureVerifier("s3cret").is_valid("a=b", now, sign("a=b", now, "s3cret"))  # slack_sdk agrees
    received = []

    def app(environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)).decode()
        received.append((environ["HTTP_X_SLACK_REQUEST_TIMESTAMP"], environ["HTTP_X_SLACK_SIGNATURE"], body))
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"ok": true}']

    server = AppServer(app)
    try:
        driver = Driver(slack, server.url, "s3cret")
        assert driver.command("U1", "status", "C1").json == {"ok": True}
        message = slack.add_message("T1", "C1", "UBOT1", "go", blocks=[_button("Go")])
        driver.click("U2", message, "go")
        driver.direct_message("U1", "hello bot")
    finally:
        server.stop()
    verifier = SignatureVerifier("s3cret")
    assert all(verifier.is_valid(body, timestamp, signature) for timestamp, signature, body in received)
    from urllib.parse import parse_qs

    command = {k: v[0] for k, v in parse_qs(received[0][2]).items()}
    assert (command["channel_name"], command["user_name"], command["team_domain"]) == (
        "procurement",
        "alice",
        "team-one",
    )
    click = json.loads(parse_qs(received[1][2])["payload"][0])
    assert (click["actions"][0]["action_id"], click["user"]["username"], click["message"]["ts"]) == (
        "go",
        "bob",
        message.ts,
    )
    event = json.loads(received[2][2])
    assert (
        event["event"]["channel"] == slack.dm_channel("T1", "U1") and event["authorizations"][0]["user_id"] == "UBOT1"
    )
    assert slack.messages(slack.dm_channel("T1", "U1"))[-1].text == "hello bot"
