"""The installation cache in front of slack_sdk's SQLAlchemy store (bot.installations): served from memory
for its time to live, read again after it, forgotten at once by a save or delete in the same process and at
expiry in another, and the last one read served while the database cannot be reached. Time is injected,
never slept."""

from __future__ import annotations

import threading
import time

import pytest
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from sqlalchemy.exc import OperationalError

from bot.app import client_resolver, installation_store
from bot.installations import CachedInstallationStore
from tests.conftest import make_settings

CLIENT_ID = "111.222"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Counting:
    """The SQLAlchemy store, counting its reads, and made to fail (or hang) on demand."""

    def __init__(self, underlying):
        self.underlying = underlying
        self.reads = 0
        self.failure: Exception | None = None
        self.hang: threading.Event | None = None

    def __getattr__(self, name):
        return getattr(self.underlying, name)

    def _read(self, method, **kwargs):
        self.reads += 1
        if self.hang is not None:
            self.hang.wait(10)
        if self.failure is not None:
            raise self.failure
        return getattr(self.underlying, method)(**kwargs)

    def find_installation(self, **kwargs):
        return self._read("find_installation", **kwargs)

    def find_bot(self, **kwargs):
        return self._read("find_bot", **kwargs)


def _unreachable() -> OperationalError:
    return OperationalError("connect", {}, ConnectionRefusedError("connection refused"))


def _installation(team_id="T1", token="xoxb-T1", user_id="U1") -> Installation:
    return Installation(
        app_id="A1",
        team_id=team_id,
        user_id=user_id,
        bot_token=token,
        bot_id="B" + team_id,
        bot_user_id="UBOT",
        bot_scopes=["chat:write"],
        installed_at=time.time(),
    )


@pytest.fixture
def database(engine):
    return Counting(SQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=engine))


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def store(database, clock):
    return CachedInstallationStore(database, clock=clock)


def _find(store, team_id="T1", user_id=None):
    return store.find_installation(enterprise_id=None, team_id=team_id, user_id=user_id)


def test_an_installation_is_read_once_within_its_time_to_live_and_again_after_it(store, database, clock):
    store.save(_installation())
    assert _find(store).bot_token == "xoxb-T1" and database.reads == 1
    clock.advance(59)
    assert _find(store).bot_token == "xoxb-T1" and database.reads == 1
    clock.advance(2)
    assert _find(store).bot_token == "xoxb-T1" and database.reads == 2
    assert _find(store).bot_token == "xoxb-T1" and database.reads == 2


def test_a_deletion_in_this_process_is_seen_at_once_and_one_in_another_at_expiry(store, database, engine, clock):
    store.save(_installation())
    store.save(_installation("T10", "xoxb-T10"))
    assert _find(store).bot_token == "xoxb-T1" and _find(store, "T10").bot_token == "xoxb-T10"
    store.delete_all(enterprise_id=None, team_id="T1")
    assert _find(store) is None
    assert store.find_bot(enterprise_id=None, team_id="T1") is None
    reads = database.reads
    assert _find(store, "T10").bot_token == "xoxb-T10" and database.reads == reads  # T10 is not T1

    # Another process (its own store on the same database) uninstalls T10: this one serves its copy until it
    # expires, then reads again and serves nothing.
    other = CachedInstallationStore(SQLAlchemyInstallationStore(client_id=CLIENT_ID, engine=engine), clock=clock)
    other.delete_all(enterprise_id=None, team_id="T10")
    assert _find(store, "T10").bot_token == "xoxb-T10"
    clock.advance(61)
    assert _find(store, "T10") is None
    assert store.find_bot(enterprise_id=None, team_id="T10") is None


def test_tokens_revoked_and_a_new_installation_replace_what_is_held(store):
    store.save(_installation())
    assert store.find_bot(enterprise_id=None, team_id="T1").bot_token == "xoxb-T1"
    store.delete_bot(enterprise_id=None, team_id="T1")  # tokens_revoked (bot)
    assert store.find_bot(enterprise_id=None, team_id="T1") is None
    store.save(_installation(token="xoxb-T1-new"))  # installed again
    assert _find(store).bot_token == "xoxb-T1-new"
    assert store.find_bot(enterprise_id=None, team_id="T1").bot_token == "xoxb-T1-new"


def test_while_the_database_cannot_be_reached_the_last_installation_read_is_served(store, database, clock):
    store.save(_installation())
    assert _find(store).bot_token == "xoxb-T1"
    assert _find(store, user_id="U2") is None  # a member who did not install it: no installation of their own
    clock.advance(120)
    database.failure = _unreachable()
    assert _find(store).bot_token == "xoxb-T1"  # stale, not an error
    assert _find(store, user_id="U2") is None
    assert _find(store, user_id="U1").bot_token == "xoxb-T1"  # never read: the installer's is the workspace's
    assert _find(store, user_id="U3") is None
    assert store.find_bot(enterprise_id=None, team_id="T1").bot_token == "xoxb-T1"  # the installation's bot
    with pytest.raises(OperationalError):  # nothing known of T2: nothing to serve
        _find(store, "T2")

    database.failure = None
    clock.advance(10)  # past the retry pause: the database is asked again, and answers
    reads = database.reads
    assert _find(store).bot_token == "xoxb-T1" and database.reads == reads + 1
    store.delete_all(enterprise_id=None, team_id="T1")
    database.failure = _unreachable()
    with pytest.raises(OperationalError):  # a deleted installation is not served, not even stale
        _find(store)


def test_a_hanging_database_is_waited_for_a_quarter_second_once_then_not_at_all(store, database, clock):
    store.save(_installation())
    assert _find(store).bot_token == "xoxb-T1"
    clock.advance(61)
    database.hang = threading.Event()
    try:
        started = time.monotonic()
        assert _find(store).bot_token == "xoxb-T1"
        first = time.monotonic() - started
        started = time.monotonic()
        assert _find(store, user_id="U2") is None
        assert store.find_bot(enterprise_id=None, team_id="T1").bot_token == "xoxb-T1"
        after = time.monotonic() - started
    finally:
        database.hang.set()
    assert 0.2 < first < 0.8 and after < 0.1, (first, after)


def test_an_error_that_is_no_outage_is_not_hidden(store, database, clock):
    store.save(_installation())
    _find(store)
    clock.advance(61)
    database.failure = ValueError("a bug")
    with pytest.raises(ValueError):
        _find(store)


def test_what_bolt_changes_on_an_installation_it_is_given_does_not_change_the_cache(store):
    store.save(_installation())
    given = _find(store)
    given.bot_token = None  # bolt clears the user token fields of the installation it is handed
    assert _find(store).bot_token == "xoxb-T1"


def test_the_app_and_the_clock_share_one_store(slack, engine):
    settings = make_settings(slack, slack_bot_token=None, slack_client_id=CLIENT_ID, slack_client_secret="secret")
    store = installation_store(settings, engine)
    assert installation_store(settings, engine) is store
    store.save(_installation())
    resolve = client_resolver(settings, engine)
    assert resolve("T1") is not None
    store.delete_all(enterprise_id=None, team_id="T1")  # app_uninstalled, seen by the App
    assert resolve("T1") is None
