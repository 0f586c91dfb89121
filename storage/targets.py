"""The levels a team aims for, per channel and framework (so they carry over to the channel's next round)."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from .models import Target, utcnow


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

    def replace(self, team_id: str, channel_id: str, framework_id: str, targets: dict[str, int | None], set_by: str) -> None:
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
                self.replace(team_id, channel_id, framework_id, targets, set_by)
