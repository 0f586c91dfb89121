"""What Slack can show of a framework, as plain numbers: the loader refuses a file whose text would not fit.

framework/ knows nothing of Slack. These are the limits of the messages bot/blocks builds from a framework,
with the wrapping those messages add around the framework's words (the level's number and name, the marks
and editor's notes, Slack's escaping of & < >), so that a framework that loads is one every message shows
whole: never cut at a limit without a mark, never refused by Slack at run time. tests/test_framework_limits.py
builds frameworks at each limit through bot/blocks to prove that these numbers and that wrapping are Slack's.

`problems(data)` works on the file's data before the models validate it, so that one pass names every text
that is too long alongside every other problem in the file.
"""

from __future__ import annotations

from collections.abc import Iterator

# -- Slack's limits ----------------------------------------------------------------------------------------

# A section block's text holds 3,000 characters (bot/blocks/text.py SECTION_LIMIT). Each level descriptor is
# one section of the walk-through's prompt and of the answered prompt; the help message gives the
# description, "What it is" and "Why it is important" one section each.
SECTION_TEXT_LIMIT = 3000

# A header block holds 150 characters of plain text: an area's title heads its walk-through prompt and its
# help message. Theme and framework titles are held to the same, so that any title fits wherever it goes.
TITLE_LIMIT = 150

# A message holds 50 blocks. The walk-through's lists give each theme at least one section: the member's
# profile at the end of the walk-through (bot/blocks/walkthrough.py `profile_message`: a header, a context
# line, then a section per theme) and the list of areas in help (bot/blocks/help.py `area_list`: a header, a
# section per theme, a context line). A theme's section holds many areas' lines, but a theme may hold a
# single area, so the worst case is one area per theme: 2 + areas blocks, hence at most 48 areas. (A theme's
# lines are split over more sections only past 3,000 characters, which takes more areas than sections.)
MESSAGE_BLOCK_LIMIT = 50
MAX_AREAS = MESSAGE_BLOCK_LIMIT - 2

# -- what the walk-through adds around the framework's words ---------------------------------------------------

# Our marks, never the framework's words: shown in Slack, the report and the command line.
EDITOR_NOTE_LABEL = "Editor's note (not the framework's words)"
TRUNCATED_MARK = "(The source document cuts this descriptor off here.)"

# The answered prompt (bot/blocks/walkthrough.py `answered_prompt`) is the biggest text a descriptor becomes:
# ":white_check_mark: Your answer: *3 · Mature*\n" then the descriptor, its truncation mark and its editor's
# note, each line quoted with "> ". (The prompt before the answer shows "*3 · Mature*\n" and the same text
# unquoted, which is shorter.) A level's number is one digit: a framework has at most 9 levels.
ANSWER_PREFIX = ":white_check_mark: Your answer: "

# The help message's headings (bot/blocks/help.py `area_help`), each above its text in one section.
HELP_HEADINGS = {
    "description": "*Description*\n",
    "what_it_is": "*What it is*\n",
    "why_it_is_important": "*Why it is important*\n",
}


def escaped_length(text: str) -> int:
    """The length of `text` once Slack's mrkdwn escaping has turned & into &amp; and < > into &lt; &gt;."""
    return len(text) + 4 * text.count("&") + 3 * (text.count("<") + text.count(">"))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _quoted(text: str) -> str:
    return "\n".join("> " + line if line else ">" for line in text.splitlines())


def descriptor_shown(level_name: str, descriptor: str, *, truncated: bool = False, note: str | None = None) -> str:
    """The answered prompt's section text for a descriptor (what bot/blocks/walkthrough.py builds)."""
    body = _escape(descriptor)
    if truncated:
        body += f"\n_{TRUNCATED_MARK}_"
    if note:
        body += f"\n_{EDITOR_NOTE_LABEL}: {_escape(note)}_"
    return f"{ANSWER_PREFIX}*9 · {_escape(level_name)}*\n{_quoted(body)}"


def area_note_shown(note: str) -> str:
    """An area's editor's note as its own line under the description (walk-through prompt and help)."""
    return f"_{EDITOR_NOTE_LABEL}: {_escape(note)}_"


# -- checking a file's data ----------------------------------------------------------------------------------


def problems(data: dict) -> list[tuple[tuple, str]]:
    """Every text of the framework's data (as read from the file) that Slack could not show whole, as
    (field path, reason). Parts of the wrong shape are skipped: the models name those."""
    found: list[tuple[tuple, str]] = []
    found += _title(("title",), data.get("title"))
    themes = data.get("themes")
    themes = themes if isinstance(themes, list) else []
    areas = 0
    for t, theme in enumerate(themes):
        if not isinstance(theme, dict):
            continue
        found += _title(("themes", t, "title"), theme.get("title"))
        theme_areas = theme.get("areas")
        for a, area in enumerate(theme_areas if isinstance(theme_areas, list) else []):
            areas += 1
            if isinstance(area, dict):
                found += _area(("themes", t, "areas", a), area)
    if areas > MAX_AREAS:
        found.append(
            (
                ("themes",),
                f"{areas} areas are more than Slack can list: at most {MAX_AREAS} (the member's profile and the list "
                f"of areas in help give each theme a section, and a message holds {MESSAGE_BLOCK_LIMIT} blocks)",
            )
        )
    return found


def _text(value) -> str | None:
    return value.strip() if isinstance(value, str) else None


def _title(where: tuple, value) -> Iterator[tuple[tuple, str]]:
    text = _text(value)
    if text is not None and len(text) > TITLE_LIMIT:
        yield where, f"is {len(text)} characters: a title holds at most {TITLE_LIMIT} (Slack's header)"


def _too_long(where: tuple, what: str, shown: str) -> Iterator[tuple[tuple, str]]:
    if len(shown) > SECTION_TEXT_LIMIT:
        over = len(shown) - SECTION_TEXT_LIMIT
        yield (
            where,
            f"is too long for Slack: {what} comes to {len(shown):,} characters, and a section holds "
            f"{SECTION_TEXT_LIMIT:,} ({over:,} over; & < > count as 5, 4 and 4 characters)",
        )


def _area(where: tuple, area: dict) -> Iterator[tuple[tuple, str]]:
    yield from _title(where + ("title",), area.get("title"))
    description = _text(area.get("description"))
    if description:
        shown = HELP_HEADINGS["description"] + _escape(description)
        yield from _too_long(where + ("description",), "the help message's description", shown)
    help_ = area.get("help")
    if isinstance(help_, dict):
        for key in ("what_it_is", "why_it_is_important"):
            text = _text(help_.get(key))
            if text:
                label = "“What it is”" if key == "what_it_is" else "“Why it is important”"
                shown = HELP_HEADINGS[key] + _escape(text)
                yield from _too_long(where + ("help", key), f"the help message's {label}", shown)
    note = _text(area.get("editor_note"))
    if note:
        yield from _too_long(where + ("editor_note",), "the editor's note", area_note_shown(note))
    levels = area.get("levels")
    for d, descriptor in enumerate(levels if isinstance(levels, list) else []):
        if not isinstance(descriptor, dict):
            continue
        text = _text(descriptor.get("descriptor"))
        if not text:
            continue
        shown = descriptor_shown(
            _text(descriptor.get("level")) or "",
            text,
            truncated=descriptor.get("truncated") is True,
            note=_text(descriptor.get("editor_note")),
        )
        yield from _too_long(
            where + ("levels", d, "descriptor"),
            "the answered prompt (the level, the descriptor and its marks and editor's note, quoted)",
            shown,
        )
