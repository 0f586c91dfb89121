"""Shared fixtures: databases (SQLite and a real PostgreSQL server), the framework, the fake Slack.

Every test that takes `engine` runs twice, on a fresh SQLite file and in a fresh schema of the PostgreSQL
server named by TEST_DATABASE_URL (or the local server on 127.0.0.1:5432, database "test", when one
answers). When no PostgreSQL server is reachable those runs are skipped, and the summary says so loudly.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, event, text

from framework.loader import load_framework
from storage.db import make_engine, migrate, normalise_url

LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TESTS_DIR = Path(__file__).resolve().parent
SHARED_DIR = TESTS_DIR.parents[1] / "shared"


def _postgres_url() -> tuple[str | None, str]:
    configured = os.environ.get("TEST_DATABASE_URL")
    url = normalise_url(configured or LOCAL_POSTGRES)
    try:
        probe = create_engine(url, connect_args={"connect_timeout": 3})
        with probe.connect() as connection:
            connection.execute(text("select 1"))
        probe.dispose()
        return url, f"PostgreSQL tests use {probe.url.render_as_string(hide_password=True)}"
    except Exception as error:  # noqa: BLE001 (any failure means: no server to test against)
        source = "TEST_DATABASE_URL" if configured else "the local server on 127.0.0.1:5432"
        return None, f"PostgreSQL tests SKIPPED: {source} did not answer ({type(error).__name__})"


POSTGRES_URL, POSTGRES_NOTE = _postgres_url()


def pytest_report_header(config):
    return POSTGRES_NOTE


def pytest_terminal_summary(terminalreporter):
    if POSTGRES_URL is None:
        terminalreporter.write_sep("!", POSTGRES_NOTE + "; set TEST_DATABASE_URL to run them", yellow=True)


def _postgres_engine(schema: str):
    engine = make_engine(POSTGRES_URL)

    @event.listens_for(engine, "connect")
    def _search_path(dbapi_connection, _record):
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f'SET search_path TO "{schema}"')
        dbapi_connection.commit()

    return engine


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    """A migrated, empty database: SQLite, then PostgreSQL (in a schema of its own)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        migrate(engine)
        yield engine
        engine.dispose()
        return
    if POSTGRES_URL is None:
        pytest.skip(POSTGRES_NOTE)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = _postgres_engine(schema)
    migrate(engine)
    yield engine
    engine.dispose()
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def nps():
    return load_framework()


@pytest.fixture(scope="session")
def small_framework():
    """A second, tiny framework: proof that nothing is hard-wired to the NPS."""
    return load_framework(TESTS_DIR / "data" / "team-health.yaml")
