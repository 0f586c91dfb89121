"""The operator's command line (`python -m bot framework|rounds|export|report|migrate`) and the PDF report.

The CLI runs without Slack credentials against a SQLite file named by DATABASE_URL; some tests run it as a
real process, the others call `bot.__main__.main` in-process. The PDF is checked for its metadata with pikepdf
and for its text with pypdf (both in the `test` extra); tests/test_report_pdf.py checks its tags and pages.
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.__main__ import main
from framework.limits import TRUNCATED_MARK
from framework.loader import load_framework
from framework.scoring import Participation, summarise
from results.csv_files import ANSWERS_HEADER, summary_header
from results.report import round_report_pdf
from storage import Stores
from storage.db import make_engine, migrate
from storage.kinds import MessageKind
from storage.models import Round
from storage.outbox import Owed
from tests.reports import a_round, structure

ROOT = Path(__file__).resolve().parents[1]
TEAM_HEALTH = ROOT / "tests" / "data" / "team-health.yaml"
BAD_FRAMEWORK = (
    "id: tiny\nversion: '1'\ntitle: Tiny\nlevels: [{number: 1, name: Low}, {number: 2, name: High}]\n"
    "themes:\n  - id: t\n    title: T\n    areas:\n      - id: a\n        title: A\n"
    "        levels: [{level: Low, descriptor: low}, {level: High, descriptor: ''}]\n"
)
USER_IDS = ["U0ALICE01", "U0BOB0002", "U0CAROL03", "U0DAVE004"]


# -- helpers -----------------------------------------------------------------------------------------------


def cli_env(database: Path | None, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MATURITY_", "DATABASE_URL"))}
    env["PYTHONPATH"] = str(ROOT)
    if database is not None:
        env["DATABASE_URL"] = f"sqlite:///{database}"
    env.update(extra)
    return env


def run_cli(tmp_path: Path, *args: str, database: Path | None = None, **extra) -> subprocess.CompletedProcess:
    """`python -m bot ARGS` as a real process, in an empty folder (no .env), without Slack credentials."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=tmp_path,
        env=cli_env(database, **extra),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def in_process(tmp_path, monkeypatch):
    """Run `main([...])` in-process with a clean environment in an empty folder; returns a runner."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "MATURITY_", "DATABASE_URL")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)

    def run(*args: str, database: Path | None = None, **env) -> int:
        if database is not None:
            monkeypatch.setenv("DATABASE_URL", f"sqlite:///{database}")
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return main(list(args))

    return run


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def pdf_text(data: bytes, tmp_path: Path | None = None) -> str:
    """The PDF's text in reading order (pypdf), its white space folded; a word broken after its own hyphen at
    the end of a line ("Micro-" / "businesses") is joined again, as a reader reads it."""
    from pypdf import PdfReader

    text = "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    text = re.sub(r"(?<=\w)-[ \t]*\n\s*(?=\w)", "-", text)
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


def page_texts(data: bytes) -> list[str]:
    """Each page's text, its white space folded."""
    from pypdf import PdfReader

    return [
        re.sub(r"\s+", " ", page.extract_text().replace("\u00a0", " ")) for page in PdfReader(io.BytesIO(data)).pages
    ]


def page_count(data: bytes) -> int:
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        return len(pdf.pages)


def pdf_info(data: bytes) -> dict[str, str]:
    """The document's title, subject and language, as a PDF reader shows them."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        return {
            "title": str(pdf.docinfo.get("/Title", "")),
            "subject": str(pdf.docinfo.get("/Subject", "")),
            "lang": str(pdf.Root.get("/Lang", "")),
        }


def assert_pdfstructure(data: bytes) -> None:
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    info = pdf_info(data)
    assert info["title"].startswith("Maturity self-assessment")
    assert info["subject"] and info["lang"] == "en-GB"


# -- a database with rounds in two workspaces ---------------------------------------------------------------


def final_summary(round_: Round) -> Owed:
    """The owed final summary a close records (never sent here: the CLI makes no Slack calls)."""
    return Owed(
        key=f"summary:{round_.id}:final",
        kind=MessageKind.SUMMARY,
        ref_id=round_.id,
        channel=round_.channel_id,
        text="Final summary",
    )


@pytest.fixture
def database(tmp_path, nps):
    """T1/C1: a closed round (3 members, all complete) then an open one (4 members: 3 complete, 1 with
    two answers, targets set); T2/C1 (the same channel id in another workspace): an open round nobody
    has answered yet; one named round in T1/C2 with a formula-like comment."""
    path = tmp_path / "bot.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    stores, ids = Stores.open(engine), nps.area_ids

    def start(team, channel, members, anonymous=True):
        return stores.rounds.start(
            team_id=team,
            enterprise_id=None,
            channel_id=channel,
            framework=nps,
            started_by=members[0],
            members=members,
            anonymous=anonymous,
        )

    first = start("T1", "C1", USER_IDS[:3])
    for u, user in enumerate(USER_IDS[:3]):
        for a, area in enumerate(ids):
            stores.answers.record_answer(round_=first, user_id=user, area_id=area, level=(a + u) % 3 + 1)
    stores.rounds.close("T1", first.id, final_summary)

    second = start("T1", "C1", USER_IDS)
    for u, user in enumerate(USER_IDS[:3]):
        for a, area in enumerate(ids):
            level = 5 if a == 0 and u == 2 else (a + u) % 4 + 1  # area 0: 1, 2, 5 -> views differ
            stores.answers.record_answer(
                round_=second,
                user_id=user,
                area_id=area,
                level=level,
                comment='=HYPERLINK("x")' if a == 1 and u == 0 else None,
                set_comment=a == 1 and u == 0,
            )
    for area in ids[:2]:
        stores.answers.record_answer(round_=second, user_id=USER_IDS[3], area_id=area, level=2)
    stores.targets.replace("T1", "C1", nps.id, {ids[0]: 4, ids[3]: 5}, USER_IDS[0])

    other = start("T2", "C1", USER_IDS[:2])
    named = start("T1", "C2", USER_IDS[:3], anonymous=False)
    for user in USER_IDS[:3]:
        stores.answers.record_answer(round_=named, user_id=user, area_id=ids[0], level=3)
    engine.dispose()
    return {"path": path, "first": first.id, "second": second.id, "other": other.id, "named": named.id}


# -- help ----------------------------------------------------------------------------------------------------


def test_help_lists_every_command(tmp_path):
    result = run_cli(tmp_path, "--help")
    assert result.returncode == 0
    for command in ("run", "clock", "framework", "validate", "show", "rounds", "list", "export", "report", "migrate"):
        assert re.search(rf"\b{command}\b", result.stdout), command
    for command, option in (("export", "--round ID"), ("report", "--out FILE.pdf")):
        sub = run_cli(tmp_path, command, "--help")
        assert sub.returncode == 0 and option in sub.stdout


# -- framework validate / show ----------------------------------------------------------------------------------


def test_validate_a_good_file(in_process, capsys):
    path = ROOT / "framework" / "data" / "nps-2018-draft.yaml"
    assert in_process("framework", "validate", str(path)) == 0
    assert capsys.readouterr().out.strip() == f"{path}: valid framework nps-2018-draft 2018-03, 13 areas, 5 levels"
    assert in_process("framework", "validate", str(TEAM_HEALTH)) == 0
    assert "valid framework team-health-check 1, 3 areas, 3 levels" in capsys.readouterr().out


def test_validate_a_bad_file_names_file_field_and_reason(tmp_path):
    bad = tmp_path / "framework.yaml"
    bad.write_text(BAD_FRAMEWORK, encoding="utf-8")
    result = run_cli(tmp_path, "framework", "validate", str(bad))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == (
        f"Invalid framework file {bad} at themes[0].areas[0].levels[1].descriptor: must not be empty"
    )


def test_validate_a_missing_file(in_process, tmp_path, capsys):
    assert in_process("framework", "validate", str(tmp_path / "nope.yaml")) == 1
    assert f"Invalid framework file {tmp_path / 'nope.yaml'}: the file does not exist" in capsys.readouterr().err


def test_framework_show_prints_every_area_with_its_levels(in_process, nps, capsys):
    assert in_process("framework", "show") == 0
    out = capsys.readouterr().out
    assert nps.title in out
    assert len(nps.areas) == 13
    for area in nps.areas:
        assert area.title in out
        assert f"id: {area.id}" in out
    for theme in nps.themes:
        assert theme.title in out
    for level in nps.levels:
        assert f"{level.number} {level.name}:" in out
    assert TRUNCATED_MARK in " ".join(out.split())  # developing-talent's Leader descriptor (wrapped)
    assert "Editor's note (not the framework's words)" in out
    # descriptors are printed in the framework's words (wrapped, so compare without line breaks)
    flat = " ".join(out.split())
    talent = nps.area("developing-talent").descriptor("Mature").descriptor
    assert " ".join(talent.split()) in flat


def test_framework_show_uses_maturity_framework_or_a_file(in_process, capsys):
    assert in_process("framework", "show", MATURITY_FRAMEWORK=str(TEAM_HEALTH)) == 0
    out = capsys.readouterr().out
    assert "Team health check (test framework)" in out and "Shared goals" in out
    assert in_process("framework", "show", str(ROOT / "framework" / "data" / "nps-2018-draft.yaml")) == 0
    assert "Managing Strategic Risk" in capsys.readouterr().out


# -- rounds list --------------------------------------------------------------------------------------------------


def test_rounds_list_shows_every_workspace(tmp_path, database):
    result = run_cli(tmp_path, "rounds", "list", database=database["path"])
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0].split() == [
        "WORKSPACE",
        "CHANNEL",
        "ROUND",
        "ID",
        "NO.",
        "STATUS",
        "COMPLETE",
        "CREATED",
        "FRAMEWORK",
    ]
    rows = {int(line.split()[2]): line.split() for line in lines[1:]}
    today = datetime.now(UTC).date().isoformat()
    assert rows[database["first"]] == [
        "T1",
        "C1",
        str(database["first"]),
        "1",
        "closed",
        "3/3",
        today,
        "nps-2018-draft",
        "2018-03",
    ]
    assert rows[database["second"]] == [
        "T1",
        "C1",
        str(database["second"]),
        "2",
        "open",
        "3/4",
        today,
        "nps-2018-draft",
        "2018-03",
    ]
    assert rows[database["other"]][:7] == ["T2", "C1", str(database["other"]), "1", "open", "0/2", today]
    assert rows[database["named"]][:6] == ["T1", "C2", str(database["named"]), "1", "open", "0/3"]
    assert not any(user in result.stdout for user in USER_IDS)  # no one is named


def test_rounds_list_filters(in_process, database, capsys):
    assert in_process("rounds", "list", "--workspace", "T2", database=database["path"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[1].split()[:3] == ["T2", "C1", str(database["other"])]
    assert in_process("rounds", "list", "--workspace", "T1", "--channel", "C9", database=database["path"]) == 0
    assert "No rounds in SQLite file" in capsys.readouterr().out


def test_a_missing_database_is_an_error_and_is_not_created(in_process, tmp_path, capsys):
    missing = tmp_path / "missing.db"
    assert in_process("rounds", "list", database=missing) == 1
    assert f"there is no database at {missing}" in capsys.readouterr().err
    assert not missing.exists()


def test_migrate_creates_the_tables(tmp_path):
    path = tmp_path / "new.db"
    result = run_cli(tmp_path, "migrate", database=path)
    assert result.returncode == 0 and f"Migrated SQLite file {path}" in result.stdout
    listing = run_cli(tmp_path, "rounds", "list", database=path)
    assert listing.returncode == 0 and "No rounds in SQLite file" in listing.stdout


def test_an_unmigrated_database_says_to_migrate(in_process, tmp_path, capsys):
    empty = tmp_path / "empty.db"
    empty.touch()
    assert in_process("rounds", "list", database=empty) == 1
    assert "run `python -m bot migrate`" in capsys.readouterr().err


# -- export --------------------------------------------------------------------------------------------------------


def test_export_writes_both_csvs(tmp_path, database, nps):
    out = tmp_path / "exports" / "round.csv"
    out.parent.mkdir()
    result = run_cli(
        tmp_path, "export", "--round", str(database["second"]), "--out", str(out), database=database["path"]
    )
    assert result.returncode == 0, result.stderr
    summary_path = tmp_path / "exports" / "round-summary.csv"
    assert f"Answers CSV: {out}" in result.stdout and f"Summary CSV: {summary_path}" in result.stdout
    assert result.stderr == ""  # no progress bar when stderr is not a terminal

    answers = read_csv(out)
    assert answers[0] == ANSWERS_HEADER
    assert len(answers) == 1 + 3 * 13 + 2
    assert {row[0] for row in answers[1:]} == {"2"}  # the channel's second round
    assert {row[6] for row in answers[1:]} == {"Member 1", "Member 2", "Member 3", "Member 4"}
    assert '\'=HYPERLINK("x")' in [row[9] for row in answers[1:]]  # the formula guard
    assert not any(user in out.read_text(encoding="utf-8-sig") for user in USER_IDS)

    summary = read_csv(summary_path)
    assert summary[0] == summary_header(nps)
    assert [row[3] for row in summary[1:]] == nps.area_ids
    first = dict(zip(summary[0], summary[1]))
    assert first["answers"] == "4" and first["views differ"] == "yes" and first["target level number"] == "4"


def test_export_adds_csv_when_out_has_no_suffix(in_process, tmp_path, database, capsys):
    assert (
        in_process(
            "export", "--round", str(database["first"]), "--out", str(tmp_path / "plain"), database=database["path"]
        )
        == 0
    )
    assert (tmp_path / "plain").exists() and (tmp_path / "plain-summary.csv").exists()


def test_export_of_an_unknown_round_fails(in_process, tmp_path, database, capsys):
    assert in_process("export", "--round", "999", "--out", str(tmp_path / "x.csv"), database=database["path"]) == 1
    err = capsys.readouterr().err
    assert "there is no round 999" in err and "rounds list" in err
    assert not (tmp_path / "x.csv").exists()


def test_export_follows_the_rounds_framework_and_refuses_one_the_deployment_lacks(
    in_process, tmp_path, database, capsys
):
    health = load_framework(TEAM_HEALTH)
    stores = Stores.open(make_engine(f"sqlite:///{database['path']}"))
    round_ = stores.rounds.start(
        team_id="T1", enterprise_id=None, channel_id="C9", framework=health, started_by="U1", members=["U1"]
    )
    stores.answers.record_answer(round_=round_, user_id="U1", area_id=health.area_ids[0], level=3)
    out = tmp_path / "x.csv"
    code = in_process("export", "--round", str(round_.id), "--out", str(out), database=database["path"])
    assert code == 1
    err = capsys.readouterr().err
    assert "'team-health-check'" in err and "nps-2018-draft" in err and "MATURITY_FRAMEWORKS_DIR" in err
    assert not out.exists()

    folder = tmp_path / "frameworks"
    folder.mkdir()
    (folder / "team-health.yaml").write_text(TEAM_HEALTH.read_text(encoding="utf-8"), encoding="utf-8")
    code = in_process(
        "export",
        "--round",
        str(round_.id),
        "--out",
        str(out),
        database=database["path"],
        MATURITY_FRAMEWORKS_DIR=str(folder),
    )
    assert code == 0, capsys.readouterr().err
    written = [p for p in tmp_path.iterdir() if p.suffix == ".csv"]
    assert any(health.areas[0].title in p.read_text(encoding="utf-8") for p in written), written


def test_export_into_a_missing_folder_fails(in_process, tmp_path, database, capsys):
    assert (
        in_process(
            "export",
            "--round",
            str(database["first"]),
            "--out",
            str(tmp_path / "no" / "x.csv"),
            database=database["path"],
        )
        == 1
    )
    assert "does not exist" in capsys.readouterr().err


# -- report ---------------------------------------------------------------------------------------------------------


def test_report_writes_a_readable_pdf(in_process, tmp_path, database, nps, capsys):
    out = tmp_path / "report.pdf"
    code = in_process(
        "report",
        "--round",
        str(database["second"]),
        "--out",
        str(out),
        "--label",
        "Procurement team, Anytown Council",
        database=database["path"],
    )
    assert code == 0, capsys.readouterr().err
    assert str(out) in capsys.readouterr().out
    data = out.read_bytes()
    assert_pdfstructure(data)
    assert "Procurement team, Anytown Council" in pdf_info(data)["title"]  # the window's title
    assert page_count(data) >= 5  # title, chart, table, where views differ, what better looks like

    text = pdf_text(data, tmp_path)
    assert "Maturity self-assessment" in text and nps.title in text
    assert "Procurement team, Anytown Council" in text
    assert "Round 2 (open)" in text
    assert "round 1 (the previous closed round)" in text
    assert "4 members: 3 complete, 1 in progress, 0 not started" in text
    for heading in ("How to read this report", "Results by area", "Where views differ", "What better looks like"):
        assert heading in text
    for area in nps.areas:
        assert " ".join(area.title.split()) in text
    assert "views differ: discuss" in text
    assert not any(user in text for user in USER_IDS)


def test_report_of_a_named_round_names_nobody(in_process, tmp_path, database, capsys):
    out = tmp_path / "named.pdf"
    assert in_process("report", "--round", str(database["named"]), "--out", str(out), database=database["path"]) == 0
    data = out.read_bytes()
    assert_pdfstructure(data)
    assert not any(user.encode() in data for user in USER_IDS)
    text = pdf_text(data, tmp_path)
    assert "channel C2 (workspace T1)" in text  # the default label
    assert not any(user in text for user in USER_IDS)


def test_report_of_an_unknown_round_fails(tmp_path, database):
    result = run_cli(tmp_path, "report", "--round", "999", "--out", str(tmp_path / "x.pdf"), database=database["path"])
    assert result.returncode == 1
    assert "there is no round 999" in result.stderr
    assert not (tmp_path / "x.pdf").exists()


# -- the report's content, from a summary directly ----------------------------------------------------------------


def test_report_pages_and_words(nps, tmp_path):
    ids = nps.area_ids
    answers = {
        ids[0]: [1, 2, 4, 5],  # views differ, team level 2
        ids[4]: [5, 5, 5],  # the top level
        ids[5]: [2, 3],  # too few answers
        "developing-talent": [3, 3, 4],  # next level (Leader) is cut off in the source
    }
    summary = summarise(
        nps,
        answers,
        Participation(members=6, complete=3, in_progress=2),
        targets={ids[0]: 4},
        previous={ids[0]: 1},
        min_group=3,
    )
    data = round_report_pdf(
        nps,
        a_round(nps),
        summary,
        round_number=3,
        channel_label="#procurement",
        min_group=3,
        previous_round_number=2,
    )
    assert_pdfstructure(data)
    assert pdf_info(data)["title"] == "Maturity self-assessment: #procurement, round 3"
    pages = page_texts(data)
    assert len(pages) >= 4
    assert pages[0].startswith("Maturity self-assessment") and "How to read this report" in pages[0]
    assert pages[1].startswith("Team level and answers per area")  # the chart has a page of its own
    assert pages[2].startswith("Results by area")
    better = next(page for page in pages if "What better looks like" in page)
    assert better.startswith("What better looks like")  # a new page

    text = pdf_text(data, tmp_path)
    assert "started 2026-03-02, closed 2026-03-20" in text
    assert "6 members: 3 complete, 2 in progress, 1 not started" in text
    assert "too few answers yet (2 of 3 needed)" in text and "no answers yet" in text
    assert "Answers ranged from Minimum (1) to Innovator (5): a spread of 4 levels" in text
    talent = nps.area("developing-talent")
    assert " ".join(talent.descriptor("Mature").descriptor.split()) in text
    # (pdftotext drops a hyphen that ends a line, as if it split a word: compare without the source's " -")
    assert " ".join(talent.descriptor("Leader").descriptor.split()).rstrip(" -") in text
    assert TRUNCATED_MARK in text
    assert "This is the framework's top level" in text
    assert "up 1" in text  # area 0: level 2 now, 1 in the previous round
    hidden = nps.area(ids[5])
    assert " ".join(hidden.descriptor("Developing").descriptor.split()) not in text  # a hidden area's words


def test_report_of_an_open_round_with_no_answers(small_framework, tmp_path):
    summary = summarise(small_framework, {}, Participation(members=2, complete=0, in_progress=0), min_group=3)
    data = round_report_pdf(
        small_framework,
        a_round(small_framework, status="open"),
        summary,
        round_number=1,
        channel_label="#team",
        min_group=3,
    )
    assert_pdfstructure(data)
    assert page_count(data) == 4  # title, chart, table with where views differ below it, what better looks like
    text = pdf_text(data, tmp_path)
    assert "still open (no closing date set)" in text
    assert "no earlier closed round" in text
    assert "Not shown yet: no area has 3 or more answers." in text
    assert "nothing to compare" in text and "nothing to show here" in text


def test_report_of_a_big_framework_splits_its_chart_and_table(tmp_path, nps):
    """39 areas: the chart is drawn in parts, each a figure with its alt text, and the table runs over pages;
    nothing is lost."""
    themes = [
        theme.model_copy(
            update={
                "id": f"{theme.id}-{copy}",
                "title": f"{theme.title} {copy}",
                "areas": [a.model_copy(update={"id": f"{a.id}-{copy}"}) for a in theme.areas],
            }
        )
        for copy in range(3)
        for theme in nps.themes
    ]
    big = nps.model_copy(update={"themes": themes})
    assert len(big.areas) == 39
    summary = summarise(big, {area.id: [2, 3, 3] for area in big.areas}, Participation(3, 3, 0), min_group=3)
    data = round_report_pdf(big, a_round(big), summary, round_number=1, channel_label="#big", min_group=3)
    assert_pdfstructure(data)
    text = pdf_text(data, tmp_path)
    parts = re.findall(r"Team level and answers per area \(part (\d) of (\d)\)", text)
    assert len(parts) >= 2 and parts == [(str(n), parts[0][1]) for n in range(1, int(parts[0][1]) + 1)]
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        figures = [e for e in structure(pdf.Root.StructTreeRoot) if e.get("/S") == "/Figure"]
    assert len(figures) == len(parts)
    alts = [str(figure.get("/Alt", "")) for figure in figures]
    for theme in big.themes:  # each theme is described in the alt text of the part that draws it
        assert sum(f"{theme.title}: team level" in alt for alt in alts) >= 1
    assert "Results by area (continued)" in text
    assert "What better looks like (continued)" in text


def test_rounds_list_names_the_workspace_and_channel_as_recorded(tmp_path, nps):
    path = tmp_path / "named.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    Stores.open(engine).rounds.start(
        team_id="T7",
        enterprise_id=None,
        channel_id="C7",
        framework=nps,
        started_by="U1",
        members=["U1"],
        channel_name="procurement",
        team_name="Example Council",
    )
    result = run_cli(tmp_path, "rounds", "list", database=path)
    assert result.returncode == 0, result.stderr
    assert "Example Council (T7)" in result.stdout and "#procurement (C7)" in result.stdout


def test_an_unreachable_database_is_not_called_unmigrated(tmp_path):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = run_cli(tmp_path, "rounds", "list", DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:{port}/test")
    assert result.returncode == 1
    assert "cannot reach" in result.stderr and "migrate" not in result.stderr and "Traceback" not in result.stderr


def test_exports_are_written_for_colleagues_to_read(tmp_path, database):
    out = tmp_path / "colleagues" / "round.csv"
    out.parent.mkdir()
    result = subprocess.run(
        [
            "bash",
            "-c",
            f'umask 022 && exec "{sys.executable}" -m bot export --round {database["second"]} --out "{out}"',
        ],
        cwd=tmp_path,
        env=cli_env(database["path"]),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for written in (out, out.with_name("round-summary.csv")):
        assert written.stat().st_mode & 0o777 == 0o644
