"""The levels a team aims for: per channel and framework (so they carry over to the channel's next round),
and per round (the targets in force in it, which never change once it has closed)."""

from __future__ import annotations

from sqlalchemy import Engine, delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from .kinds import RoundStatus
from .models import Round, RoundTarget, Target, utcnow


class TargetStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def for_channel(self, team_id: str, channel_id: str, framework_id: str) -> dict[str, int]:
        with Session(self.engine) as session:
            rows = session.exec(
                select(Target).where(
                    Target.team_id == team_id, Target.channel_id == channel_id, Target.framework_id == framework_id
                )
            )
            return {t.area_id: t.level for t in rows}

    def for_round(self, round_: Round) -> dict[str, int]:
        """The targets in force in a round."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(RoundTarget).where(RoundTarget.team_id == round_.team_id, RoundTarget.round_id == round_.id)
            )
            return {t.area_id: t.level for t in rows}

    def replace(
        self, team_id: str, channel_id: str, framework_id: str, targets: dict[str, int | None], set_by: str
    ) -> None:
        """Replace the channel's targets (areas mapped to None lose theirs), and with them, in the same
        transaction, those of the channel's open round; closed rounds keep theirs."""
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
                    row = Target(
                        team_id=team_id,
                        channel_id=channel_id,
                        framework_id=framework_id,
                        area_id=area_id,
                        level=level,
                        set_by=set_by,
                    )
                else:
                    row.level, row.set_by, row.updated_at = level, set_by, utcnow()
                session.add(row)
            self._apply_to_open_round(session, team_id, channel_id, framework_id, targets)
            try:
                session.commit()
            except IntegrityError:  # someone saved at the same moment: theirs stands, ours is retried once
                session.rollback()
                self.replace(team_id, channel_id, framework_id, targets, set_by)

    @staticmethod
    def _apply_to_open_round(session: Session, team_id: str, channel_id: str, framework_id: str, targets) -> None:
        round_id = session.exec(
            select(Round.id).where(
                Round.team_id == team_id,
                Round.channel_id == channel_id,
                Round.framework_id == framework_id,
                Round.status == RoundStatus.OPEN,
            )
        ).first()
        if round_id is None:
            return
        session.exec(
            delete(RoundTarget).where(
                RoundTarget.team_id == team_id,
                RoundTarget.round_id == round_id,
                RoundTarget.area_id.in_(list(targets)),
            )
        )
        session.add_all(
            RoundTarget(team_id=team_id, round_id=round_id, area_id=area_id, level=level)
            for area_id, level in targets.items()
            if level is not None
        )
