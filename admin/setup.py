"""The one place the operator's commands get their settings, database, framework and results.

Each part is built when a command first asks for it, so a command only fails on what it uses (`rounds list`
needs no framework, `framework show FILE` no settings), and in the order the command checks things.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from core import open_core
from core.settings import ConfigurationError, Settings, load_settings
from framework.library import FrameworkLibrary, load_library
from framework.loader import FrameworkError
from results.data_protection import DataProtection
from results.figures import Results
from storage.db import default_database_url, make_engine, normalise_url

from . import CommandError


def configure() -> Setup:
    """The settings (DATABASE_URL, MATURITY_FRAMEWORK, MATURITY_MIN_GROUP) from the environment or .env."""
    try:
        return Setup(load_settings())
    except ConfigurationError as error:
        raise CommandError(str(error)) from None


class Setup:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._engine: Engine | None = None
        self._frameworks: FrameworkLibrary | None = None

    def engine(self) -> Engine:
        """The database of DATABASE_URL; a SQLite file must already exist (reading never creates one)."""
        if self._engine is None:
            url = normalise_url(self.settings.database_url or default_database_url())
            parsed = make_url(url)
            sqlite_file = parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")
            if sqlite_file and not Path(parsed.database).exists():
                raise CommandError(
                    f"there is no database at {parsed.database} (DATABASE_URL, or the default maturity.db in the "
                    "working directory). Set DATABASE_URL to the bot's database."
                )
            self._engine = make_engine(url)
        return self._engine

    def new_engine(self) -> Engine:
        """The database of DATABASE_URL, created if it is a SQLite file that does not exist yet (for migrate)."""
        return make_engine(self.settings.database_url)

    def frameworks(self) -> FrameworkLibrary:
        """The deployment's framework library (MATURITY_FRAMEWORK, MATURITY_FRAMEWORKS_DIR and the built-in
        one); a bad file is a CommandError listing what is wrong."""
        if self._frameworks is None:
            try:
                self._frameworks = load_library(self.settings.maturity_framework, self.settings.maturity_frameworks_dir)
            except FrameworkError as error:
                raise CommandError(str(error)) from None
        return self._frameworks

    def results(self) -> Results:
        """Rounds' figures, export files and reports, each in its round's framework, on the existing database
        (never migrated)."""
        return self._core().results

    def data_protection(self) -> DataProtection:
        """Erasure (and retention) on the existing database (never migrated)."""
        return self._core().data_protection

    def _core(self):
        return open_core(self.settings, engine=self.engine(), frameworks=self.frameworks(), migrate_database=False)
