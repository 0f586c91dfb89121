"""The fake Slack of the test suite, told to say when a message lands in a member's thread.

`PromptWatch` subclasses tests.fake_slack.FakeSlack (unchanged) and, after the fake has recorded a
successful chat.postMessage with a thread_ts, wakes whoever registered for that conversation, with the
moment it arrived (time.perf_counter) and the message as Slack returned it. The moment is taken when the
fake has stored the message, just before the HTTP answer goes back to the bot.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from tests.fake_slack import FakeSlack, Message


class Arrival:
    """One awaited thread message."""

    __slots__ = ("at", "body", "event")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.at: float | None = None
        self.body: dict[str, Any] | None = None

    def wait(self, timeout: float) -> bool:
        return self.event.wait(timeout)

    @property
    def message(self) -> Message:
        """The arrived message in the shape tests.harness.Workspace.click expects."""
        body = self.body or {}
        posted = body.get("message") or {}
        return Message(channel=body["channel"], ts=body["ts"], user=posted.get("user", ""), text=posted.get("text", ""),
                       blocks=posted.get("blocks") or [], thread_ts=posted.get("thread_ts"))

    @property
    def is_prompt(self) -> bool:
        """An area prompt (level buttons), rather than a profile or a note."""
        for block in (self.body or {}).get("message", {}).get("blocks") or []:
            elements = list(block.get("elements", [])) if block.get("type") == "actions" else []
            if block.get("accessory"):
                elements.append(block["accessory"])
            if any(str(e.get("action_id", "")).startswith("answer_level_") for e in elements):
                return True
        return False


class PromptWatch(FakeSlack):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._watch_lock = threading.Lock()
        self._waiting: dict[str, Arrival] = {}
        self.thread_posts = 0
        super().__init__(*args, **kwargs)

    def expect(self, channel: str) -> Arrival:
        """Register for the next thread message in `channel` (a DM id); call before causing it."""
        arrival = Arrival()
        with self._watch_lock:
            self._waiting[channel] = arrival
        return arrival

    def forget(self, channel: str) -> None:
        with self._watch_lock:
            self._waiting.pop(channel, None)

    def _record(self, method, args, team_id, reply) -> None:
        super()._record(method, args, team_id, reply)
        if method != "chat.postMessage" or reply.status != 200 or not isinstance(reply.body, dict):
            return
        body = reply.body
        if not body.get("ok") or not (body.get("message") or {}).get("thread_ts"):
            return
        now = time.perf_counter()
        with self._watch_lock:
            self.thread_posts += 1
            arrival = self._waiting.pop(body.get("channel"), None)
        if arrival is not None:
            arrival.at, arrival.body = now, body
            arrival.event.set()
