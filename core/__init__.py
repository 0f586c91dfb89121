"""The Slack-free core: settings, the framework, the database with its stores, and the results built
from them.

`open_core(settings)` is the one composition of these. The Slack app (bot.services.Services) adds its
Slack flows on top of it; the operator's command line (admin/) uses it as it is, with no Slack client.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine

from framework.library import FrameworkLibrary, load_library
from framework.models import Framework
from results.data_protection import DataProtection
from results.figures import Results
from storage import Stores
from storage.db import make_engine, migrate

from .settings import ConfigurationError, Settings

__all__ = ["ConfigurationError", "Core", "Settings", "open_core"]


@dataclass(frozen=True)
class Core:
    settings: Settings
    frameworks: FrameworkLibrary
    stores: Stores
    results: Results
    data_protection: DataProtection

    @property
    def engine(self) -> Engine:
        return self.stores.engine

    @property
    def framework(self) -> Framework:
        """The deployment's default framework: what a round runs when nobody chose another."""
        return self.frameworks.default

    def framework_of(self, round_) -> Framework:
        """The framework a round runs (its `framework_id`), from the library."""
        return self.frameworks.require(round_.framework_id)

    def framework_for_channel(self, team_id: str, channel_id: str, user_id: str | None = None) -> Framework:
        """The framework a channel works in: its latest round's (open, else the last one run there, so the
        channel's last choice is its default), else the deployment's default. In a direct message (a channel
        id starting with D) with `user_id`, the framework of that member's newest open round."""
        if channel_id.startswith("D"):
            rounds = self.stores.rounds.open_for_member(team_id, user_id) if user_id else []
            latest = rounds[0] if rounds else None
        else:
            latest = self.stores.rounds.latest_in_channel(team_id, channel_id)
        chosen = self.frameworks.get(latest.framework_id) if latest is not None else None
        return chosen or self.frameworks.default


def open_core(
    settings: Settings,
    *,
    engine: Engine | None = None,
    frameworks: FrameworkLibrary | Framework | None = None,
    migrate_database: bool = True,
) -> Core:
    """Load the framework library (a bad file stops here with every file, field and reason), open the
    database and (unless told not to) bring its schema up to date. A single Framework given in is a library
    of that one."""
    if frameworks is None:
        frameworks = load_library(settings.maturity_framework, settings.maturity_frameworks_dir)
    elif isinstance(frameworks, Framework):
        frameworks = FrameworkLibrary(frameworks)
    engine = engine or make_engine(settings.database_url)
    if migrate_database:
        migrate(engine)
    stores = Stores.open(engine, outbox_lease=timedelta(seconds=settings.maturity_outbox_lease))
    results = Results(stores, frameworks, settings.maturity_min_group)
    return Core(
        settings=settings,
        frameworks=frameworks,
        stores=stores,
        results=results,
        data_protection=DataProtection(stores, results, settings.maturity_retention_days),
    )
