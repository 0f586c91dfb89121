"""The benchmarks' Slack: simulated_slack (the tests' strict one), told to say when a message lands in a thread.

`PromptWatch` is a SimulatedSlack granting the bot its BOT_SCOPES that listens to its own events: when a
chat.postMessage with a thread_ts is stored, it wakes whoever registered for that conversation, with the moment
it arrived (time.perf_counter) and the message. The listener runs when the message is stored, just before the
HTTP answer goes back to the bot. `bot_server` and `workspace` are Slack's other side: the app served over HTTP
and signed requests to it (simulated_slack.Driver), with the benchmarks' signing secret.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from simulated_slack import AppServer, Driver, Event, Message, SimulatedSlack

SIGNING_SECRET = "bench-signing-secret-0123456789abcdef"


def bot_scopes() -> list[str]:
    from bot.app import BOT_SCOPES

    return list(BOT_SCOPES)


def simulated_slack(**options: Any) -> SimulatedSlack:
    """A simulated Slack granting the bot exactly the scopes it asks for."""
    return SimulatedSlack(scopes=bot_scopes(), **options)


def bot_server(app) -> AppServer:
    """The App through the WSGI entry point production uses, on a free local port."""
    from bot.wsgi import EVENTS_PATH, wsgi_app

    return AppServer(wsgi_app(app), EVENTS_PATH)


def workspace(slack: SimulatedSlack, url: str, team_id: str) -> Driver:
    """People of `team_id` sending the app at `url` signed requests."""
    return Driver(slack, url, SIGNING_SECRET, team_id)


class Arrival:
    """One awaited thread message."""

    __slots__ = ("at", "event", "message")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.at: float | None = None
        self.message: Message | None = None  # a copy, as stored when it arrived

    def wait(self, timeout: float) -> bool:
        return self.event.wait(timeout)

    @property
    def text(self) -> str:
        return self.message.text if self.message else ""

    @property
    def is_prompt(self) -> bool:
        """An area prompt (level buttons), rather than a profile or a note."""
        for block in self.message.blocks if self.message else []:
            elements = list(block.get("elements", [])) if block.get("type") == "actions" else []
            if block.get("accessory"):
                elements.append(block["accessory"])
            if any(str(e.get("action_id", "")).startswith("answer_level_") for e in elements):
                return True
        return False


class PromptWatch(SimulatedSlack):
    def __init__(self, **options: Any) -> None:
        self._watch_lock = threading.Lock()
        self._waiting: dict[str, Arrival] = {}
        self.thread_posts = 0
        super().__init__(scopes=bot_scopes(), listener=self._arrived, **options)

    def expect(self, channel: str) -> Arrival:
        """Register for the next thread message in `channel` (a DM id); call before causing it."""
        arrival = Arrival()
        with self._watch_lock:
            self._waiting[channel] = arrival
        return arrival

    def forget(self, channel: str) -> None:
        with self._watch_lock:
            self._waiting.pop(channel, None)

    def _arrived(self, event: Event) -> None:
        if event.kind != "post" or event.method != "chat.postMessage" or not event.message.thread_ts:
            return
        now = time.perf_counter()
        with self._watch_lock:
            self.thread_posts += 1
            arrival = self._waiting.pop(event.channel, None)
        if arrival is not None:
            arrival.at, arrival.message = now, event.message
            arrival.event.set()
