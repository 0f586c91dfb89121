"""Engines and migrations.

DATABASE_URL picks the database. The default is a SQLite file in the working directory; SQLite runs in
WAL mode with a busy timeout, which suits the single-process default. PostgreSQL works through the same
URL (``postgresql+psycopg://...``) and is what several processes should share.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlmodel import Session

log = logging.getLogger(__name__)

DEFAULT_DATABASE_FILE = "maturity.db"
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
# A database that has gone away must fail a request within a second or two, not hang it: libpq waits
# forever for a server that does not answer (connect_timeout), the kernel retransmits for minutes to a
# host that vanished (tcp_user_timeout, keepalives), and the pool would wait 30 s for a free connection
# (5 s here: long enough for a burst of clicks on a healthy server, short enough to give up on a dead one).
POSTGRES_CONNECT_ARGS = {
    "connect_timeout": 2,
    "tcp_user_timeout": 5000,
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 2,
    "keepalives_count": 3,
}
POOL_TIMEOUT_SECONDS = 5


def default_database_url() -> str:
    return f"sqlite:///{Path(DEFAULT_DATABASE_FILE).resolve()}"


def make_engine(url: str | None = None, *, schema: str | None = None) -> Engine:
    """An engine for `url` (or the default SQLite file), with SQLite set up for concurrent use; on PostgreSQL,
    with `schema`, every connection works in that schema (the tests' and benchmarks' databases of their own)."""
    url = normalise_url(url or default_database_url())
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        _one_writer_at_a_time(engine)
        return engine
    engine = _postgres_engine(url)
    if schema is not None:

        @event.listens_for(engine, "connect")
        def _search_path(dbapi_connection, _record) -> None:
            with dbapi_connection.cursor() as cursor:
                cursor.execute(f'SET search_path TO "{schema}"')
            dbapi_connection.commit()

    return engine


def _postgres_engine(url: str) -> Engine:
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        pool_timeout=POOL_TIMEOUT_SECONDS,
        connect_args=dict(POSTGRES_CONNECT_ARGS),
    )


def normalise_url(url: str) -> str:
    """Accept the plain ``postgres://`` and ``postgresql://`` forms hosting providers hand out."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def describe(engine: Engine) -> str:
    """Where the data lives, for the start-up message: a file path, or the URL without its password."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return f"SQLite file {url.database}"
    return f"{url.get_backend_name()} database {url.render_as_string(hide_password=True)}"


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


def _one_writer_at_a_time(engine: Engine) -> None:
    """Writers of this process queue on a lock, each from its first write to its commit or rollback.

    SQLite has one writer at a time. Left to itself, a writer that finds the database locked sleeps in
    SQLite's busy handler, in steps growing to 100 ms, however soon the lock is free: under a burst of clicks
    that turned a 20 ms click into 700 ms at the 95th percentile. A lock in the process wakes the next
    writer the moment the last one has committed (or rolled back). (The driver begins its transaction at the
    first write, so no reader holds a snapshot across the wait; other processes on the same file still meet
    the busy handler.)"""
    lock = threading.Lock()

    def before(connection, _cursor, statement, *_args) -> None:
        info = connection.info
        if not info.get("writing") and statement.lstrip()[:7].upper().startswith(_WRITES):
            lock.acquire()
            info["writing"] = True

    def after(info: dict) -> None:
        if info.pop("writing", False):
            lock.release()

    def ended(finish: str):
        # SQLAlchemy tells of a commit or rollback before it asks the driver for it: released then, the lock
        # would let the next writer in while this one still holds SQLite's, and that writer would meet the
        # busy handler after all. So the driver's commit or rollback is done here first; SQLAlchemy's own,
        # right after, finds no transaction open and does nothing (sqlite3's documented behaviour).
        def listener(connection) -> None:
            if connection.info.get("writing"):
                try:
                    getattr(connection.connection.dbapi_connection, finish)()
                except Exception:  # still open, or the connection is gone: SQLAlchemy's own call, next, meets
                    pass  # the same and raises it as it should (or, for a connection gone, has nothing to do)
                finally:
                    after(connection.info)

        return listener

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "commit", ended("commit"))
    event.listen(engine, "rollback", ended("rollback"))
    # A connection handed back to the pool without either (its thread failed mid-way) must not keep it.
    event.listen(engine.pool, "checkin", lambda _dbapi, record: after(record.info) if record else None)


def database_unreachable(error: BaseException) -> bool:
    """The driver could not reach the database (OperationalError, InterfaceError, or any DBAPIError that
    lost its connection: refused, reset, timed out), or the pool gave up waiting for a connection; anywhere
    in the error's chain. A constraint or a bad value is a bug of ours, not this."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, (OperationalError, InterfaceError, PoolTimeout)):
            return True
        if isinstance(error, DBAPIError) and error.connection_invalidated:
            return True
        error = error.__cause__ or error.__context__
    return False


def insert_once(engine: Engine, row) -> bool:
    """Insert a row that a unique constraint guards: True if this call inserted it, False if it was
    already there. The database decides, so this holds across threads and processes."""
    with Session(engine) as session:
        session.add(row)
        try:
            session.commit()
            return True
        except IntegrityError:
            session.rollback()
            return False


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def migrate(engine: Engine) -> None:
    """Apply every pending migration (start-up does this, so a new version never meets an old schema)."""
    command.upgrade(alembic_config(engine), "head")
