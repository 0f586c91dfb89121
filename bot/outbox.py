"""Sending what the outbox holds: paced, retried, and never twice.

Every owed message (kick-offs, prompts, reminders, summaries and what follows them, files) goes out through
`Sender.deliver`. The
message carries its idempotency key as Slack message metadata. When a message is sent again after an
earlier attempt (the process was killed, the answer was lost, Slack failed), the sender first looks in the
conversation for a message with that key, and only posts when Slack does not have it yet.

Several senders may work side by side, in one process or in many: each takes the next due message with
`OutboxStore.claim_due` (one statement; SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL), so no two ever
hold the same message. Pacing is the client's: every call goes through bot.pacing's limits, shared by every
process; what still fails stays owed.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from storage.group_commit import Write
from storage.kinds import MessageKind
from storage.models import OutboxMessage, utcnow
from storage.outbox import OutboxStore, Owed

from . import outbox_keys
from .pacing import Pacer, copy_client, paced

log = logging.getLogger(__name__)

METADATA_EVENT = "maturity_outbox"
HISTORY_LOOKBACK = 200


QUICK_RETRIES = 2


def safe_to_repeat_only(client: WebClient) -> WebClient:
    """The same client without the SDK's blind retries of connection errors and 5xx answers: Slack may
    have posted the message before either, so the sender retries those itself, after looking first.
    Retries of 429s stay (a throttled call was not carried out)."""
    handlers = [h for h in (client.retry_handlers or []) if isinstance(h, RateLimitErrorRetryHandler)]
    return copy_client(client, retry_handlers=handlers)


def _may_have_been_done(error: Exception) -> bool:
    """A broken connection, a timeout or a 5xx: the post may or may not have happened."""
    if isinstance(error, SlackApiError):
        return error.response.status_code >= 500
    return isinstance(error, (OSError, TimeoutError, URLError, http.client.HTTPException))


class SlowSlack(Exception):
    """A post timed out: Slack may post it later, so it must not be posted again straight away."""


def _timed_out(error: Exception) -> bool:
    if isinstance(error, TimeoutError):
        return True
    return isinstance(error, URLError) and isinstance(error.reason, TimeoutError)


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(300, 5 * 2 ** max(attempts - 1, 0)))


def describe_error(error: Exception) -> str:
    if isinstance(error, SlackApiError):
        return f"Slack answered {error.response.get('error')} (HTTP {error.response.status_code})"
    return f"{type(error).__name__}: {error}"


@dataclass(frozen=True)
class FileContent:
    """What a file row uploads: drawn when it is sent (the row holds only what it is and its file name).
    `more` are further files shared in the same message, under `comment`."""

    content: bytes
    title: str
    alt_text: str | None = None
    more: tuple[tuple[str, bytes], ...] = ()
    comment: str | None = None


FollowUps = Callable[[OutboxMessage, str, str], list[Owed]]
DrawFile = Callable[[WebClient, OutboxMessage], FileContent]
# What a caller does in Slack once its message is there, returning statements for the sent mark's transaction.
Meanwhile = Callable[[], Sequence[Write]]


class Sender:
    """Sends owed messages: text messages with their key as metadata, and files.

    `follow_ups[kind](message, channel, ts)` says what a message's being in Slack makes owed (a long
    summary's rest and its chart, in its thread): they are recorded in the same transaction that marks the
    message sent, so a crash can never lose them. `files[what](client, message)` draws a file row's content
    (what: outbox_keys.parse(key).file, e.g. "chart"). A file carries no metadata, so before uploading one
    again the sender looks in the conversation for a file of its name that no other row has sent (a file
    row's ts is the Slack id of the file it sent).
    """

    def __init__(self, outbox: OutboxStore, pacer: Pacer, slow_post_grace: timedelta = timedelta(seconds=60)):
        self.outbox = outbox
        self.pacer = pacer
        self.slow_post_grace = slow_post_grace
        self.follow_ups: dict[MessageKind, FollowUps] = {}
        self.files: dict[str, DrawFile] = {}
        # The leases this process holds (message id -> attempt), renewed by one background thread.
        self._held: dict[int, int] = {}
        self._held_lock = threading.Lock()
        self._renewer: threading.Thread | None = None

    def deliver(self, client: WebClient, message_id: int) -> str | None:
        """Send one owed message now if nobody else is; its ts (a file's id), or None while it is still owed."""
        message = self.outbox.lease(message_id)
        if message is None:
            current = self.outbox.get(message_id)
            return current.ts if current else None
        return self.send_leased(client, message)

    def send_leased(self, client: WebClient, message: OutboxMessage, meanwhile: Meanwhile | None = None) -> str | None:
        """Send a message this process already holds the lease of: one it enqueued born leased in the
        transaction that made it owed (a member's next prompt), so no transaction stands before the post.
        `meanwhile` runs once the message is in Slack, before it is marked sent, and returns statements to
        run in that transaction (a click shows the answered prompt there: one commit instead of two)."""
        self._hold(message)
        try:
            return self._send(client, message, meanwhile)
        finally:
            self._release(message)

    # -- leases ----------------------------------------------------------------------------------------
    # The lease is short (storage.outbox.LEASE, 15 s by default) so that a message a killed process had
    # leased is taken over soon after a restart (the clock's next tick). A live sender renews the leases
    # it holds every third of that, so a slow Slack (timeouts, retries, pacing) never lets another process
    # send the same message alongside it.

    def _hold(self, message: OutboxMessage) -> None:
        with self._held_lock:
            self._held[message.id] = message.attempts
            if self._renewer is None or not self._renewer.is_alive():
                self._renewer = threading.Thread(target=self._renew_leases, name="outbox-lease", daemon=True)
                self._renewer.start()

    def _release(self, message: OutboxMessage) -> None:
        with self._held_lock:
            if self._held.get(message.id) == message.attempts:
                del self._held[message.id]

    def _renew_leases(self) -> None:
        interval = max(self.outbox.lease_time.total_seconds() / 3, 0.05)
        while True:
            time.sleep(interval)
            with self._held_lock:
                held = dict(self._held)
                if not held:
                    self._renewer = None
                    return
            try:
                self.outbox.renew(held)
            except Exception as error:
                log.warning("could not renew %d outbox lease(s): %s", len(held), type(error).__name__)

    def send_next(self, client_for: Callable[[str], WebClient | None], *, team_id: str | None = None) -> bool | None:
        """Claim the oldest due message (of one workspace, or of any) and send it: True when it went out,
        False when it is still owed, None when nothing was due. A workspace with no client (uninstalled,
        or its installation out of reach) keeps its messages owed, tried again later."""
        claimed = self.outbox.claim_due(team_id=team_id)
        if not claimed:
            return None
        message = claimed[0]
        client = client_for(message.team_id)
        if client is None:
            self.outbox.mark_failed(message.id, "no token for the workspace", utcnow() + backoff(message.attempts))
            return False
        return self.send_leased(client, message) is not None

    def flush_due(self, client_for: Callable[[str], WebClient | None], limit: int = 500) -> int:
        """Send whatever is owed and due, up to `limit` messages (after a restart, after failures). Returns
        how many went out."""
        sent = 0
        for _ in range(limit):
            outcome = self.send_next(client_for)
            if outcome is None:
                break
            sent += outcome
        return sent

    def _send(self, client: WebClient, message: OutboxMessage, meanwhile: Meanwhile | None = None) -> str | None:
        careful = self.pacer.derived.get("careful", client, lambda c: safe_to_repeat_only(paced(c, self.pacer)))
        try:
            found = self._already_in_slack(careful, message) if message.attempts > 1 else None
            for attempt in range(QUICK_RETRIES + 1):
                if found is not None:
                    break
                try:
                    found = self._post(careful, message)
                except Exception as error:
                    if _timed_out(error):
                        raise SlowSlack() from error
                    if attempt == QUICK_RETRIES or not _may_have_been_done(error):
                        raise
                    # Slack may have posted it before the connection broke: look before posting again.
                    time.sleep(0.2 * 2**attempt)
                    found = self._already_in_slack(careful, message)
        except SlowSlack:
            # Slack may still post it, long after the answer was due: look only once that time has passed.
            self.outbox.mark_failed(message.id, "Slack did not answer in time", utcnow() + self.slow_post_grace)
            log.warning(
                "message %s: Slack did not answer in time; looking again in %s", message.key, self.slow_post_grace
            )
            return None
        except Exception as error:  # whatever went wrong, the message stays owed
            reason = describe_error(error)
            self.outbox.mark_failed(message.id, reason, utcnow() + backoff(message.attempts))
            log.warning("message %s still owed after attempt %d: %s", message.key, message.attempts, reason)
            return None
        channel, ts = found
        follow_ups = []
        hook = self.follow_ups.get(message.kind)
        if hook is not None:
            try:
                follow_ups = hook(message, channel, ts)
            except Exception:
                log.exception("could not prepare what follows message %s", message.key)
        also = []
        if meanwhile is not None:
            try:
                also = list(meanwhile())
            except Exception:
                log.exception("what follows message %s in Slack failed", message.key)
        for follow_up in self.outbox.mark_sent(message, channel, ts, follow_ups, also):
            self.deliver(client, follow_up.id)
        return ts

    def _post(self, client: WebClient, message: OutboxMessage) -> tuple[str, str]:
        if message.kind == MessageKind.FILE:
            return self._upload(client, message)
        response = client.chat_postMessage(
            channel=message.channel,
            thread_ts=message.thread_ts,
            text=message.text,
            blocks=json.loads(message.blocks) if message.blocks else None,
            metadata={"event_type": METADATA_EVENT, "event_payload": {"key": message.key}},
        )
        return response["channel"], response["ts"]

    def _upload(self, client: WebClient, message: OutboxMessage) -> tuple[str, str]:
        """files_upload_v2 (files.getUploadURLExternal, the upload, files.completeUploadExternal)."""
        what = outbox_keys.parse(message.key).file
        drawn = self.files[what](client, message)
        channel = self._conversation(client, message.channel)
        if drawn.more:
            uploads = [{"content": drawn.content, "filename": message.text, "title": drawn.title}]
            uploads += [{"content": content, "filename": name, "title": name} for name, content in drawn.more]
            options = {"file_uploads": uploads}
        else:
            options = {
                "content": drawn.content,
                "filename": message.text,
                "title": drawn.title,
                "alt_txt": drawn.alt_text,
            }
        response = client.files_upload_v2(
            channel=channel, thread_ts=message.thread_ts, initial_comment=drawn.comment, **options
        )
        return channel, (response.get("file") or response["files"][0])["id"]

    @staticmethod
    def _conversation(client: WebClient, channel: str) -> str:
        """A user id stands for the member's direct messages with the bot."""
        if channel.startswith(("U", "W")):
            return client.conversations_open(users=channel)["channel"]["id"]
        return channel

    def _already_in_slack(self, client: WebClient, message: OutboxMessage) -> tuple[str, str] | None:
        """Find this message in its conversation: (channel, ts; a file's id), or None. Messages carry their key
        as metadata; a file is known by its file name and by not being a file that another row sent."""
        channel = self._conversation(client, message.channel)
        if message.thread_ts:
            response = client.conversations_replies(
                channel=channel, ts=message.thread_ts, limit=HISTORY_LOOKBACK, include_all_metadata=True
            )
        else:
            response = client.conversations_history(channel=channel, limit=HISTORY_LOOKBACK, include_all_metadata=True)
        for posted in response.get("messages", []):
            if message.kind == MessageKind.FILE:
                for shared in posted.get("files") or []:
                    # The same name may be an earlier export's: a file another row sent is not this one.
                    if shared.get("name") == message.text and not self.outbox.sent_file(message.team_id, shared["id"]):
                        return channel, shared["id"]
                continue
            payload = (posted.get("metadata") or {}).get("event_payload") or {}
            if payload.get("key") == message.key:
                return channel, posted["ts"]
        return None
