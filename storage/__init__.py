"""Storage: SQLModel tables, Alembic migrations and the queries, one store per aggregate.

`Stores.open(engine)` is the one way the rest of the product gets them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine

from .answers import AnswerStore
from .events import EventLog
from .facilitators import AuditLog, FacilitatorStore
from .outbox import LEASE, OutboxStore
from .plan import ActionPlanStore
from .published import PublishedStore
from .records import RecordStore
from .rounds import RoundStore
from .schedules import ScheduleStore
from .targets import TargetStore
from .workspaces import WorkspaceStore


@dataclass(frozen=True)
class Stores:
    engine: Engine
    rounds: RoundStore
    answers: AnswerStore
    targets: TargetStore
    schedules: ScheduleStore
    facilitators: FacilitatorStore
    audit: AuditLog
    workspaces: WorkspaceStore
    events: EventLog
    outbox: OutboxStore
    published: PublishedStore
    records: RecordStore
    plan: ActionPlanStore

    @classmethod
    def open(cls, engine: Engine, *, outbox_lease: timedelta = LEASE) -> Stores:
        return cls(
            engine=engine,
            rounds=RoundStore(engine),
            answers=AnswerStore(engine, outbox_lease),
            targets=TargetStore(engine),
            schedules=ScheduleStore(engine),
            facilitators=FacilitatorStore(engine),
            audit=AuditLog(engine),
            workspaces=WorkspaceStore(engine),
            events=EventLog(engine),
            outbox=OutboxStore(engine, outbox_lease),
            published=PublishedStore(engine),
            records=RecordStore(engine),
            plan=ActionPlanStore(engine),
        )
