"""Driving the real bot the way Slack does: signed HTTP requests to /slack/events.

`BotServer` serves the real slack_bolt App through the same WSGI entry point production uses. `Workspace`
builds Slack's request bodies (slash commands, block_actions, view_submission, events), signs them with
Slack's v0 scheme (HMAC-SHA256 over "v0:<timestamp>:<body>", written here independently of the SDK) and
posts them. The fake Slack Web API server records what the bot sent back.
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
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from bot.wsgi import EVENTS_PATH, wsgi_app

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"


def sign(body: str, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


class _Server(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128  # the default backlog of 5 resets connections under a burst of clicks


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


class BotServer:
    """The App over real HTTP on a free local port."""

    def __init__(self, app):
        self.httpd = make_server("127.0.0.1", 0, wsgi_app(app), server_class=_Server, handler_class=_Quiet)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}{EVENTS_PATH}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@dataclass
class Reply:
    status: int
    body: str

    @property
    def json(self):
        return json.loads(self.body) if self.body else None


def find_button(message, action_id: str) -> tuple[str | None, dict]:
    """The (block_id, element) of the first button with this action id in a message's blocks."""
    for block in message.blocks:
        candidates = list(block.get("elements", [])) if block.get("type") == "actions" else []
        if block.get("accessory"):
            candidates.append(block["accessory"])
        for element in candidates:
            if element.get("action_id") == action_id:
                return block.get("block_id"), element
    raise AssertionError(f"no {action_id!r} button in message {message.ts}: {[b.get('type') for b in message.blocks]}")


def buttons(message) -> list[str]:
    """The labels of every button in a message, in order."""
    labels = []
    for block in message.blocks:
        elements = list(block.get("elements", [])) if block.get("type") == "actions" else []
        if block.get("accessory"):
            elements.append(block["accessory"])
        labels += [e["text"]["text"] for e in elements if e.get("type") == "button"]
    return labels


def text_of(message) -> str:
    """All the visible text of a message (its blocks' text, or its plain text), unescaped as Slack shows it."""
    parts = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text"):
                parts.append(node.get("text", ""))
            for value in node.values():
                if isinstance(value, (dict, list)):
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.blocks)
    shown = "\n".join(parts) if parts else message.text
    return shown.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


class Workspace:
    """One Slack workspace's users talking to the bot through signed requests."""

    def __init__(self, slack, url: str, team_id: str = "T1", secret: str = SIGNING_SECRET):
        self.slack, self.url, self.team_id, self.secret = slack, url, team_id, secret

    # -- transport -------------------------------------------------------------------------------------

    def post(self, body: str, content_type: str, *, timestamp: int | None = None, signature: str | None = None, headers=None) -> Reply:
        timestamp = int(time.time()) if timestamp is None else timestamp
        all_headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": signature if signature is not None else sign(body, timestamp, self.secret),
            **(headers or {}),
        }
        request = urllib.request.Request(self.url, data=body.encode(), headers=all_headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Reply(response.status, response.read().decode())
        except urllib.error.HTTPError as error:
            return Reply(error.code, error.read().decode())

    def get(self, path: str, headers: dict | None = None) -> tuple[int, dict, str]:
        """A plain GET on the bot's server (the OAuth pages), without following redirects."""
        url = self.url.removesuffix(EVENTS_PATH) + path

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(urllib.request.Request(url, headers=headers or {}), timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def post_form(self, fields: dict, **options) -> Reply:
        return self.post(urllib.parse.urlencode(fields), "application/x-www-form-urlencoded", **options)

    # -- what members do -------------------------------------------------------------------------------

    def command_body(self, user_id: str, text: str, channel_id: str) -> dict:
        return {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "team_domain": self.team_id.lower(),
            "channel_id": channel_id,
            "channel_name": "channel",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": "/maturity",
            "text": text,
            "api_app_id": "A1",
            "is_enterprise_install": "false",
            "response_url": self.slack.new_response_url(team_id=self.team_id, channel=channel_id, user=user_id),
            "trigger_id": self.slack.new_trigger_id(team_id=self.team_id, user_id=user_id),
        }

    def command(self, user_id: str, text: str = "", channel_id: str = "C1", **options) -> Reply:
        return self.post_form(self.command_body(user_id, text, channel_id), **options)

    def click_body(self, user_id: str, message, action_id: str, *, value: str | None = None) -> dict:
        block_id, element = find_button(message, action_id)
        return {
            "type": "block_actions",
            "user": {"id": user_id, "username": user_id.lower(), "team_id": self.team_id},
            "api_app_id": "A1",
            "token": "legacy-verification-token",
            "container": {"type": "message", "message_ts": message.ts, "channel_id": message.channel, "is_ephemeral": False},
            "trigger_id": self.slack.new_trigger_id(team_id=self.team_id, user_id=user_id),
            "team": {"id": self.team_id, "domain": self.team_id.lower()},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": message.channel, "name": "directmessage"},
            "message": {"type": "message", "ts": message.ts, "thread_ts": message.thread_ts, "text": message.text, "blocks": message.blocks},
            "response_url": self.slack.new_response_url(team_id=self.team_id, channel=message.channel, user=user_id),
            "actions": [
                {
                    "type": "button",
                    "action_id": action_id,
                    "block_id": block_id,
                    "text": element["text"],
                    "value": element.get("value") if value is None else value,
                    "action_ts": f"{time.time():.6f}",
                }
            ],
        }

    def click(self, user_id: str, message, action_id: str, *, value: str | None = None, **options) -> Reply:
        payload = self.click_body(user_id, message, action_id, value=value)
        return self.post_form({"payload": json.dumps(payload)}, **options)

    def submit_view(self, user_id: str, view: dict, state_values: dict, **options) -> Reply:
        payload = {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": self.team_id.lower()},
            "user": {"id": user_id, "username": user_id.lower(), "team_id": self.team_id},
            "api_app_id": "A1",
            "token": "legacy-verification-token",
            "trigger_id": "trigger-view",
            "view": {**view, "id": view.get("id", "V1"), "team_id": self.team_id, "state": {"values": state_values}},
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
        return self.post_form({"payload": json.dumps(payload)}, **options)

    def event(self, event: dict, *, event_id: str, retry_num: int | None = None, **options) -> Reply:
        body = {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "api_app_id": "A1",
            "event": event,
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": self.team_id, "user_id": "UBOT", "is_bot": True, "is_enterprise_install": False}],
            "is_ext_shared_channel": False,
        }
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(json.dumps(body), "application/json", headers=headers, **options)
