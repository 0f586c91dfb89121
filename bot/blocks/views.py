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
