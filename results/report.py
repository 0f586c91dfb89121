"""A round's results as a PDF for a council's leaders: a title page, the chart, a table of every area, the
areas where views differ, what the next level looks like in the framework's own words, and (when it is given
the channel's actions) the action plan, with what became of the previous round's actions beside each area's
trend.

matplotlib is imported inside `round_report_pdf`, never at module level (it is a heavy import and the bot
must start without it). Pages are Figure objects saved with the PDF backend's PdfPages: no pyplot and no
global state, so reports can be drawn from several threads at once.

Layout works in inches from the top left corner of an A4 page. Text is wrapped by measuring it with the
font that draws it, so nothing runs past the margins, and blocks move to the next page whole rather than
being cut at the bottom. All text is at least 9 pt.

Anonymity, as in the channel summary: nobody is named; an area with fewer than `min_group` answers shows
"too few answers yet" and none of its figures, and such areas appear neither where views differ nor in
"What better looks like". The figures are those results/anonymity.py lets the round show (the Summary it
is given): while they hold newer answers back, the table says how many and the title page says why. The
action plan names each action's owner (by the display name the caller gives, else the Slack user id):
owning an action is not an answer, and nothing of anyone's answers is shown with it.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from framework.models import Framework, KeyArea
    from framework.scoring import AreaScore, Summary
    from storage.models import ActionItem, Round

PAGE_W, PAGE_H = 8.27, 11.69  # A4 portrait, inches
MARGIN_X = 0.65
MARGIN_TOP = 0.75
MARGIN_BOTTOM = 0.95  # room for the footer
FOOTER_Y = PAGE_H - 0.5
CONTENT_W = PAGE_W - 2 * MARGIN_X

TITLE_FONT = 24
SUBTITLE_FONT = 14
HEADING_FONT = 17
SUBHEADING_FONT = 12
BODY_FONT = 10.5
TABLE_FONT = 9.5
SMALL_FONT = 9  # the smallest text anywhere (footer, notes)
LINE_SPACING = 1.32  # line height as a multiple of the font size
WRAP_SLACK = 0.985  # lines are wrapped a little short of the measured width, to be safe

TEXT_COLOUR = "#222222"
MUTED_COLOUR = "#666666"
ACCENT_COLOUR = "#1f4e9c"
WARN_COLOUR = "#b45309"
RULE_COLOUR = "#cccccc"
BAND_COLOURS = {"theme": "#e8eef7", "enabler": "#eef3e6"}
BOX_COLOUR = "#f4f6f9"

TOO_FEW = "too few answers yet"
NO_ANSWERS = "no answers yet"
TRUNCATED_MARK = "(cut off in the source)"
NBSP = "\u00a0"  # joins words that must stay on one line ("2 · Developing")

# The table of areas. The area column takes what the others leave; each other column is as wide as its
# widest unbreakable piece of text ("2 · Developing" stays together), so no word is ever split.
TABLE_HEADINGS = ["Area", "Answers", "Team level", "Spread", "Target", "Gap", "Trend"]
AREA_COLUMN_MIN = 1.6
CELL_PAD = 0.06
# The chart is drawn for a phone (7 in wide, 10 pt text); on the page it may shrink to this much (9 pt text)
# before it is split into parts.
MIN_CHART_SCALE = 0.88
CHART_AREAS_PER_PIECE = 12
# The action plan's tables: the action's text takes what the others leave; the area column is this wide.
ACTION_HEADINGS = ["Area", "Action", "Owner", "Due", "Status"]
ACTION_AREA_W = 1.35
ACTION_OWNER_MAX_W = 1.15
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
    today: date | None = None,
) -> bytes:
    """The round's report as PDF bytes (see the module docstring for its pages).

    `actions` are the channel's actions, open and done (None: the report has no action plan page);
    `owner_names` their owners' display names by user id, if the caller has them (else owners appear as their
    Slack user ids); `previous_round_id` the id of the round `previous_round_number` numbers, whose actions
    the action plan follows up; `today` the date an open action is overdue after (today in UTC by default)."""
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    report = _Report(
        framework=framework,
        round_=round_,
        summary=summary,
        round_number=round_number,
        channel_label=channel_label,
        min_group=min_group,
        previous_round_number=previous_round_number,
        doc=_Document(_Measure()),
        actions=None if actions is None else list(actions),
        owner_names=dict(owner_names or {}),
        previous_round_id=previous_round_id,
        today=today or datetime.now(UTC).date(),
    )
    report.title_page()
    report.chart_pages()
    report.table_pages()
    report.differences_page()
    report.better_pages()
    if report.actions is not None:
        report.action_plan_pages()

    buffer = io.BytesIO()
    metadata = {
        "Title": f"Maturity self-assessment: {channel_label}, round {round_number}",
        "Subject": f"{framework.title}: results of round {round_number} for {channel_label}",
        "Keywords": f"maturity self-assessment, {framework.id} {framework.version}",
        "Creator": "maturity-bot",
    }
    with PdfPages(buffer, metadata=metadata) as pdf:
        total = len(report.doc.pages)
        footer = f"Maturity self-assessment · {channel_label} · round {round_number}"
        for number, ops in enumerate(report.doc.pages, start=1):
            fig = Figure(figsize=(PAGE_W, PAGE_H), facecolor="white")
            for op in ops:
                op.draw(fig)
            _Text(
                MARGIN_X,
                FOOTER_Y,
                _clip(report.doc.measure, footer, CONTENT_W - 1.0, SMALL_FONT),
                SMALL_FONT,
                colour=MUTED_COLOUR,
            ).draw(fig)
            _Text(
                PAGE_W - MARGIN_X, FOOTER_Y, f"Page {number} of {total}", SMALL_FONT, colour=MUTED_COLOUR, ha="right"
            ).draw(fig)
            pdf.savefig(fig)
    return buffer.getvalue()


# -- what the report says --------------------------------------------------------------------------------


@dataclass
class _Report:
    framework: Framework
    round_: Round
    summary: Summary
    round_number: int
    channel_label: str
    min_group: int
    previous_round_number: int | None
    doc: _Document
    actions: list[ActionItem] | None = None
    owner_names: dict[str, str] = field(default_factory=dict)
    previous_round_id: int | None = None
    today: date | None = None

    def level(self, number: int | None) -> str:
        """ "2 · Developing": the number stays with the name's first word; a long name may wrap."""
        if number is None:
            return "—"
        level = self.framework.level(number)
        return f"{number}{NBSP}·{NBSP}{level.name}" if level else str(number)

    def level_prose(self, number: int) -> str:
        """ "Developing (2)", for sentences."""
        level = self.framework.level(number)
        return f"{level.name}{NBSP}({number})" if level else str(number)

    def shown(self, score: AreaScore | None) -> bool:
        return score is not None and score.answers >= self.min_group and score.team_level is not None

    # -- page 1 ------------------------------------------------------------------------------------------

    def title_page(self) -> None:
        doc, r, p = self.doc, self.round_, self.summary.participation
        doc.new_page()
        doc.y += 0.1
        doc.paragraph("Maturity self-assessment", TITLE_FONT, weight="bold", colour=ACCENT_COLOUR, after=0.04)
        doc.paragraph("Results for the team's leaders", SUBTITLE_FONT, colour=MUTED_COLOUR, after=0.14)
        doc.paragraph(self.framework.title, SUBTITLE_FONT, weight="bold", after=0.16)
        doc.rule(after=0.16)

        status = "closed" if r.status == "closed" else "open"
        if r.status == "closed":
            dates = f"started {_iso_date(r.created_at)}, closed {_iso_date(r.closed_at) or 'on an unknown date'}"
        else:
            closes = f"closes {r.closes_on.isoformat()}" if r.closes_on else "no closing date set"
            dates = f"started {_iso_date(r.created_at)}, still open ({closes})"
        facts = [
            ("Team", self.channel_label),
            ("Round", f"Round {self.round_number} ({status})"),
            ("Dates", dates),
            (
                "Participation",
                (
                    f"{p.members} members: {p.complete} complete, {p.in_progress} in progress, "
                    f"{p.not_started} not started"
                ),
            ),
            ("Framework", f"{self.framework.id}, version {self.framework.version}"),
            (
                "Compared with",
                f"round {self.previous_round_number} (the previous closed round)"
                if self.previous_round_number
                else "no earlier closed round in this channel",
            ),
        ]
        held = [a for a in self.summary.areas if a.held_back and self.shown(a)]
        if held:
            total = sum(a.held_back for a in held)
            facts.append(
                (
                    "Held back",
                    f"{total} newer {'answer' if total == 1 else 'answers'} in {len(held)} "
                    f"{'area' if len(held) == 1 else 'areas'}: not in these figures (see below)",
                )
            )
        doc.facts(facts, label_w=1.6, size=11)
        doc.y += 0.16

        overall = self.summary.overall
        doc.paragraph("Overall team level", SUBHEADING_FONT, weight="bold", after=0.02)
        if overall is None:
            doc.paragraph(
                f"Not shown yet: no area has {self.min_group} or more answers.",
                BODY_FONT,
                colour=MUTED_COLOUR,
                after=0.14,
            )
        else:
            doc.paragraph(self.level(overall), 20, weight="bold", colour=ACCENT_COLOUR, after=0.0)
            doc.paragraph(
                f"on a scale of {len(self.framework.levels)} levels, from {self.level(1)} to "
                f"{self.level(len(self.framework.levels))}",
                BODY_FONT,
                colour=MUTED_COLOUR,
                after=0.14,
            )

        doc.paragraph("Team level by theme", SUBHEADING_FONT, weight="bold", after=0.06)
        themes = {t.theme_id: t.level for t in self.summary.themes}
        doc.facts(
            [
                (theme.title, self.level(themes.get(theme.id)) if themes.get(theme.id) else "not shown yet")
                for theme in self.framework.themes
            ],
            label_w=3.6,
            size=BODY_FONT,
        )
        doc.y += 0.18

        notes = [
            (
                "Team level: the median of the levels members chose for an area; with an even number of answers, "
                "the lower of the two middle levels. Theme and overall levels are the lower median of their areas' "
                "team levels."
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
        doc.box("How to read this report", notes)

    # -- the chart ------------------------------------------------------------------------------------------

    def chart_pages(self) -> None:
        """The channel summary's chart, on one page; a framework too big for one readable page gets its chart
        in parts, whole themes to a part where possible."""
        doc = self.doc
        room_h = PAGE_H - MARGIN_TOP - MARGIN_BOTTOM
        pieces = []  # (theme, areas): a theme, or a slice of a theme with very many areas
        for theme in self.framework.themes:
            for start in range(0, len(theme.areas), CHART_AREAS_PER_PIECE):
                pieces.append((theme, theme.areas[start : start + CHART_AREAS_PER_PIECE], start > 0))
        whole = self.chart(pieces, "")
        if _chart_scale(whole, room_h) >= MIN_CHART_SCALE:
            doc.new_page()
            doc.image(whole)
            return
        # Split by the chart's own row heights (results/chart.py); the rest of its height is title and axes.
        from .chart import DPI

        header_in = _png_size(whole)[1] / DPI - sum(_chart_rows_in(piece) for piece in pieces) + 0.3
        limit_in = room_h / MIN_CHART_SCALE
        parts: list[list] = []
        for piece in pieces:
            if parts and header_in + sum(_chart_rows_in(p) for p in parts[-1] + [piece]) <= limit_in:
                parts[-1].append(piece)
            else:
                parts.append([piece])
        for number, part in enumerate(parts, start=1):
            doc.new_page()
            doc.image(self.chart(part, f" (part {number} of {len(parts)})"))

    def chart(self, pieces, part: str) -> bytes:
        from .chart import draw_summary_chart

        themes = [
            theme.model_copy(
                update={"areas": areas, "title": f"{theme.title} (continued)" if continued else theme.title}
            )
            for theme, areas, continued in pieces
        ]
        p = self.summary.participation
        return draw_summary_chart(
            self.framework.model_copy(update={"themes": themes}),
            self.summary,
            min_group=self.min_group,
            title=f"Round {self.round_number}: team level and target per area{part}",
            subtitle=f"{p.complete} of {p.members} members complete. Areas with fewer than {self.min_group} answers "
            "are hidden.",
        )

    # -- table of areas --------------------------------------------------------------------------------------

    def table_pages(self) -> None:
        doc = self.doc
        doc.new_page()
        doc.paragraph("Results by area", HEADING_FONT, weight="bold", after=0.08)
        trend_note = (
            f"Trend: the change of team level since round {self.previous_round_number}."
            if self.previous_round_number
            else "There is no earlier closed round to compare with, so there is no trend yet."
        )
        doc.paragraph(
            f"Every area of the framework, grouped by theme. Spread is the highest answer minus the lowest; "
            f'"views differ" marks a spread of 2 or more. Gap: how many levels the team is below its target '
            f'("met" when it has reached it). {trend_note}',
            TABLE_FONT,
            colour=MUTED_COLOUR,
            after=0.14,
        )
        header = [_Cell(name, weight="bold") for name in TABLE_HEADINGS]
        themes = {t.theme_id: t.level for t in self.summary.themes}
        groups = []
        for theme in self.framework.themes:
            level = themes.get(theme.id)
            band = (
                f"{theme.title}  ·  team level {self.level(level)}"
                if level
                else f"{theme.title}  ·  team level not shown yet"
            )
            groups.append((theme, band, [self.area_row(area) for area in theme.areas]))
        widths = doc.column_widths([header] + [row for _, _, rows in groups for row in rows], AREA_COLUMN_MIN)
        doc.table_header(header, widths)

        def continued() -> None:
            doc.new_page()
            doc.paragraph("Results by area (continued)", SUBHEADING_FONT, weight="bold", after=0.1)
            doc.table_header(header, widths)

        for theme, band, rows in groups:
            # a theme's heading never sits alone at the bottom of a page
            first_height = doc.row_height(rows[0], widths) if rows else 0
            if doc.band_height(band) + first_height > doc.room():
                continued()
            doc.band(band, BAND_COLOURS.get(theme.kind, BAND_COLOURS["theme"]))
            for row in rows:
                if doc.row_height(row, widths) > doc.room():
                    continued()
                doc.table_row(row, widths)

    def area_row(self, area: KeyArea) -> list[_Cell]:
        score = self.summary.by_area.get(area.id)
        answers = score.answers if score else 0
        target = score.target if score else None
        title = _Cell(area.title)
        count = _Cell(str(answers))
        if score is not None and score.held_back and self.shown(score):
            count = _Cell(str(answers), note=f"+{score.held_back}{NBSP}held{NBSP}back", note_colour=MUTED_COLOUR)
        if self.shown(score) and score.disagreement:
            title = _Cell(area.title, note=f"views{NBSP}differ: discuss", note_colour=WARN_COLOUR)
        target_cell = _Cell(self.level(target) if target else "not set", colour=TEXT_COLOUR if target else MUTED_COLOUR)
        if not self.shown(score):
            received = score.answers_now if score else 0
            note = NO_ANSWERS if received == 0 else f"{TOO_FEW} ({received} of {self.min_group} needed)"
            return [
                title,
                count,
                _Cell(note, span=2, style="italic", colour=MUTED_COLOUR),
                target_cell,
                _Cell("—", colour=MUTED_COLOUR),
                _Cell("—", colour=MUTED_COLOUR),
            ]
        gap = score.gap
        gap_text = "—" if gap is None else ("met" if gap <= 0 else f"{gap}{NBSP}to{NBSP}go")
        trend = score.trend
        trend_text = (
            "—" if trend is None else ("same" if trend == 0 else f"{'up' if trend > 0 else 'down'}{NBSP}{abs(trend)}")
        )
        return [
            title,
            count,
            _Cell(self.level(score.team_level), weight="bold"),
            _Cell(
                str(score.spread),
                colour=WARN_COLOUR if score.disagreement else TEXT_COLOUR,
                weight="bold" if score.disagreement else "normal",
            ),
            target_cell,
            _Cell(gap_text, colour=TEXT_COLOUR if gap is not None else MUTED_COLOUR),
            _Cell(trend_text, colour=TEXT_COLOUR if trend is not None else MUTED_COLOUR),
        ]

    # -- where views differ ----------------------------------------------------------------------------------

    def differences_page(self) -> None:
        doc = self.doc
        if doc.room() < 0.45 * (PAGE_H - MARGIN_TOP - MARGIN_BOTTOM):
            doc.new_page()
        else:  # the table ended high on its last page: carry on below it
            doc.y += 0.35
        doc.running = "Where views differ (continued)"
        doc.paragraph("Where views differ", HEADING_FONT, weight="bold", after=0.08)
        differing = [
            (area, self.summary.by_area[area.id])
            for area in self.framework.areas
            if self.shown(self.summary.by_area.get(area.id)) and self.summary.by_area[area.id].disagreement
        ]
        doc.paragraph(
            "Areas where members' answers span 2 levels or more. A wide spread often means people had different "
            "parts of the council, or different examples, in mind: talk these through before agreeing the "
            f"team's level or a target. Only areas with at least {self.min_group} answers are listed.",
            BODY_FONT,
            colour=MUTED_COLOUR,
            after=0.2,
        )
        if not differing:
            any_shown = any(self.shown(score) for score in self.summary.areas)
            doc.paragraph(
                "Views were close in every area shown: no area has a spread of 2 levels or more."
                if any_shown
                else f"No area has {self.min_group} or more answers yet, so there is nothing to compare.",
                BODY_FONT,
                after=0.1,
            )
            return
        for area, score in differing:
            chosen = [n for n, c in score.counts.items() if c > 0]
            theme = self.framework.theme_of(area.id)
            lines = [
                _Line(area.title, SUBHEADING_FONT, weight="bold"),
                _Line(theme.title if theme else "", SMALL_FONT, colour=MUTED_COLOUR),
                _Line(
                    f"Answers ranged from {self.level_prose(min(chosen))} to {self.level_prose(max(chosen))}: a "
                    f"spread of {score.spread} levels. Team level: {self.level_prose(score.team_level)}.",
                    BODY_FONT,
                ),
                _Line(
                    "How many chose each level: "
                    + "  ·  ".join(f"{_nbsp(self.framework.level(n).name)}{NBSP}{c}" for n, c in score.counts.items()),
                    BODY_FONT,
                ),
            ]
            doc.keep_together(lines, after=0.22)

    # -- what better looks like --------------------------------------------------------------------------------

    def better_pages(self) -> None:
        doc = self.doc
        doc.new_page(running="What better looks like (continued)")
        doc.paragraph("What better looks like", HEADING_FONT, weight="bold", after=0.08)
        doc.paragraph(
            "For each area with a team level shown: the framework's description of the level the team is at, and "
            "of the next level up. The descriptions are the framework's own words, unchanged.",
            BODY_FONT,
            colour=MUTED_COLOUR,
            after=0.2,
        )
        shown = [area for area in self.framework.areas if self.shown(self.summary.by_area.get(area.id))]
        if not shown:
            doc.paragraph(
                f"No area has {self.min_group} or more answers yet, so there is nothing to show here.",
                BODY_FONT,
                after=0.1,
            )
            return
        top = len(self.framework.levels)
        for index, area in enumerate(shown):
            score = self.summary.by_area[area.id]
            theme = self.framework.theme_of(area.id)
            context = [theme.title if theme else "", f"team level {self.level(score.team_level)}"]
            if score.target:
                context.append(f"target {self.level(score.target)}")
            lines = [
                _Line(area.title, SUBHEADING_FONT, weight="bold", after=0.02),
                _Line("  ·  ".join(c for c in context if c), SMALL_FONT, colour=MUTED_COLOUR, after=0.1),
                _Line(
                    f"Where the team is now: {self.level(score.team_level)}",
                    BODY_FONT,
                    weight="bold",
                    colour=ACCENT_COLOUR,
                    after=0.03,
                ),
                *self.descriptor_lines(area, score.team_level),
            ]
            if score.team_level >= top:
                lines += [
                    _Line("The next level: none", BODY_FONT, weight="bold", colour=ACCENT_COLOUR, after=0.03),
                    _Line(
                        "This is the framework's top level: there is no level above it.",
                        BODY_FONT,
                        style="italic",
                        colour=MUTED_COLOUR,
                        indent=0.2,
                        after=0.1,
                    ),
                ]
            else:
                lines += [
                    _Line(
                        f"The next level: {self.level(score.team_level + 1)}",
                        BODY_FONT,
                        weight="bold",
                        colour=ACCENT_COLOUR,
                        after=0.03,
                    ),
                    *self.descriptor_lines(area, score.team_level + 1),
                ]
            doc.keep_together(lines, after=0.12, rule_before=0.18 if index else 0.0)

    # -- the action plan -----------------------------------------------------------------------------------------

    def action_plan_pages(self) -> None:
        """The channel's actions (open ones first, soonest due first, then the done ones), overdue marked in
        words; then, for a round after the first, what became of the previous round's actions per area beside
        the area's trend."""
        doc = self.doc
        doc.new_page(running="Action plan (continued)")
        doc.paragraph("Action plan", HEADING_FONT, weight="bold", after=0.08)
        doc.paragraph(
            "The channel's actions, open and done: what will be done about an area, who owns it and when it is "
            f'due. Open actions come first, soonest due first; "{OVERDUE}" marks an open action whose due date '
            "has passed. Owners are named: owning an action is not an answer, and nobody's answers are shown here.",
            BODY_FONT,
            colour=MUTED_COLOUR,
            after=0.2,
        )
        actions = sorted(self.actions or [], key=lambda a: (a.status != "open", a.due_on, a.id or 0))
        if not actions:
            doc.paragraph("No actions have been agreed in this channel yet.", BODY_FONT, after=0.1)
        else:
            header = [_Cell(name, weight="bold") for name in ACTION_HEADINGS]
            rows = [self.action_row(action) for action in actions]
            fit = [doc.fit_width([row[c] for row in [header, *_with_notes(rows)]]) for c in (2, 3, 4)]
            fit[0] = min(fit[0], ACTION_OWNER_MAX_W)  # a long name wraps
            widths = [ACTION_AREA_W, CONTENT_W - ACTION_AREA_W - sum(fit), *fit]
            self.table(header, rows, widths, "Action plan (continued)")
        self.previous_actions()

    def action_row(self, action: ActionItem) -> list[_Cell]:
        area = self.framework.area(action.area_id)
        aim = f"aims for {self.level(action.aim_level)}" if action.aim_level is not None else None
        if action.status == "done":
            done_on = _iso_date(action.done_at)
            status = _Cell("done", note=f"on {done_on}" if done_on else None, note_colour=MUTED_COLOUR)
        elif self.today is not None and action.due_on < self.today:
            status = _Cell("open", note=OVERDUE, note_colour=WARN_COLOUR)
        else:
            status = _Cell("open")
        late = action.status != "done" and self.today is not None and action.due_on < self.today
        return [
            _Cell(area.title if area else action.area_id),
            _Cell(" ".join((action.text or "").split()), note=aim, note_colour=MUTED_COLOUR),
            _Cell(self.owner(action.owner_id)),
            _Cell(
                action.due_on.isoformat(),
                colour=WARN_COLOUR if late else TEXT_COLOUR,
                weight="bold" if late else "normal",
            ),
            status,
        ]

    def owner(self, user_id: str) -> str:
        return self.owner_names.get(user_id) or user_id

    def previous_actions(self) -> None:
        """Per area with actions agreed in the previous round: how many are done and how many still open,
        beside the change of its team level since then."""
        if not self.previous_round_number or self.previous_round_id is None:
            return
        doc = self.doc
        number = self.previous_round_number
        agreed = [a for a in self.actions or [] if a.round_id == self.previous_round_id]
        heading = f"What became of round {number}'s actions"
        intro = (
            f"For each area with actions agreed in round {number}: how many have been completed and how many are "
            f"still open, beside the area's trend (the change of its team level since round {number}, as in the "
            "table of areas)."
        )
        done = sum(1 for a in agreed if a.status == "done")
        tally = (
            f"No actions were agreed in round {number}."
            if not agreed
            else f"Of the {len(agreed)} {'action' if len(agreed) == 1 else 'actions'} agreed in round {number}, "
            f"{done} {'was' if done == 1 else 'were'} completed and {len(agreed) - done} "
            f"{'is' if len(agreed) - done == 1 else 'are'} still open."
        )
        lines = [
            _Line(heading, SUBHEADING_FONT + 2, weight="bold", after=0.08),
            _Line(intro, BODY_FONT, colour=MUTED_COLOUR, after=0.1),
            _Line(tally, BODY_FONT, after=0.14),
        ]
        doc.running = None  # moved whole to a new page: its own heading heads it
        doc.keep_together(lines, after=0.0, rule_before=0.3 if doc.pages[-1] else 0.0)
        doc.running = f"{heading} (continued)"
        if not agreed:
            return
        by_area: dict[str, list[ActionItem]] = {}
        for action in agreed:
            by_area.setdefault(action.area_id, []).append(action)
        order = {area_id: i for i, area_id in enumerate(self.framework.area_ids)}
        rows = []
        for area_id in sorted(by_area, key=lambda a: (order.get(a, len(order)), a)):
            items = by_area[area_id]
            completed = sum(1 for a in items if a.status == "done")
            area = self.framework.area(area_id)
            rows.append(
                [
                    _Cell(area.title if area else area_id),
                    _Cell(f"{completed}{NBSP}of{NBSP}{len(items)}"),
                    _Cell(str(len(items) - completed)),
                    self.trend_cell(area_id),
                ]
            )
        header = [_Cell(name, weight="bold") for name in PREVIOUS_HEADINGS]
        widths = doc.column_widths([header] + rows, AREA_COLUMN_MIN)
        self.table(header, rows, widths, f"{heading} (continued)")

    def trend_cell(self, area_id: str) -> _Cell:
        score = self.summary.by_area.get(area_id)
        trend = score.trend if self.shown(score) else None
        if trend is None:
            return _Cell(f"not{NBSP}shown", style="italic", colour=MUTED_COLOUR)
        if trend == 0:
            return _Cell("same")
        return _Cell(f"{'moved up' if trend > 0 else 'moved down'}{NBSP}{abs(trend)}".replace(" ", NBSP))

    def table(self, header: list[_Cell], rows: list[list[_Cell]], widths: list[float], continued: str) -> None:
        """A table whose header repeats at the top of each page it runs onto."""
        doc = self.doc
        if doc.row_height(header, widths) + (doc.row_height(rows[0], widths) if rows else 0) > doc.room():
            doc.new_page()
            doc.paragraph(continued, SUBHEADING_FONT, weight="bold", after=0.1)
        doc.table_header(header, widths)
        for row in rows:
            if doc.row_height(row, widths) > doc.room():
                doc.new_page()
                doc.paragraph(continued, SUBHEADING_FONT, weight="bold", after=0.1)
                doc.table_header(header, widths)
            doc.table_row(row, widths)

    def descriptor_lines(self, area: KeyArea, level_number: int) -> list[_Line]:
        level = self.framework.level(level_number)
        descriptor = area.descriptor(level.name)
        lines = [_Line(descriptor.descriptor, BODY_FONT, indent=0.2, after=0.1)]
        if descriptor.truncated:  # our mark, set apart from the framework's words
            lines[-1].after = 0.0
            lines.append(_Line(TRUNCATED_MARK, BODY_FONT, style="italic", colour=MUTED_COLOUR, indent=0.2, after=0.1))
        if descriptor.editor_note:
            lines[-1].after = 0.03
            lines.append(
                _Line(
                    f"Editor's note (not the framework's words): {descriptor.editor_note}",
                    SMALL_FONT,
                    style="italic",
                    colour=MUTED_COLOUR,
                    indent=0.2,
                    after=0.1,
                )
            )
        return lines


# -- a small page layout engine ----------------------------------------------------------------------------


class _Measure:
    """Text widths in inches, from the font metrics the PDF backend lays text out with."""

    def __init__(self):
        from matplotlib.textpath import TextToPath

        self._text_to_path = TextToPath()
        self._cache: dict[tuple, float] = {}

    def width(self, text: str, size: float, weight: str = "normal", style: str = "normal") -> float:
        key = (text, size, weight, style)
        if key not in self._cache:
            from matplotlib.font_manager import FontProperties

            prop = FontProperties(size=size, weight=weight, style=style)
            width, _, _ = self._text_to_path.get_text_width_height_descent(text, prop, ismath=False)
            self._cache[key] = width / 72  # points to inches
        return self._cache[key]

    def wrap(self, text: str, width: float, size: float, weight: str = "normal", style: str = "normal") -> list[str]:
        """Greedy word wrap to `width` inches; explicit new lines are kept; over-long words are split.

        A line's width is taken as the sum of its words and spaces (each word measured once), which is what
        the renderer lays out bar kerning across a space.
        """
        limit = width * WRAP_SLACK
        space = self.width("x x", size, weight, style) - self.width("xx", size, weight, style)
        lines: list[str] = []
        for paragraph in text.split("\n"):
            current, current_w = "", 0.0
            for word in [w for w in paragraph.replace("\t", " ").split(" ") if w]:  # not NBSP
                word_w = self.width(word, size, weight, style)
                if current and current_w + space + word_w <= limit:
                    current, current_w = f"{current} {word}", current_w + space + word_w
                    continue
                if not current and word_w <= limit:
                    current, current_w = word, word_w
                    continue
                if current:
                    lines.append(current)
                current, current_w = word, word_w
                while current_w > limit and len(current) > 1:
                    cut = len(current) - 1
                    while cut > 1 and self.width(current[:cut], size, weight, style) > limit:
                        cut -= 1
                    lines.append(current[:cut])
                    current = current[cut:]
                    current_w = self.width(current, size, weight, style)
            lines.append(current)
        return lines


def _line_height(size: float) -> float:
    return size * LINE_SPACING / 72


def _clip(measure: _Measure, text: str, width: float, size: float) -> str:
    if measure.width(text, size) <= width:
        return text
    while text and measure.width(text + "…", size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


@dataclass
class _Text:
    x: float
    y: float  # inches from the top of the page to the top of the text
    text: str
    size: float
    weight: str = "normal"
    style: str = "normal"
    colour: str = TEXT_COLOUR
    ha: str = "left"

    def draw(self, fig) -> None:
        fig.text(
            self.x / PAGE_W,
            1 - self.y / PAGE_H,
            self.text,
            fontsize=self.size,
            fontweight=self.weight,
            fontstyle=self.style,
            color=self.colour,
            ha=self.ha,
            va="top",
            parse_math=False,
        )


@dataclass
class _Rect:
    x: float
    y: float
    w: float
    h: float
    colour: str

    def draw(self, fig) -> None:
        from matplotlib.patches import Rectangle

        fig.add_artist(
            Rectangle(
                (self.x / PAGE_W, 1 - (self.y + self.h) / PAGE_H),
                self.w / PAGE_W,
                self.h / PAGE_H,
                transform=fig.transFigure,
                facecolor=self.colour,
                edgecolor="none",
                zorder=0,
            )
        )


@dataclass
class _Rule:
    y: float
    x0: float = MARGIN_X
    x1: float = PAGE_W - MARGIN_X

    def draw(self, fig) -> None:
        from matplotlib.lines import Line2D

        y = 1 - self.y / PAGE_H
        fig.add_artist(
            Line2D(
                [self.x0 / PAGE_W, self.x1 / PAGE_W],
                [y, y],
                transform=fig.transFigure,
                color=RULE_COLOUR,
                linewidth=0.8,
            )
        )


@dataclass
class _Image:
    png: bytes
    x: float
    y: float
    w: float
    h: float

    def draw(self, fig) -> None:
        from matplotlib.image import imread

        pixels = imread(io.BytesIO(self.png), format="png")
        ax = fig.add_axes((self.x / PAGE_W, 1 - (self.y + self.h) / PAGE_H, self.w / PAGE_W, self.h / PAGE_H))
        ax.imshow(pixels, interpolation="none")  # embedded at its own resolution in the PDF
        ax.set_axis_off()


@dataclass
class _Cell:
    text: str
    weight: str = "normal"
    style: str = "normal"
    colour: str = TEXT_COLOUR
    span: int = 1
    note: str | None = None  # a second, bold coloured line (e.g. "views differ: discuss")
    note_colour: str = TEXT_COLOUR


@dataclass
class _Line:
    """A paragraph of a block kept together on one page."""

    text: str
    size: float
    weight: str = "normal"
    style: str = "normal"
    colour: str = TEXT_COLOUR
    indent: float = 0.0
    after: float = 0.04


@dataclass
class _Document:
    measure: _Measure
    pages: list[list] = field(default_factory=list)
    y: float = MARGIN_TOP
    running: str | None = None  # the heading repeated when a section runs onto another page

    def new_page(self, *, running: str | None = None) -> None:
        """Start a page; a new section passes its running heading (None for none)."""
        self.running = running
        self.pages.append([])
        self.y = MARGIN_TOP

    def overflow(self) -> None:
        """The page is full: carry on on the next one, under the section's running heading."""
        running = self.running
        self.new_page(running=running)
        if running:
            self.add(_Text(MARGIN_X, self.y, running, SUBHEADING_FONT, "bold", colour=MUTED_COLOUR))
            self.y += _line_height(SUBHEADING_FONT) + 0.12

    def room(self) -> float:
        return PAGE_H - MARGIN_BOTTOM - self.y

    def add(self, op) -> None:
        self.pages[-1].append(op)

    # -- text --------------------------------------------------------------------------------------------------

    def paragraph(
        self,
        text: str,
        size: float,
        *,
        weight="normal",
        style="normal",
        colour=TEXT_COLOUR,
        indent: float = 0.0,
        after: float = 0.04,
    ) -> None:
        """Wrapped text; it continues on a new page line by line when the page is full."""
        height = _line_height(size)
        for line in self.measure.wrap(text, CONTENT_W - indent, size, weight, style):
            if height > self.room():
                self.overflow()
            self.add(_Text(MARGIN_X + indent, self.y, line, size, weight, style, colour))
            self.y += height
        self.y += after

    def keep_together(self, lines: list[_Line], *, after: float, rule_before: float = 0.0) -> None:
        """Paragraphs that move to the next page together when they do not fit on this one; with
        `rule_before`, a rule (and that much space) separates them from what comes before on the page."""
        height = sum(
            len(self.measure.wrap(line.text, CONTENT_W - line.indent, line.size, line.weight, line.style))
            * _line_height(line.size)
            + line.after
            for line in lines
        )
        if height + rule_before > self.room() and self.pages[-1]:
            self.overflow()
        elif rule_before:
            self.add(_Rule(self.y))
            self.y += rule_before
        for line in lines:
            self.paragraph(
                line.text,
                line.size,
                weight=line.weight,
                style=line.style,
                colour=line.colour,
                indent=line.indent,
                after=line.after,
            )
        self.y += after

    def rule(self, *, after: float) -> None:
        if self.room() < after + 0.3:
            self.overflow()
            return
        self.add(_Rule(self.y))
        self.y += after

    def facts(self, rows: list[tuple[str, str]], *, label_w: float, size: float) -> None:
        """Label / value rows, the value wrapped in its column."""
        height = _line_height(size)
        for label, value in rows:
            labels = self.measure.wrap(label, label_w - 0.15, size, "bold")
            values = self.measure.wrap(value, CONTENT_W - label_w, size)
            lines = max(len(labels), len(values))
            if lines * height > self.room():
                self.new_page()
            for i, text in enumerate(labels):
                self.add(_Text(MARGIN_X, self.y + i * height, text, size, "bold", colour=MUTED_COLOUR))
            for i, text in enumerate(values):
                self.add(_Text(MARGIN_X + label_w, self.y + i * height, text, size))
            self.y += lines * height + 0.03

    def box(self, heading: str, notes: list[str]) -> None:
        """A shaded box with a heading and bulleted notes (moved whole to the next page if need be)."""
        pad, size, bullet_w = 0.18, BODY_FONT, 0.2
        width = CONTENT_W - 2 * pad - bullet_w
        wrapped = [self.measure.wrap(note, width, size) for note in notes]
        height = (
            pad
            + _line_height(SUBHEADING_FONT)
            + 0.08
            + sum(len(w) * _line_height(size) + 0.07 for w in wrapped)
            + pad
            - 0.07
        )
        if height > self.room():
            self.new_page()
        self.add(_Rect(MARGIN_X, self.y, CONTENT_W, height, BOX_COLOUR))
        y = self.y + pad
        self.add(_Text(MARGIN_X + pad, y, heading, SUBHEADING_FONT, "bold"))
        y += _line_height(SUBHEADING_FONT) + 0.08
        for lines in wrapped:
            self.add(_Text(MARGIN_X + pad, y, "•", size, colour=ACCENT_COLOUR))
            for line in lines:
                self.add(_Text(MARGIN_X + pad + bullet_w, y, line, size))
                y += _line_height(size)
            y += 0.07
        self.y += height + 0.1

    # -- images -------------------------------------------------------------------------------------------------

    def image(self, png: bytes) -> None:
        """A PNG scaled to fit what is left of the page, centred across it."""
        from matplotlib.image import imread

        pixels = imread(io.BytesIO(png), format="png")
        px_h, px_w = pixels.shape[:2]
        room_h = self.room()
        scale = min(CONTENT_W / px_w, room_h / px_h)
        w, h = px_w * scale, px_h * scale
        self.add(_Image(png, (PAGE_W - w) / 2, self.y, w, h))
        self.y += h

    # -- tables ---------------------------------------------------------------------------------------------------

    def _cell_lines(self, cell: _Cell, width: float) -> list[tuple[str, str, str, str]]:
        """(text, weight, style, colour) per line of a cell."""
        lines = [
            (line, cell.weight, cell.style, cell.colour)
            for line in self.measure.wrap(cell.text, width - 2 * CELL_PAD, TABLE_FONT, cell.weight, cell.style)
        ]
        if cell.note:
            lines += [
                (line, "bold", "normal", cell.note_colour)
                for line in self.measure.wrap(cell.note, width - 2 * CELL_PAD, TABLE_FONT, "bold")
            ]
        return lines

    def fit_width(self, cells: list[_Cell]) -> float:
        """The width a column needs for its widest unbreakable text (as `column_widths` measures it)."""
        widest = 0.0
        for cell in cells:
            words = [w for w in cell.text.replace("\n", " ").split(" ") if w]
            widest = max([widest, *(self.measure.width(w, TABLE_FONT, cell.weight, cell.style) for w in words)])
        return widest / WRAP_SLACK + 2 * CELL_PAD + 0.03

    def column_widths(self, rows: list[list[_Cell]], first_min: float) -> list[float]:
        """The first column takes the width the others leave; the others fit their widest unbreakable text."""
        columns = len(rows[0])
        need = [0.0] * columns
        for row in rows:
            column = 0
            for cell in row:
                if cell.span == 1 and column > 0:
                    words = [w for w in cell.text.replace("\n", " ").split(" ") if w]
                    widest = max((self.measure.width(w, TABLE_FONT, cell.weight, cell.style) for w in words), default=0)
                    need[column] = max(need[column], widest / WRAP_SLACK + 2 * CELL_PAD + 0.03)
                column += cell.span
        others = sum(need[1:])
        if CONTENT_W - others < first_min:  # very long level names: shrink the others (they will wrap)
            scale = (CONTENT_W - first_min) / others
            need = [0.0] + [w * scale for w in need[1:]]
        need[0] = CONTENT_W - sum(need[1:])
        return need

    def _spans(self, cells: list[_Cell], widths: list[float]):
        column = 0
        for cell in cells:
            x = MARGIN_X + sum(widths[:column])
            yield cell, x, sum(widths[column : column + cell.span])
            column += cell.span

    def row_height(self, cells: list[_Cell], widths: list[float]) -> float:
        lines = max(len(self._cell_lines(cell, w)) for cell, _, w in self._spans(cells, widths))
        return lines * _line_height(TABLE_FONT) + 2 * CELL_PAD

    def table_row(self, cells: list[_Cell], widths: list[float], *, shade: str | None = None) -> None:
        height = self.row_height(cells, widths)
        if shade:
            self.add(_Rect(MARGIN_X, self.y, CONTENT_W, height, shade))
        for cell, x, w in self._spans(cells, widths):
            for i, (line, weight, style, colour) in enumerate(self._cell_lines(cell, w)):
                self.add(
                    _Text(
                        x + CELL_PAD,
                        self.y + CELL_PAD + i * _line_height(TABLE_FONT),
                        line,
                        TABLE_FONT,
                        weight,
                        style,
                        colour,
                    )
                )
        self.y += height
        self.add(_Rule(self.y))

    def table_header(self, cells: list[_Cell], widths: list[float]) -> None:
        self.table_row(cells, widths, shade="#dde3ec")

    def band_height(self, text: str) -> float:
        return (
            len(self.measure.wrap(text, CONTENT_W - 2 * CELL_PAD, TABLE_FONT + 0.5, "bold"))
            * _line_height(TABLE_FONT + 0.5)
            + 2 * CELL_PAD
            + 0.04
        )

    def band(self, text: str, colour: str) -> None:
        height = self.band_height(text)
        self.add(_Rect(MARGIN_X, self.y + 0.04, CONTENT_W, height - 0.04, colour))
        for i, line in enumerate(self.measure.wrap(text, CONTENT_W - 2 * CELL_PAD, TABLE_FONT + 0.5, "bold")):
            self.add(
                _Text(
                    MARGIN_X + CELL_PAD,
                    self.y + 0.04 + CELL_PAD + i * _line_height(TABLE_FONT + 0.5),
                    line,
                    TABLE_FONT + 0.5,
                    "bold",
                )
            )
        self.y += height


def _with_notes(rows: list[list[_Cell]]) -> list[list[_Cell]]:
    """The rows, and after each one its cells' notes as cells of their own: what a column must be wide enough
    for when its notes are not to be split (`column_widths` measures a cell's text only)."""
    widened = []
    for row in rows:
        widened.append(row)
        if any(cell.note for cell in row):
            widened.append([_Cell(cell.note or "", weight="bold", span=cell.span) for cell in row])
    return widened


def _png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels, from the PNG's header."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _chart_scale(png: bytes, room_h: float) -> float:
    """How much a chart PNG must shrink to fit the page's content area."""
    from .chart import DPI

    px_w, px_h = _png_size(png)
    return min(1.0, CONTENT_W / (px_w / DPI), room_h / (px_h / DPI))


def _chart_rows_in(piece) -> float:
    """The height in inches of a theme's rows in the chart (as results/chart.py lays them out)."""
    import textwrap

    from .chart import AREA_ROW_IN, AREA_TITLE_CHARS, THEME_ROW_IN

    _, areas, _ = piece
    rows = sum(1.0 + 0.3 * max(len(textwrap.wrap(area.title, AREA_TITLE_CHARS)) - 2, 0) for area in areas)
    return THEME_ROW_IN + rows * AREA_ROW_IN


def _nbsp(text: str) -> str:
    return text.replace(" ", NBSP)


def _iso_date(moment: datetime | date | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC).date().isoformat()
    return moment.isoformat()
