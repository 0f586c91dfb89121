"""Storage on SQLite and PostgreSQL: the guarantees the walk-through relies on."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import event, inspect, text

from storage import Stores
from storage.answers import NotInOpenRound
from storage.db import make_engine
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
        results.append(stores.answers.claim_next(round_, "U1", nps.area_ids, _prompt_message))

    threads = [threading.Thread(target=claim) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    claimed = [step.prompt for step in results if step.prompt is not None]
    assert len(claimed) == 1 and (claimed[0].area_id, claimed[0].attempt) == (nps.area_ids[0], 1)
    assert all(step.progress.waiting() == nps.area_ids[0] for step in results)
    # The winner's message is born leased to it: no other sender may take it while the lease runs.
    [winner] = [step for step in results if step.prompt is not None]
    assert winner.message.attempts == 1 and stores.outbox.lease(winner.message.id) is None


def test_a_live_sender_renews_only_the_leases_it_still_holds(engine):
    """Renewing pushes back the lease of every message still held at the attempt the sender leased, in one
    statement; a message sent meanwhile, or leased again by another sender since, is left alone."""
    from datetime import timedelta

    from storage.kinds import MessageKind
    from storage.models import utcnow
    from storage.outbox import OutboxStore, Owed

    outbox = OutboxStore(engine, lease=timedelta(seconds=15))
    owed = [
        outbox.enqueue("T1", Owed(key=f"reminder:{i}", kind=MessageKind.REMINDER, channel="D1", text=str(i)))
        for i in range(4)
    ]
    leased = [outbox.lease(message.id) for message in owed]
    kept, also_kept, sent, taken_over = leased
    outbox.mark_sent(sent, "D1", "1700000000.000100")
    later = utcnow() + timedelta(seconds=16)  # every lease has run out: another sender takes one over
    assert outbox.lease(taken_over.id, now=later).attempts == 2
    held = {message.id: message.attempts for message in leased}

    assert outbox.renew(held, now=later) == 2
    assert outbox.renew({}) == 0
    assert outbox.claim_due(now=later + timedelta(seconds=14), limit=10) == []  # renewed: still held
    due_again = outbox.claim_due(now=later + timedelta(seconds=16), limit=10)
    assert sorted(message.id for message in due_again) == sorted([kept.id, also_kept.id, taken_over.id])
    assert outbox.by_key("T1", "reminder:2").ts == "1700000000.000100"


def _prompt_message(area_id, prompt):
    from storage.kinds import MessageKind
    from storage.outbox import Owed

    return Owed(key=f"prompt:{prompt.id}", kind=MessageKind.PROMPT, channel="D1", text=area_id, ref_id=prompt.id)


def test_concurrent_first_answers_end_as_one_answer(engine, nps):
    stores = Stores.open(engine)
    round_ = _start(stores, nps)
    barrier = threading.Barrier(6)
    errors = []

    def click():
        barrier.wait()
        try:
            stores.answers.record_answer(round_=round_, user_id="U2", area_id="obtaining-social-value", level=3)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=click) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [a.level for a in stores.answers.answers("T1", round_.id, "U2")] == [3]
    assert len(stores.answers.history("T1", round_.id, "U2", "obtaining-social-value")) == 1


def test_the_last_two_answers_given_at_once_complete_the_round_once(engine, nps):
    """Two prompts open (one was skipped), both answered at the same moment: whichever commits last sees every
    answer and marks the round complete, exactly once."""
    stores = Stores.open(engine)
    round_ = _start(stores, nps)
    earlier, last_two = nps.area_ids[:-2], nps.area_ids[-2:]
    for area_id in earlier:
        stores.answers.record_answer(round_=round_, user_id="U2", area_id=area_id, level=3)
    barrier = threading.Barrier(2)
    results, errors = [], []

    def click(area_id):
        barrier.wait()
        try:
            results.append(stores.answers.record_answer(round_=round_, user_id="U2", area_id=area_id, level=2))
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=click, args=(area_id,)) for area_id in last_two]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(stores.answers.answers("T1", round_.id, "U2")) == len(nps.area_ids)
    assert sorted(r.completed_now for r in results) == [False, True]
    assert stores.answers.participation("T1", round_.id)[1] == 1


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
    stores.answers.claim_next(round_, "U2", nps.area_ids, _prompt_message)
    team = {m.user_id: m.status(len(nps.areas)) for m in stores.answers.team_progress("T1", round_.id)}
    assert team == {"U1": "complete", "U2": "in progress", "U3": "not started"}


def _fill_workspace(stores, framework, team):
    """One row of every kind a workspace accumulates: a round with its participants and owed kick-offs, a
    claimed prompt with its owed message, an answer and its history, a target, a schedule with a claimed
    slot, a reminder, an extra facilitator, an audit entry, a processed event, a published view and a closed round's kept
    figures."""
    from storage.kinds import ClaimKind, MessageKind, ReminderReason
    from storage.models import utcnow
    from storage.outbox import Owed
    from storage.records import AreaRecord

    def owed(kind, ref_id, key):
        return Owed(key=key, kind=kind, channel="U1", text="hello", ref_id=ref_id)

    round_ = stores.rounds.start(
        team_id=team,
        enterprise_id=None,
        channel_id="C1",
        framework=framework,
        started_by="U1",
        members=["U1", "U2"],
        kickoff=lambda r, p: owed(MessageKind.KICKOFF, p.id, f"kickoff:{r.id}:{p.user_id}"),
    )
    area = framework.area_ids[0]
    stores.answers.claim_next(
        round_, "U1", framework.area_ids, lambda area_id, p: owed(MessageKind.PROMPT, p.id, f"prompt:{p.id}")
    )
    stores.answers.record_answer(round_=round_, user_id="U1", area_id=area, level=3)
    stores.published.publish(team, round_.id, lambda current, history: {area: current[area]})
    stores.targets.replace(team, "C1", framework.id, {area: 4}, "U1")
    schedule = stores.schedules.set_schedule(
        team, "C1", frequency="daily", day=None, time="09:00", timezone="Europe/London", created_by="U1"
    )
    stores.schedules.claim(team, ClaimKind.SUMMARY, str(schedule.id), utcnow())
    stores.schedules.record_reminder(
        team, round_.id, "U2", ReminderReason.FACILITATOR, owed(MessageKind.REMINDER, None, f"reminder:{round_.id}:U2")
    )
    stores.facilitators.add(team, "C1", "U2", added_by="U1")
    stores.audit.record(team, "C1", "U1", "start", round_id=round_.id)
    stores.events.first_delivery(team, "Ev1")
    # An action of the channel's plan, and the channel's rule on who adds them.
    stores.plan.add(
        team_id=team,
        channel_id="C1",
        framework_id=framework.id,
        area_id=area,
        round_id=round_.id,
        text="Publish the policy",
        owner_id="U2",
        due_on=utcnow().date(),
        aim_level=3,
        by="U1",
        tell_owner=lambda item: owed(MessageKind.ACTION, item.id, f"action:{item.id}:owner"),
    )
    stores.plan.set_members_may_add(team, "C1", True, "U1")
    # A closed round whose figures are kept as aggregates (retention, erasure).
    old = stores.rounds.start(
        team_id=team, enterprise_id=None, channel_id="C2", framework=framework, started_by="U1", members=["U1"]
    )
    stores.rounds.close(team, old.id, lambda r: owed(MessageKind.SUMMARY, r.id, f"final:{r.id}"))
    stores.records.keep_final(
        team, old.id, members=1, complete=0, in_progress=1, areas={area: AreaRecord((3,), received=1)}
    )


def _rows_per_table(engine, team):
    from sqlalchemy import func, select

    from storage.workspaces import workspace_tables

    with engine.connect() as connection:
        return {
            table.name: connection.execute(
                select(func.count()).select_from(table).where(table.c.team_id == team)
            ).scalar()
            for table in workspace_tables()
        }


def test_deleting_a_workspace_deletes_its_rows_in_every_table_and_nothing_else(engine, nps):
    stores = Stores.open(engine)
    for team in ("T1", "T2"):
        _fill_workspace(stores, nps, team)
    before = {team: _rows_per_table(engine, team) for team in ("T1", "T2")}
    # Every table that holds workspace rows is filled, so a table added later without a place here fails.
    assert sorted(name for name, count in before["T2"].items() if count == 0) == []
    assert {
        "round",
        "participant",
        "prompt",
        "answer",
        "answer_change",
        "published_view",
        "outbox",
        "target",
        "schedule",
        "scheduled_run",
        "reminder",
        "facilitator",
        "audit_entry",
        "processed_event",
    } <= set(before["T2"])

    stores.workspaces.delete_all("T2")

    after = {team: _rows_per_table(engine, team) for team in ("T1", "T2")}
    for table, count in after["T2"].items():
        assert count == 0, f"{table} still holds {count} row(s) of the deleted workspace"
    assert after["T1"] == before["T1"]


def _final_summary(round_):
    from storage.kinds import MessageKind
    from storage.outbox import Owed

    return Owed(key=f"final:{round_.id}", kind=MessageKind.SUMMARY, channel="C1", text="final", ref_id=round_.id)


def test_an_answer_to_a_round_closed_since_the_member_check_writes_nothing(engine, nps):
    """The click's check saw the round open (read then, or remembered); the round closed before the answer's
    transaction. A first answer, a change and a repeat are all refused, and nothing is written."""
    stores = Stores.open(engine)
    round_ = _start(stores, nps)  # the round as the click's check read it: open
    area, other = nps.area_ids[:2]
    stores.answers.record_answer(round_=round_, user_id="U1", area_id=area, level=2)
    assert stores.rounds.close("T1", round_.id, _final_summary) is not None
    for area_id, level in ((other, 3), (area, 4), (area, 2)):
        with pytest.raises(NotInOpenRound):
            stores.answers.record_answer(round_=round_, user_id="U1", area_id=area_id, level=level)
    assert [(a.area_id, a.level) for a in stores.answers.answers("T1", round_.id)] == [(area, 2)]
    assert len(stores.answers.history("T1", round_.id, "U1", area)) == 1


def test_an_answer_from_someone_not_in_the_round_writes_nothing(engine, nps):
    stores = Stores.open(engine)
    round_ = _start(stores, nps)
    with pytest.raises(NotInOpenRound):
        stores.answers.record_answer(round_=round_, user_id="U9", area_id=nps.area_ids[0], level=3)
    assert stores.answers.answers("T1", round_.id) == []


def _thread_posted(engine, round_, user_id, channel, ts):
    """What the outbox records once a member's kick-off (their thread's parent) is in Slack."""
    from sqlalchemy import update

    from storage.models import Participant

    with engine.begin() as conn:
        conn.execute(
            update(Participant.__table__)
            .where(Participant.round_id == round_.id, Participant.user_id == user_id)
            .values(dm_channel_id=channel, thread_ts=ts)
        )


def test_a_remembered_member_check_still_sees_the_round_as_it_was_read(engine, nps):
    """The level click's check may come from memory, so long as the answer's own transaction checks again."""
    stores = Stores.open(engine)
    round_ = _start(stores, nps)
    assert stores.answers.member_in_round("T1", round_.id, "U1", remembered=True)[1] is not None
    _thread_posted(engine, round_, "U1", "D1", "100.1")
    fresh = stores.answers.member_in_round("T1", round_.id, "U1", remembered=True)
    stores.rounds.close("T1", round_.id, _final_summary)
    remembered = stores.answers.member_in_round("T1", round_.id, "U1", remembered=True)
    read_now = stores.answers.member_in_round("T1", round_.id, "U1")
    assert remembered[0].status == "open" and remembered[1].thread_ts == fresh[1].thread_ts == "100.1"
    assert read_now[0].status == "closed"
    # Not remembered before the thread exists: a member whose kick-off is not posted yet is read each time.
    _thread_posted(engine, round_, "U2", "D2", "100.2")
    assert stores.answers.member_in_round("T1", round_.id, "U2", remembered=True)[1].thread_ts == "100.2"


@pytest.mark.postgres
def test_on_postgresql_a_round_closing_waits_for_an_answer_in_flight(postgres_engine, nps):
    """The answer's transaction holds the round's row FOR SHARE from its check to its commit: a close that
    comes meanwhile waits, so the answer is in the round before it closes, never after."""
    stores = Stores.open(postgres_engine)
    round_ = _start(stores, nps)
    in_transaction, go_on = threading.Event(), threading.Event()

    def slow_prompt(area_id, prompt):  # called inside the answer's transaction, after its check
        in_transaction.set()
        assert go_on.wait(10)
        from storage.kinds import MessageKind
        from storage.outbox import Owed

        return Owed(key=f"prompt:{area_id}", kind=MessageKind.PROMPT, channel="D1", text="next", ref_id=prompt.id)

    answering = threading.Thread(
        target=stores.answers.record_answer,
        kwargs=dict(
            round_=round_,
            user_id="U1",
            area_id=nps.area_ids[0],
            level=3,
            next_prompt=slow_prompt,
            area_ids=nps.area_ids,
        ),
    )
    closed = []
    closing = threading.Thread(target=lambda: closed.append(stores.rounds.close("T1", round_.id, _final_summary)))
    answering.start()
    assert in_transaction.wait(10)
    closing.start()
    closing.join(0.5)
    assert closing.is_alive(), "the close did not wait for the answer in flight"
    go_on.set()
    answering.join(10)
    closing.join(10)
    assert closed and closed[0] is not None
    [answer] = stores.answers.answers("T1", round_.id)
    assert answer.level == 3 and answer.updated_at <= closed[0][0].closed_at


def test_on_sqlite_writers_of_one_process_never_meet_the_busy_handler(tmp_path):
    """Clicks that write at once queue on the process's own lock, released only once a writer's commit (or
    rollback) is done: with SQLite's busy timeout at zero, any overlap would fail at once as "database is
    locked" instead of sleeping in the busy handler, as it did while the lock was let go before the commit."""
    engine = make_engine(f"sqlite:///{tmp_path / 'writers.db'}")

    @event.listens_for(engine, "connect")
    def _no_busy_wait(dbapi_connection, _record) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE clicks (id INTEGER PRIMARY KEY, kept INTEGER)"))
    failures: list[str] = []

    def click(keep: bool) -> None:
        for _ in range(100):
            try:
                with engine.connect() as conn:
                    conn.execute(text("INSERT INTO clicks (kept) VALUES (:kept)"), {"kept": keep})
                    conn.execute(text("UPDATE clicks SET kept = kept WHERE id = 1"))
                    conn.commit() if keep else conn.rollback()
            except Exception as error:
                failures.append(str(error).splitlines()[0])

    threads = [threading.Thread(target=click, args=(i % 4 != 0,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*), min(kept) FROM clicks")).one() == (600, 1)
    engine.dispose()
