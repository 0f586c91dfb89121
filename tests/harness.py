"""Driving the real bot the way Slack does: signed HTTP requests to /slack/events (simulated_slack.Driver).

`BotServer` serves the real slack_bolt App through the same WSGI entry point production uses. `Workspace` is
simulated_slack's Driver with the suite's signing secret and its one quirk (see `channel_name`); the simulated
Slack Web API server records what the bot sent back. `manifest_bot_scopes` is what tests grant the app: the bot
scopes manifest.yml asks for, so a call the manifest does not cover fails here as it would in Slack.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml

from bot.wsgi import EVENTS_PATH, wsgi_app
from simulated_slack import AppServer, Driver, NoSuchButton, Reply
from simulated_slack import find_button as _find_button
from simulated_slack import sign as _sign

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
MANIFEST_PATH = Path(__file__).resolve().parents[1] / "manifest.yml"

__all__ = [
    "SIGNING_SECRET",
    "BotServer",
    "Reply",
    "Workspace",
    "buttons",
    "find_button",
    "manifest_bot_scopes",
    "sign",
    "text_of",
]


@lru_cache(maxsize=1)
def manifest_bot_scopes() -> tuple[str, ...]:
    """The bot scopes in manifest.yml, in its order: what an installation of the app is granted."""
    manifest = yaml.safe_load(MANIFEST_PATH.read_text(encoding="utf-8"))
    return tuple(manifest["oauth_config"]["scopes"]["bot"])


def sign(body: str, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    return _sign(body, timestamp, secret)


class BotServer(AppServer):
    """The App over real HTTP on a free local port."""

    def __init__(self, app):
        super().__init__(wsgi_app(app), EVENTS_PATH)


def find_button(message, action_id: str) -> tuple[str | None, dict]:
    """The (block_id, element) of the first button with this action id; an assertion failure when absent."""
    try:
        return _find_button(message, action_id)
    except NoSuchButton as error:
        raise AssertionError(str(error)) from None


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


class Workspace(Driver):
    """One Slack workspace's users talking to the bot through signed requests."""

    def __init__(self, slack, url: str, team_id: str = "T1", secret: str = SIGNING_SECRET):
        super().__init__(slack, url, secret, team_id)

    def channel_name(self, channel_id: str) -> str:
        # Tests pin the fallback name the bot gives files when a channel's name is unhelpful ("channel").
        return "directmessage" if not channel_id or channel_id.startswith("D") else "channel"

    def click(self, user_id: str, message, action_id: str, *, value: str | None = None, **options) -> Reply:
        find_button(message, action_id)  # a missing button is a failed assertion, not a library error
        return super().click(user_id, message, action_id, value=value, **options)


def wait_for(condition, timeout: float = 20.0, what="condition") -> None:
    """Wait until `condition()` holds (polling every 50 ms); fail naming `what` after `timeout` seconds.

    `what` may be a callable, so the failure describes the state at the deadline, not at the call."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what() if callable(what) else what}"
        time.sleep(0.05)
