"""The clock: scheduled summaries, rounds closing on their date, automatic reminders and retention.

It runs inside `python -m bot` by default, or alone as `python -m bot clock` for deployments with several
web processes. Every action is claimed in the database first (a unique row per schedule and slot, per round
closing, per member reminder and day), so two clocks, or a web process and a clock, never both post. A slot
missed while the bot was down is posted once on restart if it is less than 6 hours late.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from slack_sdk import WebClient

from storage.models import utcnow

from .schedules import ScheduleSpec

if TYPE_CHECKING:
    from .services import Services

log = logging.getLogger(__name__)

TICK_SECONDS = 30


class Clock:
    def __init__(
        self,
        services: Services,
        client_for: Callable[[str], WebClient | None],
        now: Callable[[], datetime] = utcnow,
        tick_seconds: float = TICK_SECONDS,
    ):
        self.services = services
        self.tick_seconds = tick_seconds
        self.client_for = client_for
        self.now = now
        self._scheduler = None

    def tick(self) -> None:
        """Do whatever is due now. Safe to call from several processes at once."""
        now = self.now()
        steps = (
            self.send_owed,
            self.show_stored_answers,
            self.post_scheduled_summaries,
            self.close_due_rounds,
            self.forget_idle_rate_limits,
            self.apply_retention,
            self.remind_action_owners,
        )
        for step in steps:
            try:
                step(now)
            except Exception:
                log.exception("clock step %s failed", step.__name__)
        self.services.reminders.run_automatic(self.client_for, now)

    def send_owed(self, now: datetime) -> int:
        """Whatever the outbox still owes (a crash, a restart, Slack failing): send it now."""
        return self.services.sender.flush_due(self.client_for)

    def show_stored_answers(self, now: datetime) -> int:
        """Prompts whose stored answer Slack does not show yet (the database went away in between)."""
        return self.services.walkthrough.show_pending_everywhere(self.client_for)

    def forget_idle_rate_limits(self, now: datetime) -> int:
        """A rate-limit bucket idle for an hour is full again: its row can go (one per member's DM)."""
        return self.services.pacer.slots.forget_stale()

    def remind_action_owners(self, now: datetime) -> int:
        """Owners of actions due soon, and due today, are reminded once each (bot/plan.py)."""
        return self.services.plan.remind_owners(now)

    def apply_retention(self, now: datetime) -> int:
        """Rounds closed longer ago than MATURITY_RETENTION_DAYS lose their individual answers (not their
        figures): results/data_protection.py."""
        return self.services.data_protection.apply_retention(now)

    def post_scheduled_summaries(self, now: datetime) -> int:
        posted = 0
        for schedule in self.services.stores.schedules.in_every_workspace():
            spec = ScheduleSpec(schedule.frequency, schedule.day, schedule.time, schedule.timezone)
            slot = spec.due_slot(now)
            if slot is None:
                continue
            round_ = self.services.stores.rounds.open_in_channel(schedule.team_id, schedule.channel_id)
            client = self.client_for(schedule.team_id)
            if round_ is None or client is None:
                continue
            posted += self.services.summaries.post_scheduled(client, round_, schedule.id, slot)
        return posted

    def close_due_rounds(self, now: datetime) -> int:
        closed = 0
        for round_ in self.services.stores.rounds.due_to_close(now):
            # An uninstalled workspace's round still closes, silently (no client: the summary stays owed).
            closed += self.services.summaries.close_round(self.client_for(round_.team_id), round_) is not None
        return closed

    def start(self) -> None:
        """Tick every `tick_seconds` (30 by default) in a background thread (APScheduler), starting now."""
        from apscheduler.schedulers.background import BackgroundScheduler

        self._scheduler = BackgroundScheduler(timezone=UTC)
        self._scheduler.add_job(
            self.tick, "interval", seconds=self.tick_seconds, next_run_time=self.now(), max_instances=1, coalesce=True
        )
        self._scheduler.start()
        log.info("Clock started: scheduled summaries, closing dates and reminders")

    def stop(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=True)
