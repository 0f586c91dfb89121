"""Migrations on databases that already hold data: an upgrade keeps every row and value it does not mean
to change, on SQLite and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime

import pytest
from alembic import command
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from storage import Stores
from storage.db import alembic_config, migrate
from tests.conftest import SCHEMAS


def _upgrade(engine, revision: str) -> None:
    command.upgrade(alembic_config(engine), revision)


def test_0005_drops_the_unread_round_columns_and_keeps_the_rounds(unmigrated_engine, nps):
    engine = unmigrated_engine
    _upgrade(engine, "0004")
    created = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO round (team_id, channel_id, framework_id, framework_version, area_count, started_by,"
                " status, anonymous, closes_on, closes_at, timezone, announcement_ts, created_at)"
                " VALUES ('T1', 'C1', :fid, :fver, 13, 'U1', 'closed', true, :closes_on, :closes_at,"
                " 'Europe/London', '1700000000.000100', :created)"
            ),
            dict(fid=nps.id, fver=nps.version, closes_on=date(2026, 11, 30), closes_at=created, created=created),
        )
        old = connection.execute(text("SELECT id FROM round")).scalar_one()
        connection.execute(
            text(
                "INSERT INTO participant (team_id, round_id, user_id, created_at, reminders_off)"
                " VALUES ('T1', :old, 'U2', :created, false)"
            ),
            dict(old=old, created=created),
        )
        connection.execute(
            text(
                "INSERT INTO answer (team_id, round_id, user_id, area_id, level, comment, framework_id,"
                " framework_version, created_at, updated_at)"
                " VALUES ('T1', :old, 'U2', :area, 4, 'We pool budgets', :fid, :fver, :created, :created)"
            ),
            dict(old=old, area=nps.area_ids[0], fid=nps.id, fver=nps.version, created=created),
        )

    migrate(engine)

    columns = {c["name"] for c in inspect(engine).get_columns("round")}
    assert "announcement_ts" not in columns and "timezone" not in columns
    stores = Stores.open(engine)
    round_ = stores.rounds.get("T1", old)
    assert (round_.channel_id, round_.status, round_.closes_on, round_.area_count) == (
        "C1",
        "closed",
        date(2026, 11, 30),
        13,
    )
    [answer] = stores.answers.answers("T1", old)
    assert (answer.user_id, answer.level, answer.comment) == ("U2", 4, "We pool budgets")
    assert [p.user_id for p in stores.answers.participants("T1", old)] == ["U2"]
    # New rounds start in the migrated table.
    fresh = stores.rounds.start(
        team_id="T1", enterprise_id=None, channel_id="C1", framework=nps, started_by="U1", members=["U1"]
    )
    assert fresh.id != old and stores.rounds.number(fresh) == 2


def test_processes_starting_at_once_on_an_empty_postgres_database_migrate_it_once(postgres_unmigrated_engine):
    """Every process migrates at start-up; several web workers, senders and a clock starting together on a
    new PostgreSQL database must not trip over each other's CREATE TABLE."""
    url = postgres_unmigrated_engine.url.render_as_string(hide_password=False)
    script = (
        "import sys; from storage.db import make_engine, migrate; migrate(make_engine(sys.argv[1], schema=sys.argv[2]))"
    )
    command = [sys.executable, "-c", script, url, SCHEMAS[postgres_unmigrated_engine]]
    processes = [subprocess.Popen(command, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    errors = [process.communicate(timeout=120)[1] for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0, 0], errors
    with postgres_unmigrated_engine.connect() as connection:
        versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    assert len(versions) == 1
    assert "rate_slot" in inspect(postgres_unmigrated_engine).get_table_names()


def test_0010_numbers_every_existing_rounds_members_at_random_and_keeps_their_rows(unmigrated_engine, nps):
    engine = unmigrated_engine
    _upgrade(engine, "0009")
    created = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
    members = {"C1": ["U1", "U2", "U3", "U4", "U5"], "C2": ["U1", "U7"]}
    with engine.begin() as connection:
        for channel_id, user_ids in members.items():
            connection.execute(
                text(
                    "INSERT INTO round (team_id, channel_id, framework_id, framework_version, area_count, started_by,"
                    " status, anonymous, created_at) VALUES ('T1', :channel, :fid, :fver, 13, 'U1', 'closed', true,"
                    " :created)"
                ),
                dict(channel=channel_id, fid=nps.id, fver=nps.version, created=created),
            )
            round_id = connection.execute(
                text("SELECT id FROM round WHERE channel_id = :channel"), dict(channel=channel_id)
            ).scalar_one()
            for user_id in user_ids:
                connection.execute(
                    text(
                        "INSERT INTO participant (team_id, round_id, user_id, thread_ts, created_at, reminders_off)"
                        " VALUES ('T1', :round_id, :user_id, :ts, :created, false)"
                    ),
                    dict(round_id=round_id, user_id=user_id, ts=f"1700000000.{user_id}", created=created),
                )

    migrate(engine)

    stores = Stores.open(engine)
    for channel_id, user_ids in members.items():
        round_ = stores.rounds.latest_in_channel("T1", channel_id)
        participants = stores.answers.participants("T1", round_.id)
        assert [(p.user_id, p.thread_ts, p.reminders_off) for p in participants] == [
            (u, f"1700000000.{u}", False) for u in user_ids
        ]
        assert sorted(p.pseudonym for p in participants) == list(range(1, len(user_ids) + 1))
    # A new round numbers its own members; two members of one round can never share a number.
    fresh = stores.rounds.start(
        team_id="T1", enterprise_id=None, channel_id="C3", framework=nps, started_by="U1", members=["U1", "U2"]
    )
    assert sorted(p.pseudonym for p in stores.answers.participants("T1", fresh.id)) == [1, 2]
    with pytest.raises(IntegrityError), engine.begin() as connection:
        connection.execute(
            text("UPDATE participant SET pseudonym = 1 WHERE round_id = :round_id"), dict(round_id=fresh.id)
        )


def test_0011_lets_retention_delete_a_round_closed_before_it_and_keep_what_the_round_showed(unmigrated_engine, nps):
    """A round closed before any view was recorded shows what its final summary showed then (every area with
    the minimum group of answers); after 0011 retention keeps exactly that and deletes the answers."""
    from datetime import timedelta

    from framework.library import FrameworkLibrary
    from results.data_protection import DataProtection
    from results.figures import Results

    engine = unmigrated_engine
    _upgrade(engine, "0010")
    closed = datetime(2026, 1, 5, 17, 0, tzinfo=UTC)
    areas = {nps.area_ids[0]: [2, 3, 3, 4], nps.area_ids[1]: [5, 1]}  # the second area: too few to show
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO round (team_id, channel_id, framework_id, framework_version, area_count, started_by,"
                " status, anonymous, created_at, closed_at) VALUES ('T1', 'C1', :fid, :fver, 13, 'U1', 'closed',"
                " true, :created, :closed)"
            ),
            dict(fid=nps.id, fver=nps.version, created=closed - timedelta(days=14), closed=closed),
        )
        round_id = connection.execute(text("SELECT id FROM round")).scalar_one()
        for number, user_id in enumerate(["U1", "U2", "U3", "U4"], 1):
            connection.execute(
                text(
                    "INSERT INTO participant (team_id, round_id, user_id, created_at, reminders_off, pseudonym)"
                    " VALUES ('T1', :round_id, :user_id, :created, false, :number)"
                ),
                dict(round_id=round_id, user_id=user_id, created=closed, number=number),
            )
        for area_id, levels in areas.items():
            for user_id, level in zip(["U1", "U2", "U3", "U4"], levels):
                connection.execute(
                    text(
                        "INSERT INTO answer (team_id, round_id, user_id, area_id, level, framework_id,"
                        " framework_version, created_at, updated_at) VALUES ('T1', :round_id, :user_id, :area_id,"
                        " :level, :fid, :fver, :at, :at)"
                    ),
                    dict(
                        round_id=round_id,
                        user_id=user_id,
                        area_id=area_id,
                        level=level,
                        fid=nps.id,
                        fver=nps.version,
                        at=closed,
                    ),
                )

    migrate(engine)

    stores = Stores.open(engine)
    results = Results(stores, FrameworkLibrary(nps), 3)
    round_ = stores.rounds.get("T1", round_id)
    before = results.compute(round_)
    assert before.by_area[nps.area_ids[0]].team_level == 3 and before.by_area[nps.area_ids[1]].team_level is None
    assert DataProtection(stores, results, retention_days=30).apply_retention(closed + timedelta(days=31)) == 1
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM answer")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM participant")).scalar() == 0
    assert Results(stores, FrameworkLibrary(nps), 3).compute(round_) == before
