"""Playing Slack's part towards the bot: the real App served over HTTP, and signed requests to it.

Slack signs every request it sends an app with the app's signing secret (v0: HMAC-SHA256 over
"v0:<timestamp>:<body>"); the bot refuses anything unsigned. The sandbox builds the same bodies Slack sends
for a slash command, a button click (block_actions), a modal submission (view_submission) and an event, and
signs them with the sandbox's own secret, so the bot's verification, routing and listeners all run exactly
as they do behind Slack.
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
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from ..wsgi import EVENTS_PATH, wsgi_app
from .slack import APP_ID, BOT_USER_ID, Message, SimulatedSlack


def signature(secret: str, timestamp: int, body: str) -> str:
    """Slack's v0 request signature."""
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


class BotServer:
    """The bot's WSGI application (the one production serves) on a free local port, in a daemon thread."""

    def __init__(self, app):
        self.httpd = make_server("127.0.0.1", 0, wsgi_app(app), server_class=_Server, handler_class=_Quiet)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}{EVENTS_PATH}"
        threading.Thread(target=self.httpd.serve_forever, name="sandbox-bot", daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class Reply:
    status: int
    body: str

    @property
    def json(self) -> dict | None:
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None


class RequestFailed(Exception):
    """The bot answered a request with something other than 200."""


class Driver:
    """Sends the bot what Slack would send when people in the simulated workspace act."""

    def __init__(self, slack: SimulatedSlack, url: str, secret: str):
        self.slack, self.url, self.secret = slack, url, secret

    def post(self, body: str, content_type: str) -> Reply:
        timestamp = int(time.time())
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": signature(self.secret, timestamp, body),
        }
        request = urllib.request.Request(self.url, data=body.encode(), headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                reply = Reply(response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            reply = Reply(error.code, error.read().decode())
        if reply.status != 200:
            raise RequestFailed(f"the bot answered HTTP {reply.status}: {reply.body[:200]}")
        return reply

    def _form(self, fields: dict) -> Reply:
        return self.post(urllib.parse.urlencode(fields), "application/x-www-form-urlencoded")

    def command(self, user_id: str, text: str, channel_id: str) -> Reply:
        """`/maturity <text>` typed by a user in a channel."""
        channel = self.slack.channels.get(channel_id)
        return self._form({
            "token": "sandbox-verification-token",
            "team_id": self.slack.team_id,
            "team_domain": "sandbox",
            "channel_id": channel_id,
            "channel_name": channel.name if channel and channel.name else "directmessage",
            "user_id": user_id,
            "user_name": self.slack.users[user_id].name,
            "command": "/maturity",
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": self.slack.new_response_url(channel_id, user_id),
            "trigger_id": self.slack.new_trigger_id(user_id),
        })

    def click(self, user_id: str, message: Message, element: dict, block_id: str | None) -> Reply:
        """A click on a button of a message."""
        payload = {
            "type": "block_actions",
            "user": {"id": user_id, "username": self.slack.users[user_id].name, "team_id": self.slack.team_id},
            "api_app_id": APP_ID,
            "token": "sandbox-verification-token",
            "container": {"type": "message", "message_ts": message.ts, "channel_id": message.channel, "is_ephemeral": False},
            "trigger_id": self.slack.new_trigger_id(user_id),
            "team": {"id": self.slack.team_id, "domain": "sandbox"},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": message.channel, "name": "directmessage"},
            "message": {"type": "message", "ts": message.ts, "thread_ts": message.thread_ts, "text": message.text,
                        "blocks": message.blocks, "user": BOT_USER_ID},
            "response_url": self.slack.new_response_url(message.channel, user_id),
            "actions": [{
                "type": "button",
                "action_id": element["action_id"],
                "block_id": block_id,
                "text": element["text"],
                "value": element.get("value"),
                "action_ts": f"{time.time():.6f}",
            }],
        }
        return self._form({"payload": json.dumps(payload)})

    def submit_view(self, user_id: str, view: dict, view_id: str, state_values: dict) -> Reply:
        """Submitting a modal with the given input values."""
        payload = {
            "type": "view_submission",
            "team": {"id": self.slack.team_id, "domain": "sandbox"},
            "user": {"id": user_id, "username": self.slack.users[user_id].name, "team_id": self.slack.team_id},
            "api_app_id": APP_ID,
            "token": "sandbox-verification-token",
            "trigger_id": self.slack.new_trigger_id(user_id),
            "view": {**view, "id": view_id, "team_id": self.slack.team_id, "state": {"values": state_values}},
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return self._form({"payload": json.dumps(payload)})

    def direct_message(self, user_id: str, text: str) -> Reply:
        """A user writing to the bot in their direct messages (a message.im event)."""
        channel = self.slack.dm_channel(user_id)
        ts = f"{time.time():.6f}"
        body = {
            "token": "sandbox-verification-token",
            "team_id": self.slack.team_id,
            "api_app_id": APP_ID,
            "event": {"type": "message", "channel": channel.id, "channel_type": "im", "user": user_id, "text": text,
                      "ts": ts, "event_ts": ts},
            "type": "event_callback",
            "event_id": "Ev" + uuid.uuid4().hex[:16].upper(),
            "event_time": int(time.time()),
            "authorizations": [{"team_id": self.slack.team_id, "user_id": BOT_USER_ID, "is_bot": True,
                                "is_enterprise_install": False}],
            "is_ext_shared_channel": False,
        }
        return self.post(json.dumps(body), "application/json")
