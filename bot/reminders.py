"""Reminders in members' threads: on the facilitator's request, and automatically (idle members, and two
days before a round's closing date), never more than one per member per 24 hours."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from slack_sdk import WebClient

from storage import Stores
from storage.kinds import ClaimKind, MessageKind, ReminderReason
from storage.models import Participant, Round
from storage.outbox import Owed

from . import outbox_keys
from .blocks import walkthrough as blocks
from .outbox import Sender
from .walkthrough import Walkthrough

log = logging.getLogger(__name__)

IDLE_AFTER = timedelta(days=3)
CLOSING_SOON = timedelta(days=2)
AT_MOST_EVERY = timedelta(hours=24)


@dataclass
class Reminders:
    stores: Stores
    walkthrough: Walkthrough
    sender: Sender

    def remind(
        self, client: WebClient, round_: Round, participant: Participant, reason: ReminderReason, key: str | None = None
    ) -> bool:
        """Nudge one member in their thread (through the outbox: owed until Slack has it); False when there
        is nothing to nudge about or they opted out."""
        if participant.reminders_off:
            return False
        progress = self.walkthrough.progress(round_, participant.user_id)
        if progress.complete:
            return False
        if participant.thread_ts is None:
            participant = self.walkthrough.send_parent(client, round_, participant)
            if participant.thread_ts is None:
                return False
        text, message_blocks = blocks.reminder_message(
            round_id=round_.id,
            channel_id=round_.channel_id,
            progress=progress,
            closes_on=f"{round_.closes_on:%-d %B %Y}" if round_.closes_on else None,
        )
        key = key or outbox_keys.reminder(round_.id, participant.user_id)
        message = self.stores.outbox.enqueue(
            round_.team_id,
            Owed(key=key, kind=MessageKind.REMINDER, ref_id=participant.id, channel=participant.dm_channel_id, thread_ts=participant.thread_ts, text=text, blocks=message_blocks),
        )
        self.stores.schedules.record_reminder(round_.team_id, round_.id, participant.user_id, reason)
        self.sender.deliver(client, message.id)
        return True

    def remind_unfinished(self, client: WebClient, round_: Round) -> int:
        """The facilitator's `/maturity remind`: every unfinished member, now."""
        return sum(
            self.remind(client, round_, participant, ReminderReason.FACILITATOR)
            for participant in self.stores.answers.participants(round_.team_id, round_.id)
        )

    def run_automatic(self, client_for: Callable[[str], WebClient | None], now: datetime) -> int:
        """The clock's reminders for every open round; each claimed in the database, so that several
        clock processes send each one once."""
        sent = 0
        for round_ in self.stores.rounds.open_in_every_workspace():
            client = client_for(round_.team_id)
            if client is None:
                continue
            closing_soon = round_.closes_at is not None and now >= round_.closes_at - CLOSING_SOON
            if closing_soon:
                closing_soon = self.stores.schedules.claim(round_.team_id, ClaimKind.CLOSING_SOON, str(round_.id), round_.closes_at)
            last = self.stores.schedules.last_reminded(round_.team_id, round_.id)
            for participant in self.stores.answers.participants(round_.team_id, round_.id):
                if participant.reminders_off or participant.completed_at is not None:
                    continue
                if participant.user_id in last and now - last[participant.user_id] < AT_MOST_EVERY:
                    continue
                idle_since = participant.last_active_at or participant.created_at
                reason = ReminderReason.CLOSING_SOON if closing_soon else (ReminderReason.IDLE if now - idle_since >= IDLE_AFTER else None)
                if reason is None:
                    continue
                day = now.replace(hour=0, minute=0, second=0, microsecond=0)
                if not self.stores.schedules.claim(round_.team_id, ClaimKind.REMINDER, f"{round_.id}:{participant.user_id}", day):
                    continue
                key = outbox_keys.reminder(round_.id, participant.user_id, day=day.date())
                try:
                    sent += self.remind(client, round_, participant, reason, key)
                except Exception:  # noqa: BLE001 (one member's failure must not stop the others)
                    log.exception("reminder to %s in round %s failed", participant.user_id, round_.id)
        return sent
