"""A round's results as a PDF for a council's leaders: a title page, the chart, a table of every area, the
areas where views differ, what the next level looks like in the framework's own words, and (when it is given
the channel's actions) the action plan, with what became of the previous round's actions beside each area's
trend.

This module decides what the report says; Typst lays it out. The words and figures go, as one JSON document,
into the template results/report.typ, which the `typst` package (Typst's compiler and fonts in a wheel)
compiles to a tagged PDF/UA-1 file: a title and a language, headings, tables with header cells, text in
reading order, the chart as vector graphics with alt text that says what it shows, real embedded fonts
(matplotlib's DejaVu Sans, the chart's font too). Text from users and from the framework is only ever data
in that document, never Typst markup, so no name, comment or descriptor can change the layout or run code.

matplotlib (the chart) and typst are imported inside `round_report_pdf`, never at module level: they are
heavy and the bot must start without them. Neither keeps global state between calls, so reports can be drawn
from several threads at once.

Anonymity, as in the channel summary: nobody's answers are named; counts of members, never names, say who
took part; an area with fewer than `min_group` answers shows "too few answers yet" and none of its figures,
and such areas appear neither where views differ nor in "What better looks like". The figures are those
results/anonymity.py lets the round show (the Summary it is given): while they hold newer answers back, the
table says how many and the title page says why. Members' comments are not in the report: in Slack a comment
is shown only to its author. The action plan names each action's owner (by the display name the caller
gives, else the Slack user id): owning an action is not an answer, and nothing of anyone's answers is shown
with it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from framework.limits import EDITOR_NOTE_LABEL, TRUNCATED_MARK

if TYPE_CHECKING:
    from framework.models import Framework, KeyArea
    from framework.scoring import AreaScore, Summary
    from storage.models import ActionItem, Round

log = logging.getLogger(__name__)

TEMPLATE = Path(__file__).with_name("report.typ")
PDF_STANDARD = "ua-1"
LANGUAGE, REGION = "en", "GB"

# The page results/report.typ sets: A4 with 1.6 cm side margins, 1.8 cm at the top and 2 cm at the bottom.
# The chart is drawn to fit the room under its heading and above its caption.
CONTENT_W_IN = 8.27 - 2 * 1.6 / 2.54
CHART_ROOM_IN = 9.0
MIN_CHART_SCALE = 0.8  # a chart that would have to shrink more than this (10 pt text to 8) is drawn in parts
CHART_AREAS_PER_PIECE = 12  # a theme with more areas than this is split between parts
FOOTER_LABEL_CHARS = 60

TOO_FEW = "too few answers yet"
NO_ANSWERS = "no answers yet"
NBSP = "\u00a0"  # joins words that must stay on one line ("2 · Developing")
DASH = "—"

TABLE_HEADINGS = ["Area", "Answers", "Team level", "Spread", "Target", "Gap", "Trend"]
THEME_HEADINGS = ["Theme", "Team level", "Trend"]
ACTION_HEADINGS = ["Area", "Action", "Owner", "Due", "Status"]
PREVIOUS_HEADINGS = ["Area", "Completed", "Still open", "Trend"]
OVERDUE = "overdue"


def round_report_pdf(
    framework: Framework,
    round_: Round,
    summary: Summary,
    *,
    round_number: int,
    channel_label: str,
    min_group: int,
    previous_round_number: int | None = None,
    actions: Sequence[ActionItem] | None = None,
    owner_names: dict[str, str] | None = None,
    previous_round_id: int | None = None,
    previous_round_version: str | None = None,
    today: date | None = None,
) -> bytes:
    """The round's report as PDF bytes (see the module docstring for its pages).

    `actions` are the channel's actions, open and done (None: the report has no action plan page);
    `owner_names` their owners' display names by user id, if the caller has them (else owners appear as their
    Slack user ids); `previous_round_id` the id of the round `previous_round_number` numbers, whose actions
    the action plan follows up, `previous_round_version` the framework version it ran (named when it is not
    this round's: trends are drawn across versions of one framework, never across frameworks); `today` the date an open action is overdue after, and the date of an open
    round's figures (today in UTC by default)."""
    report = _Report(
        framework=framework,
        round_=round_,
        summary=summary,
        round_number=round_number,
        channel_label=channel_label,
        min_group=min_group,
        previous_round_number=previous_round_number,
        actions=None if actions is None else list(actions),
        owner_names=dict(owner_names or {}),
        previous_round_id=previous_round_id,
        previous_round_version=previous_round_version,
        today=today or datetime.now(UTC).date(),
    )
    return typeset(report.document())


def typeset(document: dict) -> bytes:
    """The report's data, compiled with results/report.typ to PDF/UA-1 bytes. Typst's warnings (a glyph no
    font has, say) are logged: the PDF is still made."""
    import typst

    pdf, warnings = typst.compile_with_warnings(
        str(TEMPLATE),
        font_paths=_fonts(),
        ignore_system_fonts=True,  # the same fonts, so the same pages, on every machine
        sys_inputs={"report": json.dumps(document, ensure_ascii=False)},
        pdf_standards=[PDF_STANDARD],
    )
    for warning in warnings:
        log.warning("report typesetting: %s", getattr(warning, "message", warning))
    return pdf


@cache
def _fonts():
    """Typst's own fonts and matplotlib's DejaVu Sans (the chart's font, so the page and the chart match),
    found once per process."""
    import matplotlib
    import typst

    return typst.Fonts(
        include_system_fonts=False,
        include_embedded_fonts=True,
        font_paths=[str(Path(matplotlib.get_data_path()) / "fonts" / "ttf")],
    )


# -- what the report says --------------------------------------------------------------------------------------


def _cell(
    text: str,
    *,
    tone: str = "normal",
    note: str | None = None,
    note_tone: str = "muted",
    span: int = 1,
) -> dict:
    """A table cell: its text, how it is set ("normal", "strong", "muted", "warn", "note": italic and muted),
    and an optional second line (a note such as "views differ: discuss")."""
    return {"text": text, "tone": tone, "note": note, "note_tone": note_tone, "span": span}


@dataclass
class _Report:
    framework: Framework
    round_: Round
    summary: Summary
    round_number: int
    channel_label: str
    min_group: int
    previous_round_number: int | None
    actions: list[ActionItem] | None = None
    owner_names: dict[str, str] = field(default_factory=dict)
    previous_round_id: int | None = None
    previous_round_version: str | None = None
    today: date | None = None

    def across_versions(self) -> str:
        version = self.previous_round_version
        if version is None or version == self.round_.framework_version:
            return ""
        return f", which ran version {version} of the framework (this round: {self.round_.framework_version})"

    def document(self) -> dict:
        """Everything results/report.typ shows, in its order."""
        label = self.channel_label
        return {
            "lang": LANGUAGE,
            "region": REGION,
            "title": f"Maturity self-assessment: {label}, round {self.round_number}",
            "subject": f"{self.framework.title}: results of round {self.round_number} for {label}",
            "author": label,
            "keywords": ["maturity self-assessment", self.framework.title],
            "footer": f"Maturity self-assessment · {_clip(label, FOOTER_LABEL_CHARS)} · round {self.round_number}",
            "cover": self.cover(),
            "charts": self.charts(),
            "areas": self.areas(),
            "differences": self.differences(),
            "better": self.better(),
            "plan": self.plan() if self.actions is not None else None,
        }

    def level(self, number: int | None) -> str:
        """ "2 · Developing": the number stays with the name's first word; a long name may wrap."""
        if number is None:
            return DASH
        level = self.framework.level(number)
        return f"{number}{NBSP}·{NBSP}{level.name}" if level else str(number)

    def level_prose(self, number: int) -> str:
        """ "Developing (2)", for sentences."""
        level = self.framework.level(number)
        return f"{level.name}{NBSP}({number})" if level else str(number)

    def shown(self, score: AreaScore | None) -> bool:
        return score is not None and score.answers >= self.min_group and score.team_level is not None

    def figures_date(self) -> str:
        """The date the figures are as of: the closing date of a closed round, else today."""
        r = self.round_
        if r.status == "closed" and r.closed_at is not None:
            return _iso_date(r.closed_at)
        return _iso_date(self.today)

    # -- page 1 --------------------------------------------------------------------------------------------------

    def cover(self) -> dict:
        r, p = self.round_, self.summary.participation
        status = "closed" if r.status == "closed" else "open"
        if r.status == "closed":
            dates = f"started {_iso_date(r.created_at)}, closed {_iso_date(r.closed_at) or 'on an unknown date'}"
        else:
            closes = f"closes {r.closes_on.isoformat()}" if r.closes_on else "no closing date set"
            dates = f"started {_iso_date(r.created_at)}, still open ({closes})"
        facts = [
            ["Team", self.channel_label],
            ["Round", f"Round {self.round_number} ({status})"],
            ["Dates", dates],
            [
                "Participation",
                f"{p.members} members: {p.complete} complete, {p.in_progress} in progress, {p.not_started} not started",
            ],
            ["Framework", f"{self.framework.title}, version {self.framework.version}"],
            *(
                [label, value]
                for label, value in (
                    ("Source", getattr(self.framework, "source", None)),
                    ("Licence", getattr(self.framework, "licence", None)),
                )
                if value
            ),
            [
                "Compared with",
                f"round {self.previous_round_number} (the previous closed round)" + self.across_versions()
                if self.previous_round_number
                else "no earlier closed round in this channel",
            ],
        ]
        held = [a for a in self.summary.areas if a.held_back and self.shown(a)]
        if held:
            total = sum(a.held_back for a in held)
            facts.append(
                [
                    "Held back",
                    f"{total} newer {'answer' if total == 1 else 'answers'} in {len(held)} "
                    f"{'area' if len(held) == 1 else 'areas'}: not in these figures (see below)",
                ]
            )

        overall = self.summary.overall
        top = len(self.framework.levels)
        overall_part = {
            "heading": "Overall team level",
            "level": None if overall is None else self.level(overall),
            "text": f"Not shown yet: no area has {self.min_group} or more answers."
            if overall is None
            else f"on a scale of {top} levels, from {self.level(1)} to {self.level(top)}"
            + self.since(overall, self.previous_overall()),
        }
        from .chart import previous_levels

        previous_themes, _ = previous_levels(self.framework, self.summary)
        themes = {t.theme_id: t.level for t in self.summary.themes}
        theme_rows = []
        for theme in self.framework.themes:
            level, previous = themes.get(theme.id), previous_themes.get(theme.id)
            trend = level - previous if level is not None and previous is not None else None
            theme_rows.append(
                [
                    _cell(theme.title),
                    _cell(self.level(level), tone="strong") if level else _cell("not shown yet", tone="note"),
                    self.trend_cell(trend),
                ]
            )
        notes = [
            (
                "Team level: the median of the levels members chose for an area; with an even number of answers, "
                "the lower of the two middle levels. Theme and overall levels are the lower median of their areas' "
                "team levels."
            ),
            (
                "The chart shows, per area, how many members chose each level: one dot per level chosen, its size "
                "the level's share of the answers and its number how many chose it."
            ),
            (
                "Views differ: the answers for an area span 2 levels or more (the spread). These are worth "
                "discussing before agreeing a level or a target."
            ),
            (
                f'Hidden areas: an area with fewer than {self.min_group} answers shows "{TOO_FEW}" and none of '
                "its figures, and counts towards no theme or overall level, so no one's answer can be picked out. "
                + (
                    "Nobody is named anywhere in this report."
                    if self.actions is None
                    else "Nobody's answers are named anywhere in this report; the action plan names each action's "
                    "owner, since owning an action is not an answer."
                )
            ),
            (
                f"Held back: an area's figures move only when at least {self.min_group} members' answers are new or "
                "changed since every earlier summary, so nobody's answers can be worked out by comparing this report "
                "with a summary; until then they are the figures last shown, and the table counts the answers not "
                "in them yet."
            ),
            (
                "Target and gap: the team's own target level for an area and how many levels remain to reach it. "
                "Trend: the change of team level since the channel's previous closed round."
            ),
        ]
        return {
            "heading": "Maturity self-assessment",
            "subtitle": "Results for the team's leaders",
            "framework": self.framework.title,
            "facts": facts,
            "overall": overall_part,
            "themes": {"heading": "Team level by theme", "columns": THEME_HEADINGS, "rows": theme_rows},
            "notes": {"heading": "How to read this report", "items": notes},
        }

    def previous_overall(self) -> int | None:
        from .chart import previous_levels

        return previous_levels(self.framework, self.summary)[1]

    def since(self, level: int, previous: int | None) -> str:
        if previous is None or not self.previous_round_number:
            return ""
        trend = level - previous
        change = "no change" if trend == 0 else f"{'up' if trend > 0 else 'down'} {abs(trend)}"
        return f"; {change} since round {self.previous_round_number}"

    # -- the chart -------------------------------------------------------------------------------------------------

    def charts(self) -> list[dict]:
        """The channel summary's chart, on one page; a framework too big for one readable page gets its chart in
        parts, whole themes to a part where possible."""
        from .chart import chart_height_in

        pieces = []  # (theme, areas, continued): a theme, or a slice of a theme with very many areas
        for theme in self.framework.themes:
            for start in range(0, len(theme.areas), CHART_AREAS_PER_PIECE):
                pieces.append((theme, theme.areas[start : start + CHART_AREAS_PER_PIECE], start > 0))

        def height(part, suffix: str) -> float:
            return chart_height_in(self.part_framework(part), title=self.chart_title(suffix), subtitle=self.subtitle())

        parts: list[list] = []
        for piece in pieces:
            if parts and height([*parts[-1], piece], " (part 10 of 10)") * MIN_CHART_SCALE <= CHART_ROOM_IN:
                parts[-1].append(piece)
            else:
                parts.append([piece])
        if len(parts) > 1 and height(pieces, "") * MIN_CHART_SCALE <= CHART_ROOM_IN:
            parts = [pieces]
        return [
            self.chart(part, f" (part {number} of {len(parts)})" if len(parts) > 1 else "")
            for number, part in enumerate(parts, start=1)
        ]

    def part_framework(self, part) -> Framework:
        themes = [
            theme.model_copy(
                update={"areas": areas, "title": f"{theme.title} (continued)" if continued else theme.title}
            )
            for theme, areas, continued in part
        ]
        return self.framework.model_copy(update={"themes": themes})

    def chart_title(self, suffix: str) -> str:
        return f"{self.channel_label}: round {self.round_number}, {self.figures_date()}{suffix}"

    def subtitle(self) -> str:
        p = self.summary.participation
        return (
            f"{p.complete} of {p.members} members complete. Areas with fewer than {self.min_group} answers are hidden."
        )

    def chart(self, part, suffix: str) -> dict:
        from .chart import WIDTH_IN, chart_height_in, describe_summary_chart, draw_summary_chart

        framework, title = self.part_framework(part), self.chart_title(suffix)
        svg = draw_summary_chart(
            framework,
            self.summary,
            min_group=self.min_group,
            title=title,
            subtitle=self.subtitle(),
            previous_round=self.previous_round_number,
            image_format="svg",
        )
        height_in = chart_height_in(framework, title=title, subtitle=self.subtitle())
        alt = f"Chart: {title}. " + describe_summary_chart(
            framework, self.summary, min_group=self.min_group, previous_round=self.previous_round_number
        )
        return {
            "heading": f"Team level and answers per area{suffix}",
            "svg": svg.decode("utf-8"),
            "alt": alt,
            "width_in": min(CONTENT_W_IN, CHART_ROOM_IN * WIDTH_IN / height_in),
            "caption": (
                "Per area, a dot for each level chosen, sized by its share of the answers, with how many chose it; "
                "the dark dot is the team level, the orange bar the target, a square a theme's or the overall level. "
                "The table that follows gives the same figures."
            ),
        }

    # -- table of areas ------------------------------------------------------------------------------------------

    def areas(self) -> dict:
        trend_note = (
            f"Trend: the change of team level since round {self.previous_round_number}."
            if self.previous_round_number
            else "There is no earlier closed round to compare with, so there is no trend yet."
        )
        themes = {t.theme_id: t.level for t in self.summary.themes}
        groups = []
        for theme in self.framework.themes:
            level = themes.get(theme.id)
            band = (
                f"{theme.title}  ·  team level {self.level(level)}"
                if level
                else f"{theme.title}  ·  team level not shown yet"
            )
            groups.append({"band": band, "kind": theme.kind, "rows": [self.area_row(area) for area in theme.areas]})
        return {
            "heading": "Results by area",
            "intro": (
                "Every area of the framework, grouped by theme. Spread is the highest answer minus the lowest; "
                '"views differ" marks a spread of 2 or more. Gap: how many levels the team is below its target '
                f'("met" when it has reached it). {trend_note}'
            ),
            "columns": TABLE_HEADINGS,
            "groups": groups,
        }

    def area_row(self, area: KeyArea) -> list[dict]:
        score = self.summary.by_area.get(area.id)
        answers = score.answers if score else 0
        target = score.target if score else None
        title = _cell(area.title)
        count = _cell(str(answers))
        if score is not None and score.held_back and self.shown(score):
            count = _cell(str(answers), note=f"+{score.held_back}{NBSP}held{NBSP}back")
        if self.shown(score) and score.disagreement:
            title = _cell(area.title, note=f"views{NBSP}differ: discuss", note_tone="warn")
        target_cell = _cell(self.level(target), tone="normal") if target else _cell("not set", tone="muted")
        if not self.shown(score):
            received = score.answers_now if score else 0
            note = NO_ANSWERS if received == 0 else f"{TOO_FEW} ({received} of {self.min_group} needed)"
            return [
                title,
                count,
                _cell(note, tone="note", span=2),
                target_cell,
                _cell(DASH, tone="muted"),
                _cell(DASH, tone="muted"),
            ]
        gap = score.gap
        gap_text = DASH if gap is None else ("met" if gap <= 0 else f"{gap}{NBSP}to{NBSP}go")
        return [
            title,
            count,
            _cell(self.level(score.team_level), tone="strong"),
            _cell(str(score.spread), tone="warn" if score.disagreement else "normal"),
            target_cell,
            _cell(gap_text, tone="normal" if gap is not None else "muted"),
            self.trend_cell(score.trend, words=("up", "down")),
        ]

    def trend_cell(self, trend: int | None, words: tuple[str, str] = ("up", "down")) -> dict:
        if trend is None:
            return _cell(DASH, tone="muted")
        if trend == 0:
            return _cell("same")
        return _cell(f"{words[0] if trend > 0 else words[1]}{NBSP}{abs(trend)}".replace(" ", NBSP))

    # -- where views differ ----------------------------------------------------------------------------------------

    def differences(self) -> dict:
        differing = [
            (area, self.summary.by_area[area.id])
            for area in self.framework.areas
            if self.shown(self.summary.by_area.get(area.id)) and self.summary.by_area[area.id].disagreement
        ]
        empty = None
        if not differing:
            any_shown = any(self.shown(score) for score in self.summary.areas)
            empty = (
                "Views were close in every area shown: no area has a spread of 2 levels or more."
                if any_shown
                else f"No area has {self.min_group} or more answers yet, so there is nothing to compare."
            )
        items = []
        for area, score in differing:
            chosen = [n for n, c in score.counts.items() if c > 0]
            theme = self.framework.theme_of(area.id)
            items.append(
                {
                    "title": area.title,
                    "theme": theme.title if theme else "",
                    "lines": [
                        f"Answers ranged from {self.level_prose(min(chosen))} to {self.level_prose(max(chosen))}: a "
                        f"spread of {score.spread} levels. Team level: {self.level_prose(score.team_level)}.",
                        "How many chose each level: "
                        + "  ·  ".join(
                            f"{_nbsp(self.framework.level(n).name)}{NBSP}{c}" for n, c in score.counts.items()
                        ),
                    ],
                }
            )
        return {
            "heading": "Where views differ",
            "intro": (
                "Areas where members' answers span 2 levels or more. A wide spread often means people had different "
                "parts of the council, or different examples, in mind: talk these through before agreeing the "
                f"team's level or a target. Only areas with at least {self.min_group} answers are listed."
            ),
            "empty": empty,
            "items": items,
        }

    # -- what better looks like ---------------------------------------------------------------------------------------

    def better(self) -> dict:
        shown = [area for area in self.framework.areas if self.shown(self.summary.by_area.get(area.id))]
        top = len(self.framework.levels)
        items = []
        for area in shown:
            score = self.summary.by_area[area.id]
            theme = self.framework.theme_of(area.id)
            context = [theme.title if theme else "", f"team level {self.level(score.team_level)}"]
            if score.target:
                context.append(f"target {self.level(score.target)}")
            steps = [
                {
                    "label": f"Where the team is now: {self.level(score.team_level)}",
                    "words": [self.words(area, score.team_level)],
                    "none_text": None,
                }
            ]
            if score.team_level >= top:
                steps.append(
                    {
                        "label": "The next level: none",
                        "words": [],
                        "none_text": "This is the framework's top level: there is no level above it.",
                    }
                )
            else:
                steps.append(
                    {
                        "label": f"The next level: {self.level(score.team_level + 1)}",
                        "words": [self.words(area, score.team_level + 1)],
                        "none_text": None,
                    }
                )
            note = area.editor_note  # about the area's title or text: not the framework's words
            items.append(
                {
                    "title": area.title,
                    "context": "  ·  ".join(c for c in context if c),
                    "editor_note": f"{EDITOR_NOTE_LABEL}: {note}" if note else None,
                    "steps": steps,
                }
            )
        return {
            "heading": "What better looks like",
            "intro": (
                "For each area with a team level shown: the framework's description of the level the team is at, and "
                "of the next level up. The descriptions are the framework's own words, unchanged."
            ),
            "empty": None
            if shown
            else f"No area has {self.min_group} or more answers yet, so there is nothing to show here.",
            "items": items,
        }

    def words(self, area: KeyArea, level_number: int) -> dict:
        """A descriptor in the framework's words, with our marks beside it: cut off in the source, editor's note."""
        descriptor = area.descriptor(self.framework.level(level_number).name)
        return {
            "text": descriptor.descriptor,
            "truncated": TRUNCATED_MARK if descriptor.truncated else None,
            "editor_note": f"{EDITOR_NOTE_LABEL}: {descriptor.editor_note}" if descriptor.editor_note else None,
        }

    # -- the action plan -------------------------------------------------------------------------------------------

    def plan(self) -> dict:
        """The channel's actions (open ones first, soonest due first, then the done ones), overdue marked in
        words; then, for a round after the first, what became of the previous round's actions per area beside
        the area's trend."""
        actions = sorted(self.actions or [], key=lambda a: (a.status != "open", a.due_on, a.id or 0))
        return {
            "heading": "Action plan",
            "intro": (
                "The channel's actions, open and done: what will be done about an area, who owns it and when it is "
                f'due. Open actions come first, soonest due first; "{OVERDUE}" marks an open action whose due date '
                "has passed. Owners are named: owning an action is not an answer, and nobody's answers are shown here."
            ),
            "empty": None if actions else "No actions have been agreed in this channel yet.",
            "columns": ACTION_HEADINGS,
            "rows": [self.action_row(action) for action in actions],
            "previous": self.previous_actions(),
        }

    def action_row(self, action: ActionItem) -> list[dict]:
        area = self.framework.area(action.area_id)
        aim = f"aims for {self.level(action.aim_level)}" if action.aim_level is not None else None
        late = action.status != "done" and self.today is not None and action.due_on < self.today
        if action.status == "done":
            done_on = _iso_date(action.done_at)
            status = _cell("done", note=f"on {done_on}" if done_on else None)
        elif late:
            status = _cell("open", note=OVERDUE, note_tone="warn")
        else:
            status = _cell("open")
        return [
            _cell(area.title if area else action.area_id),
            _cell(" ".join((action.text or "").split()), note=aim),
            _cell(self.owner(action.owner_id)),
            _cell(action.due_on.isoformat(), tone="warn" if late else "normal"),
            status,
        ]

    def owner(self, user_id: str) -> str:
        return self.owner_names.get(user_id) or user_id

    def previous_actions(self) -> dict | None:
        """Per area with actions agreed in the previous round: how many are done and how many still open,
        beside the change of its team level since then."""
        if not self.previous_round_number or self.previous_round_id is None:
            return None
        number = self.previous_round_number
        agreed = [a for a in self.actions or [] if a.round_id == self.previous_round_id]
        done = sum(1 for a in agreed if a.status == "done")
        tally = (
            f"No actions were agreed in round {number}."
            if not agreed
            else f"Of the {len(agreed)} {'action' if len(agreed) == 1 else 'actions'} agreed in round {number}, "
            f"{done} {'was' if done == 1 else 'were'} completed and {len(agreed) - done} "
            f"{'is' if len(agreed) - done == 1 else 'are'} still open."
        )
        by_area: dict[str, list[ActionItem]] = {}
        for action in agreed:
            by_area.setdefault(action.area_id, []).append(action)
        order = {area_id: i for i, area_id in enumerate(self.framework.area_ids)}
        rows = []
        for area_id in sorted(by_area, key=lambda a: (order.get(a, len(order)), a)):
            items = by_area[area_id]
            completed = sum(1 for a in items if a.status == "done")
            area = self.framework.area(area_id)
            score = self.summary.by_area.get(area_id)
            rows.append(
                [
                    _cell(area.title if area else area_id),
                    _cell(f"{completed}{NBSP}of{NBSP}{len(items)}"),
                    _cell(str(len(items) - completed)),
                    _cell(f"not{NBSP}shown", tone="note")
                    if not self.shown(score) or score.trend is None
                    else self.trend_cell(score.trend, words=("moved up", "moved down")),
                ]
            )
        return {
            "heading": f"What became of round {number}'s actions",
            "intro": (
                f"For each area with actions agreed in round {number}: how many have been completed and how many are "
                f"still open, beside the area's trend (the change of its team level since round {number}, as in the "
                "table of areas)."
            ),
            "tally": tally,
            "columns": PREVIOUS_HEADINGS,
            "rows": rows,
        }


def _nbsp(text: str) -> str:
    return text.replace(" ", NBSP)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _iso_date(moment: datetime | date | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).date().isoformat()
    return moment.isoformat()
