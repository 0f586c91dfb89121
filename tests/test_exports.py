"""CSV exports: exact headers, pseudonyms, round trips of awkward comments, formula guard, summary numbers."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from framework.loader import load_framework
from framework.scoring import Participation, summarise
from results.csv_files import answers_csv, export_filename, summary_csv
from storage.models import Answer, Participant, Round

AWKWARD = 'He said "no", then left,\nnew line £5 é 🙂'
T0 = datetime(2026, 11, 25, 9, 30, 0, 123456, tzinfo=UTC)


@pytest.fixture(scope="module")
def nps():
    return load_framework()


def make_round(nps, anonymous=True):
    return Round(
        id=7,
        team_id="T1",
        channel_id="C1",
        framework_id=nps.id,
        framework_version=nps.version,
        area_count=13,
        started_by="U1",
        anonymous=anonymous,
    )


def make_participants(*user_ids):
    return [Participant(id=i + 1, team_id="T1", round_id=7, user_id=u) for i, u in enumerate(user_ids)]


def make_answer(nps, user_id, area_id, level, comment=None, when=T0):
    return Answer(
        team_id="T1",
        round_id=7,
        user_id=user_id,
        area_id=area_id,
        level=level,
        comment=comment,
        framework_id=nps.id,
        framework_version=nps.version,
        created_at=when,
        updated_at=when,
    )


def read(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def as_dicts(data: bytes) -> list[dict[str, str]]:
    header, *rows = read(data)
    return [dict(zip(header, row)) for row in rows]


# -- answers ---------------------------------------------------------------------------------------


def test_answers_header_is_exact(nps):
    data = answers_csv(nps, make_round(nps), 1, [], [])
    assert read(data) == [
        [
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
    ]


def test_answers_rows_are_by_member_then_framework_order(nps):
    areas = nps.area_ids
    participants = make_participants("UB", "UA")
    answers = [
        make_answer(nps, "UA", areas[5], 3),
        make_answer(nps, "UB", areas[12], 5),
        make_answer(nps, "UA", areas[0], 1),
        make_answer(nps, "UB", areas[1], 2),
    ]
    rows = as_dicts(answers_csv(nps, make_round(nps), 2, participants, answers))
    assert [(r["member"], r["area id"]) for r in rows] == [
        ("Member 1", areas[1]),
        ("Member 1", areas[12]),
        ("Member 2", areas[0]),
        ("Member 2", areas[5]),
    ]
    first = rows[0]
    assert first["round"] == "2"
    assert first["framework id"] == "nps-2018-draft"
    assert first["framework version"] == "2018-03"
    assert first["area title"] == nps.area(areas[1]).title
    assert first["theme"] == nps.theme_of(areas[1]).title == "Showing leadership"
    assert (first["level number"], first["level name"]) == ("2", "Developing")
    assert first["comment"] == ""


def test_framework_id_and_version_come_from_the_answer(nps):
    answer = make_answer(nps, "UA", nps.area_ids[0], 2)
    answer.framework_version = "2017-old"
    rows = as_dicts(answers_csv(nps, make_round(nps), 1, make_participants("UA"), [answer]))
    assert rows[0]["framework version"] == "2017-old"


def test_pseudonyms_are_the_numbers_the_round_gave_and_stable(nps):
    area = nps.area_ids[0]
    participants = make_participants("U1", "U2", "U3")
    for participant, number in zip(participants, [3, 1, 2]):
        participant.pseudonym = number
    # U1 answered nothing, but still takes "Member 3": U3 is Member 2 whether or not U1 ever answers.
    only_u3 = as_dicts(answers_csv(nps, make_round(nps), 1, participants, [make_answer(nps, "U3", area, 4)]))
    assert [r["member"] for r in only_u3] == ["Member 2"]

    everyone = [make_answer(nps, u, area, level) for u, level in (("U3", 4), ("U1", 5), ("U2", 1))]
    rows = as_dicts(answers_csv(nps, make_round(nps), 1, participants, everyone))
    assert [(r["member"], r["level number"]) for r in rows] == [("Member 1", "1"), ("Member 2", "4"), ("Member 3", "5")]
    assert "U1" not in answers_csv(nps, make_round(nps), 1, participants, everyone).decode("utf-8-sig")


def test_a_member_who_joined_later_is_numbered_after_the_others_and_nobody_is_renumbered(nps):
    from results.csv_files import pseudonyms

    participants = make_participants("U1", "U2", "U3", "U9")
    for participant, number in zip(participants, [2, 3, 1, None]):
        participant.pseudonym = number
    assert pseudonyms(participants[:3]) == {"U1": 2, "U2": 3, "U3": 1}
    # U9 joined the open round later; someone who answered without being a participant comes last.
    stray = make_answer(nps, "U0", nps.area_ids[0], 3)
    assert pseudonyms(participants, [stray]) == {"U1": 2, "U2": 3, "U3": 1, "U9": 4, "U0": 5}


def test_anonymous_rounds_keep_comments(nps):
    answer = make_answer(nps, "U1", nps.area_ids[0], 3, comment="We need a plan")
    rows = as_dicts(answers_csv(nps, make_round(nps), 1, make_participants("U1"), [answer], {"U1": "Ada"}))
    assert rows[0]["member"] == "Member 1"
    assert rows[0]["comment"] == "We need a plan"


def test_named_rounds_show_names_or_the_user_id(nps):
    area = nps.area_ids[0]
    participants = make_participants("U1", "U2")
    answers = [make_answer(nps, "U1", area, 3), make_answer(nps, "U2", area, 4)]
    named = make_round(nps, anonymous=False)
    rows = as_dicts(answers_csv(nps, named, 1, participants, answers, {"U1": "Zoë Price"}))
    assert [r["member"] for r in rows] == ["Zoë Price", "U2"]


def test_awkward_comment_round_trips_exactly(nps):
    answer = make_answer(nps, "U1", nps.area_ids[0], 3, comment=AWKWARD)
    data = answers_csv(nps, make_round(nps), 1, make_participants("U1"), [answer])
    rows = read(data)
    assert len(rows) == 2
    assert rows[1][9] == AWKWARD


def test_bom_quoting_and_line_endings(nps):
    answers = [
        make_answer(nps, "U1", nps.area_ids[0], 3, comment="plain"),
        make_answer(nps, "U1", nps.area_ids[1], 2),
    ]
    data = answers_csv(nps, make_round(nps), 1, make_participants("U1"), answers)
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert text.endswith("\r\n")
    lines = text.split("\r\n")[:-1]
    assert len(lines) == 3
    assert all(line.startswith('"') and line.endswith('"') for line in lines)
    assert '"1","nps-2018-draft"' in lines[1]


def test_answered_at_is_iso_utc_with_z_in_a_named_round(nps):
    area = nps.area_ids[0]
    paris = timezone(timedelta(hours=1))
    answers = [
        make_answer(nps, "U1", area, 3, when=T0),
        make_answer(nps, "U2", area, 3, when=datetime(2026, 11, 25, 10, 30, 5, tzinfo=paris)),
        make_answer(nps, "U3", area, 3, when=datetime(2026, 11, 25, 9, 30, 7)),  # naive, as SQLite returns
    ]
    named = make_round(nps, anonymous=False)
    rows = as_dicts(answers_csv(nps, named, 1, make_participants("U1", "U2", "U3"), answers))
    assert [r["answered at"] for r in rows] == [
        "2026-11-25T09:30:00Z",
        "2026-11-25T09:30:05Z",
        "2026-11-25T09:30:07Z",
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", r["answered at"]) for r in rows)


def test_an_anonymous_round_gives_no_time_of_answering(nps):
    """A time (or a day) could be matched against who was seen answering when: an anonymous round's CSV
    leaves "answered at" empty, and nothing in it looks like a date or a time."""
    answers = [
        make_answer(nps, "U1", nps.area_ids[0], 3, comment="We need a plan", when=T0),
        make_answer(nps, "U2", nps.area_ids[1], 4, when=datetime(2026, 11, 26, 17, 45, 1)),
    ]
    data = answers_csv(nps, make_round(nps), 1, make_participants("U1", "U2"), answers)
    assert [r["answered at"] for r in as_dicts(data)] == ["", ""]
    text = data.decode("utf-8-sig")
    assert not re.search(r"\d\d:\d\d|2026-11-2[56]", text), text


@pytest.mark.parametrize(
    "comment, expected",
    [
        ('=HYPERLINK("http://evil.example","click")', '\'=HYPERLINK("http://evil.example","click")'),
        ("+1 from me", "'+1 from me"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("fine = good", "fine = good"),
    ],
)
def test_formula_looking_comments_are_defused(nps, comment, expected):
    answer = make_answer(nps, "U1", nps.area_ids[0], 3, comment=comment)
    rows = read(answers_csv(nps, make_round(nps), 1, make_participants("U1"), [answer]))
    assert rows[1][9] == expected


def test_formula_looking_names_are_defused(nps):
    answer = make_answer(nps, "U1", nps.area_ids[0], 3)
    names = {"U1": "=cmd|' /C calc'!A0"}
    data = answers_csv(nps, make_round(nps, anonymous=False), 1, make_participants("U1"), [answer], names)
    assert as_dicts(data)[0]["member"] == "'=cmd|' /C calc'!A0"


# -- summary ---------------------------------------------------------------------------------------


def test_summary_has_a_row_per_area_with_the_right_numbers(nps):
    partners = "working-with-partners"
    summary = summarise(
        nps,
        {partners: [1, 2, 4, 5], "developing-talent": [3, 3]},
        Participation(members=4, complete=2, in_progress=2),
        targets={partners: 4},
        previous={partners: 1, "developing-talent": 4},
    )
    data = summary_csv(nps, make_round(nps), 3, summary)
    header, *rows = read(data)
    assert header == [
        "round",
        "framework id",
        "framework version",
        "area id",
        "area title",
        "theme",
        "answers",
        "answers held back",
        "held back by",
        "Minimum answers",
        "Developing answers",
        "Mature answers",
        "Leader answers",
        "Innovator answers",
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
    assert len(rows) == 13
    by_area = {row[3]: dict(zip(header, row)) for row in rows}
    assert [row[3] for row in rows] == nps.area_ids

    p = by_area[partners]
    assert p["round"] == "3"
    assert (p["framework id"], p["framework version"]) == ("nps-2018-draft", "2018-03")
    assert p["area title"] == nps.area(partners).title
    assert p["theme"] == "Showing leadership"
    assert p["answers"] == "4"
    assert (p["answers held back"], p["held back by"]) == ("0", "")
    assert [p[f"{name} answers"] for name in ("Minimum", "Developing", "Mature", "Leader", "Innovator")] == [
        "1",
        "1",
        "0",
        "1",
        "1",
    ]
    assert (p["team level number"], p["team level name"]) == ("2", "Developing")
    assert (p["spread"], p["views differ"]) == ("4", "yes")
    assert (p["target level number"], p["target level name"], p["gap"]) == ("4", "Leader", "2")
    assert (p["previous team level number"], p["trend"]) == ("1", "1")

    t = by_area["developing-talent"]
    assert (t["team level number"], t["team level name"]) == ("3", "Mature")
    assert (t["spread"], t["views differ"]) == ("0", "no")
    assert (t["target level number"], t["target level name"], t["gap"]) == ("", "", "")
    assert (t["previous team level number"], t["trend"]) == ("4", "-1")

    empty = by_area["embedding-change"]
    assert empty["answers"] == "0"
    assert empty["Minimum answers"] == "0"
    for column in (
        "team level number",
        "team level name",
        "spread",
        "views differ",
        "target level number",
        "target level name",
        "gap",
        "previous team level number",
        "trend",
    ):
        assert empty[column] == "", column


def test_summary_file_is_bom_quoted_crlf(nps):
    summary = summarise(nps, {}, Participation(members=0, complete=0, in_progress=0))
    data = summary_csv(nps, make_round(nps), 1, summary)
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[-1] == ""
    assert len(lines[:-1]) == 14
    assert all(line.startswith('"') for line in lines[:-1])


# -- file names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, channel, number, expected",
    [
        ("answers", "procurement", 2, "maturity-answers-procurement-round-2.csv"),
        ("summary", "#Procurement Team", 1, "maturity-summary-procurement-team-round-1.csv"),
        ("answers", "../../etc/passwd", 3, "maturity-answers-etc-passwd-round-3.csv"),
        ("answers", "café_équipe", 4, "maturity-answers-cafe-equipe-round-4.csv"),
        ("answers", "", 5, "maturity-answers-channel-round-5.csv"),
        ("answers", "🙂🙂", 6, "maturity-answers-channel-round-6.csv"),
    ],
)
def test_export_filenames_are_safe(kind, channel, number, expected):
    name = export_filename(kind, channel, number)
    assert name == expected
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*\.csv", name)
