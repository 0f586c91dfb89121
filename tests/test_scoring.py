"""The scoring rules, with numbers a member would check by hand, and the properties the rules promise."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from framework.loader import load_framework
from framework.scoring import (
    DISAGREEMENT_SPREAD,
    Participation,
    lower_median,
    score_area,
    summarise,
    team_levels,
)

SMALL_FRAMEWORK = Path(__file__).resolve().parent / "data" / "team-health.yaml"
NO_ONE = Participation(members=0, complete=0, in_progress=0)


@pytest.fixture(scope="module")
def nps():
    return load_framework()


@pytest.fixture(scope="module")
def small():
    return load_framework(SMALL_FRAMEWORK)


# -- one area, by hand -----------------------------------------------------------------------------


def test_four_answers_take_the_lower_middle_level():
    score = score_area("a", [1, 2, 4, 5], 5)
    assert score.team_level == 2
    assert score.spread == 4
    assert score.disagreement is True
    assert score.answers == 4


def test_close_answers_are_not_a_disagreement():
    score = score_area("a", [3, 3, 4], 5)
    assert score.team_level == 3
    assert score.spread == 1
    assert score.disagreement is False


def test_a_spread_of_exactly_two_levels_is_a_disagreement():
    assert DISAGREEMENT_SPREAD == 2
    assert score_area("a", [2, 4, 3], 5).disagreement is True
    assert score_area("a", [2, 3], 5).disagreement is False


def test_unanimous_answers():
    score = score_area("a", [4, 4], 5)
    assert score.team_level == 4
    assert score.spread == 0
    assert score.disagreement is False


def test_a_team_is_not_leader_until_half_says_so():
    assert score_area("a", [2, 4], 5).team_level == 2
    assert score_area("a", [2, 4, 4], 5).team_level == 4
    assert score_area("a", [2, 2, 4, 4], 5).team_level == 2


def test_answers_in_any_order_are_sorted_before_taking_the_middle():
    assert score_area("a", [5, 1, 4, 2], 5).team_level == 2
    assert score_area("a", [5, 3, 1], 5).team_level == 3


def test_no_answers():
    score = score_area("a", [], 5)
    assert score.team_level is None
    assert score.spread is None
    assert score.disagreement is False
    assert score.answers == 0
    assert score.counts == {1: 0, 2: 0, 3: 0, 4: 0, 5: 0}
    assert lower_median([]) is None


def test_counts_include_every_level_with_zeros():
    assert score_area("a", [1, 2, 4, 5], 5).counts == {1: 1, 2: 1, 3: 0, 4: 1, 5: 1}
    assert score_area("a", [3, 3, 4], 5).counts == {1: 0, 2: 0, 3: 2, 4: 1, 5: 0}
    assert score_area("a", [2], 3).counts == {1: 0, 2: 1, 3: 0}


def test_gap_is_target_minus_team_level():
    assert score_area("a", [1, 2, 4, 5], 5, target=4).gap == 2
    assert score_area("a", [4, 5, 5], 5, target=4).gap == -1  # above target
    assert score_area("a", [3, 3], 5, target=3).gap == 0
    assert score_area("a", [1, 2, 4, 5], 5).gap is None  # no target
    assert score_area("a", [], 5, target=4).gap is None  # no answers


def test_trend_against_the_previous_round():
    assert score_area("a", [3, 4, 4], 5, previous_level=2).trend == 2
    assert score_area("a", [1, 2], 5, previous_level=3).trend == -2
    assert score_area("a", [3], 5, previous_level=3).trend == 0
    assert score_area("a", [3], 5).trend is None  # no previous round
    assert score_area("a", [], 5, previous_level=3).trend is None


def test_participation_not_started():
    participation = Participation(members=8, complete=3, in_progress=2)
    assert participation.not_started == 3
    assert Participation(members=3, complete=3, in_progress=0).not_started == 0


# -- a whole round ---------------------------------------------------------------------------------


def test_summary_scores_every_area_in_framework_order(nps):
    summary = summarise(nps, {"working-with-partners": [1, 2, 4, 5]}, NO_ONE)
    assert [a.area_id for a in summary.areas] == nps.area_ids
    assert len(summary.areas) == 13
    assert summary.by_area["working-with-partners"].team_level == 2
    assert all(a.team_level is None and a.answers == 0 for a in summary.areas if a.area_id != "working-with-partners")
    assert all(len(a.counts) == 5 for a in summary.areas)


def test_theme_level_is_the_lower_median_of_its_answered_areas(nps):
    answers = {
        "engaging-councillors-and-senior-managers": [2, 2, 3],  # 2
        "working-with-partners": [4, 5],  # 4
        # engaging-strategic-suppliers: no answers, ignored
        "creating-commercial-opportunities": [1, 3, 3],  # 3
        "managing-contracts-and-relationships": [5, 5],  # 5
        "managing-strategic-risk": [4],  # 4
        "developing-talent": [1],  # 1
    }
    summary = summarise(nps, answers, NO_ONE)
    themes = {t.theme_id: t.level for t in summary.themes}
    assert themes == {
        "showing-leadership": 2,  # lower median of [2, 4]
        "behaving-commercially": 4,  # median of [3, 4, 5]
        "driving-community-benefits": None,  # nothing answered
        "enablers": 1,
    }
    # overall: lower median of every answered area's team level [2, 4, 3, 5, 4, 1] -> [1, 2, 3, 4, 4, 5] -> 3
    assert summary.overall == 3


def test_summary_with_no_answers(small):
    summary = summarise(small, {}, Participation(members=4, complete=0, in_progress=0))
    assert summary.overall is None
    assert [t.level for t in summary.themes] == [None, None]
    assert all(a.counts == {1: 0, 2: 0, 3: 0} for a in summary.areas)
    assert summary.participation.not_started == 4


def test_summary_carries_targets_previous_levels_and_participation(small):
    participation = Participation(members=5, complete=2, in_progress=1)
    summary = summarise(
        small,
        {"shared-goals": [1, 2, 3], "feedback": [3, 3], "releasing": [1]},
        participation,
        targets={"shared-goals": 3, "releasing": 2},
        previous={"shared-goals": 1, "feedback": 3},
    )
    goals, feedback, releasing = (summary.by_area[i] for i in ("shared-goals", "feedback", "releasing"))
    assert (goals.team_level, goals.gap, goals.trend, goals.disagreement) == (2, 1, 1, True)
    assert (feedback.team_level, feedback.gap, feedback.trend) == (3, None, 0)
    assert (releasing.team_level, releasing.gap, releasing.trend) == (1, 1, None)
    assert {t.theme_id: t.level for t in summary.themes} == {"ways-of-working": 2, "delivery": 1}
    assert summary.overall == 2
    assert summary.participation == participation
    assert summary.participation.not_started == 2


def test_team_levels_feed_the_next_rounds_trend(small):
    first = {"shared-goals": [1, 2, 2], "feedback": [1, 3], "releasing": []}
    previous = team_levels(first)
    assert previous == {"shared-goals": 2, "feedback": 1}
    summary = summarise(small, {"shared-goals": [3, 3], "feedback": [1]}, NO_ONE, previous=previous)
    assert summary.by_area["shared-goals"].trend == 1
    assert summary.by_area["feedback"].trend == 0
    assert summary.by_area["releasing"].trend is None


# -- properties ------------------------------------------------------------------------------------

answers = st.lists(st.integers(1, 5), min_size=1)


@given(answers)
def test_team_level_is_one_of_the_chosen_levels(levels):
    assert score_area("a", levels, 5).team_level in levels


@given(answers, st.data())
def test_an_answer_at_or_above_the_team_level_never_lowers_it(levels, data):
    before = score_area("a", levels, 5).team_level
    extra = data.draw(st.integers(before, 5), label="extra answer")
    assert score_area("a", [*levels, extra], 5).team_level >= before


@given(answers, st.data())
def test_the_order_of_answers_never_matters(levels, data):
    shuffled = data.draw(st.permutations(levels), label="same answers, another order")
    assert score_area("a", shuffled, 5) == score_area("a", levels, 5)
    assert score_area("a", sorted(levels, reverse=True), 5) == score_area("a", levels, 5)


@given(answers)
def test_spread_and_disagreement(levels):
    score = score_area("a", levels, 5)
    assert score.spread >= 0
    assert score.disagreement == (score.spread >= 2)


@given(answers)
def test_team_level_lies_between_the_lowest_and_highest_answer(levels):
    score = score_area("a", levels, 5)
    assert min(levels) <= score.team_level <= max(levels)
    assert sum(score.counts.values()) == score.answers == len(levels)


def test_areas_too_small_to_show_do_not_move_theme_or_overall_levels():
    framework = load_framework()
    theme = framework.themes[0]
    answers = {theme.areas[0].id: [2, 2, 2], theme.areas[1].id: [3, 3, 3], theme.areas[2].id: [5, 5]}
    participation = Participation(members=3, complete=0, in_progress=3)
    hidden = summarise(framework, answers, participation, min_group=3)
    assert hidden.themes[0].level == 2 and hidden.overall == 2
    shown = summarise(framework, answers, participation, min_group=2)
    assert shown.themes[0].level == 3 and shown.overall == 3
