"""Anonymity that survives subtraction: no two views of an area that were shown differ by fewer than
MATURITY_MIN_GROUP members' answers (or they differ by none). The rule on its own (results/anonymity.py,
in memory, property-tested), the store that records what was shown (SQLite, property-tested), and what a
user sees through the real App: the channel summary, the summary CSV, the Home tab and the report."""

from __future__ import annotations

import csv
import io
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from results.anonymity import CLOSED, DIFFERENCING, MIN_GROUP, decide, decide_all, difference
from storage import Stores
from storage.db import make_engine, migrate
from storage.kinds import MessageKind
from storage.outbox import Owed
from tests.harness import text_of

PARTNERS = "working-with-partners"
K = 3


def assert_pairwise_safe(views, min_group):
    """Every two views (the empty one, before anything was shown, included) differ by 0 or >= min_group."""
    for a, b in itertools.combinations([{}, *views], 2):
        d = difference(a, b)
        assert d == 0 or d >= min_group, (a, b, d)


# -- the rule, in memory ------------------------------------------------------------------------------------


def test_three_then_four_then_six_answers():
    first = decide({"U1": 2, "U2": 3, "U3": 3}, [], K)
    assert first.publish and first.answers == 3
    fourth = decide({"U1": 2, "U2": 3, "U3": 3, "U4": 5}, [first.shown], K)
    assert not fourth.publish and fourth.shown == first.shown
    assert (fourth.answers, fourth.held_back, fourth.held_by, fourth.received) == (3, 1, DIFFERENCING, 4)
    six = {"U1": 2, "U2": 3, "U3": 3, "U4": 5, "U5": 1, "U6": 4}
    sixth = decide(six, [first.shown], K)
    assert sixth.publish and sixth.shown == six and sixth.held_back == 0


def test_a_forgotten_member_who_takes_part_again_counts_once_against_the_views_shown_before():
    """Erasure names the member by a token in the views shown before; if they answer again under their own
    name, the token and the name may be one person, so with one other new answer two people differ, not
    three, and the figures hold (else the two views would give away the other answer)."""
    shown = {"UA": 3, "UB": 3, "erased-1f2e": 2}  # UX's answer, forgotten
    current = {"UA": 3, "UB": 3, "UX": 4, "UF": 3}  # UX again, and UF
    assert difference(current, shown) == 2
    held = decide(current, [shown], K)
    assert not held.publish and held.shown == shown and (held.held_back, held.held_by) == (2, DIFFERENCING)
    current["UG"] = 5
    assert decide(current, [shown], K).publish
    # Only a departure: nothing newer to hold back, and the figures stay as shown.
    gone = decide({"UA": 3, "UB": 3}, [shown], K)
    assert not gone.publish and gone.shown == shown and (gone.held_back, gone.held_by) == (0, None)


def test_fewer_than_the_minimum_group_shows_nothing():
    decision = decide({"U1": 4, "U2": 4}, [], K)
    assert (decision.shown, decision.publish, decision.held_back, decision.held_by) == ({}, False, 2, MIN_GROUP)


def test_a_changed_answer_counts_as_an_answer_to_subtract():
    shown = {"U1": 2, "U2": 3, "U3": 3}
    # Two members change their answers: two members differ, too few.
    assert not decide({"U1": 3, "U2": 4, "U3": 3}, [shown], K).publish
    # A third change makes three.
    assert decide({"U1": 3, "U2": 4, "U3": 4}, [shown], K).publish


def test_every_earlier_view_counts_not_only_the_last():
    v1 = {"U1": 1, "U2": 1, "U3": 1}
    v2 = {"U1": 2, "U2": 2, "U3": 2}  # three changes: shown
    # Against v2 three members differ (U1, U2, U4), but against v1 only two (U3, U4): held back.
    candidate = {"U1": 1, "U2": 1, "U3": 2, "U4": 1}
    decision = decide(candidate, [v1, v2], K)
    assert not decision.publish and decision.shown == v2 and decision.held_by == DIFFERENCING


def test_a_closed_round_shows_nothing_new():
    decision = decide({"U1": 2, "U2": 3, "U3": 3}, [], K, may_publish=False)
    assert not decision.publish and decision.shown == {} and decision.held_by == CLOSED


MEMBERS = [f"U{n}" for n in range(1, 9)]
AREAS = ["a", "b"]
operation = st.one_of(
    st.tuples(st.just("answer"), st.sampled_from(MEMBERS), st.sampled_from(AREAS), st.integers(1, 5)),
    st.tuples(st.just("summary")),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(operation, max_size=60), st.integers(1, 4))
def test_no_two_published_views_differ_by_fewer_than_the_minimum_group(operations, min_group):
    """Random answers, changes and summaries: every view shown of an area differs from every other (and
    from showing nothing) by no member or by min_group members or more; and what is shown is a real state of
    the answers at some summary."""
    current: dict[str, dict[str, int]] = {}
    published: dict[str, list[dict[str, int]]] = {}
    shown_views: dict[str, list[dict[str, int]]] = {area: [] for area in AREAS}
    states: dict[str, list[dict[str, int]]] = {area: [{}] for area in AREAS}
    for op in operations:
        if op[0] == "answer":
            _, member, area, level = op
            current.setdefault(area, {})[member] = level
            continue
        for area in AREAS:
            states[area].append(dict(current.get(area, {})))
        for area, decision in decide_all(current, published, min_group).items():
            if decision.publish:
                published.setdefault(area, []).append(dict(decision.shown))
            shown_views[area].append(decision.shown)
            assert decision.shown in states[area]
            assert decision.held_back == difference(current.get(area, {}), decision.shown)
    for area in AREAS:
        assert_pairwise_safe(shown_views[area], min_group)
        assert_pairwise_safe(published.get(area, []), min_group)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(MEMBERS), st.integers(1, 5)), max_size=30), st.integers(1, 4))
def test_figures_move_once_enough_members_have_answered(answers, min_group):
    """Liveness without changes: new members' answers are shown once min_group of them are new."""
    current: dict[str, int] = {}
    published: list[dict[str, int]] = []
    for member, level in answers:
        if member in current:
            continue
        current[member] = level
        decision = decide(current, published, min_group)
        if decision.publish:
            published.append(decision.shown)
        assert decision.held_back < min_group


# -- the store, on SQLite --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sqlite_stores(tmp_path_factory, nps):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('anonymity') / 'test.db'}")
    migrate(engine)
    yield Stores.open(engine)
    engine.dispose()


channels = itertools.count(1)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.one_of(
            st.tuples(st.just("answer"), st.sampled_from(MEMBERS[:6]), st.integers(1, 5)),
            st.tuples(st.just("summary")),
            st.tuples(st.just("erase"), st.sampled_from(MEMBERS[:6])),
        ),
        max_size=30,
    )
)
def test_the_store_records_only_views_that_keep_the_rule(sqlite_stores, nps, operations):
    """Answers and changes through the answers store, erasures (`/maturity forget me`) and summaries through
    Results: every recorded view of the area keeps the rule with every other, and each summary shows the last
    one recorded. (A forgotten member is not traced back: the test has them answer no more.)"""
    from framework.library import FrameworkLibrary
    from results.data_protection import DataProtection
    from results.figures import Results

    stores = sqlite_stores
    results = Results(stores, FrameworkLibrary(nps), K)
    team_id = f"TP{next(channels)}"  # a workspace of its own: an erasure reaches no other example's rounds
    round_ = stores.rounds.start(
        team_id=team_id,
        enterprise_id=None,
        channel_id=f"C{next(channels)}",
        framework=nps,
        started_by="U1",
        members=MEMBERS[:6],
    )
    erased: set[str] = set()
    for op in operations:
        if op[0] == "answer" and op[1] not in erased:
            _, member, level = op
            stores.answers.record_answer(round_=round_, user_id=member, area_id=PARTNERS, level=level)
            continue
        if op[0] == "erase":
            DataProtection(stores, results).erase_member(team_id, op[1], by=op[1])
            erased.add(op[1])
            continue
        if op[0] != "summary":
            continue
        score = results.compute(round_).by_area[PARTNERS]
        _, history = stores.published.read(team_id, round_.id)
        last = history.get(PARTNERS, [{}])[-1]
        assert score.answers == len(last)
        assert score.counts == {n: sum(1 for v in last.values() if v == n) for n in range(1, 6)}
    _, history = stores.published.read(team_id, round_.id)
    assert_pairwise_safe(history.get(PARTNERS, []), K)


def test_a_closed_rounds_views_never_change(sqlite_stores, nps):
    from framework.library import FrameworkLibrary
    from results.figures import Results

    stores = sqlite_stores
    results = Results(stores, FrameworkLibrary(nps), K)
    round_ = stores.rounds.start(
        team_id="T1", enterprise_id=None, channel_id="CX", framework=nps, started_by="U1", members=MEMBERS[:4]
    )
    for member in MEMBERS[:3]:
        stores.answers.record_answer(round_=round_, user_id=member, area_id=PARTNERS, level=3)
    results.compute(round_)
    stores.answers.record_answer(round_=round_, user_id="U4", area_id=PARTNERS, level=5)
    closed, _ = stores.rounds.close(
        "T1",
        round_.id,
        lambda r: Owed(key=f"final-{r.id}", kind=MessageKind.SUMMARY, ref_id=r.id, channel="CX", text=""),
    )
    # Nothing is written for a closed round: publish refuses, and the figures stay as of 3 answers.
    assert stores.published.publish("T1", closed.id, lambda current, history: {PARTNERS: current[PARTNERS]}) is None
    score = results.compute(closed).by_area[PARTNERS]
    assert (score.answers, score.held_back, score.team_level) == (3, 1, 3)


# -- through the real App ------------------------------------------------------------------------------------


def answer(workspace, round_, user_id, level, area_id=PARTNERS):
    workspace.services.stores.answers.record_answer(round_=round_, user_id=user_id, area_id=area_id, level=level)


def summaries_in(slack, channel="C4"):
    return [
        m for m in slack.top_level(channel, team_id="T1") if m.text.startswith(("Maturity summary", "Final summary"))
    ]


def test_a_fourth_answer_does_not_move_the_summary_until_three_are_new(workspace, slack, team):
    stores = workspace.services.stores
    for user_id, level in zip(["U1", "U2", "U3"], [2, 3, 3]):
        answer(workspace, team, user_id, level)
    workspace.command("U1", "summary", channel_id="C4")
    answer(workspace, team, "U4", 5)
    workspace.command("U1", "summary", channel_id="C4")
    first, second = summaries_in(slack)
    assert "Team level *3 · Mature*" in text_of(first) and "as of" not in text_of(first)
    assert "Answers: Minimum 0 · Developing 1 · Mature 2 · Leader 0 · Innovator 0" in text_of(second)
    assert "_as of 3 answers, 1 newer answer held back_" in text_of(second)
    assert "*Held back*: 1 newer answer in 1 area is not in these figures." in text_of(second)
    # A fifth and a sixth member: three answers are new, and the figures move.
    for user_id in ("U5", "U6"):
        stores.answers.add_participant(team, user_id)
    answer(workspace, team, "U5", 5)
    answer(workspace, team, "U6", 4)
    workspace.command("U1", "summary", channel_id="C4")
    third = summaries_in(slack)[-1]
    assert "Answers: Minimum 0 · Developing 1 · Mature 2 · Leader 1 · Innovator 2" in text_of(third)
    assert "as of" not in text_of(third) and "Held back" not in text_of(third)


def test_changed_answers_are_held_back_like_new_ones(workspace, slack, team):
    for user_id, level in zip(["U1", "U2", "U3"], [2, 3, 3]):
        answer(workspace, team, user_id, level)
    workspace.command("U1", "summary", channel_id="C4")
    answer(workspace, team, "U1", 5)  # a change
    answer(workspace, team, "U4", 5)  # a new answer
    workspace.command("U1", "summary", channel_id="C4")
    assert "_as of 3 answers, 2 newer answers held back_" in text_of(summaries_in(slack)[-1])
    answer(workspace, team, "U2", 1)  # a third member's answer differs: the figures move
    workspace.command("U1", "summary", channel_id="C4")
    latest = text_of(summaries_in(slack)[-1])
    assert "Answers: Minimum 1 · Developing 0 · Mature 1 · Leader 0 · Innovator 2" in latest


def test_the_summary_csv_with_one_answer_shows_no_level(workspace, slack, team):
    answer(workspace, team, "U2", 4)
    [_, (_, data)] = workspace.services.results.export_files(team, "procurement-team")
    rows = {row["area id"]: row for row in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))}
    row = rows[PARTNERS]
    assert (row["answers"], row["answers held back"], row["held back by"]) == ("0", "1", "minimum group")
    assert row["team level number"] == row["team level name"] == row["spread"] == ""
    assert [row[f"{name} answers"] for name in ("Minimum", "Developing", "Mature", "Leader", "Innovator")] == ["0"] * 5


def test_the_home_the_report_and_the_csv_show_the_summarys_figures(workspace, slack, team):
    from tests.test_home import as_message, home_of, open_home

    for user_id, level in zip(["U1", "U2", "U3"], [2, 3, 3]):
        answer(workspace, team, user_id, level)
    workspace.command("U1", "summary", channel_id="C4")
    answer(workspace, team, "U4", 5)
    open_home(workspace, "U1", "EvHomeAnon")
    home = text_of(as_message(home_of(slack, "U1")))
    assert "Showing leadership: Mature" in home
    assert "_Held back_: 1 answer in 1 area: too few new or changed answers since a view already shown" in home
    assert "(differencing rule)" in home

    [_, (_, data)] = workspace.services.results.export_files(team, "procurement-team")
    row = {r["area id"]: r for r in csv.DictReader(io.StringIO(data.decode("utf-8-sig")))}[PARTNERS]
    assert (row["answers"], row["answers held back"], row["held back by"]) == ("3", "1", "differencing")
    assert (row["Innovator answers"], row["team level number"]) == ("0", "3")

    from pypdf import PdfReader

    _, pdf = workspace.services.results.report_pdf(team, "#procurement-team")
    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "1 newer answer in 1 area" in text and "held back" in text

    # The final summary holds the same answer back, and says so.
    workspace.command("U1", "close", channel_id="C4")
    final = text_of(summaries_in(slack)[-1])
    assert final.startswith("Final summary") and "_as of 3 answers, 1 newer answer held back_" in final
    assert "not in the final figures" in final


def test_a_change_after_a_summary_is_seen_by_the_next_one_in_this_process_and_any_other(sqlite_stores, nps):
    """Each process keeps what it decided by the state it decided on (answers, their last change, the views
    recorded): a changed answer, which leaves the number of answers as it was, is still a new state."""
    from framework.library import FrameworkLibrary
    from results.figures import Results

    stores = sqlite_stores
    here, elsewhere = Results(stores, FrameworkLibrary(nps), K), Results(stores, FrameworkLibrary(nps), K)
    round_ = stores.rounds.start(
        team_id="T1", enterprise_id=None, channel_id="CK", framework=nps, started_by="U1", members=MEMBERS[:4]
    )
    for member in MEMBERS[:3]:
        stores.answers.record_answer(round_=round_, user_id=member, area_id=PARTNERS, level=3)
    assert here.compute(round_).by_area[PARTNERS].held_back == 0
    assert here.compute(round_).by_area[PARTNERS].team_level == 3
    stores.answers.record_answer(round_=round_, user_id=MEMBERS[0], area_id=PARTNERS, level=5)
    for results in (here, elsewhere):
        score = results.compute(round_).by_area[PARTNERS]
        assert (score.answers, score.held_back, score.team_level) == (3, 1, 3)


def test_a_facilitators_status_and_summary_note_say_which_rule_held_answers_back(workspace, slack, team):
    answer(workspace, team, "U2", 4)
    workspace.command("U1", "summary", channel_id="C4")
    note = slack.ephemerals[-1]["text"]
    assert "_Held back_: 1 answer in 1 area: too few answers to show yet (minimum group)" in note
    for user_id, level in zip(["U1", "U3"], [2, 3]):
        answer(workspace, team, user_id, level)
    workspace.command("U1", "summary", channel_id="C4")  # three answers: shown
    answer(workspace, team, "U4", 5)
    workspace.command("U1", "status", channel_id="C4")
    status = slack.ephemerals[-1]["text"]
    assert "1 answer in 1 area: too few new or changed answers since a view already shown (differencing rule)" in status
    workspace.command("U2", "status", channel_id="C4")  # a member who does not facilitate sees no such line
    assert "Held back" not in slack.ephemerals[-1]["text"]
