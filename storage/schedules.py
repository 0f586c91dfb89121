"""Schedules, claimed slots and reminders: what the clock needs to post each thing exactly once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from .kinds import ClaimKind, ReminderReason
from .models import OutboxMessage, Participant, Reminder, Schedule, ScheduledRun
from .outbox import Owed, add_owed

_CLAIMED = True  # what a claim without a message returns to its one winner


class ScheduleStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def schedule(self, team_id: str, channel_id: str) -> Schedule | None:
        with Session(self.engine) as session:
            return session.exec(
                select(Schedule).where(Schedule.team_id == team_id, Schedule.channel_id == channel_id)
            ).first()

    def in_every_workspace(self) -> list[Schedule]:
        """Every workspace's schedules: the clock's round."""
        with Session(self.engine) as session:
            return list(session.exec(select(Schedule).order_by(Schedule.id)))

    def set_schedule(
        self,
        team_id: str,
        channel_id: str,
        *,
        frequency: str,
        day: str | None,
        time: str,
        timezone: str,
        created_by: str,
    ) -> Schedule:
        with Session(self.engine) as session:
            schedule = session.exec(
                select(Schedule).where(Schedule.team_id == team_id, Schedule.channel_id == channel_id)
            ).first() or Schedule(
                team_id=team_id,
                channel_id=channel_id,
                frequency=frequency,
                time=time,
                timezone=timezone,
                created_by=created_by,
            )
            schedule.frequency, schedule.day, schedule.time = frequency, day, time
            schedule.timezone, schedule.created_by = timezone, created_by
            session.add(schedule)
            session.commit()
            session.refresh(schedule)
            return schedule

    def remove_schedule(self, team_id: str, channel_id: str) -> bool:
        with Session(self.engine) as session:
            schedule = session.exec(
                select(Schedule).where(Schedule.team_id == team_id, Schedule.channel_id == channel_id)
            ).first()
            if schedule is None:
                return False
            session.delete(schedule)
            session.commit()
            return True

    def claim(
        self,
        team_id: str,
        kind: ClaimKind,
        key: str,
        slot: datetime,
        *,
        owed: Owed | None = None,
        reminder: tuple[int, str, ReminderReason] | None = None,
    ) -> OutboxMessage | None:
        """Claim one slot of one thing (a scheduled summary, a member's reminder on a day) and, in the same
        transaction, record the message it makes owed (and, for a reminder, that the member was reminded).

        Exactly one caller, in any number of processes sharing the database, gets the owed message back (or,
        without `owed`, a truthy value); the others get None. A crash after the commit leaves the message in
        the outbox, so it is sent later; a crash before it leaves the slot unclaimed, so it is claimed again.
        """
        with Session(self.engine) as session:
            session.add(ScheduledRun(team_id=team_id, kind=kind, key=key, slot=slot))
            message = add_owed(session, team_id, owed) if owed is not None else None
            if reminder is not None:
                round_id, user_id, reason = reminder
                session.add(Reminder(team_id=team_id, round_id=round_id, user_id=user_id, reason=reason))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()
                return None
            if message is None:
                return _CLAIMED
            session.refresh(message)
            return message

    # -- reminders -------------------------------------------------------------------------------------

    def last_reminded(self, team_id: str, round_id: int) -> dict[str, datetime]:
        """When each member of a round was last reminded."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(Reminder.user_id, func.max(Reminder.sent_at))
                .where(Reminder.team_id == team_id, Reminder.round_id == round_id)
                .group_by(Reminder.user_id)
            )
            return dict(rows.all())

    def record_reminder(
        self, team_id: str, round_id: int, user_id: str, reason: ReminderReason, owed: Owed
    ) -> OutboxMessage:
        """A reminder a facilitator asked for: the owed message and the record that the member was reminded,
        in one transaction."""
        with Session(self.engine) as session:
            message = add_owed(session, team_id, owed)
            session.add(Reminder(team_id=team_id, round_id=round_id, user_id=user_id, reason=reason))
            session.commit()
            session.refresh(message)
            return message

    def stop_reminders(self, team_id: str, round_id: int, user_id: str) -> bool:
        with Session(self.engine) as session:
            participant = session.exec(
                select(Participant).where(
                    Participant.team_id == team_id, Participant.round_id == round_id, Participant.user_id == user_id
                )
            ).first()
            if participant is None:
                return False
            participant.reminders_off = True
            session.add(participant)
            session.commit()
            return True
