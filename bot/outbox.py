"""Sending what the outbox holds: paced, retried, and never twice.

Every owed message (kick-offs, prompts, reminders, summaries) goes out through `Sender.deliver`. The
message carries its idempotency key as Slack message metadata. When a message is sent again after an
earlier attempt (the process was killed, the answer was lost, Slack failed), the sender first looks in the
conversation for a message with that key, and only posts when Slack does not have it yet.

Pacing: at most `channel_rate` messages per second into one channel (Slack's published limit for
chat.postMessage, with a short burst allowed) and `workspace_rate` per second per workspace. On top of that
the WebClient's RateLimitErrorRetryHandler waits out any 429's Retry-After, and what still fails stays owed.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
from urllib.error import URLError
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from storage.models import OutboxMessage, utcnow
from storage.outbox import OutboxStore

log = logging.getLogger(__name__)

T = TypeVar("T")
METADATA_EVENT = "maturity_outbox"
HISTORY_LOOKBACK = 200
AfterSend = Callable[[WebClient, OutboxMessage, str, str], None]


class Pacer:
    """Token buckets per channel and per workspace; `wait` blocks until a message may go."""

    def __init__(self, channel_rate: float = 1.0, workspace_rate: float = 19.0, burst: int = 3,
                 clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep):
        self.channel_interval = 1.0 / channel_rate
        self.workspace_interval = 1.0 / workspace_rate
        self.burst = burst
        self.clock, self.sleep = clock, sleep
        self._channel_next: dict[tuple[str, str], float] = {}
        self._workspace_next: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, team_id: str, channel: str, *, bulk: bool = True) -> float:
        """Reserve the next slot for this channel (and, for bulk sends, the workspace); sleep until it
        comes. Returns the wait. A member's next prompt is not bulk: it answers their own click, so only
        the per-channel limit applies to it and it never queues behind a kick-off."""
        with self._lock:
            now = self.clock()
            credit = (self.burst - 1) * self.channel_interval  # an idle channel may take a short burst
            ready = max(self._channel_next.get((team_id, channel), now - credit), now - credit)
            slot = max(now, ready, self._workspace_next.get(team_id, now) if bulk else now)
            self._channel_next[(team_id, channel)] = max(ready, slot - credit) + self.channel_interval
            if bulk:
                self._workspace_next[team_id] = slot + self.workspace_interval
        delay = slot - now
        if delay > 0:
            self.sleep(delay)
        return max(delay, 0.0)

    def done(self, team_id: str, channel: str) -> None:
        """A post has just completed. Slack counts a channel's posts from when it handled them (after any
        retry), so the channel's next post waits a full interval from now; the workspace pace stays on its
        schedule (Slack allows short bursts), so a long run of kick-offs goes at the chosen rate."""
        with self._lock:
            now = self.clock()
            key = (team_id, channel)
            self._channel_next[key] = max(self._channel_next.get(key, now), now + self.channel_interval - (self.burst - 1) * self.channel_interval)

    def paced(self, team_id: str, channel: str, post: Callable[[], T], *, bulk: bool = True) -> T:
        """Run one post within the limits."""
        self.wait(team_id, channel, bulk=bulk)
        try:
            return post()
        finally:
            self.done(team_id, channel)


QUICK_RETRIES = 2


def safe_to_repeat_only(client: WebClient) -> WebClient:
    """The same client without the SDK's blind retries of connection errors and 5xx answers: Slack may
    have posted the message before either, so the sender retries those itself, after looking first.
    Retries of 429s stay (a throttled call was not carried out)."""
    handlers = [h for h in (client.retry_handlers or []) if isinstance(h, RateLimitErrorRetryHandler)]
    return WebClient(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        headers=client.headers,
        team_id=getattr(client, "team_id", None),
        logger=client.logger,
        retry_handlers=handlers,
    )


def _may_have_been_done(error: Exception) -> bool:
    """A broken connection, a timeout or a 5xx: the post may or may not have happened."""
    if isinstance(error, SlackApiError):
        return error.response.status_code >= 500
    return isinstance(error, (OSError, TimeoutError, URLError, http.client.HTTPException))


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(300, 5 * 2 ** max(attempts - 1, 0)))


def describe_error(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return f"Slack answered {error.response.get('error')} (HTTP {error.response.status_code})"
    return f"{type(error).__name__}: {error}"


class Sender:
    def __init__(self, outbox: OutboxStore, pacer: Pacer):
        self.outbox = outbox
        self.pacer = pacer
        self.after_send: dict[str, AfterSend] = {}

    def deliver(self, client: WebClient, message_id: int) -> str | None:
        """Send one owed message now if nobody else is; its ts, or None while it is still owed."""
        message = self.outbox.lease(message_id)
        if message is None:
            current = self.outbox.get(message_id)
            return current.ts if current else None
        return self._send(client, message)

    def flush_due(self, client_for: Callable[[str], WebClient | None], limit: int = 500) -> int:
        """Send whatever is owed and due (after a restart, after failures). Returns how many went out."""
        sent = 0
        for message in self.outbox.due(limit=limit):
            client = client_for(message.team_id)
            if client is not None and self.deliver(client, message.id):
                sent += 1
        return sent

    def _send(self, client: WebClient, message: OutboxMessage) -> str | None:
        client = safe_to_repeat_only(client)
        try:
            found = self._already_in_slack(client, message) if message.attempts > 1 else None
            for attempt in range(QUICK_RETRIES + 1):
                if found is not None:
                    break
                try:
                    found = self._post(client, message)
                except Exception as error:  # noqa: BLE001
                    if attempt == QUICK_RETRIES or not _may_have_been_done(error):
                        raise
                    # Slack may have posted it before the connection broke: look before posting again.
                    time.sleep(0.2 * 2**attempt)
                    found = self._already_in_slack(client, message)
        except Exception as error:  # noqa: BLE001 (whatever went wrong, the message stays owed)
            reason = describe_error(error)
            self.outbox.mark_failed(message.id, reason, utcnow() + backoff(message.attempts))
            log.warning("message %s still owed after attempt %d: %s", message.key, message.attempts, reason)
            return None
        channel, ts = found
        self.outbox.mark_sent(message.id, channel, ts)
        hook = self.after_send.get(message.kind)
        if hook is not None:
            try:
                hook(client, message, channel, ts)
            except Exception:  # noqa: BLE001
                log.exception("follow-up of message %s failed", message.key)
        return ts

    def _post(self, client: WebClient, message: OutboxMessage) -> tuple[str, str]:
        response = self.pacer.paced(
            message.team_id,
            message.channel,
            lambda: client.chat_postMessage(
                channel=message.channel,
                thread_ts=message.thread_ts,
                text=message.text,
                blocks=json.loads(message.blocks) if message.blocks else None,
                metadata={"event_type": METADATA_EVENT, "event_payload": {"key": message.key}},
            ),
            bulk=message.kind != "prompt",
        )
        return response["channel"], response["ts"]

    def _already_in_slack(self, client: WebClient, message: OutboxMessage) -> tuple[str, str] | None:
        """Find a message carrying this key in its conversation: (channel, ts), or None."""
        channel = message.channel
        if channel.startswith(("U", "W")):
            channel = client.conversations_open(users=channel)["channel"]["id"]
        if message.thread_ts:
            response = client.conversations_replies(channel=channel, ts=message.thread_ts, limit=HISTORY_LOOKBACK, include_all_metadata=True)
        else:
            response = client.conversations_history(channel=channel, limit=HISTORY_LOOKBACK, include_all_metadata=True)
        for posted in response.get("messages", []):
            payload = (posted.get("metadata") or {}).get("event_payload") or {}
            if payload.get("key") == message.key:
                return channel, posted["ts"]
        return None
