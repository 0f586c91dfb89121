"""A small simulated Slack Web API inside the process, for `python -m bot sandbox`.

The real slack_sdk WebClient of the real bot talks to it over HTTP (its base_url), exactly as it talks to
slack.com. It implements only the methods the bot calls, with Slack's answer shapes ({"ok": true, ...}),
and keeps what a workspace would show: channels and their members, users, messages with their threads and
metadata, ephemeral messages, views (modals and App Home tabs) and uploaded files with their bytes.

Routes on one HTTP server (127.0.0.1, a free port, a daemon thread):

    /api/<method>           the Web API (form, JSON or multipart bodies; the token in Authorization)
    /upload/<file_id>       the upload URL files.getUploadURLExternal hands out (files_upload_v2 posts bytes)
    /response/<token>       response_url stand-ins: what `respond()` posts (ephemeral answers)

Every change the bot makes is also passed to a listener callback (an `Event`), so that the terminal can
show what a person in the workspace would see. The listener runs on the server's request thread: it
should only queue the event.
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TEAM_ID = "TSANDBOX"
TEAM_NAME = "Sandbox"
log = logging.getLogger(__name__)

BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
APP_ID = "A0SANDBOX"


class SlackError(Exception):
    """A Web API error: the method answers {"ok": false, "error": code}."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass
class User:
    id: str
    name: str
    real_name: str
    is_bot: bool = False
    is_admin: bool = False
    deleted: bool = False
    tz: str = "Europe/London"


@dataclass
class Channel:
    id: str
    name: str
    members: list[str] = field(default_factory=list)
    im_user: str | None = None  # set for a direct message channel

    @property
    def is_im(self) -> bool:
        return self.im_user is not None


@dataclass
class Message:
    channel: str
    ts: str
    user: str
    text: str = ""
    blocks: list[dict] = field(default_factory=list)
    thread_ts: str | None = None
    metadata: dict | None = None
    files: list[str] = field(default_factory=list)
    bot_id: str | None = None
    edited: bool = False


@dataclass
class View:
    id: str
    type: str  # modal or home
    user_id: str
    view: dict


@dataclass
class File:
    id: str
    name: str
    length: int
    title: str = ""
    content: bytes | None = None
    channel: str | None = None
    thread_ts: str | None = None
    completed: bool = False


@dataclass
class Event:
    """Something the bot did that a person could see.

    kind: "post" (a new message), "update" (a changed message), "ephemeral" (only `user` sees it),
    "view" (a modal opened for `user`, or `user`'s App Home published), "file" (a file shared).
    """

    kind: str
    channel: str | None = None
    user: str | None = None
    message: Message | None = None
    view: View | None = None
    file: File | None = None
    payload: dict | None = None  # an ephemeral message's text and blocks


Listener = Callable[[Event], None]


class SimulatedSlack:
    """The workspace's state and the Web API methods over it."""

    def __init__(self, *, token: str, team_id: str = TEAM_ID, team_name: str = TEAM_NAME, listener: Listener | None = None):
        self.token = token
        self.team_id, self.team_name = team_id, team_name
        self.listener = listener
        self.lock = threading.RLock()
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.messages: dict[str, list[Message]] = {}
        self.views: dict[str, View] = {}
        self.files: dict[str, File] = {}
        self.ephemerals: list[dict] = []
        self.calls: list[str] = []
        self._triggers: dict[str, str] = {}  # trigger id -> user id
        self._response_urls: dict[str, dict] = {}  # token -> channel and user
        self._ids = itertools.count(1)
        self._last_ts = 0.0
        self.add_user(User(BOT_USER_ID, "maturity-bot", "Maturity bot", is_bot=True))
        self._server: ThreadingHTTPServer | None = None
        self.base_url = ""

    # -- the workspace -----------------------------------------------------------------------------------

    def add_user(self, user: User) -> User:
        with self.lock:
            self.users[user.id] = user
        return user

    def add_channel(self, channel_id: str, name: str, members: list[str]) -> Channel:
        with self.lock:
            channel = Channel(channel_id, name, list(members))
            self.channels[channel_id] = channel
            self.messages.setdefault(channel_id, [])
        return channel

    def dm_channel(self, user_id: str) -> Channel:
        """The bot's direct message channel with a user: D<user id>."""
        with self.lock:
            channel_id = "D" + user_id
            if channel_id not in self.channels:
                self.channels[channel_id] = Channel(channel_id, "", [user_id, BOT_USER_ID], im_user=user_id)
                self.messages.setdefault(channel_id, [])
            return self.channels[channel_id]

    def new_trigger_id(self, user_id: str) -> str:
        with self.lock:
            trigger = f"{next(self._ids)}.{secrets.token_hex(6)}"
            self._triggers[trigger] = user_id
            return trigger

    def new_response_url(self, channel: str, user_id: str) -> str:
        with self.lock:
            token = secrets.token_hex(10)
            self._response_urls[token] = {"channel": channel, "user": user_id}
            return f"{self.base_url}/response/{token}"

    def top_level(self, channel_id: str) -> list[Message]:
        with self.lock:
            return [m for m in self.messages.get(channel_id, []) if m.thread_ts is None]

    def thread(self, channel_id: str, ts: str) -> list[Message]:
        """A thread's replies, oldest first (without its parent)."""
        with self.lock:
            return [m for m in self.messages.get(channel_id, []) if m.thread_ts == ts]

    def find_message(self, channel_id: str, ts: str) -> Message | None:
        with self.lock:
            return next((m for m in self.messages.get(channel_id, []) if m.ts == ts), None)

    def home_of(self, user_id: str) -> View | None:
        with self.lock:
            return next((v for v in self.views.values() if v.type == "home" and v.user_id == user_id), None)

    # -- the HTTP server ---------------------------------------------------------------------------------

    def start(self) -> str:
        """Serve on 127.0.0.1 at a free port in a daemon thread; returns the Web API base URL."""
        server = _Server(("127.0.0.1", 0), _Handler)
        server.slack = self
        self._server = server
        self.base_url = f"http://127.0.0.1:{server.server_port}"
        threading.Thread(target=server.serve_forever, name="sandbox-slack", daemon=True).start()
        return self.api_url

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- dispatch ----------------------------------------------------------------------------------------

    def call(self, method: str, args: dict[str, Any], token: str | None) -> dict[str, Any]:
        """Run one Web API method; the body Slack would answer."""
        handler = METHODS.get(method)
        with self.lock:
            self.calls.append(method)
        if handler is None:
            return {"ok": False, "error": "unknown_method"}
        if token != self.token:
            return {"ok": False, "error": "not_authed" if not token else "invalid_auth"}
        events: list[Event] = []
        try:
            with self.lock:
                body = handler(self, args, events)
        except SlackError as error:
            return {"ok": False, "error": error.code}
        except (KeyError, ValueError, TypeError) as error:
            return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": [repr(error)]}}
        self._notify(events)
        return {"ok": True, **body}

    def receive_upload(self, file_id: str, content: bytes) -> tuple[int, str]:
        with self.lock:
            upload = self.files.get(file_id)
            if upload is None or upload.completed:
                return 404, "file_not_found"
            upload.content = content
        return 200, f"OK - {len(content)}"

    def receive_response(self, token: str, body: dict) -> tuple[int, dict]:
        """A post to a response_url: an ephemeral answer to the user who clicked or typed."""
        with self.lock:
            context = self._response_urls.get(token)
            if context is None:
                return 404, {"ok": False, "error": "expired_url"}
            if body.get("delete_original") or body.get("replace_original") in (True, "true"):
                return 200, {"ok": True}  # nothing the bot sends uses these; accept them quietly
            payload = {"text": body.get("text") or "", "blocks": _json(body.get("blocks")) or [],
                       "response_type": body.get("response_type") or "ephemeral"}
            event = Event("ephemeral", channel=context["channel"], user=context["user"], payload=payload)
            if payload["response_type"] == "in_channel":
                message = self._add_message(context["channel"], payload["text"], payload["blocks"], None, None)
                event = Event("post", channel=context["channel"], message=message)
            else:
                self.ephemerals.append({**payload, "channel": context["channel"], "user": context["user"]})
        self._notify([event])
        return 200, {"ok": True}

    def _notify(self, events: list[Event]) -> None:
        if self.listener is None:
            return
        for event in events:
            try:
                self.listener(event)
            except Exception:
                log.debug("the sandbox's listener failed on %s", event.kind, exc_info=True)

    # -- helpers for the methods -------------------------------------------------------------------------

    def _next_ts(self) -> str:
        now = max(time.time(), self._last_ts + 0.000001)
        self._last_ts = now
        return f"{now:.6f}"

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):06d}"

    def _user(self, user_id: Any) -> User:
        user = self.users.get(str(user_id or ""))
        if user is None:
            raise SlackError("user_not_found")
        return user

    def _channel(self, channel_id: Any) -> Channel:
        channel = self.channels.get(str(channel_id or ""))
        if channel is None:
            raise SlackError("channel_not_found")
        return channel

    def _postable(self, target: Any) -> Channel:
        """chat.postMessage's channel: a conversation id, or a user id meaning the DM with them."""
        target = str(target or "")
        if target[:1] in ("U", "W") and target in self.users:
            user = self.users[target]
            if user.deleted:
                raise SlackError("user_disabled")
            if user.is_bot:
                raise SlackError("cannot_dm_bot")
            return self.dm_channel(target)
        if target.startswith("#"):
            target = next((c.id for c in self.channels.values() if c.name == target[1:]), target)
        channel = self._channel(target)
        if BOT_USER_ID not in channel.members:
            raise SlackError("not_in_channel")
        return channel

    def _add_message(self, channel_id: str, text: str, blocks: list, thread_ts: str | None, metadata: dict | None,
                     files: list[str] | None = None) -> Message:
        if thread_ts is not None and self.find_message(channel_id, thread_ts) is None:
            raise SlackError("thread_not_found")
        message = Message(channel=channel_id, ts=self._next_ts(), user=BOT_USER_ID, text=text, blocks=blocks or [],
                          thread_ts=thread_ts, metadata=metadata, files=files or [], bot_id=BOT_ID)
        self.messages.setdefault(channel_id, []).append(message)
        return message

    def message_json(self, message: Message) -> dict[str, Any]:
        body: dict[str, Any] = {"type": "message", "ts": message.ts, "user": message.user, "text": message.text,
                                "team": self.team_id}
        if message.bot_id:
            body.update(bot_id=message.bot_id, app_id=APP_ID)
        if message.blocks:
            body["blocks"] = message.blocks
        if message.metadata:
            body["metadata"] = message.metadata
        if message.files:
            body["files"] = [self.file_json(self.files[f]) for f in message.files if f in self.files]
        if message.thread_ts:
            body["thread_ts"] = message.thread_ts
        else:
            replies = self.thread(message.channel, message.ts)
            if replies:
                body.update(thread_ts=message.ts, reply_count=len(replies), latest_reply=replies[-1].ts)
        if message.edited:
            body["edited"] = {"user": message.user, "ts": message.ts}
        return body

    def channel_json(self, channel: Channel, *, num_members: bool = False) -> dict[str, Any]:
        if channel.is_im:
            return {"id": channel.id, "is_im": True, "user": channel.im_user, "is_open": True, "created": 1_700_000_000}
        body = {"id": channel.id, "name": channel.name, "name_normalized": channel.name, "is_channel": True,
                "is_group": False, "is_im": False, "is_mpim": False, "is_private": False, "is_archived": False,
                "is_general": False, "is_member": BOT_USER_ID in channel.members, "created": 1_700_000_000,
                "context_team_id": self.team_id}
        if num_members:
            body["num_members"] = len(channel.members)
        return body

    def user_json(self, user: User) -> dict[str, Any]:
        return {
            "id": user.id, "team_id": self.team_id, "name": user.name, "real_name": user.real_name,
            "deleted": user.deleted, "is_bot": user.is_bot, "is_app_user": False, "is_admin": user.is_admin,
            "is_owner": False, "is_primary_owner": False, "is_restricted": False, "tz": user.tz,
            "profile": {"real_name": user.real_name, "display_name": user.name},
        }

    def file_json(self, upload: File) -> dict[str, Any]:
        return {"id": upload.id, "name": upload.name, "title": upload.title or upload.name,
                "size": len(upload.content or b""), "channels": [upload.channel] if upload.channel else [],
                "url_private": f"{self.base_url}/files/{upload.id}"}


# -- the Web API methods ---------------------------------------------------------------------------------

Method = Callable[[SimulatedSlack, dict, list], dict]
METHODS: dict[str, Method] = {}


def method(name: str):
    def register(func: Method) -> Method:
        METHODS[name] = func
        return func

    return register


def _json(value: Any) -> Any:
    """A JSON argument: already decoded (JSON bodies) or a string (form bodies)."""
    if isinstance(value, str):
        try:
            return json.loads(value) if value else None
        except ValueError:
            raise SlackError("invalid_arguments") from None
    return value


def _content(args: dict) -> tuple[str, list]:
    text, blocks = args.get("text"), _json(args.get("blocks"))
    if not text and not blocks:
        raise SlackError("no_text")
    if blocks is not None and not isinstance(blocks, list):
        raise SlackError("invalid_blocks")
    return str(text or ""), blocks or []


def _paginate(items: list, args: dict, default: int = 100) -> tuple[list, str]:
    limit = int(args.get("limit") or default) or default
    cursor = str(args.get("cursor") or "")
    start = 0
    if cursor:
        try:
            start = int(base64.b64decode(cursor).decode().removeprefix("offset:"))
        except ValueError:
            raise SlackError("invalid_cursor") from None
    end = start + limit
    return items[start:end], (base64.b64encode(f"offset:{end}".encode()).decode() if end < len(items) else "")


@method("auth.test")
def auth_test(slack: SimulatedSlack, args: dict, events: list) -> dict:
    return {"url": "https://sandbox.slack.invalid/", "team": slack.team_name, "user": "maturity-bot",
            "team_id": slack.team_id, "user_id": BOT_USER_ID, "bot_id": BOT_ID, "is_enterprise_install": False}


@method("chat.postMessage")
def chat_post_message(slack: SimulatedSlack, args: dict, events: list) -> dict:
    channel = slack._postable(args.get("channel"))
    text, blocks = _content(args)
    metadata = _json(args.get("metadata"))
    thread_ts = str(args["thread_ts"]) if args.get("thread_ts") else None
    message = slack._add_message(channel.id, text, blocks, thread_ts, metadata)
    events.append(Event("post", channel=channel.id, message=message))
    return {"channel": channel.id, "ts": message.ts, "message": slack.message_json(message)}


@method("chat.update")
def chat_update(slack: SimulatedSlack, args: dict, events: list) -> dict:
    channel = slack._channel(args.get("channel"))
    message = slack.find_message(channel.id, str(args.get("ts") or ""))
    if message is None:
        raise SlackError("message_not_found")
    if message.user != BOT_USER_ID:
        raise SlackError("cant_update_message")
    text, blocks = _content(args)
    message.text, message.edited = text, True
    if args.get("blocks") is not None:
        message.blocks = blocks
    metadata = _json(args.get("metadata"))
    if metadata:
        message.metadata = metadata
    events.append(Event("update", channel=channel.id, message=message))
    return {"channel": channel.id, "ts": message.ts, "text": message.text, "message": slack.message_json(message)}


@method("chat.postEphemeral")
def chat_post_ephemeral(slack: SimulatedSlack, args: dict, events: list) -> dict:
    channel = slack._postable(args.get("channel"))
    user = slack._user(args.get("user"))
    if user.id not in channel.members:
        raise SlackError("user_not_in_channel")
    text, blocks = _content(args)
    payload = {"text": text, "blocks": blocks, "response_type": "ephemeral"}
    slack.ephemerals.append({**payload, "channel": channel.id, "user": user.id})
    events.append(Event("ephemeral", channel=channel.id, user=user.id, payload=payload))
    return {"message_ts": slack._next_ts()}


@method("chat.getPermalink")
def chat_get_permalink(slack: SimulatedSlack, args: dict, events: list) -> dict:
    channel = slack._channel(args.get("channel"))
    ts = str(args.get("message_ts") or "")
    if slack.find_message(channel.id, ts) is None:
        raise SlackError("message_not_found")
    return {"channel": channel.id, "permalink": f"https://sandbox.slack.invalid/archives/{channel.id}/p{ts.replace('.', '')}"}


@method("conversations.info")
def conversations_info(slack: SimulatedSlack, args: dict, events: list) -> dict:
    channel = slack._channel(args.get("channel"))
    return {"channel": slack.channel_json(channel, num_members=str(args.get("include_num_members")).lower() in ("1", "true"))}


@method("conversations.members")
def conversations_members(slack: SimulatedSlack, args: dict, events: list) -> dict:
    channel = slack._channel(args.get("channel"))
    if BOT_USER_ID not in channel.members:
        raise SlackError("not_in_channel")
    page, cursor = _paginate(channel.members, args)
    return {"members": page, "response_metadata": {"next_cursor": cursor}}


@method("conversations.open")
def conversations_open(slack: SimulatedSlack, args: dict, events: list) -> dict:
    users = args.get("users")
    user_ids = users if isinstance(users, list) else [u.strip() for u in str(users or "").split(",") if u.strip()]
    if args.get("channel"):
        channel = slack._channel(args["channel"])
    elif len(user_ids) == 1:
        user = slack._user(user_ids[0])
        if user.is_bot:
            raise SlackError("cannot_dm_bot")
        channel = slack.dm_channel(user.id)
    else:
        raise SlackError("users_list_not_supplied" if not user_ids else "not_supported")
    return {"channel": slack.channel_json(channel) if args.get("return_im") else {"id": channel.id}}


@method("conversations.history")
def conversations_history(slack: SimulatedSlack, args: dict, events: list) -> dict:
    channel = slack._channel(args.get("channel"))
    newest_first = list(reversed(slack.top_level(channel.id)))
    page, cursor = _paginate(newest_first, args)
    return {"messages": [slack.message_json(m) for m in page], "has_more": bool(cursor),
            "response_metadata": {"next_cursor": cursor}}


@method("conversations.replies")
def conversations_replies(slack: SimulatedSlack, args: dict, events: list) -> dict:
    channel = slack._channel(args.get("channel"))
    ts = str(args.get("ts") or "")
    parent = slack.find_message(channel.id, ts)
    if parent is None:
        raise SlackError("thread_not_found")
    page, cursor = _paginate([parent, *slack.thread(channel.id, ts)], args)
    return {"messages": [slack.message_json(m) for m in page], "has_more": bool(cursor),
            "response_metadata": {"next_cursor": cursor}}


@method("users.info")
def users_info(slack: SimulatedSlack, args: dict, events: list) -> dict:
    return {"user": slack.user_json(slack._user(args.get("user")))}


@method("users.list")
def users_list(slack: SimulatedSlack, args: dict, events: list) -> dict:
    page, cursor = _paginate(list(slack.users.values()), args, default=200)
    return {"members": [slack.user_json(u) for u in page], "response_metadata": {"next_cursor": cursor}}


def _view_json(slack: SimulatedSlack, record: View) -> dict:
    return {**record.view, "id": record.id, "team_id": slack.team_id, "type": record.type,
            "state": {"values": {}}, "hash": f"{record.id}.hash", "app_id": APP_ID, "bot_id": BOT_ID}


@method("views.open")
def views_open(slack: SimulatedSlack, args: dict, events: list) -> dict:
    user_id = slack._triggers.pop(str(args.get("trigger_id") or ""), None)
    if user_id is None:
        raise SlackError("invalid_trigger_id")
    view = _json(args.get("view"))
    if not isinstance(view, dict) or view.get("type") != "modal":
        raise SlackError("invalid_arguments")
    record = View(slack._next_id("V"), "modal", user_id, view)
    slack.views[record.id] = record
    events.append(Event("view", user=user_id, view=record))
    return {"view": _view_json(slack, record)}


@method("views.publish")
def views_publish(slack: SimulatedSlack, args: dict, events: list) -> dict:
    user = slack._user(args.get("user_id"))
    view = _json(args.get("view"))
    if not isinstance(view, dict) or view.get("type") != "home":
        raise SlackError("invalid_arguments")
    record = slack.home_of(user.id)
    if record is None:
        record = View(slack._next_id("V"), "home", user.id, view)
        slack.views[record.id] = record
    record.view = view
    events.append(Event("view", user=user.id, view=record))
    return {"view": _view_json(slack, record)}


@method("views.update")
def views_update(slack: SimulatedSlack, args: dict, events: list) -> dict:
    record = slack.views.get(str(args.get("view_id") or ""))
    if record is None:
        raise SlackError("not_found")
    view = _json(args.get("view"))
    if not isinstance(view, dict):
        raise SlackError("invalid_arguments")
    record.view = view
    events.append(Event("view", user=record.user_id, view=record))
    return {"view": _view_json(slack, record)}


@method("files.getUploadURLExternal")
def files_get_upload_url_external(slack: SimulatedSlack, args: dict, events: list) -> dict:
    upload = File(slack._next_id("F"), str(args["filename"]), int(args["length"]))
    slack.files[upload.id] = upload
    return {"upload_url": f"{slack.base_url}/upload/{upload.id}", "file_id": upload.id}


@method("files.completeUploadExternal")
def files_complete_upload_external(slack: SimulatedSlack, args: dict, events: list) -> dict:
    items = _json(args.get("files"))
    if not isinstance(items, list) or not items:
        raise SlackError("invalid_arguments")
    uploads = []
    for item in items:
        upload = slack.files.get(str(item.get("id")))
        if upload is None or upload.content is None or upload.completed:
            raise SlackError("file_not_found")
        upload.title = item.get("title") or upload.name
        uploads.append(upload)
    channel = slack._postable(args["channel_id"]) if args.get("channel_id") else None
    thread_ts = str(args["thread_ts"]) if args.get("thread_ts") else None
    for upload in uploads:
        upload.completed = True
        upload.channel, upload.thread_ts = (channel.id if channel else None), thread_ts
    if channel is not None:  # Slack shares the files as one message carrying the initial comment
        message = slack._add_message(channel.id, str(args.get("initial_comment") or ""), [], thread_ts, None,
                                     files=[u.id for u in uploads])
        events.append(Event("post", channel=channel.id, message=message))
        events += [Event("file", channel=channel.id, file=u, message=message) for u in uploads]
    return {"files": [slack.file_json(u) for u in uploads]}


# -- HTTP ------------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    slack: SimulatedSlack


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        slack = self.server.slack
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = url.path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "api":
            args, token = self._arguments(url.query, body)
            self._send(200, slack.call(parts[1], args, token))
        elif len(parts) == 2 and parts[0] == "upload":
            status, text = slack.receive_upload(parts[1], self._upload_bytes(body))
            self._send(status, text)
        elif len(parts) == 2 and parts[0] == "response":
            try:
                payload = self._response_payload(body)
            except (ValueError, TypeError, KeyError):
                self._send(400, {"ok": False, "error": "invalid_payload"})
                return
            self._send(*slack.receive_response(parts[1], payload))
        else:
            self._send(404, "Not Found")

    def _arguments(self, query: str, body: bytes) -> tuple[dict, str | None]:
        args: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        kind = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if body and kind == "application/json":
            try:
                data = json.loads(body)
            except ValueError:
                data = None
            if isinstance(data, dict):
                data.pop("token", None)  # Slack ignores a token in a JSON body
                args.update(data)
        elif body and kind == "multipart/form-data":
            args.update(self._multipart(body))
        elif body:
            args.update({k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()})
        token = args.pop("token", None)
        header = self.headers.get("Authorization", "")
        if header.lower().startswith("bearer "):
            token = header[7:].strip()
        return args, token

    def _multipart(self, body: bytes) -> dict[str, Any]:
        content_type = self.headers.get("Content-Type", "")
        message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if name:
                fields[name] = payload if part.get_filename() else payload.decode("utf-8", "replace")
        return fields

    def _upload_bytes(self, body: bytes) -> bytes:
        """slack_sdk posts the raw bytes; a browser-like client sends multipart with one file part."""
        if self.headers.get("Content-Type", "").lower().startswith("multipart/form-data"):
            for value in self._multipart(body).values():
                if isinstance(value, bytes):
                    return value
        return body

    def _response_payload(self, body: bytes) -> dict:
        kind = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind == "application/json":
            data = json.loads(body or b"{}")
        else:
            form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
            data = json.loads(form["payload"]) if "payload" in form else form
        if not isinstance(data, dict):
            raise TypeError("not an object")
        return data

    def _send(self, status: int, body: Any) -> None:
        if isinstance(body, str):
            payload, content_type = body.encode(), "text/plain; charset=utf-8"
        else:
            payload, content_type = json.dumps(body).encode(), "application/json; charset=utf-8"
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
