"""Shared fixtures: databases (SQLite and a real PostgreSQL server), the framework, the fake Slack.

Every test that takes `engine` runs twice, on a fresh SQLite file and in a fresh schema of the PostgreSQL
server named by TEST_DATABASE_URL (or the local server on 127.0.0.1:5432, database "test", when one
answers). When no PostgreSQL server is reachable those runs are skipped, and the summary says so loudly.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from framework.loader import load_framework
from storage.db import make_engine, migrate, normalise_url

LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TESTS_DIR = Path(__file__).resolve().parent


def _postgres_url() -> tuple[str | None, str]:
    configured = os.environ.get("TEST_DATABASE_URL")
    url = normalise_url(configured or LOCAL_POSTGRES)
    try:
        probe = create_engine(url, connect_args={"connect_timeout": 3})
        with probe.connect() as connection:
            connection.execute(text("select 1"))
        probe.dispose()
        return url, f"PostgreSQL tests use {probe.url.render_as_string(hide_password=True)}"
    except Exception as error:
        source = "TEST_DATABASE_URL" if configured else "the local server on 127.0.0.1:5432"
        return None, f"PostgreSQL tests SKIPPED: {source} did not answer ({type(error).__name__})"


POSTGRES_URL, POSTGRES_NOTE = _postgres_url()
SCHEMAS: dict = {}  # PostgreSQL test engine -> its schema


def pytest_report_header(config):
    return POSTGRES_NOTE


def pytest_terminal_summary(terminalreporter):
    if POSTGRES_URL is None:
        terminalreporter.write_sep("!", POSTGRES_NOTE + "; set TEST_DATABASE_URL to run them", yellow=True)


def _postgres_engine(schema: str):
    return make_engine(POSTGRES_URL, schema=schema)


def _fresh_database(request, tmp_path, *, migrated: bool):
    """A new, empty database on SQLite or in a schema of its own on PostgreSQL; migrated to head or not."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
        if migrated:
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
    SCHEMAS[engine] = schema
    if migrated:
        migrate(engine)
    yield engine
    engine.dispose()
    SCHEMAS.pop(engine, None)
    for attempt in range(5):  # a listener thread of the test may still hold a row lock for a moment
        try:
            with admin.begin() as connection:
                connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            break
        except OperationalError:
            if attempt == 4:
                raise
            time.sleep(0.5)
    admin.dispose()


DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(params=DATABASES)
def engine(request, tmp_path):
    """A migrated, empty database: SQLite, then PostgreSQL (in a schema of its own)."""
    yield from _fresh_database(request, tmp_path, migrated=True)


@pytest.fixture(params=DATABASES)
def unmigrated_engine(request, tmp_path):
    """An empty database with no tables yet, for tests that migrate step by step."""
    yield from _fresh_database(request, tmp_path, migrated=False)


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres)])
def postgres_engine(request, tmp_path):
    """A migrated, empty PostgreSQL schema, for what only a server shows (several processes, an outage)."""
    yield from _fresh_database(request, tmp_path, migrated=True)


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres)])
def postgres_unmigrated_engine(request, tmp_path):
    """An empty PostgreSQL schema with no tables yet."""
    yield from _fresh_database(request, tmp_path, migrated=False)


@pytest.fixture
def second_engine(engine):
    """Another engine (its own connection pool) on the same database: what a second process would have."""
    schema = SCHEMAS.get(engine)
    other = _postgres_engine(schema) if schema else make_engine(engine.url.render_as_string(hide_password=False))
    yield other
    other.dispose()


@pytest.fixture(scope="session")
def nps():
    return load_framework()


@pytest.fixture(scope="session")
def small_framework():
    """A second, tiny framework: proof that nothing is hard-wired to the NPS."""
    return load_framework(TESTS_DIR / "data" / "team-health.yaml")


# -- the fake Slack and the real bot over HTTP ---------------------------------------------------------

from bot.app import create_app  # noqa: E402
from bot.services import Services  # noqa: E402
from core.settings import Settings  # noqa: E402
from simulated_slack import SimulatedSlack  # noqa: E402
from tests.harness import SIGNING_SECRET, BotServer, Workspace, manifest_bot_scopes  # noqa: E402

TEAM = "T1"
MEMBERS = ["U1", "U2", "U3"]


@pytest.fixture
def slack():
    """A workspace with three people, a bot, a deactivated account and the team channel C1; the app is granted
    the bot scopes manifest.yml asks for."""
    fake = SimulatedSlack(scopes=manifest_bot_scopes())
    fake.add_team(TEAM, bot_token="xoxb-T1", bot_user_id="UBOT", name="Example Council")
    for user_id, name in zip(MEMBERS, ["alice", "bob", "carol"]):
        fake.add_user(TEAM, user_id, name=name, real_name=name.title())
    fake.add_user(TEAM, "UOTHERBOT", name="otherbot", is_bot=True)
    fake.add_user(TEAM, "UGONE", name="gone", deleted=True)
    fake.add_user(TEAM, "U9", name="dave", real_name="Dave")
    fake.add_channel(TEAM, "C1", name="procurement", members=[*MEMBERS, "UOTHERBOT", "UGONE"])
    yield fake
    fake.stop()


def make_settings(slack, **overrides) -> Settings:
    values = dict(
        slack_bot_token="xoxb-T1",
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        process_before_response=True,
        # Members here click faster than people do: lift the per-channel pacing (tests of pacing set it back).
        maturity_channel_rate=100.0,
        maturity_workspace_rate=200.0,
        maturity_tier_scale=100.0,
        # ...and see their progress at once (tests of the coalesced progress updates set a delay).
        maturity_progress_delay=0,
    )
    values.update(overrides)
    return Settings(_env_file=None, **values)


@pytest.fixture
def make_bot(slack, engine):
    """Start the real App (with a given framework) behind a real HTTP server; returns its Workspace."""
    servers = []

    def start(framework=None, **overrides):
        settings = make_settings(slack, **overrides)
        services = Services.compose(settings, engine=engine, frameworks=framework, migrate_database=False)
        app = create_app(services)
        server = BotServer(app)
        servers.append(server)
        workspace = Workspace(slack, server.url, TEAM)
        workspace.services, workspace.app = services, app
        return workspace

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def workspace(make_bot):
    return make_bot()


@pytest.fixture
def team_round_factory(slack):
    """Start a round in C4 with four members (U1 to U4), started by U1, through a given bot."""

    def start(workspace):
        slack.add_user(TEAM, "U4", name="erin", real_name="Erin")
        slack.add_channel(TEAM, "C4", name="procurement-team", members=["U1", "U2", "U3", "U4"])
        workspace.command("U1", "start", channel_id="C4")
        return workspace.services.stores.rounds.open_in_channel(TEAM, "C4")

    return start


@pytest.fixture
def team(workspace, team_round_factory):
    """A round in C4 with four members (U1 to U4), started by U1."""
    return team_round_factory(workspace)
