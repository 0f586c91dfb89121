"""The benchmarks' Slack: simulated_slack (the tests' strict one), told to say when a message lands in a thread.

`PromptWatch` is a SimulatedSlack granting the bot its BOT_SCOPES that listens to its own events: when a
chat.postMessage with a thread_ts is stored, it wakes whoever registered for that conversation, with the moment
it arrived (time.perf_counter) and the message. The listener runs when the message is stored, just before the
HTTP answer goes back to the bot. Top-level posts (kick-off DMs) can be awaited the same way (`expect_top_level`).
Every answered Web API call is stamped too (`last_call_at`, and a log while `record_calls` is on), so a benchmark
can see from outside when the app is quiet and which calls a click caused. `bot_server` and `workspace` are Slack's other side: the app served over HTTP
and signed requests to it (simulated_slack.Driver), with the benchmarks' signing secret.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

from simulated_slack import AppServer, Driver, Event, Message, SimulatedSlack

SIGNING_SECRET = "bench-signing-secret-0123456789abcdef"
SETTLE = 1.5  # s after the last owed kick-off in which a duplicate would still show (TopLevelPosts.settle)


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


class StampedCall:
    """One answered Web API call as the simulated Slack recorded it, with the moment (time.perf_counter)."""

    __slots__ = ("at", "channel", "method", "status", "thread_ts")

    def __init__(self, at: float, method: str, args: dict[str, Any], status: int) -> None:
        self.at, self.method, self.status = at, method, status
        self.channel = str(args.get("channel", "")) or None
        self.thread_ts = str(args.get("thread_ts", "")) or None


class PromptWatch(SimulatedSlack):
    def __init__(self, **options: Any) -> None:
        self._watch_lock = threading.Lock()
        self._waiting: dict[str, Arrival] = {}
        self._waiting_top: dict[str, Arrival] = {}
        self._call_log: list[StampedCall] | None = None
        self.thread_posts = 0
        self.last_call_at = 0.0
        super().__init__(scopes=bot_scopes(), listener=self._arrived, **options)

    def expect_top_level(self, channel: str) -> Arrival:
        """Register for the next top-level message in `channel` (e.g. a kick-off DM)."""
        arrival = Arrival()
        with self._watch_lock:
            self._waiting_top[channel] = arrival
        return arrival

    def record_calls(self) -> None:
        """Start a fresh log of answered calls (read it with `recorded_calls`)."""
        with self._watch_lock:
            self._call_log = []

    def recorded_calls(self) -> list[StampedCall]:
        """The calls answered since `record_calls`, in the order they were answered; stops the log."""
        with self._watch_lock:
            log, self._call_log = self._call_log or [], None
        return log

    def _record(self, method: str, args: dict[str, Any], team_id: str | None, reply) -> None:
        # SimulatedSlack's one place where every answered request passes (after its listeners ran).
        super()._record(method, args, team_id, reply)
        now = time.perf_counter()
        with self._watch_lock:
            self.last_call_at = now
            if self._call_log is not None:
                self._call_log.append(StampedCall(now, method, args, reply.status))

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
        if event.kind != "post" or event.method != "chat.postMessage":
            return
        now = time.perf_counter()
        with self._watch_lock:
            if event.message.thread_ts:
                self.thread_posts += 1
                arrival = self._waiting.pop(event.channel, None)
            else:
                arrival = self._waiting_top.pop(event.channel, None)
        if arrival is not None:
            arrival.at, arrival.message = now, event.message
            arrival.event.set()


class TopLevelPosts:
    """A listener of the simulated Slack counting the top-level messages each member gets in their DM (their
    kick-offs), and when the first and the last arrived. Told by the simulated Slack as it stores each one,
    rather than found by reading its record of calls over and over: that copy, taken under the lock its request
    threads share, grows with every call, and taken every few milliseconds it held those threads back, so that
    the posts behind them arrived together, over Slack's limit."""

    def __init__(self, slack: SimulatedSlack, team: str, members: list[str]):
        self.lock = threading.Lock()
        self.member_of = {slack.dm_channel(team, user_id): user_id for user_id in members}
        self.count: Counter[str] = Counter()
        self.first: float | None = None
        self.last: float | None = None
        slack.listen(self)

    def __call__(self, event) -> None:
        if event.kind != "post" or event.method != "chat.postMessage" or event.message is None:
            return
        user_id = self.member_of.get(event.channel)
        if user_id is None or event.message.thread_ts:
            return
        now = time.perf_counter()
        with self.lock:
            self.count[user_id] += 1
            self.first = self.first or now
            self.last = now

    def reached(self, owed: dict[str, int]) -> bool:
        with self.lock:
            return all(self.count[user_id] >= n for user_id, n in owed.items())

    def wait(self, owed: dict[str, int], timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while not self.reached(owed):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return True

    def settle(self) -> None:
        """Give late posts time to arrive once every member has had what they were owed: any still to come
        would be a duplicate, which `exactly` must count."""
        time.sleep(SETTLE)

    def exactly(self, owed: dict[str, int]) -> tuple[int, int, int]:
        """How many members got exactly what they were owed, more (duplicates), less (missing)."""
        with self.lock:
            got = [self.count[user_id] - n for user_id, n in owed.items()]
        return sum(d == 0 for d in got), sum(d > 0 for d in got), sum(d < 0 for d in got)
