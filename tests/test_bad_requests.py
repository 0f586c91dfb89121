"""Bad requests to /slack/events, sent over real HTTP to the real bot, get 401 (unsigned or stale) or 400
(signed but unreadable, malformed or too large): quickly, without reading more than the body cap, without a
stack trace in the logs and without changing anything in the database."""

from __future__ import annotations

import hashlib
import hmac
import io
import itertools
import json
import logging
import socket
import threading
import time
import tracemalloc
import urllib.parse

import pytest
from sqlmodel import Session, func, select

from bot import values
from bot.wsgi import wsgi_app
from storage.models import Answer, OutboxMessage, Round
from tests.harness import SIGNING_SECRET, sign
from tests.walk import dm, has_button, parent, thread

CAP = 1024 * 1024  # the body cap bot.wsgi promises (1 MiB)
QUICK = 1.0  # seconds: every refusal answers well within this
FORM = "application/x-www-form-urlencoded"


# -- helpers ---------------------------------------------------------------------------------------------


def _counts(engine) -> tuple[int, ...]:
    with Session(engine) as session:
        return tuple(
            session.exec(select(func.count()).select_from(model)).one() for model in (Round, Answer, OutboxMessage)
        )


def _sign_bytes(body: bytes, timestamp: int) -> str:
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()


def _slack_headers(body: bytes, *, signed: bool = True) -> dict[str, str]:
    """Slack's headers for ``body``: a correct signature, or a well-formed, fresh but wrong one."""
    now = int(time.time())
    signature = _sign_bytes(body, now) if signed else "v0=" + "0" * 64
    return {"X-Slack-Request-Timestamp": str(now), "X-Slack-Signature": signature}


def _post(
    url: str,
    *,
    headers: dict[str, str],
    body: bytes = b"",
    content_type: str = FORM,
    length: int | None = None,
    chunks=None,
    timeout: float = 10.0,
) -> tuple[int, bytes, float]:
    """POST over a plain socket: (status, response body, seconds until the answer came).

    The body (``body``, or ``chunks`` of it, announced as ``length`` bytes) is sent from another thread while
    this one waits for the answer, so a server that answers without reading the whole body is seen to do so
    (an HTTP client library would first insist on sending all of it).
    """
    parts = urllib.parse.urlsplit(url)
    length = len(body) if length is None else length
    head = [
        f"POST {parts.path} HTTP/1.1",
        f"Host: {parts.netloc}",
        f"Content-Type: {content_type}",
        f"Content-Length: {length}",
        "Connection: close",
        *(f"{k}: {v}" for k, v in headers.items()),
    ]
    sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
    started = time.monotonic()
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))

    def send_body():
        try:
            for chunk in chunks if chunks is not None else [body]:
                sock.sendall(chunk)
        except OSError:  # the server answered and closed the connection before taking it all: that is the point
            pass

    sender = threading.Thread(target=send_body, daemon=True)
    sender.start()
    received = b""
    try:
        while b"\r\n\r\n" not in received:
            data = sock.recv(65536)
            if not data:
                break
            received += data
        elapsed = time.monotonic() - started
        while True:  # the rest of the (small) answer, until the server closes
            try:
                data = sock.recv(65536)
            except OSError:
                break
            if not data:
                break
            received += data
    finally:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()
        sender.join(timeout=timeout)
    assert received.startswith(b"HTTP/"), f"no HTTP answer: {received[:200]!r}"
    head_part, _, content = received.partition(b"\r\n\r\n")
    return int(head_part.split(b" ", 2)[1]), content, elapsed


@pytest.fixture
def workspace(make_bot):
    """The bot as production runs it: bolt acknowledges first and runs listeners in the background (where a
    listener failing on a malformed payload used to leave the request unanswered for 3 s, then 404)."""
    return make_bot(process_before_response=False)


@pytest.fixture
def watched(workspace, caplog):
    """Run a bad request and check what every refusal must: its status, that it was quick, that the database
    did not change, that no stack trace reached the logs, and that the refusal was logged in one line with
    its reason but without the body."""
    caplog.set_level(logging.INFO)

    def check(expected: int, send, *, secret_in_body: str | None = None):
        before = _counts(workspace.services.engine)
        caplog.clear()
        status, content, elapsed = send()
        assert status == expected, content[:300]
        assert elapsed < QUICK, f"answered in {elapsed:.2f}s"
        assert b"Traceback" not in content
        time.sleep(0.05)  # anything a listener would have done in the background
        assert _counts(workspace.services.engine) == before
        assert "Traceback" not in caplog.text
        refusals = [r for r in caplog.records if r.name == "bot.wsgi" and r.getMessage().startswith("refused")]
        assert len(refusals) == 1, [r.getMessage() for r in caplog.records]
        if secret_in_body is not None:
            assert secret_in_body not in caplog.text
        return status

    return check


def _deep(depth: int) -> str:
    return '{"type": "block_actions", "a": ' + "[" * depth + "]" * depth + "}"


# -- deeply nested JSON ------------------------------------------------------------------------------------


@pytest.mark.parametrize("signed, expected", [(True, 400), (False, 401)], ids=["signed", "unsigned"])
def test_deeply_nested_json_in_a_payload_field(workspace, watched, signed, expected):
    body = urllib.parse.urlencode({"payload": _deep(100_000)}).encode()
    watched(expected, lambda: _post(workspace.url, headers=_slack_headers(body, signed=signed), body=body))


@pytest.mark.parametrize("signed, expected", [(True, 400), (False, 401)], ids=["signed", "unsigned"])
def test_deeply_nested_json_in_an_events_body(workspace, watched, signed, expected):
    body = (
        '{"type": "event_callback", "event": {"type": "app_mention", "x": ' + "[" * 100_000 + "]" * 100_000 + "}}"
    ).encode()
    watched(
        expected,
        lambda: _post(
            workspace.url, headers=_slack_headers(body, signed=signed), body=body, content_type="application/json"
        ),
    )


def test_json_nested_deeper_than_any_slack_payload_but_parseable_is_refused(workspace, watched):
    """Not deep enough to break json.loads, deep enough to break whatever walks it recursively later."""
    body = urllib.parse.urlencode({"payload": _deep(900)}).encode()
    watched(400, lambda: _post(workspace.url, headers=_slack_headers(body), body=body))


# -- without Slack's headers, or not UTF-8 -------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Slack-Request-Timestamp": "not-a-number", "X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": "1" * 5000, "X-Slack-Signature": "v0=" + "0" * 64},
        {"X-Slack-Request-Timestamp": "now", "X-Slack-Signature": "v0=\u00e9\u00e9"},
    ],
    ids=["no-headers", "bad-timestamp", "huge-timestamp", "non-ascii-signature"],
)
def test_an_unsigned_body_without_slacks_headers_gets_401(workspace, watched, headers):
    if headers.get("X-Slack-Request-Timestamp") == "now":
        headers = {**headers, "X-Slack-Request-Timestamp": str(int(time.time()))}
    watched(401, lambda: _post(workspace.url, headers=headers, body=b"payload={"))


NOT_UTF8 = b"payload=%7B%7D\xff\xfe\xc3("


@pytest.mark.parametrize("content_type", [FORM, "application/json"])
def test_a_signed_body_that_is_not_utf8_gets_400(workspace, watched, content_type):
    watched(
        400, lambda: _post(workspace.url, headers=_slack_headers(NOT_UTF8), body=NOT_UTF8, content_type=content_type)
    )


@pytest.mark.parametrize("content_type", [FORM, "application/json"])
def test_an_unsigned_body_that_is_not_utf8_gets_401(workspace, watched, content_type):
    watched(401, lambda: _post(workspace.url, headers={}, body=NOT_UTF8, content_type=content_type))
    watched(
        401,
        lambda: _post(
            workspace.url, headers=_slack_headers(NOT_UTF8, signed=False), body=NOT_UTF8, content_type=content_type
        ),
    )


# -- too large -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "with_headers, expected",
    [(False, 401), (True, 400)],
    ids=["without-slack-headers", "with-a-signature-it-cannot-check-unread"],
)
def test_a_50_mb_body_is_refused_unread_and_costs_no_memory(workspace, watched, with_headers, expected):
    headers = _slack_headers(b"", signed=False) if with_headers else {}
    block = memoryview(b"x" * 65536)
    count = 50 * 1024 * 1024 // len(block)
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        watched(
            expected,
            lambda: _post(
                workspace.url, headers=headers, length=count * len(block), chunks=itertools.repeat(block, count)
            ),
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak - baseline < 10 * 1024 * 1024, f"memory grew by {(peak - baseline) / 2**20:.1f} MB"


def test_a_signed_5_mb_body_is_refused_as_too_large(workspace, watched):
    fields = workspace.command_body("U1", "help " + "risk " * (1024 * 1024), "C1")
    body = urllib.parse.urlencode(fields).encode()
    assert len(body) > 5 * 1024 * 1024
    watched(400, lambda: _post(workspace.url, headers=_slack_headers(body), body=body))


def test_a_content_length_over_the_cap_is_answered_before_any_of_the_body_arrives(workspace, watched):
    watched(400, lambda: _post(workspace.url, headers=_slack_headers(b""), length=CAP + 1, chunks=[]))


# -- signed, readable, but not what a payload of its kind must carry --------------------------------------------


@pytest.fixture
def started(workspace, slack):
    """U1's walk-through parent message of a round started in C1 (the kick-off happens in the background)."""
    workspace.command("U1", "start")
    deadline = time.monotonic() + 10
    while not all(slack.top_level(dm(slack, user_id), team_id="T1") for user_id in ("U1", "U2", "U3")):
        assert time.monotonic() < deadline, "no kick-off messages"
        time.sleep(0.02)
    counts = None
    while counts != (counts := _counts(workspace.services.engine)):  # until the kick-off's writes are done
        assert time.monotonic() < deadline, "the kick-off does not settle"
        time.sleep(0.2)
    return parent(slack, "U1")


def _form(fields: dict) -> bytes:
    return urllib.parse.urlencode(fields).encode()


def _payload(payload) -> bytes:
    return _form({"payload": json.dumps(payload)})


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.pop("user"),
        lambda p: p["user"].pop("id"),
        lambda p: p.update(user="U1"),
        lambda p: p.pop("actions"),
        lambda p: p.update(actions=[]),
        lambda p: p["actions"][0].pop("action_id"),
    ],
    ids=["no-user", "no-user-id", "user-not-an-object", "no-actions", "empty-actions", "no-action-id"],
)
def test_a_block_action_without_what_it_must_carry(workspace, watched, started, damage):
    payload = workspace.click_body("U1", started, values.CONTINUE)
    damage(payload)
    body = _payload(payload)
    watched(400, lambda: _post(workspace.url, headers=_slack_headers(body), body=body))


@pytest.mark.parametrize("missing", ["user_id", "command", "channel_id"])
def test_a_slash_command_without_what_it_must_carry(workspace, watched, missing):
    fields = workspace.command_body("U1", "start", "C1")
    del fields[missing]
    body = _form(fields)
    watched(400, lambda: _post(workspace.url, headers=_slack_headers(body), body=body))


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.pop("user"),
        lambda p: p["user"].pop("id"),
        lambda p: p.pop("view"),
        lambda p: p["view"].pop("callback_id"),
    ],
    ids=["no-user", "no-user-id", "no-view", "no-callback-id"],
)
def test_a_comment_submission_without_what_it_must_carry(workspace, watched, slack, started, damage):
    workspace.click("U1", started, values.CONTINUE)
    deadline = time.monotonic() + 10
    while not (prompt := next((m for m in thread(slack, "U1") if has_button(m, values.answer_action_id(2))), None)):
        assert time.monotonic() < deadline, "no prompt"
        time.sleep(0.02)
    workspace.click("U1", prompt, values.answer_action_id(2))
    while not (answered := next((m for m in thread(slack, "U1") if has_button(m, values.COMMENT)), None)):
        assert time.monotonic() < deadline, "no Comment button"
        time.sleep(0.02)
    workspace.click("U1", answered, values.COMMENT)

    def comment_modal():
        return next((v for v in reversed(slack.views) if v.view.get("callback_id") == values.COMMENT_VIEW), None)

    while not (modal := comment_modal()) or _counts(workspace.services.engine)[1] == 0:
        assert time.monotonic() < deadline, "no comment modal, or no answer stored"
        time.sleep(0.02)
    time.sleep(0.2)
    payload = {  # what Slack sends when the member submits the modal (simulated_slack's Driver.submit_view)
        "type": "view_submission",
        "team": {"id": "T1", "domain": "example"},
        "user": {"id": "U1", "username": "alice", "team_id": "T1"},
        "api_app_id": workspace.installation.app_id,
        "token": "t",
        "trigger_id": slack.new_trigger_id(team_id="T1", user_id="U1"),
        "view": {
            **modal.view,
            "id": modal.id,
            "team_id": "T1",
            "state": {"values": {"comment": {"comment_text": {"type": "plain_text_input", "value": "a comment"}}}},
        },
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    damage(payload)
    body = _payload(payload)
    watched(400, lambda: _post(workspace.url, headers=_slack_headers(body), body=body))


@pytest.mark.parametrize(
    "events",
    [
        [None, "not-an-object", 42],
        [{"channel": "C1"}, {"type": ""}],
        [{"type": "app_mention", "text": "<@UBOT> help", "ts": "1.1"}, {"type": "app_mention", "channel": "C1"}],
        [{"type": "app_home_opened", "tab": "home"}],
    ],
    ids=["no-event-object", "event-without-type", "mention-without-channel-or-ts", "home-opened-without-user"],
)
def test_an_event_callback_without_its_event(workspace, watched, events):
    for n, event in enumerate(events):
        envelope = {
            "token": "t",
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": f"Ev{n}",
            "event_time": int(time.time()),
        }
        if event is not None:
            envelope["event"] = event
        body = json.dumps(envelope).encode()
        watched(
            400,
            lambda body=body: _post(
                workspace.url, headers=_slack_headers(body), body=body, content_type="application/json"
            ),
        )


@pytest.mark.parametrize(
    "bodies",
    [
        [b""],
        [b"[1, 2]", b"payload=%5B%5D", b"payload=%22text%22", b"payload=null"],
        [b"just some words", b"a=1&b=2"],
        [b'{"no": "type"}', b"payload=%7B%22type%22%3A%201%7D"],
        "a command with 500 more fields",
    ],
    ids=["empty", "json-that-is-no-object", "a-form-that-is-no-command", "json-without-a-type", "too-many-fields"],
)
def test_signed_bodies_that_are_no_slack_payload_at_all(workspace, watched, bodies):
    if bodies == "a command with 500 more fields":
        bodies = [_form({**workspace.command_body("U1", "help risk", "C1"), **{f"f{n}": "1" for n in range(500)}})]
    for body in bodies:
        watched(400, lambda body=body: _post(workspace.url, headers=_slack_headers(body), body=body))


def test_a_refusal_logs_its_reason_never_the_body(workspace, watched, caplog):
    fields = workspace.command_body("U1", "start secret-words-in-the-body", "C1")
    del fields["user_id"]
    body = _form(fields)
    watched(
        400,
        lambda: _post(workspace.url, headers=_slack_headers(body), body=body),
        secret_in_body="secret-words-in-the-body",
    )
    assert "user_id" in caplog.text


# -- a body without a Content-Length (chunked, as gunicorn hands it over) -------------------------------------


class _Endless(io.RawIOBase):
    """A request body that never ends, counting what was read of it."""

    def __init__(self):
        self.taken = 0

    def readable(self):
        return True

    def readinto(self, buffer):
        buffer[:] = b"x" * len(buffer)
        self.taken += len(buffer)
        return len(buffer)


def _environ(body_stream, headers: dict[str, str], content_type: str = FORM) -> dict:
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/slack/events",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "QUERY_STRING": "",
        "CONTENT_TYPE": content_type,
        "wsgi.input": body_stream,
        "wsgi.input_terminated": True,
    }
    environ.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()})
    return environ


def _call(application, environ) -> tuple[int, bytes, float]:
    seen = {}
    started = time.monotonic()
    content = b"".join(application(environ, lambda status, headers, *_: seen.update(status=status)))
    return int(seen["status"].split()[0]), content, time.monotonic() - started


def test_a_body_without_a_length_is_read_only_up_to_the_cap(workspace, watched):
    stream = _Endless()
    environ = _environ(stream, _slack_headers(b"x"))
    watched(400, lambda: _call(wsgi_app(workspace.app), environ))
    assert stream.taken <= CAP + 1


def test_well_formed_requests_are_still_served_with_or_without_a_length(workspace, slack, started):
    body = urllib.parse.urlencode(workspace.command_body("U1", "help risk", "C1")).encode()
    status, content, _ = _call(wsgi_app(workspace.app), _environ(io.BytesIO(body), _slack_headers(body)))
    assert status == 200 and b"Managing Strategic Risk" in content  # chunked, as gunicorn hands it over
    reply = workspace.command("U1", "help risk")
    assert reply.status == 200 and "Managing Strategic Risk" in reply.body
    assert workspace.click("U1", started, values.CONTINUE).status == 200
    assert workspace.direct_message("U1", "hello").status == 200
    mention = {"type": "app_mention", "user": "U1", "text": "<@UBOT> help risk", "channel": "C1", "ts": "1.000001"}
    assert workspace.event(mention).status == 200
    assert workspace.event({"type": "app_home_opened", "user": "U1", "tab": "home"}).status == 200
    challenge = json.dumps({"token": "t", "challenge": "abc", "type": "url_verification"})
    reply = workspace.post(challenge, "application/json")
    assert reply.status == 200 and "abc" in reply.body
    assert workspace.post_form({"ssl_check": "1", "token": "t"}).status == 200


def test_a_wrong_signature_is_still_401_and_a_stale_one_too(workspace, watched):
    body = _form(workspace.command_body("U1", "start", "C1"))
    watched(401, lambda: _post(workspace.url, headers=_slack_headers(body, signed=False), body=body))
    stale = int(time.time()) - 6 * 60
    headers = {"X-Slack-Request-Timestamp": str(stale), "X-Slack-Signature": sign(body.decode(), stale)}
    watched(401, lambda: _post(workspace.url, headers=headers, body=body))


# -- slash commands that happen to carry the word "payload" ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "channel_name", "shows"),
    [
        ("help payload", None, "No area matches “payload”"),
        ("help payloads risk", None, "Managing Strategic Risk"),
        ("help risk", "payload-team", "Managing Strategic Risk"),
    ],
    ids=["in-the-text", "beside-an-area", "in-the-channel-name"],
)
def test_a_slash_command_carrying_the_word_payload_is_answered_like_any_other(
    workspace, slack, caplog, text, channel_name, shows
):
    """bolt takes any form body containing "payload" for an interactive payload and, finding no `payload`
    field, reads nothing; the gate must hand it over so that bolt reads the command's fields."""
    caplog.set_level(logging.INFO)
    if channel_name is not None:
        slack.add_channel("T1", "C7", name=channel_name, members=["U1", "U2", "U3"])
    fields = workspace.command_body("U2", text, "C7" if channel_name else "C1")
    if channel_name is not None:
        fields["channel_name"] = channel_name  # the suite's driver pins channel names to "channel"
    body = _form(fields)
    assert b"payload" in body
    status, content, elapsed = _post(workspace.url, headers=_slack_headers(body), body=body)
    assert status == 200, content[:300]
    assert elapsed < QUICK
    assert shows in _answer_text(json.loads(content))
    assert not [r for r in caplog.records if r.name == "bot.wsgi" and r.getMessage().startswith("refused")]
    # Through the driver too, and a forged signature on such a body is still refused.
    fields["response_url"] = slack.new_response_url(team_id="T1", channel=fields["channel_id"], user="U2")
    reply = workspace.post_form(fields)
    assert reply.status == 200 and shows in _answer_text(reply.json)
    assert _post(workspace.url, headers=_slack_headers(body, signed=False), body=body)[0] == 401


def _answer_text(answer: dict) -> str:
    """A command's immediate answer as the member reads it: its text and its blocks' text."""
    return "\n".join(
        [answer.get("text", ""), *(str(b.get("text", {}).get("text", "")) for b in answer.get("blocks", []))]
    )


def test_a_signed_form_that_only_mentions_payload_is_still_no_command(workspace, watched):
    """Rewritten or not, a form without a command or a payload field is refused as before."""
    for body in (b"payloads=1&a=2", b"note=payload", b"payload_x=%7B%7D"):
        watched(400, lambda body=body: _post(workspace.url, headers=_slack_headers(body), body=body))
