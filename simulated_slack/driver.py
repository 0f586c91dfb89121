"""Slack's side towards the app: the requests Slack sends it, signed the way Slack signs them.

Slack signs every request it sends an app with the app's signing secret (v0: HMAC-SHA256 over
"v0:<timestamp>:<body>", written here independently of the SDK so a bug there cannot hide one in the app), and
the app refuses anything unsigned.  ``Driver`` builds the bodies Slack sends for a slash command, a button click
(block_actions), a modal submission (view_submission) and an event, fills them from the ``SimulatedSlack`` the
app talks to (response URLs and trigger ids it will accept, the app's and the workspace's ids, people's names),
signs and posts them, so the app's verification, routing and listeners run exactly as they do behind Slack.
``AppServer`` serves a WSGI application (the app's production entry point) on a free local port to receive them.

An app in Socket Mode takes the same bodies as envelopes over the WebSocket it opened (socket_mode.py):
``Driver(slack, socket_mode=True)`` sends each one there instead of posting it, unsigned, as Slack does.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from .server import Installation, SimulatedSlack
from .socket_mode import NotAcknowledged
from .workspaces import Message

VERIFICATION_TOKEN = "legacy-verification-token"  # Slack still sends its retired verification token


def sign(body: str, timestamp: int, secret: str) -> str:
    """Slack's v0 request signature of ``body`` sent at ``timestamp`` (seconds)."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128  # the default backlog of 5 resets connections under a burst of clicks


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


class AppServer:
    """A WSGI application over real HTTP on a local port (a free one unless given), in a daemon thread; ``url``
    is ``path`` on it."""

    def __init__(self, wsgi_application, path: str = "/slack/events", *, port: int = 0):
        self.httpd = make_server("127.0.0.1", port, wsgi_application, server_class=_Server, handler_class=_Quiet)
        self.base_url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.url = self.base_url + path
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="app-server", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class Reply:
    """The app's answer to one request."""

    status: int
    body: str

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class RequestFailed(Exception):
    """The app answered a request with something other than HTTP 200 (only when the driver was asked to check)."""


class NoSuchButton(LookupError):
    """A click on a button the message does not have."""


def find_button(message: Message, action_id: str) -> tuple[str | None, dict[str, Any]]:
    """The (block_id, element) of the first element with this action id in a message's blocks."""
    for block in message.blocks:
        candidates = list(block.get("elements", [])) if block.get("type") == "actions" else []
        if block.get("accessory"):
            candidates.append(block["accessory"])
        for element in candidates:
            if element.get("action_id") == action_id:
                return block.get("block_id"), element
    raise NoSuchButton(f"no {action_id!r} button in message {message.ts}: {[b.get('type') for b in message.blocks]}")


class Driver:
    """People in one workspace of a SimulatedSlack acting towards the app at ``url``, as Slack relays it.

    ``check``: raise RequestFailed when the app answers other than 200 (the sandbox); otherwise the caller
    inspects ``Reply.status`` (tests of refusals).  ``post`` takes ``timestamp``/``signature``/``headers`` to
    send stale or forged requests on purpose.

    ``socket_mode``: the app is in Socket Mode (it has no ``url``, nothing is signed): every body goes to it as
    an envelope on one of its open connections, and the app's ack comes back as ``Reply(200, <json of the ack's
    payload, or "">)``; an envelope Slack got no ack for (after its retries, for events) is ``Reply(502, ...)``.
    ``timeout`` is then how long Slack waits for an open connection and for each ack.
    """

    def __init__(
        self,
        slack: SimulatedSlack,
        url: str | None = None,
        secret: str = "",
        team_id: str | None = None,
        *,
        timeout: float = 30.0,
        check: bool = False,
        socket_mode: bool = False,
    ):
        if url is None and not socket_mode:
            raise ValueError("a Driver needs the app's url, or socket_mode=True")
        self.slack, self.url, self.secret = slack, url, secret
        self.team_id = team_id or slack.installation().team_id
        self.timeout, self.check, self.socket_mode = timeout, check, socket_mode
        self._installation: Installation | None = None

    @property
    def installation(self) -> Installation:
        if self._installation is None:  # looked up on first use: the team may be added after the driver
            self._installation = self.slack.installation(self.team_id)
        return self._installation

    # -- names, as Slack puts them in payloads ------------------------------------------------------------

    def user_name(self, user_id: str) -> str:
        user = self.slack.user(self.team_id, user_id)
        return user.name if user is not None else user_id.lower()

    def channel_name(self, channel_id: str | None) -> str:
        """The channel's name; "directmessage" in a DM (what Slack sends)."""
        channel = self.slack.channel(self.team_id, channel_id) if channel_id else None
        if channel is None or channel.is_im:
            return "directmessage"
        return channel.name

    # -- transport -------------------------------------------------------------------------------------

    def post(
        self,
        body: str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        if self.socket_mode:
            reply = self._envelope(body, content_type, headers or {})
        else:
            reply = self._post(body, content_type, timestamp, signature, headers)
        if self.check and reply.status != 200:
            raise RequestFailed(f"the app answered HTTP {reply.status}: {reply.body[:200]}")
        return reply

    def _post(
        self, body: str, content_type: str, timestamp: int | None, signature: str | None, headers: dict[str, str] | None
    ) -> Reply:
        timestamp = int(time.time()) if timestamp is None else timestamp
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": signature if signature is not None else sign(body, timestamp, self.secret),
            **(headers or {}),
        }
        request = urllib.request.Request(self.url, data=body.encode(), headers=all_headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                reply = Reply(response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            reply = Reply(error.code, error.read().decode())
        return reply

    def _envelope(self, body: str, content_type: str, headers: dict[str, str]) -> Reply:
        """The body Slack would have posted, sent as a Socket Mode envelope: an Events API callback (JSON), an
        interaction (a form with ``payload``) or a slash command (any other form); an HTTP retry's headers
        become the envelope's retry_attempt and retry_reason."""
        options: dict[str, Any] = {}
        if content_type.startswith("application/json"):
            kind, payload = "events_api", json.loads(body)
            retries = {name.lower(): value for name, value in headers.items()}
            if "x-slack-retry-num" in retries:
                reason = retries.get("x-slack-retry-reason", "")
                options = {
                    "retry_attempt": int(retries["x-slack-retry-num"]),
                    "retry_reason": "timeout" if reason == "http_timeout" else reason,
                }
        else:
            fields = {name: values[-1] for name, values in urllib.parse.parse_qs(body, keep_blank_values=True).items()}
            if "payload" in fields:
                kind, payload = "interactive", json.loads(fields["payload"])
            else:
                kind, payload = "slash_commands", fields
        try:
            acked = self.slack.socket_mode.deliver(
                kind, payload, app_id=self.installation.app_id, timeout=self.timeout, **options
            )
        except NotAcknowledged as error:
            return Reply(502, str(error))
        return Reply(200, json.dumps(acked) if acked else "")

    def post_form(self, fields: dict[str, Any], **options: Any) -> Reply:
        return self.post(urllib.parse.urlencode(fields), "application/x-www-form-urlencoded", **options)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], str]:
        """A plain GET on the app's server (e.g. the OAuth pages), without following redirects."""
        url = urllib.parse.urljoin(self.url, path)

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=self.timeout) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    # -- what people do --------------------------------------------------------------------------------

    def _user(self, user_id: str) -> dict[str, str]:
        return {"id": user_id, "username": self.user_name(user_id), "team_id": self.team_id}

    def _team(self) -> dict[str, str]:
        return {"id": self.team_id, "domain": self.installation.domain}

    def command_body(self, user_id: str, text: str, channel_id: str, command: str = "/maturity") -> dict[str, str]:
        return {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "team_domain": self.installation.domain,
            "channel_id": channel_id,
            "channel_name": self.channel_name(channel_id),
            "user_id": user_id,
            "user_name": self.user_name(user_id),
            "command": command,
            "text": text,
            "api_app_id": self.installation.app_id,
            "is_enterprise_install": "false",
            "response_url": self.slack.new_response_url(team_id=self.team_id, channel=channel_id, user=user_id),
            "trigger_id": self.slack.new_trigger_id(team_id=self.team_id, user_id=user_id),
        }

    def command(self, user_id: str, text: str = "", channel_id: str = "C1", **options: Any) -> Reply:
        """``/maturity <text>`` typed by ``user_id`` in ``channel_id``."""
        return self.post_form(self.command_body(user_id, text, channel_id), **options)

    def click_body(
        self,
        user_id: str,
        message: Message,
        action_id: str | None = None,
        *,
        element: dict[str, Any] | None = None,
        block_id: str | None = None,
        value: str | None = None,
    ) -> dict[str, Any]:
        """A block_actions payload for a click on a message's button, named by ``action_id`` or given as
        ``element`` (with its ``block_id``)."""
        if element is None:
            block_id, element = find_button(message, str(action_id))
        return {
            "type": "block_actions",
            "user": self._user(user_id),
            "api_app_id": self.installation.app_id,
            "token": VERIFICATION_TOKEN,
            "container": {
                "type": "message",
                "message_ts": message.ts,
                "channel_id": message.channel,
                "is_ephemeral": False,
            },
            "trigger_id": self.slack.new_trigger_id(team_id=self.team_id, user_id=user_id),
            "team": self._team(),
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": message.channel, "name": self.channel_name(message.channel)},
            "message": {
                "type": "message",
                "ts": message.ts,
                "thread_ts": message.thread_ts,
                "text": message.text,
                "blocks": message.blocks,
                "user": getattr(message, "user", None),
            },
            "response_url": self.slack.new_response_url(team_id=self.team_id, channel=message.channel, user=user_id),
            "actions": [
                {
                    "type": element.get("type", "button"),
                    "action_id": element["action_id"],
                    "block_id": block_id,
                    "text": element.get("text"),
                    "value": element.get("value") if value is None else value,
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }

    def click(
        self,
        user_id: str,
        message: Message,
        action_id: str | None = None,
        *,
        element: dict[str, Any] | None = None,
        block_id: str | None = None,
        value: str | None = None,
        **options: Any,
    ) -> Reply:
        payload = self.click_body(user_id, message, action_id, element=element, block_id=block_id, value=value)
        return self.post_form({"payload": json.dumps(payload)}, **options)

    def submit_view(
        self, user_id: str, view: Any, state_values: dict[str, Any], *, view_id: str | None = None, **options: Any
    ) -> Reply:
        """Submitting a modal with these input values.  ``view`` is a ViewRecord of the simulated Slack (its id is
        used) or a view payload (its "id", else ``view_id``, else "V1")."""
        if hasattr(view, "view") and hasattr(view, "id"):
            view_id, view = view_id or view.id, view.view
        view_id = view_id or view.get("id", "V1")
        payload = {
            "type": "view_submission",
            "team": self._team(),
            "user": self._user(user_id),
            "api_app_id": self.installation.app_id,
            "token": VERIFICATION_TOKEN,
            "trigger_id": self.slack.new_trigger_id(team_id=self.team_id, user_id=user_id),
            "view": {**view, "id": view_id, "team_id": self.team_id, "state": {"values": state_values}},
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return self.post_form({"payload": json.dumps(payload)}, **options)

    def event(
        self, event: dict[str, Any], *, event_id: str | None = None, retry_num: int | None = None, **options: Any
    ) -> Reply:
        """An Events API callback carrying ``event``; ``retry_num`` makes it one of Slack's redeliveries."""
        body = {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "api_app_id": self.installation.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or "Ev" + uuid.uuid4().hex[:16].upper(),
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "team_id": self.team_id,
                    "user_id": self.installation.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
        }
        headers = dict(options.pop("headers", None) or {})
        if retry_num is not None:
            headers.update({"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"})
        return self.post(json.dumps(body), "application/json", headers=headers, **options)

    def direct_message(self, user_id: str, text: str, **options: Any) -> Reply:
        """``user_id`` writing to the app in their DM with it: the message lands in the DM, then Slack sends the
        app a message.im event."""
        channel = self.slack.dm_channel(self.team_id, user_id)
        message = self.slack.add_message(self.team_id, channel, user_id, text)
        return self.event(
            {
                "type": "message",
                "channel": channel,
                "channel_type": "im",
                "user": user_id,
                "text": text,
                "ts": message.ts,
                "event_ts": message.ts,
            },
            **options,
        )
