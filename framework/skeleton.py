"""The commented skeleton of a framework file that `python -m bot framework new` writes: every field of the
schema, with its limits, and a `<<...>>` placeholder wherever the source's words go. The loader refuses a
file that still holds a placeholder, so a half-typed file says what is left to do."""

from __future__ import annotations

from .limits import MAX_AREAS, TITLE_LIMIT

_SKELETON = """\
# A maturity framework for the Slack bot, started with `python -m bot framework new`.
#
# Replace every <<...>> with the source's words: the framework's own wording, as you are allowed to use it.
# Never paraphrase it; a remark of yours goes in an editor_note, which is always shown as not the framework's
# words. Delete an optional field you do not need. Then check the file with
#     python -m bot framework validate THIS-FILE
# which names every problem it finds, and put it in the folder that MATURITY_FRAMEWORKS_DIR names.
# README.md, section "Framework library", describes every field and its limits.
#
# Put text in quotes ("...") when YAML could read it as something else (yes, no, on, off, 3, 2018-03-01) or
# when it holds ": " or starts with a special character. For long text use a folded block: `descriptor: >-`
# followed by the text on indented lines. Anchors and aliases (&name, *name) are refused.

id: "<<framework-id>>"  # lowercase words joined by hyphens (at most 60 characters); unique in the library
version: "<<version>>"  # the source's edition or date, e.g. "2022-06", in quotes; at most 40 characters
title: "<<framework title>>"  # at most {title} characters
source: "<<publisher, document and edition>>"  # optional: where the words come from
licence: "<<the terms under which you use the words>>"  # optional

# The scale, lowest first: 2 to 9 levels numbered 1, 2, 3...; each name unique, at most 30 characters.
levels:
  - number: 1
    name: "<<level 1 name>>"
  - number: 2
    name: "<<level 2 name>>"
  - number: 3
    name: "<<level 3 name>>"

# The themes in the order members meet them, each with its areas: at most {areas} areas in all.
themes:
  - id: "<<theme-id>>"  # lowercase words joined by hyphens; unique among the themes
    title: "<<theme title>>"  # at most {title} characters
    kind: theme  # theme, or enabler for a group of enablers (each of its areas is shown as an "Enabler")
    areas:
      - id: "<<first-area-id>>"  # lowercase words joined by hyphens; unique; answers are stored under it
        title: "<<first area title>>"  # at most {title} characters
        description: "<<what the area covers>>"  # optional; about 2,980 characters at most
        help:  # optional: both texts, or no help at all
          what_it_is: "<<what it is>>"  # about 2,980 characters at most
          why_it_is_important: "<<why it is important>>"  # about 2,970 characters at most
        # editor_note: "<<your remark on this area's title, description or help, e.g. a word you repaired>>"
        levels:  # every level of the scale, in its order, with the source's descriptor (about 2,900 characters)
          - level: "<<level 1 name>>"
            descriptor: "<<what level 1 looks like in the first area>>"
            # truncated: true  # the source itself cuts this descriptor off: it is shown so, never completed
            # editor_note: "<<your remark on this descriptor>>"
          - level: "<<level 2 name>>"
            descriptor: "<<what level 2 looks like in the first area>>"
          - level: "<<level 3 name>>"
            descriptor: "<<what level 3 looks like in the first area>>"
      - id: "<<second-area-id>>"
        title: "<<second area title>>"
        levels:
          - level: "<<level 1 name>>"
            descriptor: "<<what level 1 looks like in the second area>>"
          - level: "<<level 2 name>>"
            descriptor: "<<what level 2 looks like in the second area>>"
          - level: "<<level 3 name>>"
            descriptor: "<<what level 3 looks like in the second area>>"
"""


def skeleton() -> str:
    """The skeleton as `python -m bot framework new` writes it."""
    return _SKELETON.format(title=TITLE_LIMIT, areas=MAX_AREAS)
