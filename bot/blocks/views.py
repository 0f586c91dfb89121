"""Modals: the comment form."""

from __future__ import annotations

import json

from slack_sdk.models.blocks import (
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from framework.models import Framework, KeyArea

from .. import values
from .text import escape

COMMENT_LIMIT = 2000
COMMENT_BLOCK = "comment"
COMMENT_INPUT = "comment_text"
LEVEL_BLOCK = "level"
LEVEL_INPUT = "level_choice"


def comment_modal(
    *, framework: Framework, area: KeyArea, round_id: int, current_level: int | None, current_comment: str | None
) -> dict:
    """A comment on one area. Without an answer yet, the form also asks for the level, since a comment is
    stored with an answer."""
    blocks = [SectionBlock(text=MarkdownTextObject(text=f"*{escape(area.title)}*"))]
    if current_level is None:
        options = [Option(text=f"{lvl.number} · {lvl.name}", value=str(lvl.number)) for lvl in framework.levels]
        blocks.append(
            InputBlock(
                block_id=LEVEL_BLOCK,
                label="Your level",
                element=StaticSelectElement(action_id=LEVEL_INPUT, options=options, placeholder="Choose a level"),
            )
        )
    blocks.append(
        InputBlock(
            block_id=COMMENT_BLOCK,
            label="Comment",
            optional=True,
            hint="Why this level? What would move the team up? Leave empty to remove your comment.",
            element=PlainTextInputElement(
                action_id=COMMENT_INPUT,
                multiline=True,
                max_length=COMMENT_LIMIT,
                initial_value=current_comment or None,
            ),
        )
    )
    view = View(
        type="modal",
        callback_id=values.COMMENT_VIEW,
        title="Add a comment",
        submit="Save",
        close="Cancel",
        blocks=blocks,
        private_metadata=json.dumps({"round_id": round_id, "area_id": area.id}),
    )
    view.validate_json()
    return view.to_dict()


NO_TARGET = "none"


def targets_modal(*, framework: Framework, channel_id: str, current: dict[str, int]) -> dict:
    """One select per area with the team's current target preselected ("No target" clears it)."""
    options = [Option(text="No target", value=NO_TARGET)] + [
        Option(text=f"{lvl.number} · {lvl.name}", value=str(lvl.number)) for lvl in framework.levels
    ]
    blocks = [
        SectionBlock(
            text=MarkdownTextObject(
                text="Choose the level the team aims for in each area. Targets carry over to the next round."
            )
        )
    ]
    for area in framework.areas:
        level = current.get(area.id)
        blocks.append(
            InputBlock(
                block_id=f"target:{area.id}",
                label=area.title[:150],
                optional=True,
                element=StaticSelectElement(
                    action_id="target_level",
                    options=options,
                    initial_option=options[level] if level else None,
                    placeholder="No target",
                ),
            )
        )
    view = View(
        type="modal",
        callback_id=values.TARGETS_VIEW,
        title="Team targets",
        submit="Save",
        close="Cancel",
        blocks=blocks,
        private_metadata=json.dumps({"channel_id": channel_id, "framework_id": framework.id}),
    )
    view.validate_json()
    return view.to_dict()


def chosen_targets(framework: Framework, state_values: dict) -> dict[str, int | None]:
    """Read the targets form back; anything that is not a level of the framework is ignored."""
    chosen: dict[str, int | None] = {}
    for area in framework.areas:
        selected = ((state_values.get(f"target:{area.id}") or {}).get("target_level") or {}).get("selected_option")
        value = (selected or {}).get("value", NO_TARGET)
        chosen[area.id] = int(value) if value.isdigit() and framework.level(int(value)) else None
    return chosen
