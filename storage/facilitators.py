"""Extra facilitators per channel, and the audit log of what facilitators did."""

from __future__ import annotations

from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from .db import insert_once
from .models import AuditEntry, Facilitator


class FacilitatorStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def facilitators(self, team_id: str, channel_id: str) -> list[str]:
        with Session(self.engine) as session:
            return list(
                session.exec(
                    select(Facilitator.user_id)
                    .where(Facilitator.team_id == team_id, Facilitator.channel_id == channel_id)
                    .order_by(Facilitator.id)
                )
            )

    def add(self, team_id: str, channel_id: str, user_id: str, added_by: str) -> bool:
        return insert_once(
            self.engine, Facilitator(team_id=team_id, channel_id=channel_id, user_id=user_id, added_by=added_by)
        )

    def remove(self, team_id: str, channel_id: str, user_id: str) -> bool:
        with Session(self.engine) as session:
            result = session.exec(
                delete(Facilitator).where(
                    Facilitator.team_id == team_id, Facilitator.channel_id == channel_id, Facilitator.user_id == user_id
                )
            )
            session.commit()
            return result.rowcount > 0


class AuditLog:
    """What facilitators did (who, what, when), shown to facilitators in `/maturity status`."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def record(
        self, team_id: str, channel_id: str, user_id: str, action: str, detail: str = "", round_id: int | None = None
    ) -> None:
        with Session(self.engine) as session:
            session.add(
                AuditEntry(
                    team_id=team_id,
                    channel_id=channel_id,
                    user_id=user_id,
                    action=action,
                    detail=detail[:200],
                    round_id=round_id,
                )
            )
            session.commit()

    def recent(self, team_id: str, channel_id: str, limit: int = 10) -> list[AuditEntry]:
        with Session(self.engine) as session:
            return list(
                session.exec(
                    select(AuditEntry)
                    .where(AuditEntry.team_id == team_id, AuditEntry.channel_id == channel_id)
                    .order_by(col(AuditEntry.id).desc())
                    .limit(limit)
                )
            )
