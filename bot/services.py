"""The Slack app's dependencies: the Slack-free core plus the flows that talk to Slack, composed once.

`Services.compose(settings)` is the only way they are built: by the app, the clock, the tests, the
benchmarks and the sandbox alike (an engine or a framework may be handed in instead of read from the
settings). Listeners receive the result explicitly; nothing here is global.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine

from core import Core, Settings, open_core
from framework.library import FrameworkLibrary
from framework.models import Framework
from results.data_protection import DataProtection
from results.figures import Results
from storage import Stores
from storage.rate_slots import rate_slots_for

from .home import Home
from .outbox import Sender
from .pacing import Pacer
from .parent_updates import ParentUpdates
from .permissions import Permissions
from .plan import ActionPlan
from .reminders import Reminders
from .summaries import Summaries
from .uploads import Uploads
from .walkthrough import Walkthrough


@dataclass(frozen=True)
class Services:
    core: Core
    sender: Sender
    walkthrough: Walkthrough
    summaries: Summaries
    reminders: Reminders
    permissions: Permissions
    uploads: Uploads
    home: Home
    plan: ActionPlan

    @classmethod
    def compose(
        cls,
        settings: Settings,
        *,
        engine: Engine | None = None,
        frameworks: FrameworkLibrary | Framework | None = None,
        migrate_database: bool = True,
    ) -> Services:
        core = open_core(settings, engine=engine, frameworks=frameworks, migrate_database=migrate_database)
        stores = core.stores
        pacer = Pacer(
            rate_slots_for(core.engine),
            channel_rate=settings.maturity_channel_rate,
            workspace_rate=settings.maturity_workspace_rate,
            tier_scale=settings.maturity_tier_scale,
        )
        sender = Sender(stores.outbox, pacer, slow_post_grace=timedelta(seconds=settings.maturity_slow_post_grace))
        walkthrough = Walkthrough(stores, core.frameworks, sender, ParentUpdates(settings.maturity_progress_delay))
        summaries = Summaries(stores, core.results, sender)
        permissions = Permissions(stores.facilitators, settings.facilitator_ids)
        return cls(
            core=core,
            sender=sender,
            walkthrough=walkthrough,
            summaries=summaries,
            reminders=Reminders(stores, walkthrough, sender),
            permissions=permissions,
            uploads=Uploads(stores, core.results, sender),
            home=Home(stores, core.results, walkthrough, permissions),
            plan=ActionPlan(stores, core.frameworks, sender, permissions),
        )

    # The core's parts, by the names the listeners use.
    @property
    def stores(self) -> Stores:
        return self.core.stores

    @property
    def results(self) -> Results:
        return self.core.results

    @property
    def data_protection(self) -> DataProtection:
        return self.core.data_protection

    @property
    def frameworks(self) -> FrameworkLibrary:
        return self.core.frameworks

    @property
    def framework(self) -> Framework:
        """The deployment's default framework (a round's own is `framework_of(round_)`)."""
        return self.core.framework

    def framework_of(self, round_) -> Framework:
        return self.core.framework_of(round_)

    def framework_for_channel(self, team_id: str, channel_id: str, user_id: str | None = None) -> Framework:
        return self.core.framework_for_channel(team_id, channel_id, user_id)

    @property
    def pacer(self) -> Pacer:
        return self.sender.pacer

    @property
    def engine(self) -> Engine:
        return self.core.engine

    @property
    def settings(self) -> Settings:
        return self.core.settings
