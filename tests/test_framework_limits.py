"""The loader refuses a framework Slack could not show whole, and the limits are Slack's to the character.

Each limit is tried at the edge: a framework right at it loads, and the real Block Kit builders of bot/blocks
show its text whole (slack_sdk checks every block against Slack's limits); one character more is refused by
the loader with the file, the field and how far over it is. The same framework let past the loader (built
with the models directly) shows what a member would have met: a message Slack refuses, a title cut short
without a mark, help spread over more sections.
"""

from __future__ import annotations

import copy

import pytest
import yaml
from slack_sdk.errors import SlackObjectFormationError

from bot.blocks.help import area_help, area_list
from bot.blocks.walkthrough import answered_prompt, area_prompt, profile_message
from framework import limits
from framework.loader import FrameworkError, load_framework
from framework.models import Framework

NOTE = "Our remark & nothing <more>."


def tiny() -> dict:
    """A framework of two levels and one area, written for these tests."""
    return {
        "id": "edge-check",
        "version": "1",
        "title": "Edge check (test framework)",
        "levels": [{"number": 1, "name": "Low"}, {"number": 2, "name": "High & dry"}],
        "themes": [
            {
                "id": "only",
                "title": "Only theme",
                "areas": [
                    {
                        "id": "the-area",
                        "title": "The area",
                        "description": "What the area covers.",
                        "help": {"what_it_is": "What it is.", "why_it_is_important": "Why it matters."},
                        "levels": [
                            {"level": "Low", "descriptor": "Low & slow."},
                            {"level": "High & dry", "descriptor": "High.", "truncated": True, "editor_note": NOTE},
                        ],
                    }
                ],
            }
        ],
    }


def write(tmp_path, data) -> str:
    path = tmp_path / "edge.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def refused(tmp_path, data, field: str) -> str:
    path = write(tmp_path, data)
    with pytest.raises(FrameworkError) as caught:
        load_framework(path)
    message = str(caught.value)
    assert str(path) in message and f"at {field}:" in message, message
    return message


def filled(budget: int, unit: str = "& word ") -> str:
    """Text of `budget` characters as Slack shows it (an & counts 5), in several lines, ending in a word."""
    text = ""
    while limits.escaped_length(text + unit) <= budget - 10:
        text += unit
    lines = text.rstrip().split(" ")
    text = "\n".join(" ".join(lines[i : i + 40]) for i in range(0, len(lines), 40))
    return text + "x" * (budget - limits.escaped_length(text))


def section_texts(blocks: list[dict]) -> list[str]:
    return [b["text"]["text"] for b in blocks if b["type"] == "section"]


# -- descriptors -------------------------------------------------------------------------------------------


def descriptor_at(size: int) -> dict:
    """tiny() with the High descriptor (truncated, with a note, & escaped) making an answered prompt of `size`."""
    data = tiny()
    overhead = len(limits.descriptor_shown("High & dry", "", truncated=True, note=NOTE))
    # Every line of the descriptor gets "> " in the answered prompt: leave room for those, then fill up.
    text = filled(size - overhead - 100)
    while len(limits.descriptor_shown("High & dry", text, truncated=True, note=NOTE)) < size:
        text += "x"
    data["themes"][0]["areas"][0]["levels"][1]["descriptor"] = text
    return data


def test_a_descriptor_at_the_limit_is_shown_whole_in_the_prompt_and_the_answered_prompt(tmp_path):
    data = descriptor_at(limits.SECTION_TEXT_LIMIT)
    framework = load_framework(write(tmp_path, data))
    area = framework.area("the-area")
    descriptor = area.descriptor("High & dry").descriptor
    _, answered = answered_prompt(round_id=1, framework=framework, area=area, level=2, comment=None)
    [shown] = [t for t in section_texts(answered) if "Your answer" in t]
    assert len(shown) == limits.SECTION_TEXT_LIMIT
    assert shown.endswith(f"> _{limits.EDITOR_NOTE_LABEL}: Our remark &amp; nothing &lt;more&gt;._")
    assert descriptor.replace("&", "&amp;").split("\n")[-1] in shown and "…" not in shown
    _, prompt = area_prompt(round_id=1, framework=framework, area=area)
    [level_two] = [t for t in section_texts(prompt) if t.startswith("*2 · High &amp; dry*")]
    assert level_two.endswith("Our remark &amp; nothing &lt;more&gt;._") and "…" not in level_two


def test_a_descriptor_one_character_over_is_refused_naming_file_field_and_excess(tmp_path):
    data = descriptor_at(limits.SECTION_TEXT_LIMIT + 1)
    message = refused(tmp_path, data, "themes[0].areas[0].levels[1].descriptor")
    assert "is too long for Slack" in message and "3,001 characters" in message and "(1 over" in message
    # Let past the loader, it is the answered prompt that Slack refuses once a member clicks the level.
    framework = Framework.model_validate(data)
    area = framework.area("the-area")
    with pytest.raises(SlackObjectFormationError, match="3000"):
        answered_prompt(round_id=1, framework=framework, area=area, level=2, comment=None)


def test_a_long_editor_note_counts_against_its_descriptor(tmp_path):
    data = descriptor_at(limits.SECTION_TEXT_LIMIT)
    data["themes"][0]["areas"][0]["levels"][1]["editor_note"] = NOTE + "!"
    refused(tmp_path, data, "themes[0].areas[0].levels[1].descriptor")


# -- help texts and the description ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "heading"),
    [("what_it_is", "*What it is*\n"), ("why_it_is_important", "*Why it is important*\n")],
)
def test_help_text_at_the_limit_is_one_section_and_one_more_is_refused(tmp_path, key, heading):
    data = tiny()
    text = filled(limits.SECTION_TEXT_LIMIT - len(heading))
    data["themes"][0]["areas"][0]["help"][key] = text
    framework = load_framework(write(tmp_path, data))
    _, blocks = area_help(framework, framework.area("the-area"))
    [section] = [t for t in section_texts(blocks) if t.startswith(heading)]
    assert len(section) == limits.SECTION_TEXT_LIMIT and section.endswith("x")

    data["themes"][0]["areas"][0]["help"][key] = text + "y"
    message = refused(tmp_path, data, f"themes[0].areas[0].help.{key}")
    assert "3,001 characters" in message
    # Let past the loader, the help message would split it over two sections.
    framework = Framework.model_validate(data)
    _, blocks = area_help(framework, framework.area("the-area"))
    assert len(section_texts(blocks)) == 4


def test_a_description_over_one_section_of_help_is_refused(tmp_path):
    data = tiny()
    text = filled(limits.SECTION_TEXT_LIMIT - len("*Description*\n"))
    data["themes"][0]["areas"][0]["description"] = text
    framework = load_framework(write(tmp_path, data))
    _, blocks = area_help(framework, framework.area("the-area"))
    assert len(section_texts(blocks)) == 3
    data["themes"][0]["areas"][0]["description"] = text + "&"
    message = refused(tmp_path, data, "themes[0].areas[0].description")
    assert "3,005 characters" in message  # an & is shown as &amp;


# -- titles -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "field"),
    [
        (lambda d: d, "title"),
        (lambda d: d["themes"][0], "themes[0].title"),
        (lambda d: d["themes"][0]["areas"][0], "themes[0].areas[0].title"),
    ],
    ids=["framework", "theme", "area"],
)
def test_a_title_over_150_characters_is_refused(tmp_path, where, field):
    data = tiny()
    where(data)["title"] = "T" * 150
    load_framework(write(tmp_path, data))
    where(data)["title"] = "T" * 151
    message = refused(tmp_path, data, field)
    assert "is 151 characters: a title holds at most 150" in message


def test_an_area_title_of_150_characters_heads_its_prompt_whole_where_151_would_be_cut(tmp_path):
    data = tiny()
    data["themes"][0]["areas"][0]["title"] = "A" * 149 + "Z"
    framework = load_framework(write(tmp_path, data))
    area = framework.area("the-area")
    for _, blocks in (area_prompt(round_id=1, framework=framework, area=area), area_help(framework, area)):
        [header] = [b for b in blocks if b["type"] == "header"]
        assert header["text"]["text"] == area.title
    data["themes"][0]["areas"][0]["title"] = "A" * 150 + "Z"
    long = Framework.model_validate(data)
    _, blocks = area_prompt(round_id=1, framework=long, area=long.area("the-area"))
    [header] = [b for b in blocks if b["type"] == "header"]
    assert "Z" not in header["text"]["text"]  # what the loader now prevents: cut without a mark


# -- how many areas ---------------------------------------------------------------------------------------------


def one_area_per_theme(count: int) -> dict:
    data = tiny()
    area = data["themes"][0]["areas"][0]
    data["themes"] = [
        {"id": f"theme-{n}", "title": f"Theme {n}", "areas": [{**copy.deepcopy(area), "id": f"area-{n}"}]}
        for n in range(count)
    ]
    return data


def test_48_areas_fit_the_walk_throughs_lists_and_49_are_refused(tmp_path):
    assert limits.MAX_AREAS == 48
    framework = load_framework(write(tmp_path, one_area_per_theme(48)))
    _, profile = profile_message(framework=framework, channel_id="C1", levels={"area-0": 2})
    _, listing = area_list(framework)
    assert len(profile) == 50 and len(listing) == 50

    message = refused(tmp_path, one_area_per_theme(49), "themes")
    assert "49 areas are more than Slack can list: at most 48" in message
    # Let past the loader, the member's profile at the end of the walk-through could not be posted.
    framework = Framework.model_validate(one_area_per_theme(49))
    with pytest.raises(ValueError, match="51 blocks is over Slack's limit of 50"):
        profile_message(framework=framework, channel_id="C1", levels={})


def test_the_limits_are_counted_as_slack_shows_text():
    assert limits.escaped_length("a & b < c > d") == len("a &amp; b &lt; c &gt; d")
    # The figures README.md gives authors.
    room = {key: limits.SECTION_TEXT_LIMIT - len(heading) for key, heading in limits.HELP_HEADINGS.items()}
    assert room == {"description": 2986, "what_it_is": 2987, "why_it_is_important": 2978}
    assert limits.SECTION_TEXT_LIMIT - len(limits.area_note_shown("")) == 2955
    assert len(limits.descriptor_shown("Mature", "d" * (2959 - len("Mature")))) == limits.SECTION_TEXT_LIMIT
    shown = limits.descriptor_shown("Mature", "One\n\nTwo", truncated=True, note="N")
    assert shown == (
        ":white_check_mark: Your answer: *9 · Mature*\n> One\n>\n> Two\n"
        f"> _{limits.TRUNCATED_MARK}_\n> _{limits.EDITOR_NOTE_LABEL}: N_"
    )


# -- editor's notes in Slack ----------------------------------------------------------------------------------------


def test_an_editors_note_reads_not_the_frameworks_words_in_slack(nps):
    contracts = nps.area("managing-contracts-and-relationships")
    innovator = contracts.descriptor("Innovator")
    _, answered = answered_prompt(round_id=1, framework=nps, area=contracts, level=5, comment=None)
    [shown] = [t for t in section_texts(answered) if "Your answer" in t]
    assert f"> _Editor's note (not the framework's words): {innovator.editor_note}_" in shown
    assert "better service outcomes" in shown

    creating = nps.area("creating-commercial-opportunities")
    for _, blocks in (area_prompt(round_id=1, framework=nps, area=creating), area_help(nps, creating)):
        notes = [
            e["text"] for b in blocks if b["type"] == "context" for e in b["elements"] if "Editor's note" in e["text"]
        ]
        assert notes == [f"_Editor's note (not the framework's words): {creating.editor_note}_"]
