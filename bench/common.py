"""Shared pieces of the benchmark suite: databases, statistics and the rows of the result table."""

from __future__ import annotations

import math
import os
import statistics
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from sqlalchemy import create_engine, text

LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TEAM = "T1"


# -- result rows -----------------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of the table. `met` is True/False against the target, None when there is no verdict."""

    figure: str
    target: str = ""
    measured: str = ""
    baseline: str = ""
    ratio: str = ""
    met: bool | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "figure": self.figure,
            "target": self.target,
            "measured": self.measured,
            "baseline": self.baseline,
            "ratio": self.ratio,
            "met": self.met,
            "data": self.data,
        }


# -- statistics ------------------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0..100) with linear interpolation between closest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def ms(seconds: float) -> str:
    if seconds is None or math.isnan(seconds):
        return "n/a"
    value = seconds * 1000
    return f"{value:.0f} ms" if value >= 100 else f"{value:.1f} ms" if value >= 10 else f"{value:.2f} ms"


def spread(values: list[float], unit=ms) -> str:
    """'median (min-max)' of repeated measurements."""
    if len(values) == 1:
        return unit(values[0])
    return f"{unit(median(values))} ({unit(min(values))}-{unit(max(values))})"


def ratio(a: float, b: float) -> float:
    return a / b if b else math.nan


def fmt_ratio(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:.2f}x"


# -- databases -------------------------------------------------------------------------------------------


def postgres_url() -> str:
    from storage.db import normalise_url

    return normalise_url(os.environ.get("TEST_DATABASE_URL") or LOCAL_POSTGRES)


def postgres_answers(timeout: float) -> tuple[bool, str]:
    """Whether the PostgreSQL server answers `select 1` within `timeout` seconds, and a note saying so."""
    url = postgres_url()
    started = time.perf_counter()
    try:
        probe = create_engine(url, connect_args={"connect_timeout": max(1, math.ceil(timeout))})
        with probe.connect() as connection:
            connection.execute(text("select 1"))
        probe.dispose()
    except Exception as error:
        return False, f"PostgreSQL at {_safe(url)} did not answer ({type(error).__name__})"
    took = time.perf_counter() - started
    if took > timeout:
        return False, f"PostgreSQL at {_safe(url)} answered too slowly ({took:.1f} s)"
    return True, f"PostgreSQL at {_safe(url)} answered in {took * 1000:.0f} ms"


def _safe(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


class Database:
    """A fresh, migrated database for one benchmark: a SQLite file in a temporary directory, or a schema of
    its own on the PostgreSQL server (dropped afterwards)."""

    def __init__(self, kind: str):
        from storage.db import make_engine, migrate

        self.kind = kind
        self._tmp = None
        self._schema = None
        self._others = []
        if kind == "sqlite":
            self._tmp = tempfile.TemporaryDirectory(prefix="bench-")
        elif kind == "postgres":
            self._schema = f"bench_{uuid.uuid4().hex[:12]}"
            self._admin = make_engine(postgres_url())
            with self._admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{self._schema}"'))
        else:
            raise ValueError(kind)
        self.engine = self._new_engine()
        migrate(self.engine)

    def _new_engine(self):
        from storage.db import make_engine

        if self.kind == "sqlite":
            return make_engine(f"sqlite:///{Path(self._tmp.name) / 'bench.db'}")
        return make_engine(postgres_url(), schema=self._schema)

    def url_for_processes(self) -> str:
        """The DATABASE_URL a child process (`python -m bot`, gunicorn) reaches this database with: on
        PostgreSQL, the server's URL with this database's schema as the connections' search_path."""
        if self.kind == "sqlite":
            return f"sqlite:///{Path(self._tmp.name) / 'bench.db'}"
        separator = "&" if "?" in postgres_url() else "?"
        return f"{postgres_url()}{separator}options=-csearch_path%3D{self._schema}"

    def another_engine(self):
        """A second engine on the same database, set up as the bot's is (the floor app's, so that its
        statements are counted apart from the bot's); disposed with the database."""
        engine = self._new_engine()
        self._others.append(engine)
        return engine

    def analyze(self) -> None:
        """Refresh the planner's statistics after a bulk load (autovacuum would, a little later)."""
        if self.kind == "postgres":
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("ANALYZE"))
        else:
            with self.engine.begin() as connection:
                connection.execute(text("ANALYZE"))

    def close(self) -> None:
        for engine in self._others:
            engine.dispose()
        self.engine.dispose()
        if self._schema:
            with self._admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{self._schema}" CASCADE'))
            self._admin.dispose()
        if self._tmp:
            self._tmp.cleanup()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def production_services(settings, engine, framework=None):
    """Services composed the way the bot composes them from the settings, on a given engine."""
    from bot.services import Services

    return Services.compose(settings, engine=engine, frameworks=framework)


def describe_pacer(services) -> str:
    pacer = getattr(getattr(services, "sender", None), "pacer", None)
    if pacer is None:
        return "no outbox pacer"
    try:
        return f"outbox pacer {1 / pacer.channel_interval:g}/s per channel, {1 / pacer.workspace_interval:g}/s per workspace"
    except (AttributeError, ZeroDivisionError):
        return f"outbox pacer {type(pacer).__name__}"


def quiet_logging() -> None:
    """The product logs every start and warning; the benchmark's output is the table."""
    import logging

    logging.basicConfig(level=logging.ERROR)
    for name in ("bot", "storage", "framework", "slack_bolt", "slack_sdk", "alembic", "apscheduler", "sqlalchemy"):
        logging.getLogger(name).setLevel(logging.ERROR)
