"""The results chart: a PNG readable on a phone (posted in the summary's thread) and the same chart as vector
graphics (SVG) for the leaders' report.

Top to bottom: the title (the caller names the team and the date), a legend, the overall team level, then
each theme's team level followed by its areas. Per area it shows how many members chose each level: a dot
per level chosen, sized by that level's share of the area's answers, with the number who chose it beside it,
so one member far from the others is one small dot marked 1, never a bar across the scale. The dot at the
team level is filled dark; the team's target, when it set one, is an orange bar at that level; a square marks
a theme's and the whole framework's level. The right-hand column gives the trend since the previous round in
words ("up 1", "down 2", "same"). An area with fewer than `min_group` answers shows "too few answers yet" and
nothing else, so no one's answer can be picked out.

`describe_summary_chart` says what the chart shows in words, for its alt text: the overall level and, per
theme, its level and the areas furthest from their target.

matplotlib is imported inside the drawing function, never at module level: it is a heavy import and the bot
must start without it. The figure is drawn with the object API and the Agg or SVG canvas (no pyplot, no
global state), so charts can be drawn from several threads at once.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from framework.scoring import lower_median

if TYPE_CHECKING:
    from framework.models import Framework
    from framework.scoring import AreaScore, Summary

WIDTH_IN = 7.5
DPI = 150
LABEL_COLUMN_IN = 2.35  # left column holding the area titles and theme headings
TREND_COLUMN_IN = 0.85  # right column: the trend in words
RIGHT_PAD_IN = 0.1
AREA_ROW_IN = 0.46
THEME_ROW_IN = 0.38
EXTRA_LINE_IN = 0.16
LEGEND_IN = 0.46  # its two rows
TREND_NOTE_IN = 0.26  # "Trend: the change of level since round 2."  # each line of a title beyond what its row holds
AREA_TITLE_CHARS = 26  # wrap width of an area title at 10 pt in the label column

FONT = 10
COUNT_FONT = 9.5
TITLE_FONT = 14
SUBTITLE_FONT = 10.5

DOT_MAX_PT = 21.0  # the diameter of a dot holding all of an area's answers
DOT_MIN_PT = 7.0  # the smallest dot, however small its share

TEAM_COLOUR = "#1f4e9c"
ANSWER_COLOUR = "#8fb0e3"
TARGET_COLOUR = "#d9730d"
LEVEL_COLOUR = "#12305f"  # the squares of the theme and overall levels
BAND_COLOURS = {"overall": "#d5e0f2", "theme": "#e8eef7", "enabler": "#eef3e6"}
TEXT_COLOUR = "#222222"
MUTED_COLOUR = "#595959"  # 7:1 on white
GRID_COLOUR = "#dddddd"

TOO_FEW = "too few answers yet"
NO_ANSWERS = "no answers yet"
NOT_SHOWN = "not shown yet"
NO_TREND = "—"


def draw_summary_chart(
    framework: Framework,
    summary: Summary,
    *,
    min_group: int,
    title: str,
    subtitle: str = "",
    previous_round: int | None = None,
    image_format: Literal["png", "svg"] = "png",
) -> bytes:
    """The round's results as PNG (or SVG) bytes; see the module docstring for what is shown and hidden.

    `previous_round` is the number of the round the trend compares with (it heads the trend column)."""
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Rectangle
    from matplotlib.transforms import blended_transform_factory

    layout = _layout(framework, title, subtitle)
    level_count = len(framework.levels)
    fig = Figure(figsize=(WIDTH_IN, layout.height_in), dpi=DPI, facecolor="white")
    if image_format == "png":
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        FigureCanvasAgg(fig)
    else:
        from matplotlib.backends.backend_svg import FigureCanvasSVG

        FigureCanvasSVG(fig)

    def fig_y(inches_from_top: float) -> float:
        return 1.0 - inches_from_top / layout.height_in

    # -- title, subtitle, legend -------------------------------------------------------------------------------
    cursor = layout.top_pad
    for line in layout.title_lines:
        fig.text(0.03, fig_y(cursor), line, fontsize=TITLE_FONT, fontweight="bold", va="top", color=TEXT_COLOUR)
        cursor += 0.3
    for line in layout.subtitle_lines:
        fig.text(0.03, fig_y(cursor), line, fontsize=SUBTITLE_FONT, va="top", color=MUTED_COLOUR)
        cursor += 0.22
    cursor += 0.08
    handles = [  # two columns: matplotlib fills the first column first
        Line2D(
            [], [], linestyle="", marker="o", markersize=9, color=ANSWER_COLOUR, label="answers at a level (how many)"
        ),
        Line2D([], [], linestyle="", marker="|", markersize=14, markeredgewidth=3, color=TARGET_COLOUR, label="target"),
        Line2D([], [], linestyle="", marker="o", markersize=9, color=TEAM_COLOUR, label="team level (the median)"),
        Line2D([], [], linestyle="", marker="s", markersize=8, color=LEVEL_COLOUR, label="theme and overall level"),
    ]
    fig.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(0.02, fig_y(cursor)),
        ncol=2,
        frameon=False,
        fontsize=FONT,
        handlelength=1.2,
        columnspacing=1.6,
        borderaxespad=0.0,
    )
    cursor += LEGEND_IN
    since = f"round {previous_round}" if previous_round else "the previous round"
    fig.text(
        0.03,
        fig_y(cursor),
        f"Trend: the change of level since {since}.",
        fontsize=SUBTITLE_FONT,
        va="top",
        color=MUTED_COLOUR,
    )

    # -- the plot area -------------------------------------------------------------------------------------------
    left = LABEL_COLUMN_IN / WIDTH_IN
    width = 1.0 - (LABEL_COLUMN_IN + TREND_COLUMN_IN + RIGHT_PAD_IN) / WIDTH_IN
    bottom = (layout.tick_band_in + layout.bottom_pad) / layout.height_in
    ax = fig.add_axes((left, bottom, width, layout.axes_in / layout.height_in))
    ax.set_xlim(0.5, level_count + 0.5)
    ax.set_ylim(layout.rows_height, 0)
    ax.set_yticks([])
    ax.set_xticks(range(1, level_count + 1))
    ax.set_xticklabels(
        layout.tick_names,
        fontsize=FONT,
        color=TEXT_COLOUR,
        rotation=layout.tick_rotation,
        ha="right" if layout.tick_rotation else "center",
        rotation_mode="anchor" if layout.tick_rotation else "default",
    )
    ax.tick_params(axis="x", length=0, pad=5, labeltop=True, labelbottom=True, top=False, bottom=False)
    if layout.tick_rotation:  # the top labels end at their tick too, rising to the left: none runs off the edge
        for tick in ax.xaxis.get_major_ticks():
            tick.label2.set_rotation(-layout.tick_rotation)
            tick.label2.set_ha("right")
            tick.label2.set_rotation_mode("anchor")
    ax.patch.set_visible(False)  # let the bands, drawn on the figure behind the axes, show through
    for spine in ax.spines.values():
        spine.set_visible(False)
    for number in range(1, level_count + 1):
        ax.axvline(number, color=GRID_COLOUR, linewidth=0.8, zorder=0)

    trend_x = 1.0 - (TREND_COLUMN_IN / 2 + RIGHT_PAD_IN) / WIDTH_IN
    top_band = layout.header_in - layout.tick_band_in / 2
    fig.text(trend_x, fig_y(top_band), "Trend", fontsize=FONT, fontweight="bold", ha="center", va="center")

    across = blended_transform_factory(fig.transFigure, ax.transData)
    label_x = 0.03
    previous_themes, previous_overall = previous_levels(framework, summary)
    themes = {t.theme_id: t.level for t in summary.themes}
    for row in layout.rows:
        if row.kind == "area":
            fig.text(
                label_x,
                row.centre,
                "\n".join(row.lines),
                transform=across,
                fontsize=FONT,
                va="center",
                ha="left",
                color=TEXT_COLOUR,
                linespacing=1.05,
            )
            score = summary.by_area.get(row.item.id)
            _draw_area(ax, row.item.id, score, row.centre, min_group=min_group, level_count=level_count)
            trend = score.trend if _shown(score, min_group) else None
            _trend_text(fig, across, trend_x, row.centre, trend, gid=f"trend-{row.item.id}")
            continue
        # the overall row and a theme's row: a band across the chart, the level as a square
        if row.kind == "overall":
            colour, level, previous, key = BAND_COLOURS["overall"], summary.overall, previous_overall, "overall"
        else:
            colour = BAND_COLOURS.get(row.item.kind, BAND_COLOURS["theme"])
            level, previous, key = themes.get(row.item.id), previous_themes.get(row.item.id), f"theme-{row.item.id}"
        top = row.centre - row.height / 2
        fig.add_artist(
            Rectangle(
                (0.0, top),
                1.0,
                row.height,
                transform=across,
                clip_on=False,
                facecolor=colour,
                edgecolor="none",
                zorder=0,
            )
        )
        fig.text(
            label_x,
            row.centre,
            "\n".join(row.lines),
            transform=across,
            fontsize=FONT,
            fontweight="bold",
            va="center",
            ha="left",
            color=TEXT_COLOUR,
            linespacing=1.05,
        )
        if level is None:
            _note(ax, level_count, row.centre, NOT_SHOWN, key)
        else:
            ax.plot(
                [level],
                [row.centre],
                linestyle="",
                marker="s",
                markersize=9,
                color=LEVEL_COLOUR,
                zorder=3,
                gid=f"level-{key}",
            )
        trend = level - previous if level is not None and previous is not None else None
        _trend_text(fig, across, trend_x, row.centre, trend, gid=f"trend-{key}", bold=True)

    buffer = io.BytesIO()
    if image_format == "png":
        fig.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    else:
        fig.savefig(buffer, format="svg", facecolor="white", metadata={"Date": None})
    return buffer.getvalue()


def chart_height_in(framework: Framework, *, title: str, subtitle: str = "") -> float:
    """The chart's height in inches (it is WIDTH_IN wide): what the report needs to decide whether a framework's
    chart fits a page or must be drawn in parts."""
    return _layout(framework, title, subtitle).height_in


def describe_summary_chart(
    framework: Framework, summary: Summary, *, min_group: int, previous_round: int | None = None
) -> str:
    """What the chart shows, in words (its alt text): the overall team level with its trend, and per theme its
    team level, the areas furthest below their target, and how many areas have too few answers to show."""
    since = f"round {previous_round}" if previous_round else "the previous round"
    previous_themes, previous_overall = previous_levels(framework, summary)
    sentences = []
    if summary.overall is None:
        sentences.append(f"No area has {min_group} or more answers yet, so no team level is shown.")
    else:
        trend = _trend_words(summary.overall, previous_overall, since)
        sentences.append(f"Overall team level: {_level_words(framework, summary.overall)}{trend}.")
    themes = {t.theme_id: t.level for t in summary.themes}
    for theme in framework.themes:
        level = themes.get(theme.id)
        if level is None:
            sentence = f"{theme.title}: team level not shown yet."
        else:
            trend = _trend_words(level, previous_themes.get(theme.id), since)
            sentence = f"{theme.title}: team level {_level_words(framework, level)}{trend}."
        shown = [
            (area, summary.by_area[area.id]) for area in theme.areas if _shown(summary.by_area.get(area.id), min_group)
        ]
        below = [(area, score) for area, score in shown if score.gap is not None and score.gap > 0]
        if below:
            widest = max(score.gap for _, score in below)
            furthest = [(area, score) for area, score in below if score.gap == widest]
            sentence += (
                " Furthest from target: "
                + "; ".join(
                    f"{area.title}, at {_level_words(framework, score.team_level)}, {score.gap} "
                    f"{'level' if score.gap == 1 else 'levels'} below its target {_level_words(framework, score.target)}"
                    for area, score in furthest
                )
                + "."
            )
        elif any(score.target is not None for _, score in shown):
            sentence += " Every area shown has reached its target."
        elif shown:
            sentence += " No targets set for the areas shown."
        hidden = len(theme.areas) - len(shown)
        if hidden:
            sentence += (
                f" {hidden} of its {len(theme.areas)} {'area has' if hidden == 1 else 'areas have'} too few answers "
                "to show."
                if len(theme.areas) > 1
                else " Its area has too few answers to show."
            )
        sentences.append(sentence)
    return " ".join(sentences)


def previous_levels(framework: Framework, summary: Summary) -> tuple[dict[str, int | None], int | None]:
    """The previous round's theme levels and overall level, from its areas' team levels (the summary's previous
    levels) by the same rule as this round's: the lower median."""
    previous = {a.area_id: a.previous_level for a in summary.areas if a.previous_level is not None}
    themes = {t.id: lower_median(previous[a.id] for a in t.areas if a.id in previous) for t in framework.themes}
    return themes, lower_median(previous.values())


def trend_words(trend: int | None) -> str:
    """ "up 1", "down 2", "same", or a dash when there is nothing to compare."""
    if trend is None:
        return NO_TREND
    if trend == 0:
        return "same"
    return f"{'up' if trend > 0 else 'down'} {abs(trend)}"


# -- drawing ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    kind: str  # "overall", "theme" or "area"
    centre: float  # in row units from the top (an area row is 1 unit, AREA_ROW_IN inches)
    height: float
    item: object  # the Theme or KeyArea (None for the overall row)
    lines: tuple[str, ...]  # its title, wrapped


@dataclass(frozen=True)
class _Layout:
    rows: list[_Row]
    rows_height: float
    title_lines: list[str]
    subtitle_lines: list[str]
    tick_names: list[str]
    tick_rotation: int
    tick_band_in: float
    top_pad: float
    bottom_pad: float
    header_in: float
    axes_in: float
    height_in: float


def _layout(framework: Framework, title: str, subtitle: str) -> _Layout:
    rows: list[_Row] = []
    y = 0.0

    def add(kind: str, item, text: str, base_in: float, lines_held: int) -> None:
        nonlocal y
        lines = tuple(textwrap.wrap(text, AREA_TITLE_CHARS)) or ("",)
        height = (base_in + EXTRA_LINE_IN * max(len(lines) - lines_held, 0)) / AREA_ROW_IN
        rows.append(_Row(kind, y + height / 2, height, item, lines))
        y += height

    add("overall", None, "Overall", THEME_ROW_IN, 1)
    for theme in framework.themes:
        add("theme", theme, theme.title, THEME_ROW_IN, 1)
        for area in theme.areas:
            add("area", area, area.title, AREA_ROW_IN, 2)

    title_lines = textwrap.wrap(title, 56) or [""]
    subtitle_lines = textwrap.wrap(subtitle, 84) if subtitle else []
    tick_names, tick_rotation = _level_tick_labels([level.name for level in framework.levels])
    tick_lines = max(name.count("\n") + 1 for name in tick_names)
    tick_band_in = 0.12 + 0.18 * tick_lines + (0.25 if tick_rotation else 0.0)
    top_pad, bottom_pad = 0.18, 0.12
    header_in = (
        top_pad + 0.3 * len(title_lines) + 0.22 * len(subtitle_lines) + 0.08 + LEGEND_IN + TREND_NOTE_IN + tick_band_in
    )
    axes_in = y * AREA_ROW_IN
    return _Layout(
        rows=rows,
        rows_height=y,
        title_lines=title_lines,
        subtitle_lines=subtitle_lines,
        tick_names=tick_names,
        tick_rotation=tick_rotation,
        tick_band_in=tick_band_in,
        top_pad=top_pad,
        bottom_pad=bottom_pad,
        header_in=header_in,
        axes_in=axes_in,
        height_in=header_in + axes_in + tick_band_in + bottom_pad,
    )


def _shown(score: AreaScore | None, min_group: int) -> bool:
    return score is not None and score.answers >= min_group and score.answers > 0 and score.team_level is not None


def _note(ax, level_count: int, y: float, text: str, key: str) -> None:
    """The grey note of a row that shows no figures, centred across the levels (its gid names the row)."""
    ax.text(
        (level_count + 1) / 2,
        y,
        text,
        fontsize=FONT,
        style="italic",
        color=MUTED_COLOUR,
        ha="center",
        va="center",
        zorder=3,
        gid=f"hidden-{key}",
    )


def _draw_area(ax, area_id: str, score: AreaScore | None, y: float, *, min_group: int, level_count: int) -> None:
    """One area's row: a dot per level chosen with how many chose it, the team level's dot dark, the target's
    bar; or a grey note when there is nothing to show."""
    if not _shown(score, min_group):
        received = score.answers_now if score is not None else 0
        _note(ax, level_count, y, NO_ANSWERS if received == 0 else TOO_FEW, area_id)
        return
    if score.target is not None:
        half = 0.45  # of a row: the bar shows above and below the biggest dot
        ax.plot(
            [score.target, score.target],
            [y - half, y + half],
            color=TARGET_COLOUR,
            linewidth=3,
            solid_capstyle="butt",
            zorder=2,
            gid=f"target-{area_id}",
        )
    chosen = [(level, count) for level, count in sorted(score.counts.items()) if count > 0]
    sizes = [max(DOT_MIN_PT, DOT_MAX_PT * (count / score.answers) ** 0.5) for _, count in chosen]
    ax.scatter(
        [level for level, _ in chosen],
        [y] * len(chosen),
        s=[size**2 for size in sizes],
        c=[TEAM_COLOUR if level == score.team_level else ANSWER_COLOUR for level, _ in chosen],
        edgecolors="white",
        linewidths=0.8,
        zorder=3,
        gid=f"answers-{area_id}",
    )
    for (level, count), size in zip(chosen, sizes):
        ax.annotate(
            f"{count:,}",
            (level, y),
            xytext=(size / 2 + 2, 0),
            textcoords="offset points",
            fontsize=COUNT_FONT,
            color=TEXT_COLOUR,
            ha="left",
            va="center",
            zorder=4,
            gid=f"count-{area_id}-{level}",
        )


def _trend_text(fig, across, x: float, y: float, trend: int | None, *, gid: str, bold: bool = False) -> None:
    fig.text(
        x,
        y,
        trend_words(trend),
        transform=across,
        fontsize=FONT,
        fontweight="bold" if bold else "normal",
        color=TEXT_COLOUR if trend is not None else MUTED_COLOUR,
        ha="center",
        va="center",
        gid=gid,
    )


def _level_tick_labels(names: list[str]) -> tuple[list[str], int]:
    """Level names for the x axis, wrapped onto two lines when long; rotated when they still do not fit."""
    per_level_in = (WIDTH_IN - LABEL_COLUMN_IN - TREND_COLUMN_IN - RIGHT_PAD_IN) / len(names)
    fits = int(per_level_in / (0.6 * FONT / 72))  # characters per level at about 0.6 em each
    wrapped = ["\n".join(textwrap.wrap(name, max(fits, 4), break_long_words=False)) for name in names]
    if max(len(line) for name in wrapped for line in name.split("\n")) <= fits:
        return wrapped, 0
    return names, 35


def _level_words(framework: Framework, number: int) -> str:
    """ "Mature (3)", for sentences."""
    level = framework.level(number)
    return f"{level.name} ({number})" if level else str(number)


def _trend_words(level: int, previous: int | None, since: str) -> str:
    if previous is None:
        return ""
    trend = level - previous
    if trend == 0:
        return f", the same as in {since}"
    return f", {'up' if trend > 0 else 'down'} {abs(trend)} since {since}"
