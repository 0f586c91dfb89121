"""Group commit (storage.group_commit): writes that arrive together share a transaction, every caller returns
only once its own write is committed, and one refused write fails only its own caller."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, insert, select
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
