"""Rate-limit buckets: in this process (the single-process SQLite default) or in the shared database.

Slack counts an app's calls per workspace, whichever process makes them, so several processes must draw on
one set of buckets. Each bucket follows the generic cell rate algorithm (GCRA): it is one number, the moment
it is empty again (`tat`), so that reserving a call is one locked read and one write of a row, with no
background refill. A call is charged to every bucket it falls under (a channel's and the workspace's) at the
first moment all of them allow, and the caller sleeps until then. Reserving rather than polling keeps the
calls of every process in one queue per bucket: nobody retries in a loop, and nobody starves.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

from sqlalchemy import Engine, TextClause, bindparam, delete, func, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlmodel import Session, col, select

from .models import RateSlot


@dataclass(frozen=True)
class Bucket:
    """`per_second` calls a second on average, `burst` of them at once after a quiet spell."""

    key: str
    per_second: float
    burst: int = 3

    @property
    def interval(self) -> float:
        return 1.0 / self.per_second

    @property
    def credit(self) -> float:
        """How far ahead of its schedule a bucket may run: the burst beyond the first call."""
        return (self.burst - 1) * self.interval


def next_slot(now: float, tats: dict[str, float], buckets: Sequence[Bucket]) -> tuple[float, dict[str, float]]:
    """The first moment every bucket allows one more call, and each bucket's `tat` once it is charged."""
    start = max([now] + [tats.get(b.key, 0.0) - b.credit for b in buckets])
    return start, {b.key: max(tats.get(b.key, 0.0), start) + b.interval for b in buckets}


def held_off(now: float, tats: dict[str, float], buckets: Sequence[Bucket], seconds: float) -> dict[str, float]:
    """Each bucket's `tat` such that no call goes for `seconds` (Slack's Retry-After)."""
    return {b.key: max(tats.get(b.key, 0.0), now + seconds + b.credit) for b in buckets}


class RateSlotStore(Protocol):
    def reserve(self, buckets: Sequence[Bucket]) -> float:
        """Charge one call to every bucket; the seconds to wait before making it."""

    def hold_off(self, buckets: Sequence[Bucket], seconds: float) -> None:
        """No call in these buckets for `seconds`, in every process that shares them."""

    def forget_stale(self, older_than: float = 3600.0) -> int:
        """Drop buckets idle for longer than `older_than` seconds (an idle bucket is a full one)."""


class MemoryRateSlots:
    """The buckets of one process (the single-process default)."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._tats: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(self, buckets: Sequence[Bucket]) -> float:
        with self._lock:
            now = self.clock()
            start, tats = next_slot(now, self._tats, buckets)
            self._tats.update(tats)
        return start - now

    def hold_off(self, buckets: Sequence[Bucket], seconds: float) -> None:
        with self._lock:
            self._tats.update(held_off(self.clock(), self._tats, buckets, seconds))

    def forget_stale(self, older_than: float = 3600.0) -> int:
        with self._lock:
            cutoff = self.clock() - older_than
            stale = [key for key, tat in self._tats.items() if tat < cutoff]
            for key in stale:
                del self._tats[key]
        return len(stale)


_NOW = func.extract("epoch", func.clock_timestamp())

# `next_slot` in one statement. `spec` holds each bucket's key, interval and credit; `clock` is read after
# every row is locked (it depends on `locked`), so a call that queued for the lock is not given a moment that
# has already gone by. The UPDATE returns a row per bucket it charged: fewer than asked means a bucket
# does not exist yet (and nothing is charged, since the statement then charges nothing it did not lock).
_RESERVE = """
WITH spec(key, step, credit) AS (VALUES {specs}),
locked AS (
    SELECT r.key, r.tat FROM rate_slot AS r JOIN spec ON spec.key = r.key ORDER BY r.key FOR UPDATE OF r
),
clock AS (
    SELECT extract(epoch FROM clock_timestamp())::float8 AS now, count(*) AS held FROM locked
),
start AS (
    SELECT greatest(max(clock.now), max(locked.tat - spec.credit)) AS at, max(clock.held) AS held
    FROM clock CROSS JOIN locked JOIN spec ON spec.key = locked.key
),
charged AS (
    UPDATE rate_slot AS r SET tat = greatest(r.tat, start.at) + spec.step
    FROM spec, start
    WHERE r.key = spec.key AND start.held = (SELECT count(*) FROM spec)
    RETURNING r.key
)
SELECT (SELECT count(*) FROM charged), start.at, clock.now FROM start, clock
"""


@lru_cache(maxsize=8)
def _reserve_statement(buckets: int) -> TextClause:
    """`_RESERVE` for that many buckets, built once: every post runs it, and building it afresh was a quarter
    of a reservation's CPU."""
    return text(_RESERVE.format(specs=", ".join(f"(:k{n}, :i{n}, :c{n})" for n in range(buckets))))


class DatabaseRateSlots:
    """The buckets in PostgreSQL, shared by every process on the database. Times are the database
    server's clock, so processes on machines whose clocks differ still agree. Rows are locked in key order
    (SELECT ... FOR UPDATE), so two calls that share buckets never deadlock."""

    def __init__(self, engine: Engine):
        self.engine = engine
        # A reservation is one statement, its own transaction: no BEGIN and COMMIT round trips around it.
        self._single_statements = engine.execution_options(isolation_level="AUTOCOMMIT")

    def _locked(self, session: Session, keys: list[str]) -> tuple[float, dict[str, float]]:
        query = (
            select(RateSlot.key, RateSlot.tat, _NOW)
            .where(col(RateSlot.key).in_(keys))
            .order_by(RateSlot.key)
            .with_for_update()
        )
        rows = session.exec(query).all()
        if len(rows) < len(keys):
            known = {row[0] for row in rows}
            session.exec(
                pg_insert(RateSlot)
                .values([{"key": k, "tat": 0.0} for k in keys if k not in known])
                .on_conflict_do_nothing()
            )
            rows = session.exec(query).all()
        return float(rows[0][2]), {key: tat for key, tat, _ in rows}

    def _write(self, session: Session, tats: dict[str, float]) -> None:
        statement = update(RateSlot).where(RateSlot.key == bindparam("k")).values(tat=bindparam("t"))
        session.connection().execute(statement, [{"k": key, "t": tat} for key, tat in tats.items()])

    def reserve(self, buckets: Sequence[Bucket]) -> float:
        """One statement: lock the buckets' rows (in key order), read the server's clock once they are held,
        charge every bucket from the first moment all allow (`next_slot`, in SQL) and return the wait. Every
        call of a workspace goes through its bucket's row, so the lock is held only for this statement and its
        commit, with no round trip to Python in between."""
        unique = {b.key: b for b in buckets}
        params: dict[str, object] = {}
        for n, bucket in enumerate(unique.values()):
            params.update({f"k{n}": bucket.key, f"i{n}": bucket.interval, f"c{n}": bucket.credit})
        statement = _reserve_statement(len(unique))
        for _ in range(2):
            with self._single_statements.connect() as connection:
                row = connection.execute(statement, params).first()
                if row is not None:
                    count, start, now = row
                    if count == len(unique):
                        return float(start) - float(now)
                # A bucket this database has not seen yet: create it (idle, full) and charge again.
                connection.execute(
                    pg_insert(RateSlot).values([{"key": key, "tat": 0.0} for key in unique]).on_conflict_do_nothing()
                )
        raise RuntimeError("rate-limit buckets could not be created")

    def hold_off(self, buckets: Sequence[Bucket], seconds: float) -> None:
        keys = sorted({b.key for b in buckets})
        with Session(self.engine) as session:
            now, tats = self._locked(session, keys)
            self._write(session, held_off(now, tats, buckets, seconds))
            session.commit()

    def forget_stale(self, older_than: float = 3600.0) -> int:
        with Session(self.engine) as session:
            result = session.exec(delete(RateSlot).where(col(RateSlot.tat) < _NOW - older_than))
            session.commit()
            return result.rowcount


def rate_slots_for(engine: Engine) -> RateSlotStore:
    """Shared buckets where several processes can share the database (PostgreSQL); this process's own on
    SQLite, which serves one process."""
    return DatabaseRateSlots(engine) if engine.dialect.name == "postgresql" else MemoryRateSlots()
