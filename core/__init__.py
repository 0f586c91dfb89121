"""The Slack-free core: settings, the framework, the database with its stores, and the results built
from them.

`open_core(settings)` is the one composition of these. The Slack app (bot.services.Services) adds its
Slack flows on top of it; the operator's command line (admin/) uses it as it is, with no Slack client.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine

from framework.loader import load_framework
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
    framework: Framework
    stores: Stores
    results: Results
    data_protection: DataProtection

    @property
    def engine(self) -> Engine:
        return self.stores.engine


def open_core(
    settings: Settings,
    *,
    engine: Engine | None = None,
    framework: Framework | None = None,
    migrate_database: bool = True,
) -> Core:
    """Load the framework (a bad file stops here with the file, field and reason), open the database and
    (unless told not to) bring its schema up to date."""
    framework = framework or load_framework(settings.maturity_framework)
    engine = engine or make_engine(settings.database_url)
    if migrate_database:
        migrate(engine)
    stores = Stores.open(engine, outbox_lease=timedelta(seconds=settings.maturity_outbox_lease))
    results = Results(stores, framework, settings.maturity_min_group)
    return Core(
        settings=settings,
        framework=framework,
        stores=stores,
        results=results,
        data_protection=DataProtection(stores, results, settings.maturity_retention_days),
    )
