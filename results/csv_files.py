"""CSV exports a facilitator downloads: every answer of a round, the round's summary per area, and the
channel's action plan.

Pure functions: they take already-loaded objects (no Slack calls, no database sessions) and return the
file's bytes, ready to upload.

The files are written so that Excel and LibreOffice open them cleanly:
- UTF-8 with a byte order mark (without it Excel reads UTF-8 as the local code page and mangles £, é, emoji);
- every field quoted (csv.QUOTE_ALL) and lines ended with "\\r\\n", so commas, double quotes and new lines
  inside a comment stay inside their cell.

Spreadsheet formula injection (OWASP "CSV Injection"): a spreadsheet treats a cell that starts with =, +, -
or @ (or a tab or carriage return, which some applications skip before looking for one) as a formula, so a
member could put ``=HYPERLINK(...)`` in a comment and have it run on the facilitator's machine. Spreadsheets
also skip leading spaces and invisible characters and read look-alikes as the real thing (a full-width ＝,
a zero-width space before =), so the test is made on the cell's start after Unicode NFKC normalisation and
after dropping leading spaces (Zs, Zl, Zp), control (Cc) and format (Cf) characters, combining marks and the
Hangul fillers; U+2212 MINUS SIGN counts as "-". Every cell that comes from user text - comments, member and
channel names - and so starts like a formula is given a leading apostrophe ('), which spreadsheets show as
text, followed by the cell's original text unchanged. Framework wording, ids and numbers are written as they
are.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime

from framework.models import Framework
from framework.scoring import Summary
from storage.models import ActionItem, Answer, Participant, Round

ANSWERS_HEADER = [
    "round",
    "framework id",
    "framework version",
    "area id",
    "area title",
    "theme",
    "member",
    "level number",
    "level name",
    "comment",
    "answered at",
    "channel",
]

ACTIONS_HEADER = [
    "area id",
    "area title",
    "action",
    "owner",
    "owner name",
    "due",
    "aims for level number",
    "aims for level name",
    "status",
    "done on",
    "added by",
    "added on",
    "round",
]

FORMULA_PREFIXES = ("=", "+", "-", "@", "\u2212")
RAW_FORMULA_PREFIXES = ("\t", "\r")  # OWASP's list: guarded as typed, whatever follows
SKIPPED_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"}
SKIPPED_CHARACTERS = {"\u115f", "\u1160", "\u3164", "\uffa0"}  # Hangul fillers: letters that show as nothing


def answers_csv(
    framework: Framework,
    round_: Round,
    round_number: int,
    participants: list[Participant],
    answers: list[Answer],
    names: dict[str, str] | None = None,
) -> bytes:
    """Every answer of a round, one row per answer, ordered by member number (see `pseudonyms`) then by
    framework area order.

    In an anonymous round (the default) members are shown as "Member 1", "Member 2", ... by the number the
    round gave them at random when it started (never Slack's order of the channel), so a member keeps the
    same pseudonym in every export of the round whether or not the others have answered or joined since;
    comments are kept, and "answered at" is left empty: a time (even a day) could be matched against who was
    seen answering when. In a named round the member is `names[user_id]`, or the user id when no name is
    known, and "answered at" is the answer's last change in UTC. The framework id and version are the ones
    the answer recorded. Answers for an area the framework does not have are kept and put last (by area id).
    Comments and names are guarded against formula injection (see the module docstring).
    """
    names = names or {}
    member_number = pseudonyms(participants, answers)
    area_rank = {area_id: i for i, area_id in enumerate(framework.area_ids)}

    def order(answer: Answer):
        known = answer.area_id in area_rank
        return (member_number[answer.user_id], not known, area_rank.get(answer.area_id, 0), answer.area_id)

    def member(user_id: str) -> str:
        if round_.anonymous:
            return f"Member {member_number[user_id]}"
        return guard_formula(names.get(user_id) or user_id)

    rows: list[list[object]] = []
    for answer in sorted(answers, key=order):
        area = framework.area(answer.area_id)
        theme = framework.theme_of(answer.area_id)
        level = framework.level(answer.level)
        rows.append(
            [
                round_number,
                answer.framework_id,
                answer.framework_version,
                answer.area_id,
                area.title if area else None,
                theme.title if theme else None,
                member(answer.user_id),
                answer.level,
                level.name if level else None,
                guard_formula(answer.comment or ""),
                None if round_.anonymous else iso_utc(answer.updated_at),
                channel_of(round_),
            ]
        )
    return _write(ANSWERS_HEADER, rows)


def pseudonyms(participants: Sequence[Participant], answers: Iterable[Answer] = ()) -> dict[str, int]:
    """{user id: member number}: the number each participant was given when the round started (a random
    order, `Participant.pseudonym`); after them, members who joined the open round later (no number
    stored) in the order they joined, and last anyone who answered without being a participant, by user id.
    The same participants always get the same numbers."""
    numbers: dict[str, int] = {}
    taken: set[int] = set()
    for participant in participants:
        number = participant.pseudonym
        if number is not None and number not in taken and participant.user_id not in numbers:
            numbers[participant.user_id] = number
            taken.add(number)
    following = max(taken, default=0)
    later = [p.user_id for p in participants] + sorted({a.user_id for a in answers})
    for user_id in later:
        if user_id not in numbers:
            following += 1
            numbers[user_id] = following
    return numbers


def summary_header(framework: Framework) -> list[str]:
    return [
        "round",
        "framework id",
        "framework version",
        "area id",
        "area title",
        "theme",
        "answers",
        "answers held back",
        "held back by",
        *(f"{level.name} answers" for level in framework.levels),
        "team level number",
        "team level name",
        "spread",
        "views differ",
        "target level number",
        "target level name",
        "gap",
        "previous team level number",
        "trend",
        "channel",
    ]


def summary_csv(framework: Framework, round_: Round, round_number: int, summary: Summary) -> bytes:
    """The round's summary: one row per area in framework order, with how many members chose each level,
    the team level, the spread, whether views differ (yes/no; empty when nobody answered the area), the
    target and gap, and the previous round's team level and the trend. Empty cells where a value is None.
    The framework id and version are the round's.

    The figures are the ones the round may show (results/anonymity.py, through Results.compute), like the
    channel's: "answers" counts the answers they include, "answers held back" those they leave out for now
    and "held back by" the rule that held them ("minimum group", "differencing" or "round closed").
    """
    rows: list[list[object]] = []
    for area in framework.areas:
        score = summary.by_area.get(area.id)
        theme = framework.theme_of(area.id)
        if score is None:
            counts: list[object] = [None] * len(framework.levels)
            answers = team = spread = differ = target = gap = previous = trend = held = held_by = None
        else:
            counts = [score.counts.get(level.number, 0) for level in framework.levels]
            answers, team, spread = score.answers, score.team_level, score.spread
            held, held_by = score.held_back, score.held_by
            differ = None if score.spread is None else ("yes" if score.disagreement else "no")
            target, gap, previous, trend = score.target, score.gap, score.previous_level, score.trend
        rows.append(
            [
                round_number,
                round_.framework_id,
                round_.framework_version,
                area.id,
                area.title,
                theme.title if theme else None,
                answers,
                held,
                held_by,
                *counts,
                team,
                _level_name(framework, team),
                spread,
                differ,
                target,
                _level_name(framework, target),
                gap,
                previous,
                trend,
                channel_of(round_),
            ]
        )
    return _write(summary_header(framework), rows)


def actions_csv(
    framework: Framework,
    actions: Sequence[ActionItem],
    round_numbers: dict[int, int] | None = None,
    names: dict[str, str] | None = None,
) -> bytes:
    """A channel's action plan, one row per action (open and done) in the order given (the store's: soonest
    due first).

    Owners are named in every round, anonymous or not: owning an action is not an answer, and nothing here
    comes from anyone's answers. "owner" and "added by" are Slack user ids; "owner name" is `names[owner]`
    when the caller looked names up, else empty. "due", "done on" and "added on" are ISO dates (UTC for the
    last two); "round" is the channel's number of the round the action was agreed in (`round_numbers`, by
    round id), empty when it was agreed outside a round. The action's text and names are guarded against
    formula injection (see the module docstring).
    """
    names = names or {}
    round_numbers = round_numbers or {}
    rows: list[list[object]] = []
    for action in actions:
        area = framework.area(action.area_id)
        aim = framework.level(action.aim_level) if action.aim_level is not None else None
        name = names.get(action.owner_id)
        rows.append(
            [
                action.area_id,
                area.title if area else None,
                guard_formula(action.text or ""),
                action.owner_id,
                guard_formula(name) if name else None,
                iso_date(action.due_on),
                action.aim_level,
                aim.name if aim else None,
                action.status,
                iso_date(action.done_at),
                action.created_by,
                iso_date(action.created_at),
                round_numbers.get(action.round_id) if action.round_id is not None else None,
            ]
        )
    return _write(ACTIONS_HEADER, rows)


def channel_of(round_: Round) -> str:
    """The channel as recorded when the round started ("#procurement"), or its id for older rounds."""
    return guard_formula(f"#{round_.channel_name}") if round_.channel_name else round_.channel_id


def export_filename(kind: str, channel_name: str, round_number: int) -> str:
    """A safe file name such as "maturity-answers-procurement-round-2.csv".

    Kind and channel name are reduced to lower-case ASCII letters, digits and single hyphens (accents are
    dropped, "#" and path separators removed); an empty channel name becomes "channel".
    """
    kind_slug = _slug(kind) or "export"
    channel_slug = _slug(channel_name)[:80].strip("-") or "channel"
    return f"maturity-{kind_slug}-{channel_slug}-round-{int(round_number)}.csv"


def round_export_files(
    framework: Framework,
    round_: Round,
    round_number: int,
    participants: list[Participant],
    answers: list[Answer],
    summary: Summary,
    channel_name: str,
    names: dict[str, str] | None = None,
) -> list[tuple[str, bytes]]:
    """[(filename, bytes)]: the round's answers CSV, then its summary CSV, named after the channel.

    `names` are the members' display names, already looked up by the caller (used in a named round only;
    a member without one appears as their user id)."""
    return [
        (
            export_filename("answers", channel_name, round_number),
            answers_csv(framework, round_, round_number, participants, answers, names),
        ),
        (export_filename("summary", channel_name, round_number), summary_csv(framework, round_, round_number, summary)),
    ]


# -- helpers ---------------------------------------------------------------------------------------


def guard_formula(text: str) -> str:
    """Prefix user text that a spreadsheet would read as a formula with an apostrophe (OWASP); the text
    after the apostrophe is the original, not its normalised form (see the module docstring)."""
    return "'" + text if looks_like_formula(text) else text


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet could read the cell as a formula: it starts with a tab or carriage return, or
    its NFKC form, past any leading invisible characters and spaces, starts with =, +, -, @ or U+2212."""
    if text.startswith(RAW_FORMULA_PREFIXES):
        return True
    normalised = unicodedata.normalize("NFKC", text)
    for character in normalised:
        if character in SKIPPED_CHARACTERS or unicodedata.category(character) in SKIPPED_CATEGORIES:
            continue
        return character in FORMULA_PREFIXES
    return False


def iso_utc(moment: datetime | None) -> str:
    """ISO 8601 in UTC to the second with a trailing Z; a naive datetime is taken to be UTC already."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def iso_date(moment: datetime | date | None) -> str:
    """An ISO date ("2026-03-02"); a datetime's date in UTC (a naive one is taken to be UTC already)."""
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        if moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        return moment.date().isoformat()
    return moment.isoformat()


def _level_name(framework: Framework, number: int | None) -> str | None:
    if number is None:
        return None
    level = framework.level(number)
    return level.name if level else None


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def _write(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue().encode("utf-8-sig")
