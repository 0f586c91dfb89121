"""Loading framework files: good files load, bad files stop with the file, the field path and the reason."""

from __future__ import annotations

import json

import pytest
import yaml

from framework.loader import DEFAULT_FRAMEWORK_PATH, FrameworkError, load_framework
from framework.search import closest_areas, find_area, find_areas


def _nps_data() -> dict:
    return yaml.safe_load(DEFAULT_FRAMEWORK_PATH.read_text(encoding="utf-8"))


def _write(tmp_path, data, suffix=".yaml"):
    path = tmp_path / f"framework{suffix}"
    path.write_text(json.dumps(data) if suffix == ".json" else yaml.safe_dump(data), encoding="utf-8")
    return path


def test_default_framework_is_the_nps_with_13_rows_of_5_levels(nps):
    assert nps.id == "nps-2018-draft"
    assert [level.name for level in nps.levels] == ["Minimum", "Developing", "Mature", "Leader", "Innovator"]
    assert len(nps.areas) == 13
    assert sum(len(area.levels) for area in nps.areas) == 65
    assert len(set(nps.area_ids)) == 13


def test_json_files_load_too(tmp_path, nps):
    framework = load_framework(_write(tmp_path, _nps_data(), ".json"))
    assert framework == nps


def test_second_framework_has_its_own_ids_and_scale(small_framework):
    assert small_framework.id == "team-health-check"
    assert [level.name for level in small_framework.levels] == ["Not yet", "Sometimes", "Always"]
    assert small_framework.area_ids == ["shared-goals", "feedback", "releasing"]


@pytest.mark.parametrize(
    ("break_it", "field", "reason"),
    [
        (
            lambda d: d["themes"][1]["areas"][0]["levels"].pop(),
            "themes[1].areas[0].levels",
            "must have exactly the framework's levels",
        ),
        (
            lambda d: d["themes"][0]["areas"][1].update(id=d["themes"][0]["areas"][0]["id"]),
            "themes[0].areas[1].id",
            "duplicate area id",
        ),
        (
            lambda d: d["themes"][2]["areas"][0]["levels"][2].update(descriptor="  "),
            "themes[2].areas[0].levels[2].descriptor",
            "at least 1 character",
        ),
        (lambda d: d["themes"][0]["areas"][0].update(colour="blue"), "themes[0].areas[0].colour", "unknown field"),
        (lambda d: d.pop("version"), "version", "required field is missing"),
        (
            lambda d: d["themes"][3]["areas"][0].update(id="Developing Talent"),
            "themes[3].areas[0].id",
            "should match pattern",
        ),
        (lambda d: d["themes"][0]["areas"][0]["levels"].reverse(), "themes[0].areas[0].levels", "in order"),
    ],
    ids=[
        "missing-level",
        "duplicate-id",
        "empty-descriptor",
        "unknown-field",
        "missing-version",
        "bad-slug",
        "wrong-order",
    ],
)
def test_a_wrong_file_names_the_file_the_field_and_the_reason(tmp_path, break_it, field, reason):
    data = _nps_data()
    break_it(data)
    path = _write(tmp_path, data)
    with pytest.raises(FrameworkError) as caught:
        load_framework(path)
    message = str(caught.value)
    assert str(path) in message
    assert f"at {field}:" in message
    assert reason in message


def test_unreadable_or_missing_files_are_named(tmp_path):
    with pytest.raises(FrameworkError, match="does not exist"):
        load_framework(tmp_path / "nope.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [unclosed", encoding="utf-8")
    with pytest.raises(FrameworkError, match=r"broken\.yaml.*not valid YAML"):
        load_framework(broken)


@pytest.mark.parametrize(
    ("query", "area_id"),
    [
        ("social value", "obtaining-social-value"),
        ("smes", "engaging-local-smes-and-micro-businesses"),
        ("risk", "managing-strategic-risk"),
        ("talent", "developing-talent"),
        ("Managing Contracts & Relationships", "managing-contracts-and-relationships"),
        ("enabling-vcse-engagement", "enabling-vcse-engagement"),
        ("DIGITAL", "exploiting-digital-technology"),
    ],
)
def test_areas_are_found_by_id_title_or_loose_words(nps, query, area_id):
    assert find_area(nps, query).id == area_id


def test_no_match_suggests_the_closest_areas(nps):
    assert find_areas(nps, "innvation") == []
    assert "enabling-innovation" in [a.id for a in closest_areas(nps, "innvation")]


def test_words_naming_several_areas_return_all_of_them(nps):
    assert {a.id for a in find_areas(nps, "engaging")} == {
        "engaging-councillors-and-senior-managers",
        "engaging-strategic-suppliers",
        "engaging-local-smes-and-micro-businesses",
    }


# -- strict reading: every refusal names the file, the field and the reason -----------------------------------

TINY = """\
id: tiny
version: "1"
title: Tiny (test framework)
levels:
  - {number: 1, name: Low}
  - {number: 2, name: High}
themes:
  - id: only
    title: Only theme
    areas:
      - id: first
        title: First area
        levels:
          - {level: Low, descriptor: Rarely.}
          - {level: High, descriptor: Always.}
"""


def _refused(tmp_path, text: str, name: str = "framework.yaml") -> FrameworkError:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FrameworkError) as caught:
        load_framework(path)
    assert str(path) in str(caught.value)
    return caught.value


def test_the_tiny_framework_these_tests_break_loads(tmp_path):
    path = tmp_path / "framework.yaml"
    path.write_text(TINY, encoding="utf-8")
    assert load_framework(path).area_ids == ["first"]


def test_a_key_given_twice_is_refused_with_both_lines(tmp_path):
    error = _refused(tmp_path, TINY.replace("title: First area\n", "title: First area\n        title: Second\n"))
    assert str(error) == (
        f"Invalid framework file {tmp_path / 'framework.yaml'} at themes[0].areas[0].title: is given twice "
        "(lines 12 and 13); YAML would silently keep only the last one: keep one"
    )


def test_a_key_given_twice_in_json_is_refused(tmp_path):
    text = json.dumps(_nps_data())
    text = text.replace('"version": "2018-03"', '"version": "2018-03", "version": "2018-04"', 1)
    error = _refused(tmp_path, text, "framework.json")
    assert error.field == "version" and "is given twice" in error.reason


@pytest.mark.parametrize(
    ("old", "new", "field", "reason"),
    [
        (
            "title: Tiny (test framework)",
            "title: yes",
            "title",
            'must be text, but YAML reads the unquoted yes (line 3) as true or false: write it in quotes, "yes"',
        ),
        ('version: "1"', "version: 3", "version", "YAML reads the unquoted 3 (line 2) as a number"),
        ('version: "1"', "version: 2018-03-01", "version", "as a date"),
        ("{number: 1, name: Low}", '{number: "1", name: Low}', "levels[0].number", "must be a whole number, not text"),
        ("{number: 2, name: High}", "{number: true, name: High}", "levels[1].number", "not true or false"),
        (
            "descriptor: Rarely.}",
            "descriptor: Rarely., truncated: 1}",
            "themes[0].areas[0].levels[0].truncated",
            "must be true or false, not a number",
        ),
        (
            "descriptor: Always.}",
            'descriptor: Always., truncated: "yes"}',
            "themes[0].areas[0].levels[1].truncated",
            "must be true or false, not text",
        ),
        ("title: Only theme", "title: [Only theme]", "themes[0].title", "must be text, not a list"),
    ],
    ids=[
        "yes-as-text",
        "number-as-text",
        "date-as-text",
        "text-as-number",
        "bool-as-number",
        "number-as-bool",
        "text-as-bool",
        "list-as-text",
    ],
)
def test_a_value_of_the_wrong_type_is_refused_not_coerced(tmp_path, old, new, field, reason):
    assert old in TINY
    error = _refused(tmp_path, TINY.replace(old, new))
    assert (error.field, len(error.problems)) == (field, 1)
    assert reason in error.reason


def test_quoted_text_that_looks_like_a_number_or_yes_is_text(tmp_path):
    path = tmp_path / "framework.yaml"
    path.write_text(TINY.replace("title: Tiny (test framework)", 'title: "yes"').replace('"1"', '"3.10"'))
    framework = load_framework(path)
    assert (framework.title, framework.version) == ("yes", "3.10")


def test_yaml_aliases_and_anchors_are_refused_where_they_are(tmp_path):
    text = TINY.replace("title: Only theme", "title: &name Only theme").replace("title: First area", "title: *name")
    error = _refused(tmp_path, text)
    lines = str(error).splitlines()
    assert lines[0].endswith(": 2 problems")
    assert lines[1].startswith("  at themes[0].title: has the YAML anchor &name (line 9): YAML anchors and aliases")
    assert lines[2].startswith("  at themes[0].areas[0].title: is the YAML alias *name (line 12): YAML anchors")
    assert "aliases of aliases can blow a small file up into millions of values" in lines[2]


def test_an_alias_bomb_is_refused_at_once_without_expanding_it(tmp_path):
    """Nine levels of twelve aliases would be 5 billion strings if expanded: it is refused in well under a
    second, and the message lists the first hundred problems and counts the rest."""
    import time

    rows = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi"):
        rows.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 12)}]")
    started = time.monotonic()
    error = _refused(tmp_path, "\n".join(rows) + "\n")
    assert time.monotonic() - started < 1
    assert len(error.problems) == 9 + 8 * 12 + 5 + 9  # anchors, aliases, the missing fields, the unknown ones
    lines = str(error).splitlines()
    assert lines[0].endswith(f": {len(error.problems)} problems")
    assert (
        len(lines) == 1 + 100 + 1 and lines[-1] == f"  and {len(error.problems) - 100} more: mend these and check again"
    )


def test_a_placeholder_left_from_the_skeleton_is_refused(tmp_path):
    error = _refused(tmp_path, TINY.replace("title: First area", 'title: "<<first area title>>"'))
    assert str(error).endswith(
        "at themes[0].areas[0].title: is still the placeholder <<first area title>> from `framework new`: fill it "
        "in (or delete the line, if the field is optional)"
    )


def test_every_problem_is_listed_not_only_the_first(tmp_path):
    """Problems of every kind in one file: a type, an unknown field, a key given twice, a descriptor Slack
    cannot show, a rule across fields. One message lists them all, in the file's order."""
    text = (
        TINY.replace('version: "1"', "version: 1.0")
        .replace("{number: 2, name: High}", "{number: 3, name: High}")
        .replace("title: Only theme", "title: Only theme\n    colour: blue")
        .replace("descriptor: Rarely.", "descriptor: " + "Rarely. " * 400)
        .replace("descriptor: Always.}", "descriptor: Always.}\n        title: Again")
    )
    error = _refused(tmp_path, text)
    assert str(error).splitlines() == [
        f"Invalid framework file {tmp_path / 'framework.yaml'}: 5 problems",
        '  at version: must be text, but YAML reads the unquoted 1.0 (line 2) as a number: write it in quotes, "1.0"',
        "  at levels: level numbers must run 1, 2, 3... in order, got [1, 3]",
        "  at themes[0].colour: unknown field",
        "  at themes[0].areas[0].title: is given twice (lines 13 and 17); YAML would silently keep only the last "
        "one: keep one",
        "  at themes[0].areas[0].levels[0].descriptor: is too long for Slack: the answered prompt (the level, the "
        "descriptor and its marks and editor's note, quoted) comes to 3,243 characters, and a section holds 3,000 "
        "(243 over; & < > count as 5, 4 and 4 characters)",
    ]
    assert (error.field, error.reason) == ("version", error.problems[0].reason) and len(error.problems) == 5
