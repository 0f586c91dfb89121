"""The results chart: a real PNG, big enough to read on a phone, for any framework; the same chart as SVG for the
report; what it draws per area (the answers per level as dots with their counts, the team level, the target, or
only "too few answers yet"), per theme and overall (their level and trend); its alt text; and no matplotlib at
start-up."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from framework.loader import load_framework
from framework.scoring import Participation, summarise
from results.chart import TOO_FEW, describe_summary_chart, draw_summary_chart

ROOT = Path(__file__).resolve().parents[1]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def nps():
    return load_framework()


@pytest.fixture(scope="module")
def small():
    return load_framework(ROOT / "tests" / "data" / "team-health.yaml")


def decode(png: bytes):
    from matplotlib.image import imread

    assert png.startswith(PNG_SIGNATURE)
    return imread(io.BytesIO(png), format="png")


def assert_readable(png: bytes):
    pixels = decode(png)
    height, width = pixels.shape[:2]
    assert width >= 900
    assert height >= 500
    assert pixels.var() > 0  # not a blank image


def test_a_full_round_on_the_default_framework(nps):
    ids = nps.area_ids
    answers = {area_id: [1, 2, 4, 5] for area_id in ids[:6]} | {ids[6]: [3, 3, 4], ids[7]: [2]}
    summary = summarise(
        nps,
        answers,
        Participation(members=6, complete=3, in_progress=2),
        targets={ids[0]: 4, ids[1]: 3, ids[12]: 5},
        previous={ids[0]: 1},
    )
    png = draw_summary_chart(nps, summary, min_group=3, title="Procurement maturity", subtitle="Round 2")
    assert_readable(png)
    # one row per area at least: 13 areas make a tall, portrait chart
    height, width = decode(png).shape[:2]
    assert height > width


def test_the_small_framework_with_three_levels(small):
    summary = summarise(
        small,
        {"shared-goals": [1, 2, 3], "feedback": [3, 3, 2], "releasing": [1]},
        Participation(members=4, complete=3, in_progress=1),
        targets={"shared-goals": 3},
    )
    assert_readable(draw_summary_chart(small, summary, min_group=3, title="Team health"))


@pytest.mark.parametrize("framework_name", ["nps", "small"])
def test_a_round_with_no_answers_at_all(framework_name, request):
    framework = request.getfixturevalue(framework_name)
    summary = summarise(framework, {}, Participation(members=5, complete=0, in_progress=0))
    assert_readable(draw_summary_chart(framework, summary, min_group=3, title="Nothing yet", subtitle=""))


class Drawn:
    """What the chart drew, by the element it belongs to (the `gid` each mark carries): dots with their
    sizes, bars, squares, counts and notes, as a reader sees them."""

    def __init__(self, monkeypatch):
        from matplotlib.axes import Axes
        from matplotlib.figure import Figure

        self.marks: dict[str, list] = {}
        self.texts: list[str] = []
        real_scatter, real_plot, real_text, real_annotate = Axes.scatter, Axes.plot, Axes.text, Axes.annotate
        real_figure_text = Figure.text

        def scatter(ax, x, y, *args, s=None, gid=None, **kwargs):
            self.marks.setdefault(gid, []).append(("dots", list(x), list(s)))
            return real_scatter(ax, x, y, *args, s=s, gid=gid, **kwargs)

        def plot(ax, *args, gid=None, **kwargs):
            self.marks.setdefault(gid, []).append(("line", args))
            return real_plot(ax, *args, gid=gid, **kwargs)

        def text(ax, x, y, s, *args, gid=None, **kwargs):
            self.marks.setdefault(gid, []).append(("text", s))
            return real_text(ax, x, y, s, *args, gid=gid, **kwargs)

        def annotate(ax, s, xy, *args, gid=None, **kwargs):
            self.marks.setdefault(gid, []).append(("count", s, xy[0]))
            return real_annotate(ax, s, xy, *args, gid=gid, **kwargs)

        def figure_text(fig, x, y, s, *args, gid=None, **kwargs):
            self.texts.append(s)
            if gid:
                self.marks.setdefault(gid, []).append(("text", s))
            return real_figure_text(fig, x, y, s, *args, gid=gid, **kwargs)

        monkeypatch.setattr(Axes, "scatter", scatter)
        monkeypatch.setattr(Axes, "plot", plot)
        monkeypatch.setattr(Axes, "text", text)
        monkeypatch.setattr(Axes, "annotate", annotate)
        monkeypatch.setattr(Figure, "text", figure_text)

    def of(self, prefix: str) -> dict[str, list]:
        return {gid: marks for gid, marks in self.marks.items() if gid and gid.startswith(prefix)}

    def dots(self, area_id: str) -> dict[int, float]:
        """{level: the dot's diameter in points} for an area."""
        [(_, levels, sizes)] = self.marks[f"answers-{area_id}"]
        return {level: size**0.5 for level, size in zip(levels, sizes)}

    def counts(self, area_id: str) -> dict[int, str]:
        """{level: the number written beside its dot} for an area."""
        return {mark[2]: mark[1] for gid, marks in self.of(f"count-{area_id}-").items() for mark in marks}


def test_areas_below_the_minimum_group_draw_nothing_but_the_note(small, monkeypatch):
    """An area with too few answers draws no dots, no counts, no team level and no target: only the grey note;
    and with too few answers anywhere, no theme or overall level either."""
    drawn = Drawn(monkeypatch)
    answers = {"shared-goals": [1, 3], "feedback": [2, 2], "releasing": [3]}
    participation = Participation(members=3, complete=2, in_progress=1)
    targets = {"shared-goals": 3, "feedback": 2, "releasing": 2}
    summary = summarise(small, answers, participation, targets=targets, min_group=3)
    assert_readable(draw_summary_chart(small, summary, min_group=3, title="Too early"))
    assert drawn.of("answers-") == drawn.of("count-") == drawn.of("target-") == drawn.of("level-") == {}
    assert {gid: marks for gid, marks in drawn.of("hidden-").items()} == {
        "hidden-shared-goals": [("text", TOO_FEW)],
        "hidden-feedback": [("text", TOO_FEW)],
        "hidden-releasing": [("text", TOO_FEW)],
        "hidden-overall": [("text", "not shown yet")],
        "hidden-theme-ways-of-working": [("text", "not shown yet")],
        "hidden-theme-delivery": [("text", "not shown yet")],
    }

    drawn.marks.clear()
    summary = summarise(small, answers, participation, targets=targets, min_group=2)
    draw_summary_chart(small, summary, min_group=2, title="Now two is enough")
    assert list(drawn.of("hidden-")) == ["hidden-theme-delivery", "hidden-releasing"]  # one answer stays hidden
    assert set(drawn.dots("shared-goals")) == {1, 3} and drawn.counts("shared-goals") == {1: "1", 3: "1"}
    assert set(drawn.dots("feedback")) == {2} and drawn.counts("feedback") == {2: "2"}
    assert set(drawn.of("target-")) == {"target-shared-goals", "target-feedback"}


def test_one_member_far_from_the_rest_is_one_small_dot_not_a_split(small, monkeypatch):
    """The distribution, not the range: 40 members at Always and one at Not yet draw a big dot marked 40 and a
    small one marked 1, and nothing between them; the team level's dot is the big one."""
    drawn = Drawn(monkeypatch)
    summary = summarise(
        small, {"shared-goals": [3] * 40 + [1]}, Participation(members=41, complete=41, in_progress=0), min_group=3
    )
    draw_summary_chart(small, summary, min_group=3, title="One outlier")
    dots = drawn.dots("shared-goals")
    assert set(dots) == {1, 3}  # no mark at Sometimes, between them
    assert dots[3] >= 2.5 * dots[1]
    assert drawn.counts("shared-goals") == {1: "1", 3: "40"}
    assert "target-shared-goals" not in drawn.marks  # the team set no target


def test_the_chart_has_theme_and_overall_levels_and_the_trend_in_words(nps, monkeypatch):
    drawn = Drawn(monkeypatch)
    ids = nps.area_ids
    answers = {ids[0]: [3, 3, 4], ids[1]: [2, 2, 2], ids[2]: [4, 4, 5]}
    summary = summarise(
        nps,
        answers,
        Participation(members=3, complete=3, in_progress=0),
        previous={ids[0]: 2, ids[1]: 2, ids[2]: 5},
        min_group=3,
    )
    draw_summary_chart(
        nps, summary, min_group=3, title="#procurement, Example Council: round 3, 2026-03-20", previous_round=2
    )
    assert "#procurement, Example Council: round 3, 2026-03-20" in drawn.texts
    assert "Trend: the change of level since round 2." in drawn.texts
    # overall and Showing leadership: the lower median of 3, 2, 4 is 3; before, of 2, 2, 5, it was 2
    [(_, (overall_x, _))] = drawn.marks["level-overall"]
    [(_, (leadership_x, _))] = drawn.marks["level-theme-showing-leadership"]
    assert overall_x == leadership_x == [3]  # the squares stand at Mature
    assert drawn.marks["trend-overall"] == [("text", "up 1")]
    assert drawn.marks["trend-theme-showing-leadership"] == [("text", "up 1")]
    assert drawn.marks[f"trend-{ids[0]}"] == [("text", "up 1")]
    assert drawn.marks[f"trend-{ids[1]}"] == [("text", "same")]
    assert drawn.marks[f"trend-{ids[2]}"] == [("text", "down 1")]
    assert drawn.marks[f"trend-{ids[3]}"] == [("text", "—")]  # no answers
    assert "hidden-theme-behaving-commercially" in drawn.marks  # no area of it has answers


def test_the_svg_is_vector_graphics_of_the_same_chart(small):
    summary = summarise(
        small, {"shared-goals": [1, 2, 3]}, Participation(members=3, complete=3, in_progress=0), min_group=3
    )
    svg = draw_summary_chart(small, summary, min_group=3, title="Team health", image_format="svg")
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg
    assert b"<image" not in svg  # no bitmap inside
    for gid in (b"answers-shared-goals", b"hidden-feedback", b"hidden-releasing", b"trend-overall"):
        assert b'id="' + gid + b'"' in svg


def test_the_alt_text_says_per_theme_the_level_and_the_areas_furthest_from_target(nps):
    ids = nps.area_ids
    answers = {ids[0]: [2, 2, 3], ids[1]: [3, 3, 3], ids[2]: [1, 2, 2], ids[3]: [3, 3, 4]}
    summary = summarise(
        nps,
        answers,
        Participation(members=3, complete=3, in_progress=0),
        targets={ids[0]: 4, ids[1]: 4, ids[2]: 3, ids[3]: 3},
        previous={ids[0]: 1, ids[1]: 2, ids[2]: 2},
        min_group=3,
    )
    text = describe_summary_chart(nps, summary, min_group=3, previous_round=2)
    leadership, commercial = nps.themes[0], nps.themes[1]
    area = nps.area(ids[0])
    assert text.startswith("Overall team level: Developing (2), the same as in round 2.")
    assert f"{leadership.title}: team level Developing (2), the same as in round 2." in text
    assert (
        f"Furthest from target: {area.title}, at Developing (2), 2 levels below its target Leader (4)." in text
    )  # beside it, Working with Partners is 1 below and Engaging Strategic Suppliers 1
    assert nps.area(ids[1]).title not in text
    assert f"{commercial.title}: team level Mature (3). Every area shown has reached its target." in text
    assert "2 of its 3 areas have too few answers to show." in text
    assert f"{nps.themes[3].title}: team level not shown yet." in text


def test_the_bot_does_not_import_matplotlib_at_start_up():
    result = subprocess.run(
        [sys.executable, "-c", "import bot.app, sys; assert 'matplotlib' not in sys.modules, 'matplotlib imported'"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
