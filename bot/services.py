"""The dependencies every listener needs, built once at start-up and passed in explicitly."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine

from framework.models import Framework
from storage.assessments import AssessmentStore
from storage.facilitators import FacilitatorStore, WorkspaceStore
from storage.outbox import OutboxStore
from storage.schedules import ScheduleStore
from storage.summaries import SummaryStore

from .export_files import Exports
from .home import Home
from .outbox import Pacer, Sender
from .permissions import Permissions
from .reminders import Reminders
from .summaries import Summaries
from .walkthrough import Walkthrough

DEFAULT_MIN_GROUP = 3


@dataclass
class Services:
    framework: Framework
    engine: Engine
    store: AssessmentStore
    summaries: SummaryStore
    schedules: ScheduleStore
    walkthrough: Walkthrough
    summary: Summaries
    reminders: Reminders
    facilitators: FacilitatorStore
    workspaces: WorkspaceStore
    permissions: Permissions
    exports: Exports
    home: Home
    sender: Sender
    min_group: int
    delete_on_uninstall: bool = False

    @classmethod
    def build(
        cls,
        framework: Framework,
        engine: Engine,
        *,
        min_group: int = DEFAULT_MIN_GROUP,
        facilitator_ids: frozenset[str] = frozenset(),
        delete_on_uninstall: bool = False,
        pacer: Pacer | None = None,
        outbox_lease: float = 60.0,
    ) -> Services:
        store, summaries, schedules = AssessmentStore(engine), SummaryStore(engine), ScheduleStore(engine)
        facilitators = FacilitatorStore(engine)
        sender = Sender(OutboxStore(engine, timedelta(seconds=outbox_lease)), pacer or Pacer())
        walkthrough = Walkthrough(store, framework, sender)
        summary = Summaries(store, summaries, framework, min_group, sender)
        permissions = Permissions(facilitators, facilitator_ids)
        return cls(
            framework=framework,
            engine=engine,
            store=store,
            summaries=summaries,
            schedules=schedules,
            walkthrough=walkthrough,
            summary=summary,
            reminders=Reminders(store, schedules, summaries, walkthrough, sender),
            facilitators=facilitators,
            workspaces=WorkspaceStore(engine),
            permissions=permissions,
            exports=Exports(store, summaries, summary, framework),
            home=Home(store, schedules, walkthrough, summary, permissions, framework),
            sender=sender,
            min_group=min_group,
            delete_on_uninstall=delete_on_uninstall,
        )
