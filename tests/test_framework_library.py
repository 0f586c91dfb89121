"""The framework library: the built-in NPS 2018 draft, MATURITY_FRAMEWORK's file and every framework file in
MATURITY_FRAMEWORKS_DIR, by id. A bad file, or two files with one id, stops start-up with every problem of
every file, one per line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from core.settings import ConfigurationError, load_settings
from framework.library import FrameworkLibrary, UnknownFramework, load_library
from framework.loader import DEFAULT_FRAMEWORK_PATH, FrameworkError

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "tests" / "data" / "frameworks"  # retrospective.yaml and incident-review.json
TEAM_HEALTH = ROOT / "tests" / "data" / "team-health.yaml"


def copy_folder(tmp_path) -> Path:
    folder = tmp_path / "frameworks"
    shutil.copytree(FOLDER, folder)
    return folder


def test_a_folder_of_two_frameworks_joins_the_built_in_one(nps):
    library = load_library(folder=FOLDER)
    assert library.ids == ["nps-2018-draft", "incident-review", "retrospective-check"]  # default first, then by id
    assert library.default == nps
    retro = library.require("retrospective-check")
    assert (retro.version, retro.title, retro.licence) == (
        "2",
        "Retrospective check (test framework)",
        "Same licence as the project",
    )
    assert [level.name for level in retro.levels] == ["Starting", "Practising", "Leading", "Teaching"]
    assert library.get("incident-review").area_ids == ["blameless-reviews", "shared-lessons"]
    assert library.source_of("incident-review") == FOLDER / "incident-review.json"
    assert library.source_of("nps-2018-draft") == DEFAULT_FRAMEWORK_PATH and library.is_built_in("nps-2018-draft")
    assert library.get("nope") is None and "nope" not in library and len(library) == 3


def test_an_unknown_id_is_refused_naming_the_ids_there_are():
    library = load_library(folder=FOLDER)
    with pytest.raises(KeyError) as caught:
        library.require("team-health-check")
    assert isinstance(caught.value, UnknownFramework)
    assert str(caught.value) == (
        "no framework with id 'team-health-check': the frameworks are nps-2018-draft, incident-review, "
        "retrospective-check"
    )
    with pytest.raises(UnknownFramework):
        library.source_of("team-health-check")


def test_maturity_framework_is_the_default_and_the_built_in_one_stays(small_framework, nps):
    library = load_library(TEAM_HEALTH, FOLDER)
    assert library.default == small_framework
    assert library.ids == ["team-health-check", "incident-review", "nps-2018-draft", "retrospective-check"]
    assert library.get("nps-2018-draft") == nps and library.source_of("team-health-check") == TEAM_HEALTH


def test_maturity_framework_with_the_built_in_id_replaces_the_built_in_one(tmp_path):
    data = yaml.safe_load(DEFAULT_FRAMEWORK_PATH.read_text(encoding="utf-8"))
    data["version"] = "2018-03-council-copy"
    own = tmp_path / "our-nps.yaml"
    own.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    library = load_library(own)
    assert library.ids == ["nps-2018-draft"]
    assert library.default.version == "2018-03-council-copy" and library.source_of("nps-2018-draft") == own


def test_maturity_framework_inside_the_folder_is_not_a_second_copy():
    library = load_library(FOLDER / "retrospective.yaml", FOLDER)
    assert library.default.id == "retrospective-check"
    assert library.ids == ["retrospective-check", "incident-review", "nps-2018-draft"]


def test_only_framework_files_directly_in_the_folder_are_read(tmp_path):
    folder = copy_folder(tmp_path)
    (folder / "README.md").write_text("Our frameworks", encoding="utf-8")
    (folder / ".draft.yaml").write_text("id: [not, a framework", encoding="utf-8")  # an editor's hidden file
    (folder / "old").mkdir()
    (folder / "old" / "retired.yaml").write_text("not: a framework", encoding="utf-8")
    (folder / "copy.YML").write_text(
        (FOLDER / "retrospective.yaml").read_text(encoding="utf-8").replace("retrospective-check", "retro-copy"),
        encoding="utf-8",
    )
    assert load_library(folder=folder).ids == [
        "nps-2018-draft",
        "incident-review",
        "retro-copy",
        "retrospective-check",
    ]


def test_two_files_with_one_id_are_refused_naming_both(tmp_path):
    folder = copy_folder(tmp_path)
    data = json.loads((folder / "incident-review.json").read_text(encoding="utf-8"))
    data["title"] = "Incident review, again"
    (folder / "later.json").write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(FrameworkError) as caught:
        load_library(folder=folder)
    assert str(caught.value) == (
        f"Invalid framework file {folder / 'later.json'} at id: the id 'incident-review' is also the id of "
        f"{folder / 'incident-review.json'}: give one of them another id"
    )


def test_a_folder_file_with_the_built_in_id_is_refused_saying_how_to_replace_it(tmp_path):
    folder = tmp_path / "frameworks"
    folder.mkdir()
    shutil.copy(DEFAULT_FRAMEWORK_PATH, folder / "nps.yaml")
    with pytest.raises(FrameworkError) as caught:
        load_library(folder=folder)
    message = str(caught.value)
    assert f"{folder / 'nps.yaml'} at id: the id 'nps-2018-draft' is also the id of {DEFAULT_FRAMEWORK_PATH}" in message
    assert "(the built-in framework)" in message and "set MATURITY_FRAMEWORK to it" in message


def test_every_problem_of_every_file_is_listed_one_per_line(tmp_path):
    folder = copy_folder(tmp_path)
    (folder / "a-bad.yaml").write_text("id: a-bad\nversion: 1\ntitle: A\nlevels: []\nthemes: []\n", encoding="utf-8")
    (folder / "b-bad.json").write_text('{"id": "b", "id": "c"}', encoding="utf-8")
    default = tmp_path / "missing.yaml"
    with pytest.raises(FrameworkError) as caught:
        load_library(default, folder)
    a_bad, b_bad = folder / "a-bad.yaml", folder / "b-bad.json"
    assert str(caught.value).splitlines() == [
        "Invalid framework files: 9 problems in 3 files",
        f"  {default}: the file does not exist",
        f"  {a_bad} at version: must be text, but YAML reads the unquoted 1 (line 2) as a number: write it in quotes, "
        '"1"',
        f"  {a_bad} at levels: must not be empty",
        f"  {a_bad} at themes: must not be empty",
        f"  {b_bad} at id: is given twice; JSON readers would silently keep only the last one: keep one",
        f"  {b_bad} at version: required field is missing",
        f"  {b_bad} at title: required field is missing",
        f"  {b_bad} at levels: required field is missing",
        f"  {b_bad} at themes: required field is missing",
    ]
    assert [problem.path for problem in caught.value.problems][:2] == [str(default), str(folder / "a-bad.yaml")]


def test_a_folder_that_is_not_there_is_refused(tmp_path):
    with pytest.raises(FrameworkError, match="the folder does not exist"):
        load_library(folder=tmp_path / "nowhere")
    with pytest.raises(ConfigurationError) as caught:
        load_settings(maturity_frameworks_dir=str(tmp_path / "nowhere"))
    assert f"MATURITY_FRAMEWORKS_DIR='{tmp_path / 'nowhere'}'" in str(caught.value)
    assert "the folder does not exist" in str(caught.value)
    assert load_settings(maturity_frameworks_dir=FOLDER).maturity_frameworks_dir == FOLDER


def test_a_library_can_be_built_from_frameworks_in_memory(nps, small_framework):
    library = FrameworkLibrary(small_framework, [nps])
    assert library.frameworks == [small_framework, nps]
    assert library.source_of("nps-2018-draft") == Path("<in memory>")
    with pytest.raises(ValueError, match="two frameworks with the id"):
        FrameworkLibrary(nps, [nps])


def test_a_bad_file_in_the_folder_stops_start_up_listing_its_problems(tmp_path):
    folder = copy_folder(tmp_path)
    (folder / "typo.yaml").write_text(
        (FOLDER / "retrospective.yaml")
        .read_text(encoding="utf-8")
        .replace("retrospective-check", "typo")
        .replace('version: "2"', "version: 2"),
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "MATURITY_", "DATABASE_URL"))}
    env.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=f"sqlite:///{tmp_path / 'bot.db'}",
        SLACK_BOT_TOKEN="xoxb-T1",
        SLACK_SIGNING_SECRET="secret",
        SLACK_API_URL="http://127.0.0.1:9/api/",
        MATURITY_FRAMEWORKS_DIR=str(folder),
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"Cannot start: Invalid framework file {folder / 'typo.yaml'} at version: must be text, but YAML reads the "
        'unquoted 2 (line 4) as a number: write it in quotes, "2"'
    )


def test_the_framework_package_loads_no_slack_and_no_database_library():
    code = (
        "import framework, framework.library, framework.limits, framework.loader, framework.models, "
        "framework.progress, framework.scoring, framework.search, framework.skeleton, sys\n"
        "framework.library.load_library(folder=__import__('pathlib').Path(sys.argv[1]))\n"
        "print(' '.join(sorted({name.split('.')[0] for name in sys.modules})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(FOLDER)],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    loaded = set(result.stdout.split())
    assert "framework" in loaded and "yaml" in loaded
    assert not loaded & {"slack_sdk", "slack_bolt", "sqlalchemy", "sqlmodel", "psycopg", "alembic"}
