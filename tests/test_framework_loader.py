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
