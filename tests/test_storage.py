"""Storage on SQLite and PostgreSQL: the guarantees the walk-through relies on."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import inspect

from storage import Stores
from storage.rounds import RoundAlreadyOpen


def _start(stores, framework, team="T1", channel="C1", members=("U1", "U2")):
    return stores.rounds.start(
        team_id=team, enterprise_id=None, channel_id=channel, framework=framework, started_by="U1", members=members
    )


def test_migrations_create_every_table(engine):
    tables = set(inspect(engine).get_table_names())
    assert {"round", "participant", "prompt", "answer", "answer_change", "processed_event", "alembic_version"} <= tables


def test_one_open_round_per_channel_and_per_workspace(engine, nps):
    stores = Stores.open(engine)
    first = _start(stores, nps)
    with pytest.raises(RoundAlreadyOpen) as caught:
        _start(stores, nps)
    assert caught.value.round.id == first.id
    # The same channel id in another workspace is another channel.
    other = _start(stores, nps, team="T2")
    assert other.id != first.id
    assert stores.rounds.get("T2", first.id) is None
    assert [p.user_id for p in stores.answers.participants("T1", first.id)] == ["U1", "U2"]


def test_answers_record_framework_version_and_keep_history(engine, nps):
    stores = Stores.open(engine)
    round_ = _start(stores, nps)
    first = stores.answers.record_answer(round_=round_, user_id="U1", area_id="working-with-partners", level=2)
    again = stores.answers.record_answer(round_=round_, user_id="U1", area_id="working-with-partners", level=2)
    changed = stores.answers.record_answer(round_=round_, user_id="U1", area_id="working-with-partners", level=4)
    commented = stores.answers.record_answer(
        round_=round_, user_id="U1", area_id="working-with-partners", comment="We pool budgets now", set_comment=True
    )
    assert (first.first, first.changed) == (True, True)
    assert (again.first, again.changed) == (False, False)
    assert changed.changed and commented.changed
    answer = stores.answers.answer("T1", round_.id, "U1", "working-with-partners")
    assert (answer.level, answer.comment) == (4, "We pool budgets now")
    assert (answer.framework_id, answer.framework_version) == ("nps-2018-draft", nps.version)
    history = stores.answers.history("T1", round_.id, "U1", "working-with-partners")
    assert [(h.old_level, h.new_level, h.new_comment) for h in history] == [
        (None, 2, None),
        (2, 4, None),
        (4, 4, "We pool budgets now"),
    ]
    assert stores.answers.answer("T2", round_.id, "U1", "working-with-partners") is None


def test_a_prompt_is_claimed_once_even_by_concurrent_requests(engine, nps):
    stores = Stores.open(engine)
    round_ = _start(stores, nps)
    results = []
    barrier = threading.Barrier(8)

    def claim():
        barrier.wait()
        results.append(stores.answers.claim_prompt("T1", round_.id, "U1", "working-with-partners", 1))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claimed = [r for r in results if r is not None]
    assert len(claimed) == 1 and claimed[0].attempt == 1


def test_concurrent_first_answers_end_as_one_answer(engine, nps):
    stores = Stores.open(engine)
    round_ = _start(stores, nps)
    barrier = threading.Barrier(6)
    errors = []

    def click():
        barrier.wait()
        try:
            stores.answers.record_answer(round_=round_, user_id="U2", area_id="obtaining-social-value", level=3)
        except Exception as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=click) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [a.level for a in stores.answers.answers("T1", round_.id, "U2")] == [3]
    assert len(stores.answers.history("T1", round_.id, "U2", "obtaining-social-value")) == 1


def test_events_are_processed_once_per_workspace(engine):
    stores = Stores.open(engine)
    assert stores.events.first_delivery("T1", "Ev1") is True
    assert stores.events.first_delivery("T1", "Ev1") is False
    assert stores.events.first_delivery("T2", "Ev1") is True


def test_team_progress_counts_answers_per_member(engine, nps):
    stores = Stores.open(engine)
    round_ = _start(stores, nps, members=("U1", "U2", "U3"))
    for area_id in nps.area_ids:
        stores.answers.record_answer(round_=round_, user_id="U1", area_id=area_id, level=3)
    stores.answers.claim_prompt("T1", round_.id, "U2", nps.area_ids[0], 1)
    team = {m.user_id: m.status(len(nps.areas)) for m in stores.answers.team_progress("T1", round_.id)}
    assert team == {"U1": "complete", "U2": "in progress", "U3": "not started"}
