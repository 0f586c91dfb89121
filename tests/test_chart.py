"""The results chart: a real PNG, big enough to read on a phone, for any framework, and no matplotlib at start-up."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from framework.loader import load_framework
from framework.scoring import Participation, summarise
from results.chart import TOO_FEW, draw_summary_chart

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


def test_areas_below_the_minimum_group_draw_nothing_but_the_note(small, monkeypatch):
    """An area with too few answers draws no range, no team level and no target: only the grey note."""
    from matplotlib.axes import Axes

    plotted, noted = [], []
    real_plot, real_text = Axes.plot, Axes.text
    monkeypatch.setattr(Axes, "plot", lambda self, *a, **k: plotted.append(a) or real_plot(self, *a, **k))
    monkeypatch.setattr(
        Axes, "text", lambda self, x, y, s, *a, **k: noted.append(s) or real_text(self, x, y, s, *a, **k)
    )

    summary = summarise(
        small,
        {"shared-goals": [1, 3], "feedback": [2, 2], "releasing": [3]},
        Participation(members=3, complete=2, in_progress=1),
        targets={"shared-goals": 3, "feedback": 2, "releasing": 2},
    )
    assert_readable(draw_summary_chart(small, summary, min_group=3, title="Too early"))
    assert plotted == []
    assert noted == [TOO_FEW] * 3

    plotted.clear()
    noted.clear()
    draw_summary_chart(small, summary, min_group=2, title="Now two is enough")
    assert noted == [TOO_FEW]  # only "releasing" (one answer) stays hidden
    assert len(plotted) == 2 * 3  # range, target and team level for each of the two shown areas


def test_the_bot_does_not_import_matplotlib_at_start_up():
    result = subprocess.run(
        [sys.executable, "-c", "import bot.app, sys; assert 'matplotlib' not in sys.modules, 'matplotlib imported'"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
