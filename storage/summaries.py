"""Queries behind team summaries: chosen levels per area, targets, the previous round, closing."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import Engine, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from .models import Answer, Participant, Round, Target, utcnow


class SummaryStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def level_counts(self, team_id: str, round_id: int) -> dict[str, dict[int, int]]:
        """How many members chose each level per area: one GROUP BY, done by the database."""
        counts: dict[str, dict[int, int]] = defaultdict(dict)
        with Session(self.engine) as session:
            rows = session.exec(
                select(Answer.area_id, Answer.level, func.count())
                .where(Answer.team_id == team_id, Answer.round_id == round_id)
                .group_by(Answer.area_id, Answer.level)
            )
            for area_id, level, count in rows:
                counts[area_id][level] = count
        return dict(counts)

    def participation(self, team_id: str, round_id: int) -> tuple[int, int, int]:
        """(members, complete, started) for a round: one query on the participant table, whose activity and
        completion the answer and prompt writes keep up to date."""
        with Session(self.engine) as session:
            members, complete, started = session.exec(
                select(func.count(), func.count(Participant.completed_at), func.count(Participant.last_active_at)).where(
                    Participant.team_id == team_id, Participant.round_id == round_id
                )
            ).one()
        return members, complete, started

    def previous_round(self, round_: Round) -> Round | None:
        """The channel's last closed round before this one, with the same framework."""
        with Session(self.engine) as session:
            return session.exec(
                select(Round)
                .where(
                    Round.team_id == round_.team_id,
                    Round.channel_id == round_.channel_id,
                    Round.framework_id == round_.framework_id,
                    Round.status == "closed",
                    col(Round.id) < round_.id,
                )
                .order_by(col(Round.id).desc())
            ).first()

    def round_number(self, round_: Round) -> int:
        """1 for a channel's first round, 2 for its second..."""
        with Session(self.engine) as session:
            return session.exec(
                select(func.count()).select_from(Round).where(
                    Round.team_id == round_.team_id, Round.channel_id == round_.channel_id, col(Round.id) <= round_.id
                )
            ).one()

    def round_by_number(self, team_id: str, channel_id: str, number: int) -> Round | None:
        """The channel's Nth round (1 = its first)."""
        if number < 1:
            return None
        with Session(self.engine) as session:
            return session.exec(
                select(Round)
                .where(Round.team_id == team_id, Round.channel_id == channel_id)
                .order_by(col(Round.id))
                .offset(number - 1)
            ).first()

    def latest_round(self, team_id: str, channel_id: str) -> Round | None:
        """The channel's newest round, open or closed."""
        with Session(self.engine) as session:
            return session.exec(
                select(Round)
                .where(Round.team_id == team_id, Round.channel_id == channel_id)
                .order_by(col(Round.id).desc())
            ).first()

    # -- targets ---------------------------------------------------------------------------------------

    def targets(self, team_id: str, channel_id: str, framework_id: str) -> dict[str, int]:
        with Session(self.engine) as session:
            rows = session.exec(
                select(Target).where(
                    Target.team_id == team_id, Target.channel_id == channel_id, Target.framework_id == framework_id
                )
            )
            return {t.area_id: t.level for t in rows}

    def set_targets(self, team_id: str, channel_id: str, framework_id: str, targets: dict[str, int | None], set_by: str) -> None:
        """Replace the channel's targets: areas mapped to None lose theirs."""
        with Session(self.engine) as session:
            existing = {
                t.area_id: t
                for t in session.exec(
                    select(Target).where(
                        Target.team_id == team_id, Target.channel_id == channel_id, Target.framework_id == framework_id
                    )
                )
            }
            for area_id, level in targets.items():
                row = existing.get(area_id)
                if level is None:
                    if row is not None:
                        session.delete(row)
                    continue
                if row is None:
                    row = Target(team_id=team_id, channel_id=channel_id, framework_id=framework_id, area_id=area_id, level=level, set_by=set_by)
                else:
                    row.level, row.set_by, row.updated_at = level, set_by, utcnow()
                session.add(row)
            try:
                session.commit()
            except IntegrityError:  # someone saved at the same moment: theirs stands, ours is retried once
                session.rollback()
                self.set_targets(team_id, channel_id, framework_id, targets, set_by)

    # -- closing ---------------------------------------------------------------------------------------

    def set_closing(self, team_id: str, round_id: int, closes_on: date, closes_at: datetime, timezone: str) -> None:
        with Session(self.engine) as session:
            round_ = session.exec(select(Round).where(Round.team_id == team_id, Round.id == round_id)).one()
            round_.closes_on, round_.closes_at, round_.timezone = closes_on, closes_at, timezone
            session.add(round_)
            session.commit()

    def close_round(self, team_id: str, round_id: int) -> Round | None:
        """Close an open round. A conditional UPDATE, so that of several callers (a command and the clock,
        two processes) exactly one gets the round back and posts the final summary; the others get None."""
        with Session(self.engine) as session:
            result = session.exec(
                update(Round)
                .where(Round.team_id == team_id, Round.id == round_id, Round.status == "open")
                .values(status="closed", closed_at=utcnow())
            )
            session.commit()
            if result.rowcount != 1:
                return None
            return session.get(Round, round_id)

    def rounds_due_to_close(self, now: datetime) -> list[Round]:
        with Session(self.engine) as session:
            return list(
                session.exec(
                    select(Round).where(Round.status == "open", col(Round.closes_at).is_not(None), col(Round.closes_at) <= now)
                )
            )

    def open_rounds(self) -> list[Round]:
        """Every open round of every workspace (for the clock's reminders)."""
        with Session(self.engine) as session:
            return list(session.exec(select(Round).where(Round.status == "open").order_by(Round.id)))
