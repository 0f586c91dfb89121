"""Group commit: many threads' small writes in one transaction, each caller still waiting for its own commit.

A click ends by marking its next prompt sent (Slack's ts on the outbox row and on the prompt, the answered
prompt recorded as shown). Written alone, every click pays a transaction of its own for that: a pooled
connection, a turn at SQLite's one writer, a commit. When clicks come together their marks wait in line for
the same writer anyway, so the first to find no transaction under way leads: it takes every mark waiting,
writes them all in one transaction and commits once, while the others wait; whoever is still waiting when
it is done leads the next group. Nobody returns before their write is committed, so callers see exactly
what they saw with a transaction each.

A group that fails (one write refused, the database gone, a deadlock) is rolled back and its writes are tried
again one transaction each, so one bad write fails only its own caller. Writes run in the order of the key
their callers give (on PostgreSQL, groups of several processes then take row locks in one order).

A write gets a `Batch`, not a bare connection. What it `execute`s runs at once (a write that reads, or needs
a new row's id); what it `add`s (an UPDATE whose result it does not need) is held, and a group's held
statements run once the group's writes have all been called, one executemany per statement (in the order
the statements were first added, each over its rows in the writes' order): a group of ten marks costs three
round trips instead of thirty, and SQLAlchemy's work per statement is paid once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, Engine, Executable

T = TypeVar("T")
Write = tuple[Executable, dict[str, Any]]  # a statement and its parameters, to `add` to a group


class Batch:
    """A group's connection, with the statements its writes `add` held back until `flush`."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self._held: dict[Executable, list[dict[str, Any]]] = {}

    def add(self, statement: Executable, params: dict[str, Any]) -> None:
        """Run `statement` with `params` before the group commits, beside every other write's same statement."""
        self._held.setdefault(statement, []).append(params)

    def execute(self, statement: Executable, params: dict[str, Any] | None = None):
        """Run `statement` now (after whatever is held: the order the writes gave stays)."""
        self.flush()
        return self.conn.execute(statement, params)

    def flush(self) -> None:
        held, self._held = self._held, {}
        for statement, rows in held.items():
            self.conn.execute(statement, rows)


@dataclass
class _Pending(Generic[T]):
    write: Callable[[Batch], T]
    order: int
    done: bool = False
    result: T | None = None
    error: BaseException | None = None


@dataclass
class GroupCommit:
    """`run(write)`: `write(batch)` committed, in a transaction shared with whatever else is waiting."""

    engine: Engine
    groups: int = 0  # transactions committed (the tests count them)
    grouped: int = 0  # writes committed in them
    _lock: threading.Condition = field(default_factory=threading.Condition)
    _waiting: list[_Pending] = field(default_factory=list)
    _leading: bool = False

    def run(self, write: Callable[[Batch], T], order: int = 0) -> T:
        pending: _Pending[T] = _Pending(write, order)
        with self._lock:
            self._waiting.append(pending)
            while not pending.done:
                if self._leading:
                    self._lock.wait()
                    continue
                self._leading = True
                group = sorted(self._waiting, key=lambda waiting: waiting.order)
                self._waiting = []
                self._lock.release()
                try:
                    self._commit(group)
                finally:
                    self._lock.acquire()
                    self._leading = False
                    self._lock.notify_all()
        if pending.error is not None:
            raise pending.error
        return pending.result  # type: ignore[return-value]

    def _commit(self, group: list[_Pending]) -> None:
        if len(group) > 1:
            try:
                with self.engine.connect() as conn:
                    batch = Batch(conn)
                    results = [pending.write(batch) for pending in group]
                    batch.flush()
                    conn.commit()
            except BaseException:
                pass  # one transaction each, below: only the write that fails fails
            else:
                for pending, result in zip(group, results, strict=True):
                    pending.result, pending.done = result, True
                self.groups += 1
                self.grouped += len(group)
                return
        for pending in group:
            try:
                with self.engine.connect() as conn:
                    batch = Batch(conn)
                    pending.result = pending.write(batch)
                    batch.flush()
                    conn.commit()
                self.groups += 1
                self.grouped += 1
            except BaseException as error:  # handed to its caller, whatever it is
                pending.error = error
            finally:
                pending.done = True
