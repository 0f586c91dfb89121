"""The results chart: one PNG per round, readable on a phone.

Per area it shows the range of the levels the team chose (a line from the lowest to the highest chosen
level), the team level (a filled dot) and, when the team set one, its target (a hollow diamond), with the
areas grouped under their theme. An area with fewer than `min_group` answers shows "too few answers yet"
and nothing else, so no one's answer can be picked out; individual answers are never drawn.

matplotlib is imported inside `draw_summary_chart`, never at module level: it is a heavy import and the bot
must start without it. The figure is drawn with the object API and the Agg canvas (no pyplot, no global
state), so charts can be drawn from several threads at once.
"""

from __future__ import annotations

import io
import textwrap
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from framework.models import Framework
    from framework.scoring import AreaScore, Summary

WIDTH_IN = 7.0
DPI = 150
LABEL_COLUMN_IN = 2.45  # left column holding the area titles and theme headings
RIGHT_PAD_IN = 0.3
AREA_ROW_IN = 0.55
THEME_ROW_IN = 0.42
AREA_TITLE_CHARS = 27  # wrap width of an area title at 10 pt in the label column

FONT = 10
TITLE_FONT = 14
SUBTITLE_FONT = 10.5

TEAM_COLOUR = "#1f4e9c"
TARGET_COLOUR = "#d9730d"
RANGE_COLOUR = "#9db7e0"
BAND_COLOURS = {"theme": "#e8eef7", "enabler": "#eef3e6"}
TEXT_COLOUR = "#222222"
MUTED_COLOUR = "#808080"
GRID_COLOUR = "#dddddd"

TOO_FEW = "too few answers yet"
NO_ANSWERS = "no answers yet"


def draw_summary_chart(
    framework: Framework,
    summary: Summary,
    *,
    min_group: int,
    title: str,
    subtitle: str = "",
) -> bytes:
    """The round's results as PNG bytes (see the module docstring for what is shown and hidden)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle
    from matplotlib.transforms import blended_transform_factory

    level_count = len(framework.levels)

    # -- rows, top to bottom: a heading per theme, then its areas (y grows downwards, in row units) ----
    rows: list[tuple[str, float, float, object]] = []  # (kind, centre y, height, theme or area)
    y = 0.0
    for theme in framework.themes:
        height = THEME_ROW_IN / AREA_ROW_IN
        rows.append(("theme", y + height / 2, height, theme))
        y += height
        for area in theme.areas:
            lines = len(textwrap.wrap(area.title, AREA_TITLE_CHARS))
            height = 1.0 + 0.3 * max(lines - 2, 0)  # a third line of title gets room of its own
            rows.append(("area", y + height / 2, height, area))
            y += height
    rows_height = y

    # -- vertical layout in inches ----------------------------------------------------------------------
    title_lines = textwrap.wrap(title, 52) or [""]
    subtitle_lines = textwrap.wrap(subtitle, 78) if subtitle else []
    tick_names, tick_rotation = _level_tick_labels([level.name for level in framework.levels], level_count)
    tick_lines = max(name.count("\n") + 1 for name in tick_names)
    tick_band_in = 0.12 + 0.18 * tick_lines + (0.25 if tick_rotation else 0.0)

    top_pad, bottom_pad = 0.18, 0.12
    title_in = 0.3 * len(title_lines)
    subtitle_in = 0.22 * len(subtitle_lines)
    legend_in = 0.42
    header_in = top_pad + title_in + subtitle_in + 0.08 + legend_in + tick_band_in
    axes_in = rows_height * AREA_ROW_IN
    height_in = header_in + axes_in + tick_band_in + bottom_pad

    fig = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)

    def fig_y(inches_from_top: float) -> float:
        return 1.0 - inches_from_top / height_in

    # -- title, subtitle, legend -------------------------------------------------------------------------
    cursor = top_pad
    for line in title_lines:
        fig.text(0.03, fig_y(cursor), line, fontsize=TITLE_FONT, fontweight="bold", va="top", color=TEXT_COLOUR)
        cursor += 0.3
    for line in subtitle_lines:
        fig.text(0.03, fig_y(cursor), line, fontsize=SUBTITLE_FONT, va="top", color=MUTED_COLOUR)
        cursor += 0.22
    cursor += 0.08
    handles = [
        Line2D([], [], color=RANGE_COLOUR, linewidth=6, solid_capstyle="round", label="range of answers"),
        Line2D([], [], linestyle="", marker="o", markersize=9, color=TEAM_COLOUR, label="team level"),
        Line2D(
            [],
            [],
            linestyle="",
            marker="D",
            markersize=10,
            markerfacecolor="none",
            markeredgecolor=TARGET_COLOUR,
            markeredgewidth=2,
            label="target",
        ),
    ]
    fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.02, fig_y(cursor)),
        ncol=3,
        frameon=False,
        fontsize=FONT,
        handlelength=1.8,
        columnspacing=1.6,
        borderaxespad=0.0,
    )

    # -- the plot area -------------------------------------------------------------------------------------
    left = LABEL_COLUMN_IN / WIDTH_IN
    width = 1.0 - (LABEL_COLUMN_IN + RIGHT_PAD_IN) / WIDTH_IN
    bottom = (tick_band_in + bottom_pad) / height_in
    ax = fig.add_axes((left, bottom, width, axes_in / height_in))
    ax.set_xlim(0.5, level_count + 0.5)
    ax.set_ylim(rows_height, 0)
    ax.set_yticks([])
    ax.set_xticks(range(1, level_count + 1))
    ax.set_xticklabels(
        tick_names,
        fontsize=FONT,
        color=TEXT_COLOUR,
        rotation=tick_rotation,
        ha="right" if tick_rotation else "center",
        rotation_mode="anchor" if tick_rotation else "default",
    )
    ax.tick_params(axis="x", length=0, pad=5, labeltop=True, labelbottom=True, top=False, bottom=False)
    if tick_rotation:  # the top labels end at their tick too, rising to the left, so none runs off the right edge
        for tick in ax.xaxis.get_major_ticks():
            tick.label2.set_rotation(-tick_rotation)
            tick.label2.set_ha("right")
            tick.label2.set_rotation_mode("anchor")
    ax.patch.set_visible(False)  # let the theme bands, drawn on the figure behind the axes, show through
    for spine in ax.spines.values():
        spine.set_visible(False)
    for number in range(1, level_count + 1):
        ax.axvline(number, color=GRID_COLOUR, linewidth=0.8, zorder=0)

    across = blended_transform_factory(fig.transFigure, ax.transData)
    label_x = 0.03
    for kind, centre, height, item in rows:
        if kind == "theme":
            colour = BAND_COLOURS.get(item.kind, BAND_COLOURS["theme"])
            band = Rectangle(
                (0.0, centre - height / 2),
                1.0,
                height,
                transform=across,
                clip_on=False,
                facecolor=colour,
                edgecolor="none",
                zorder=0,
            )
            fig.add_artist(band)
            ax.axhspan(centre - height / 2, centre + height / 2, color=colour, linewidth=0, zorder=0.5)
            fig.text(
                label_x,
                centre,
                item.title,
                transform=across,
                fontsize=FONT,
                fontweight="bold",
                va="center",
                ha="left",
                color=TEXT_COLOUR,
            )
            continue
        fig.text(
            label_x,
            centre,
            "\n".join(textwrap.wrap(item.title, AREA_TITLE_CHARS)),
            transform=across,
            fontsize=FONT,
            va="center",
            ha="left",
            color=TEXT_COLOUR,
            linespacing=1.05,
        )
        score = summary.by_area.get(item.id)
        _draw_area(ax, score, centre, min_group=min_group, level_count=level_count)

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


def _draw_area(ax, score: AreaScore | None, y: float, *, min_group: int, level_count: int) -> None:
    """One area's row: range, team level and target, or a grey note when there is nothing to show."""
    answers = score.answers if score is not None else 0  # the answers the figures may show
    received = score.answers_now if score is not None else 0
    if answers == 0 or answers < min_group:
        ax.text(
            (level_count + 1) / 2,
            y,
            NO_ANSWERS if received == 0 else TOO_FEW,
            fontsize=FONT,
            style="italic",
            color=MUTED_COLOUR,
            ha="center",
            va="center",
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 2},
            zorder=3,
        )
        return
    chosen = [level for level, count in score.counts.items() if count > 0]
    low, high = min(chosen), max(chosen)
    ax.plot([low, high], [y, y], color=RANGE_COLOUR, linewidth=6, solid_capstyle="round", zorder=2)
    if score.target is not None:
        ax.plot(
            [score.target],
            [y],
            linestyle="",
            marker="D",
            markersize=12,
            markerfacecolor="none",
            markeredgecolor=TARGET_COLOUR,
            markeredgewidth=2,
            zorder=4,
        )
    if score.team_level is not None:
        ax.plot([score.team_level], [y], linestyle="", marker="o", markersize=9, color=TEAM_COLOUR, zorder=3)


def _level_tick_labels(names: list[str], level_count: int) -> tuple[list[str], int]:
    """Level names for the x axis, wrapped onto two lines when long; rotated when they still do not fit."""
    per_level_in = (WIDTH_IN - LABEL_COLUMN_IN - RIGHT_PAD_IN) / level_count
    fits = int(per_level_in / (0.6 * FONT / 72))  # characters per level at about 0.6 em each
    wrapped = ["\n".join(textwrap.wrap(name, max(fits, 4), break_long_words=False)) for name in names]
    if max(len(line) for name in wrapped for line in name.split("\n")) <= fits:
        return wrapped, 0
    return names, 35
