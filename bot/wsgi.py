"""The HTTP face of the bot, for `python -m bot` and for production servers (gunicorn: `bot.wsgi:application`,
see the Procfile).

/slack/events takes slash commands, interactivity and events (and, in multi-workspace mode, Slack's OAuth
flow is on /slack/install and /slack/oauth_redirect); GET /healthz says whether the database answers, for a
load balancer, without any Slack credentials; everything else is 404.

Every POST to /slack/events passes a gate before bolt sees it, so that nothing bolt or json does can fail on a
request Slack did not send:

1. the body is read, at most MAX_BODY_BYTES of it (a Content-Length over the cap is refused unread);
2. the signature is checked on those raw bytes (Slack's v0 HMAC, the 5-minute window): 401 when it is absent,
   malformed, stale or wrong;
3. a signed form with no `payload` field whose raw text still contains the word "payload" (a slash command
   such as `/maturity help payload`, or one sent from a channel named "payload-team") is spelt so that bolt
   reads it as the form it is: bolt takes any form body containing "payload" for an interactive payload and,
   finding no such field, would read nothing. Each literal "payload" becomes "%70ayload", which decodes to the
   same fields, and the body is signed again with the app's signing secret and the request's own timestamp,
   since bolt checks the signature once more on what it receives (its check stays as a second line);
4. the signed body must be readable the way bolt will read it (UTF-8; a form, a JSON object or a form whose
   `payload` is a JSON object, nested no deeper than MAX_JSON_DEPTH) and carry what a payload of its kind
   must (`user.id` and `actions` for block_actions, `user_id`, `command` and `channel_id` for a command,
   `event` for event_callback...): 400 otherwise.

Each refusal is one log line with its reason, never the body.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
import re
from urllib.parse import parse_qsl

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine, text

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
OAUTH_PATHS = ("/slack/install", "/slack/oauth_redirect")

# Slack's largest requests (a view_submission of a big modal, an event carrying a long message's blocks) are a
# few hundred KB; 1 MiB leaves ample room for them and bounds what one request can make the process hold.
MAX_BODY_BYTES = 1024 * 1024
# Slack's payloads nest a dozen levels or so (rich text inside blocks inside a message inside an event);
# anything far deeper is no Slack payload and could break whatever walks it recursively later.
MAX_JSON_DEPTH = 64
# A slash command is about fifteen form fields, an interactive payload one; bolt's parser has no limit.
MAX_FORM_FIELDS = 100
_READ_CHUNK = 64 * 1024

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"v0=[0-9a-f]{64}")
_LENGTH = re.compile(r"[0-9]{1,20}")


class _Refused(Exception):
    """A request refused at the gate: its HTTP status and the reason that is logged."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status, self.reason = status, reason


class _RawBodyVerifier(SignatureVerifier):
    """slack_sdk's verifier (the 5-minute window, the constant-time comparison) over the body's raw bytes: the
    SDK's own decodes the body as UTF-8 first, so it could not tell that a body which is not UTF-8 was signed."""

    def generate_signature(self, *, timestamp: str, body: str | bytes) -> str | None:
        if timestamp is None:
            return None
        raw = body.encode() if isinstance(body, str) else (body or b"")
        digest = hmac.new(self.signing_secret.encode(), f"v0:{timestamp}:".encode(), hashlib.sha256)
        digest.update(raw)
        return "v0=" + digest.hexdigest()


def wsgi_app(app: App, engine: Engine | None = None):
    """The WSGI application around the bolt App; with the database's engine it also answers /healthz.

    POSTs to /slack/events pass the gate described in this module's docstring before bolt sees them: unsigned
    or stale requests get 401, signed ones that are too large, unreadable or malformed get 400, quickly and
    without a stack trace.
    """
    handler = SlackRequestHandler(app)
    secret = getattr(app, "_signing_secret", None)
    verifier = _RawBodyVerifier(secret) if secret else None
    paths = {EVENTS_PATH, *(OAUTH_PATHS if app.oauth_flow is not None else ())}

    def application(environ, start_response):
        path = environ.get("PATH_INFO")
        if path == HEALTH_PATH and engine is not None and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return _health(engine, start_response)
        if path not in paths:
            return _plain(start_response, "404 Not Found", "Not found")
        if environ.get("REQUEST_METHOD") != "POST" or path != EVENTS_PATH:
            return handler(environ, start_response)
        try:
            body = _admit(environ, verifier)
        except _Refused as refusal:
            return _refuse(start_response, refusal)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        try:
            return handler(environ, start_response)
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as error:
            # The gate let through a signed body bolt still could not read: a bad request, not a crash.
            return _refuse(start_response, _Refused(400, f"bolt could not read it ({type(error).__name__})"))

    return application


def _admit(environ, verifier: _RawBodyVerifier | None) -> bytes:
    """The body of a request to /slack/events that is signed, not too large, readable and well formed, as bolt
    is to get it (a form that only mentions "payload" spelt so that bolt reads its fields, and its signature
    header replaced in `environ` by that body's); or _Refused with the status to answer."""
    unsigned = _unsigned_headers(environ, verifier)  # what is wrong with the signature headers, if anything
    try:
        body = _read_body(environ)
    except _Refused as refusal:
        raise _Refused(401, unsigned) if unsigned else refusal from None
    if unsigned:
        raise _Refused(401, unsigned)
    if verifier is not None and not verifier.is_valid(
        body=body,
        timestamp=environ["HTTP_X_SLACK_REQUEST_TIMESTAMP"],
        signature=environ["HTTP_X_SLACK_SIGNATURE"],
    ):
        raise _Refused(401, "a signature that does not match the body")
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _Refused(400, "a body that is not UTF-8") from None
    content_type = (environ.get("CONTENT_TYPE") or "").split(";")[0]
    fields = _form_fields(decoded, content_type)
    spelt = _without_the_word_payload(decoded, fields)
    problem = _malformed(*_parse_like_bolt(spelt, content_type, fields))
    if problem:
        raise _Refused(400, problem)
    if spelt is decoded:
        return body
    body = spelt.encode("utf-8")
    if verifier is not None:  # bolt verifies again, on this body: sign it as Slack signed the original
        timestamp = environ["HTTP_X_SLACK_REQUEST_TIMESTAMP"]
        environ["HTTP_X_SLACK_SIGNATURE"] = verifier.generate_signature(timestamp=timestamp, body=body)
    return body


def _form_fields(body: str, content_type: str) -> dict | None:
    """A form body's fields, read once for both checks below (None for a JSON body, as bolt tells them)."""
    if not body or content_type == "application/json" or body.startswith("{"):
        return None
    return _form(body)


def _without_the_word_payload(body: str, fields: dict | None) -> str:
    """A form body (its `fields` given) that holds the word "payload" but no `payload` field, with each
    "payload" spelt "%70ayload" (the same fields once decoded: "p" is no hex digit, so no escape can take it
    in, and "%70" is one whole escape); any other body as it is (the same object). bolt's parse_body takes a
    form containing the word for an interactive payload and reads nothing of it when it has no such field;
    spelt this way, bolt reads the fields, just as they were sent."""
    if fields is None or "payload" not in body or "payload" in fields:
        return body  # JSON, no such word, or an interactive payload: bolt reads its field
    return body.replace("payload", "%70ayload")


def _unsigned_headers(environ, verifier: _RawBodyVerifier | None) -> str | None:
    """Why the request's signature headers cannot be a valid signature (absent, malformed or stale), or None.
    Only the headers are looked at, so this can be told before (or without) reading the body."""
    if verifier is None:  # bolt was built without request verification: nothing to check here either
        return None
    timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP")
    signature = environ.get("HTTP_X_SLACK_SIGNATURE")
    if not timestamp or not signature:
        return "no Slack signature headers"
    if not _TIMESTAMP.fullmatch(timestamp):
        return "a malformed X-Slack-Request-Timestamp"
    if not _SIGNATURE.fullmatch(signature):
        return "a malformed X-Slack-Signature"
    if abs(verifier.clock.now() - int(timestamp)) > 5 * 60:
        return "a stale X-Slack-Request-Timestamp"
    return None


def _read_body(environ) -> bytes:
    """The request body, reading at most MAX_BODY_BYTES + 1 bytes: a declared length over the cap is refused
    without reading; a body without one (chunked, where the server says the input ends) is read to the cap."""
    declared = (environ.get("CONTENT_LENGTH") or "").strip()
    if declared:
        if not _LENGTH.fullmatch(declared):
            raise _Refused(400, "a malformed Content-Length")
        limit = int(declared)
        if limit > MAX_BODY_BYTES:
            raise _Refused(400, f"a body of {limit} bytes, over the {MAX_BODY_BYTES}-byte cap (not read)")
    elif environ.get("wsgi.input_terminated"):
        limit = MAX_BODY_BYTES + 1
    else:
        return b""  # no length and an input that may never end (PEP 3333): nothing may be read
    stream, chunks, taken = environ.get("wsgi.input"), [], 0
    try:
        while stream is not None and taken < limit:
            chunk = stream.read(min(_READ_CHUNK, limit - taken))
            if not chunk:
                break
            chunks.append(chunk)
            taken += len(chunk)
    except Exception as error:  # any failure to read (a dropped connection, broken chunked encoding...)
        raise _Refused(400, f"a body that could not be read ({type(error).__name__})") from None
    if taken > MAX_BODY_BYTES:
        raise _Refused(400, f"a body over the {MAX_BODY_BYTES}-byte cap (read no further)")
    return b"".join(chunks)


def _parse_like_bolt(body: str, content_type: str, fields: dict | None) -> tuple[object, str]:
    """The body parsed the way bolt parses it (slack_bolt.request.internals.parse_body), so what is checked
    here is what its listeners get; and where it came from: "json" (a JSON body or a `payload` field) or
    "form" (a slash command's or ssl_check's fields). It is given the body as bolt will receive it (see
    _without_the_word_payload), in which a form that holds the word "payload" has a `payload` field, and the
    form's fields (which that spelling leaves as they were)."""
    if not body:
        raise _Refused(400, "an empty body")
    if fields is None:
        return _json(body), "json"
    if "payload" in body:  # bolt's own test: anywhere in the body, then the field or nothing
        payload = fields.get("payload")
        return (_json(payload), "json") if payload is not None else ({}, "form")
    return fields, "form"


def _form(body: str) -> dict:
    try:
        return dict(parse_qsl(body, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS))
    except ValueError:
        raise _Refused(400, f"a form of more than {MAX_FORM_FIELDS} fields") from None


def _json(text_: str):
    try:
        value = json.loads(text_)
    except RecursionError:
        raise _Refused(400, "JSON nested too deeply to parse") from None
    except ValueError:
        raise _Refused(400, "JSON that does not parse") from None
    if _deeper_than(value, MAX_JSON_DEPTH):
        raise _Refused(400, f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    return value


def _deeper_than(value, limit: int) -> bool:
    """Whether a parsed JSON value nests more than `limit` containers deep (without recursion)."""
    stack = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _text(value) -> bool:
    return isinstance(value, str) and value != ""


def _field(name: str, check=_text):
    return lambda payload: None if check(payload.get(name)) else name


def _user(payload: dict) -> str | None:
    user = payload.get("user")
    return None if isinstance(user, dict) and _text(user.get("id")) else "user.id"


def _actions(payload: dict) -> str | None:
    actions = payload.get("actions")
    if (
        isinstance(actions, list)
        and actions
        and all(isinstance(a, dict) and _text(a.get("action_id")) for a in actions)
    ):
        return None
    return "actions (each with an action_id)"


def _view(payload: dict) -> str | None:
    view = payload.get("view")
    return None if isinstance(view, dict) and isinstance(view.get("callback_id"), str) else "view.callback_id"


# What an event of these types must carry for the bot's listeners (bot/listeners/events.py).
_EVENT_FIELDS = {"app_mention": ("channel", "ts"), "app_home_opened": ("user",), "message": ("channel",)}


def _event(payload: dict) -> str | None:
    event = payload.get("event")
    if not (isinstance(event, dict) and _text(event.get("type"))):
        return "an event (with a type)"
    missing = [f"event.{name}" for name in _EVENT_FIELDS.get(event["type"], ()) if not _text(event.get(name))]
    return " or ".join(missing) or None


# What a payload of each kind must carry besides its type (what bolt's matchers and the listeners read without
# looking first). Kinds not listed are left to bolt, which answers them as any request no listener takes.
_NEEDS = {
    "block_actions": (_user, _actions),
    "block_suggestion": (_user, _field("action_id")),
    "view_submission": (_user, _view),
    "view_closed": (_user, _view),
    "shortcut": (_user, _field("callback_id", lambda value: isinstance(value, str))),
    "message_action": (_user, _field("callback_id", lambda value: isinstance(value, str))),
    "url_verification": (_field("challenge", lambda value: isinstance(value, str)),),
    "event_callback": (_event,),
}


def _malformed(body, source: str) -> str | None:
    """What a parsed body lacks that a request of its kind must carry, or None when it has it all."""
    if not isinstance(body, dict):
        return f"a JSON {type(body).__name__}, not an object"
    if source == "form":  # the typeless forms Slack sends: ssl_check, or a slash command
        if body.get("ssl_check"):
            return None
        if not (_text(body.get("command")) and body["command"].startswith("/")):
            return "a form that is no slash command (no command)"
        missing = [name for name in ("user_id", "channel_id") if not _text(body.get(name))]
        return f"a slash command without {' or '.join(missing)}" if missing else None
    kind = body.get("type")
    if not _text(kind):
        return "a payload without a type"
    for need in _NEEDS.get(kind, ()):
        missing = need(body)
        if missing:
            return f"a {kind} payload without {missing}"
    return None


def _refuse(start_response, refusal: _Refused):
    log.info("refused a request to %s: %s (%d)", EVENTS_PATH, refusal.reason, refusal.status)
    if refusal.status == 401:
        return _plain(start_response, "401 Unauthorized", "Unauthorized")
    return _plain(start_response, "400 Bad Request", "Bad request")


def _health(engine: Engine, start_response):
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        log.warning("health check: the database does not answer (%s)", type(error).__name__)
        return _plain(start_response, "503 Service Unavailable", "database unavailable")
    return _plain(start_response, "200 OK", "ok")


def _plain(start_response, status: str, text: str):
    start_response(status, [("Content-Type", "text/plain")])
    return [text.encode()]


def __getattr__(name: str):
    """gunicorn imports `bot.wsgi:application`: build it on first use, so importing this module is cheap.
    gunicorn always serves HTTP, so HTTP's credentials are required whatever else is set."""
    if name == "application":
        from .startup import start_or_explain

        started = start_or_explain("http")
        if started is None:
            raise SystemExit(2)
        started.senders.start()  # each worker sends owed messages too (the clock runs in its own process)
        globals()["application"] = wsgi_app(started.app, started.services.engine)
        return globals()["application"]
    raise AttributeError(name)
