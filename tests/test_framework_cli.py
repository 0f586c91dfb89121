"""`python -m bot framework list|show|validate|new`: a council types up the framework it licenses, checks it
and sees what the deployment offers, without reading code. Errors are one line per problem, never a
traceback."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.__main__ import main
from framework.limits import TRUNCATED_MARK
from framework.loader import load_framework
from framework.models import Framework, Help, KeyArea, Level, LevelDescriptor, Theme
from framework.skeleton import skeleton

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "tests" / "data" / "frameworks"
TEAM_HEALTH = ROOT / "tests" / "data" / "team-health.yaml"
NPS_FILE = ROOT / "framework" / "data" / "nps-2018-draft.yaml"


@pytest.fixture
def cli(tmp_path, monkeypatch, capsys):
    """`python -m bot ARGS` in-process, in an empty folder with a clean environment: (exit code, out, err)."""
    for name in list(os.environ):
        if name.startswith(("SLACK_", "MATURITY_", "DATABASE_URL")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)

    def run(*args: str, **env: str) -> tuple[int, str, str]:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        code = main(list(args))
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return code, out, err

    return run


# -- list -----------------------------------------------------------------------------------------------------


def test_list_shows_each_framework_with_the_default_marked(cli):
    code, out, _ = cli("framework", "list", MATURITY_FRAMEWORKS_DIR=str(FOLDER))
    assert code == 0
    rows = [line.split("  ") for line in out.splitlines()]
    rows = [[cell.strip() for cell in row if cell.strip()] for row in rows]
    assert rows[0] == ["ID", "VERSION", "AREAS", "TITLE", "FILE"]
    assert rows[1] == [
        "*",
        "nps-2018-draft",
        "2018-03",
        "13",
        "National Procurement Strategy for Local Government in England (draft, March 2018)",
        f"{NPS_FILE} (built in)",
    ]
    assert rows[2] == [
        "incident-review",
        "2024-01",
        "2",
        "Incident review (test framework)",
        str(FOLDER / "incident-review.json"),
    ]
    assert rows[3] == [
        "retrospective-check",
        "2",
        "2",
        "Retrospective check (test framework)",
        str(FOLDER / "retrospective.yaml"),
    ]
    assert out.splitlines()[-1] == "* the default: a round runs it unless the facilitator chooses another"


def test_list_marks_maturity_framework_as_the_default(cli):
    code, out, _ = cli("framework", "list", MATURITY_FRAMEWORK=str(TEAM_HEALTH))
    assert code == 0
    [default] = [line for line in out.splitlines() if line.startswith("*  ")]
    assert "team-health-check" in default and str(TEAM_HEALTH) in default
    assert "nps-2018-draft" in out


def test_list_with_a_bad_file_in_the_folder_lists_its_problems(cli, tmp_path):
    folder = tmp_path / "frameworks"
    shutil.copytree(FOLDER, folder)
    (folder / "bad.yaml").write_text("id: bad\nid: worse\n", encoding="utf-8")
    code, out, err = cli("framework", "list", MATURITY_FRAMEWORKS_DIR=str(folder))
    assert (code, out) == (1, "")
    assert err.splitlines()[0] == f"Error: Invalid framework file {folder / 'bad.yaml'}: 5 problems"
    assert "  at id: is given twice (lines 1 and 2)" in err


def test_a_frameworks_folder_that_is_not_there_is_named(cli, tmp_path):
    code, _, err = cli("framework", "list", MATURITY_FRAMEWORKS_DIR=str(tmp_path / "nowhere"))
    assert code == 1
    assert "MATURITY_FRAMEWORKS_DIR" in err and "the folder does not exist" in err


# -- show ------------------------------------------------------------------------------------------------------


def test_show_a_framework_of_the_library_by_its_id(cli):
    code, out, _ = cli("framework", "show", "retrospective-check", MATURITY_FRAMEWORKS_DIR=str(FOLDER))
    assert code == 0
    lines = out.splitlines()
    assert lines[:4] == [
        "Retrospective check (test framework)",
        f"id retrospective-check, version 2, from {FOLDER / 'retrospective.yaml'}",
        "Source: Written for this project's tests",
        "Licence: Same licence as the project",
    ]
    assert "Levels: 1 Starting, 2 Practising, 3 Leading, 4 Teaching" in lines
    flat = " ".join(out.split())
    assert "2. Follow-through id: follow-through Editor's note (not the framework's words): A remark of the" in flat
    assert f"3 Leading: Every action has an owner and a date {TRUNCATED_MARK}" in flat
    assert "Editor's note (not the framework's words): Another remark of the test's author." in flat


def test_show_without_an_id_shows_the_default(cli):
    code, out, _ = cli("framework", "show", MATURITY_FRAMEWORKS_DIR=str(FOLDER))
    assert code == 0 and out.startswith("National Procurement Strategy")
    assert "Editor's note (not the framework's words): The source text of the description reads" in " ".join(
        out.split()
    )


def test_show_an_unknown_id_names_the_ids_there_are(cli):
    code, out, err = cli("framework", "show", "team-health", MATURITY_FRAMEWORKS_DIR=str(FOLDER))
    assert (code, out) == (1, "")
    assert err == (
        "Error: no framework with id 'team-health': the frameworks are nps-2018-draft, incident-review, "
        "retrospective-check; or give a framework file's path\n"
    )


# -- validate ------------------------------------------------------------------------------------------------


def test_validate_several_files_says_ok_once_for_each(cli):
    files = [str(FOLDER / "retrospective.yaml"), str(FOLDER / "incident-review.json"), str(TEAM_HEALTH)]
    code, out, err = cli("framework", "validate", *files)
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"{files[0]}: valid framework retrospective-check 2, 2 areas, 4 levels",
        f"{files[1]}: valid framework incident-review 2024-01, 2 areas, 2 levels",
        f"{files[2]}: valid framework team-health-check 1, 3 areas, 3 levels",
    ]


def test_validate_lists_every_problem_of_each_bad_file_and_exits_1(cli, tmp_path):
    first = tmp_path / "first.yaml"
    first.write_text(TEAM_HEALTH.read_text(encoding="utf-8").replace('version: "1"', "version: 1"), encoding="utf-8")
    second = tmp_path / "second.yaml"
    second.write_text(
        TEAM_HEALTH.read_text(encoding="utf-8")
        .replace("title: Shared goals", "title: Shared goals\n        title: Goals")
        .replace("title: Delivery", "title: " + "Delivery " * 20),
        encoding="utf-8",
    )
    code, out, err = cli("framework", "validate", str(first), str(TEAM_HEALTH), str(second))
    assert code == 1
    assert out == f"{TEAM_HEALTH}: valid framework team-health-check 1, 3 areas, 3 levels\n"
    assert err.splitlines() == [
        f"Invalid framework file {first} at version: must be text, but YAML reads the unquoted 1 (line 4) as a "
        'number: write it in quotes, "1"',
        f"Invalid framework file {second}: 2 problems",
        "  at themes[0].areas[0].title: is given twice (lines 15 and 16); YAML would silently keep only the last one: "
        "keep one",
        "  at themes[1].title: is 179 characters: a title holds at most 150 (Slack's header)",
    ]


def test_validate_a_folder_checks_it_as_the_library_would(cli, tmp_path):
    code, out, _ = cli("framework", "validate", str(FOLDER))
    assert code == 0
    assert out.splitlines() == [
        f"{FOLDER / 'incident-review.json'}: valid framework incident-review 2024-01, 2 areas, 2 levels",
        f"{FOLDER / 'retrospective.yaml'}: valid framework retrospective-check 2, 2 areas, 4 levels",
    ]
    folder = tmp_path / "frameworks"
    shutil.copytree(FOLDER, folder)
    shutil.copy(folder / "incident-review.json", folder / "copy.json")
    code, out, err = cli("framework", "validate", str(folder))
    assert (code, out) == (1, "")
    assert err == (
        f"Invalid framework file {folder / 'incident-review.json'} at id: the id 'incident-review' is also the id of "
        f"{folder / 'copy.json'}: give one of them another id\n"
    )


def test_validate_as_a_real_process_exits_1_in_one_line(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: Bad Id\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MATURITY_", "DATABASE_URL"))}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "framework", "validate", str(bad)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == f"Invalid framework file {bad}: 5 problems"
    assert lines[1] == (
        "  at id: String should match pattern '^[a-z0-9]+(?:-[a-z0-9]+)*$' (lowercase letters and digits, words "
        "joined by single hyphens, e.g. team-health-check)"
    )


# -- new -------------------------------------------------------------------------------------------------------


def filled_in(text: str) -> str:
    """The skeleton with each placeholder replaced by its words as a slug (the same placeholder, the same
    words: level names match, ids are valid)."""
    return re.sub(r"<<([^<>]*)>>", lambda m: re.sub(r"[^a-z0-9]+", "-", m.group(1).lower()).strip("-"), text)


def test_new_prints_a_skeleton_with_every_field_of_the_schema(cli):
    code, out, _ = cli("framework", "new")
    assert code == 0 and out == skeleton()
    for model in (Framework, Level, Theme, KeyArea, Help, LevelDescriptor):
        for field in model.model_fields:
            assert re.search(rf"^\s*(- |# )?{field}:", out, re.MULTILINE), (model.__name__, field)
    assert "python -m bot framework validate" in out and "at most 150 characters" in out and "48 areas" in out


def test_the_skeleton_as_written_names_each_placeholder_still_to_fill_in(cli, tmp_path):
    path = tmp_path / "ours.yaml"
    code, out, _ = cli("framework", "new", "--out", str(path))
    assert code == 0
    assert out == (
        f"Wrote {path}: replace every <<...>> with the source's words, then `python -m bot framework validate {path}`\n"
    )
    code, _, err = cli("framework", "validate", str(path))
    assert code == 1
    lines = err.splitlines()
    placeholders = re.findall(r"^[^#\n]*?(<<[^<>]*>>)", path.read_text(encoding="utf-8"), re.MULTILINE)
    assert lines[0] == f"Invalid framework file {path}: {len(placeholders)} problems"
    assert lines[1] == (
        "  at id: is still the placeholder <<framework-id>> from `framework new`: fill it in (or delete the line, "
        "if the field is optional)"
    )
    assert [re.search(r"<<[^<>]*>>", line).group(0) for line in lines[1:]] == placeholders


def test_the_skeleton_loads_once_filled_in_and_with_its_optional_fields_uncommented(tmp_path):
    path = tmp_path / "ours.yaml"
    path.write_text(filled_in(skeleton()), encoding="utf-8")
    framework = load_framework(path)
    assert (framework.id, framework.version, framework.licence) == (
        "framework-id",
        "version",
        "the-terms-under-which-you-use-the-words",
    )
    assert [level.name for level in framework.levels] == ["level-1-name", "level-2-name", "level-3-name"]
    assert framework.area_ids == ["first-area-id", "second-area-id"]
    assert framework.area("first-area-id").help.what_it_is == "what-it-is"

    uncommented = re.sub(r"^(\s*)# (editor_note|truncated):", r"\1\2:", skeleton(), flags=re.MULTILINE)
    assert uncommented.count("editor_note:") == 2 and "truncated: true" in uncommented
    path.write_text(filled_in(uncommented), encoding="utf-8")
    first = load_framework(path).area("first-area-id")
    assert first.editor_note == "your-remark-on-this-area-s-title-description-or-help-e-g-a-word-you-repaired"
    assert first.levels[0].truncated and first.levels[0].editor_note == "your-remark-on-this-descriptor"


def test_new_never_overwrites_a_file(cli, tmp_path):
    path = tmp_path / "ours.yaml"
    path.write_text("mine", encoding="utf-8")
    code, out, err = cli("framework", "new", "--out", str(path))
    assert (code, out) == (1, "")
    assert err == f"Error: {path} already exists: choose another name, or delete it first\n"
    assert path.read_text(encoding="utf-8") == "mine"
