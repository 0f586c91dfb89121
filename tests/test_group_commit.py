"""Group commit (storage.group_commit): writes that arrive together share a transaction, every caller returns
only once its own write is committed, and one refused write fails only its own caller."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, bindparam, create_engine, event, insert, select, update
from sqlalchemy.exc import IntegrityError

from storage.group_commit import GroupCommit

METADATA = MetaData()
ROWS = Table("rows", METADATA, Column("id", Integer, primary_key=True), Column("name", String, unique=True))


@pytest.fixture()
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'group.db'}")
    METADATA.create_all(engine)
    yield engine
    engine.dispose()


def names(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(ROWS.c.name)).scalars())


def _insert(name: str, *, hold: threading.Event | None = None):
    def write(conn):
        if hold is not None:
            hold.wait(5)  # the first group's transaction stays open while the others arrive
        return conn.execute(insert(ROWS).values(name=name)).inserted_primary_key[0]

    return write


def run_together(group: GroupCommit, writes) -> tuple[list[threading.Thread], dict, dict]:
    """Start one caller per write, 20 ms apart; the callers' threads, their results and their errors."""
    results, errors = {}, {}

    def call(name, write):
        try:
            results[name] = group.run(write)
        except Exception as error:
            errors[name] = error

    threads = [threading.Thread(target=call, args=item) for item in writes]
    for thread in threads:
        thread.start()
        time.sleep(0.02)
    return threads, results, errors


def test_writes_that_wait_together_are_committed_in_one_transaction(engine):
    group = GroupCommit(engine)
    hold = threading.Event()
    writes = [("first", _insert("first", hold=hold))] + [(f"n{i}", _insert(f"n{i}")) for i in range(7)]
    threads, results, errors = run_together(group, writes)
    hold.set()
    for thread in threads:
        thread.join(10)
    assert errors == {}
    assert names(engine) == {name for name, _ in writes}
    assert sorted(results.values()) == list(range(1, 9))  # each caller got its own row's id
    assert (group.groups, group.grouped) == (2, 8)  # the first alone, the seven that waited in one


def test_a_refused_write_fails_only_its_own_caller(engine):
    with engine.begin() as conn:
        conn.execute(insert(ROWS).values(name="taken"))
    group = GroupCommit(engine)
    hold = threading.Event()
    writes = [("first", _insert("first", hold=hold)), ("a", _insert("a")), ("dup", _insert("taken"))]
    writes += [("b", _insert("b"))]
    threads, results, errors = run_together(group, writes)
    hold.set()
    for thread in threads:
        thread.join(10)
    assert set(errors) == {"dup"} and isinstance(errors["dup"], IntegrityError)
    assert names(engine) == {"taken", "first", "a", "b"}
    assert set(results) == {"first", "a", "b"}


def test_a_caller_returns_only_once_its_write_is_committed(engine):
    group = GroupCommit(engine)

    def write(conn):
        conn.execute(insert(ROWS).values(name="mine"))
        return "written"

    assert group.run(write) == "written"
    assert names(engine) == {"mine"}  # read on another connection, straight after the call


RENAME = update(ROWS).where(ROWS.c.name == bindparam("b_old")).values(name=bindparam("b_new"))


def test_statements_a_group_adds_run_once_for_the_whole_group(engine):
    """Seven callers each add the same UPDATE: their group runs it as one executemany, and every caller's row
    is changed before any of them returns."""
    with engine.begin() as conn:
        conn.execute(insert(ROWS), [{"name": f"n{i}"} for i in range(8)])
    executed = []
    event.listen(engine, "before_cursor_execute", lambda *args: executed.append(len(args[3]) if args[5] else 1))
    group = GroupCommit(engine)
    hold = threading.Event()

    def rename(old: str, *, first: bool = False):
        def write(batch):
            if first:
                hold.wait(5)
            batch.add(RENAME, {"b_old": old, "b_new": old.upper()})
            return old

        return write

    writes = [("n0", rename("n0", first=True))] + [(f"n{i}", rename(f"n{i}")) for i in range(1, 8)]
    threads, results, errors = run_together(group, writes)
    hold.set()
    for thread in threads:
        thread.join(10)
    assert executed == [1, 7]  # the first caller's statement alone, then the seven that waited: one executemany
    assert errors == {} and set(results) == {f"n{i}" for i in range(8)}
    assert names(engine) == {f"N{i}" for i in range(8)}


def test_an_added_statement_that_is_refused_fails_only_its_own_caller(engine):
    with engine.begin() as conn:
        conn.execute(insert(ROWS), [{"name": "a"}, {"name": "b"}, {"name": "taken"}])
    group = GroupCommit(engine)
    hold = threading.Event()

    def rename(old: str, new: str, *, first: bool = False):
        def write(batch):
            if first:
                hold.wait(5)
            batch.add(RENAME, {"b_old": old, "b_new": new})

        return write

    writes = [("first", rename("a", "A", first=True)), ("dup", rename("b", "taken")), ("c", rename("taken", "T"))]
    threads, results, errors = run_together(group, writes)
    hold.set()
    for thread in threads:
        thread.join(10)
    assert set(errors) == {"dup"} and isinstance(errors["dup"], IntegrityError)
    assert names(engine) == {"A", "b", "T"}
