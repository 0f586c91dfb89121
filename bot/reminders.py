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
        self,
        client: WebClient,
        round_: Round,
        participant: Participant,
        reason: ReminderReason,
        claim: tuple[ClaimKind, str, datetime] | None = None,
    ) -> bool:
        """Nudge one member in their thread; False when there is nothing to nudge about, they opted out, or
        (for the clock's reminders, which pass the slot to `claim`) another process has claimed it.

        The owed message, the record that the member was reminded and (for the clock) the claimed slot are
        written in one transaction, then sent: killed at any point, the reminder is sent once or not claimed."""
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
        owed = Owed(
            key=outbox_keys.reminder(round_.id, participant.user_id, occasion=claim[2] if claim else None),
            kind=MessageKind.REMINDER,
            ref_id=participant.id,
            channel=participant.dm_channel_id,
            thread_ts=participant.thread_ts,
            text=text,
            blocks=message_blocks,
        )
        schedules = self.stores.schedules
        if claim is None:
            message = schedules.record_reminder(round_.team_id, round_.id, participant.user_id, reason, owed)
        else:
            kind, claim_key, slot = claim
            reminded = (round_.id, participant.user_id, reason)
            message = schedules.claim(round_.team_id, kind, claim_key, slot, owed=owed, reminder=reminded)
            if message is None:
                return False
        self.sender.deliver(client, message.id)
        return True

    def remind_unfinished(self, client: WebClient, round_: Round) -> int:
        """The facilitator's `/maturity remind`: every unfinished member, now."""
        return sum(
            self.remind(client, round_, participant, ReminderReason.FACILITATOR)
            for participant in self.stores.answers.participants(round_.team_id, round_.id)
        )

    def run_automatic(self, client_for: Callable[[str], WebClient | None], now: datetime) -> int:
        """The clock's reminders for every open round: two days before it closes (once per member), and to
        members idle for three days (at most once a day); each claimed in the database with its message, so
        that several clock processes send each one once."""
        sent = 0
        day = now.replace(hour=0, minute=0, second=0, microsecond=0)
        for round_ in self.stores.rounds.open_in_every_workspace():
            client = client_for(round_.team_id)
            if client is None:
                continue
            closing_soon = round_.closes_at is not None and now >= round_.closes_at - CLOSING_SOON
            last = self.stores.schedules.last_reminded(round_.team_id, round_.id)
            for participant in self.stores.answers.participants(round_.team_id, round_.id):
                if participant.reminders_off or participant.completed_at is not None:
                    continue
                if participant.user_id in last and now - last[participant.user_id] < AT_MOST_EVERY:
                    continue
                member = f"{round_.id}:{participant.user_id}"
                idle_since = participant.last_active_at or participant.created_at
                if closing_soon:
                    reason, claim = ReminderReason.CLOSING_SOON, (ClaimKind.CLOSING_SOON, member, round_.closes_at)
                elif now - idle_since >= IDLE_AFTER:
                    reason, claim = ReminderReason.IDLE, (ClaimKind.REMINDER, member, day)
                else:
                    continue
                try:
                    sent += self.remind(client, round_, participant, reason, claim)
                except Exception:
                    log.exception("reminder to %s in round %s failed", participant.user_id, round_.id)
        return sent
