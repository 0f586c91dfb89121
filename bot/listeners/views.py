"""Modal submissions: the comment form."""

from __future__ import annotations

import json
import logging

from slack_bolt import App
from slack_sdk import WebClient

from storage.answers import clean_text

from .. import values
from ..blocks import views as view_blocks
from ..services import Services
from .binding import listener

log = logging.getLogger(__name__)


def submit_comment(services: Services, ack, body: dict, view: dict, client: WebClient, context) -> None:
    """Store the comment (and the level, for an area not answered yet) with the member's answer.

    The comment is cleaned first (`clean_text`: no NUL or other control characters, no lone surrogates),
    so that what is checked against the limit is what is stored. A comment that cleaning leaves empty is
    refused in the form rather than taken as "remove my comment"."""
    state = view.get("state", {}).get("values", {})
    typed = ((state.get(view_blocks.COMMENT_BLOCK) or {}).get(view_blocks.COMMENT_INPUT) or {}).get("value")
    if typed is not None and not isinstance(typed, str):
        ack(
            response_action="errors",
            errors={view_blocks.COMMENT_BLOCK: "I couldn't read this comment. Nothing was saved."},
        )
        return
    comment = clean_text(typed).strip() if typed else None
    if typed and typed.strip() and not comment:
        ack(
            response_action="errors",
            errors={
                view_blocks.COMMENT_BLOCK: "This comment holds only characters I can't store. Please type it again."
            },
        )
        return
    comment = comment or None
    if comment and len(comment) > view_blocks.COMMENT_LIMIT:
        ack(
            response_action="errors",
            errors={view_blocks.COMMENT_BLOCK: f"Please keep it under {view_blocks.COMMENT_LIMIT} characters."},
        )
        return
    selected = ((state.get(view_blocks.LEVEL_BLOCK) or {}).get(view_blocks.LEVEL_INPUT) or {}).get("selected_option")
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        value = values.parse_prompt_value(
            f"{int(meta['round_id'])}|{meta['area_id']}" + (f"|{selected['value']}" if selected else ""),
            services.framework,
        )
    except (ValueError, KeyError, TypeError):
        ack(
            response_action="errors", errors={view_blocks.COMMENT_BLOCK: "This form is out of date. Nothing was saved."}
        )
        return
    user_id = body["user"]["id"]
    round_ = services.stores.rounds.get(context.team_id, value.round_id)
    participant = services.stores.answers.participant(context.team_id, value.round_id, user_id) if round_ else None
    if participant is None or round_.status != "open":
        ack(
            response_action="errors",
            errors={view_blocks.COMMENT_BLOCK: "This round is closed or not yours. Nothing was saved."},
        )
        return
    has_answer = services.stores.answers.answer(round_.team_id, round_.id, user_id, value.area_id) is not None
    if not has_answer and value.level is None:
        ack(
            response_action="errors",
            errors={view_blocks.LEVEL_BLOCK: "Choose a level: a comment is stored with your answer."},
        )
        return
    ack()
    services.walkthrough.set_comment(client, round_, participant, value.area_id, comment, value.level)


def submit_targets(services: Services, ack, body: dict, view: dict, client: WebClient, context) -> None:
    """Save the team's targets, if the member still facilitates the channel's round."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        channel_id = str(meta["channel_id"])
    except (ValueError, KeyError, TypeError):
        ack(response_action="errors", errors={})
        return
    user_id = body["user"]["id"]
    round_ = services.stores.rounds.latest_in_channel(context.team_id, channel_id)
    allowed = round_ is not None and services.permissions.is_facilitator(
        client, context.team_id, channel_id, user_id, round_
    )
    if not allowed or meta.get("framework_id") != services.framework.id:
        ack()
        client.chat_postEphemeral(
            channel=channel_id,
            user=user_id,
            text="Sorry, only the round's facilitator can set targets. Nothing was changed.",
        )
        return
    ack()
    chosen = view_blocks.chosen_targets(services.framework, view.get("state", {}).get("values", {}))
    services.stores.targets.replace(context.team_id, channel_id, services.framework.id, chosen, user_id)
    detail = ", ".join(f"{area_id}={level}" for area_id, level in chosen.items() if level)
    services.stores.audit.record(context.team_id, channel_id, user_id, "targets", detail or "cleared", round_.id)
    count = sum(1 for level in chosen.values() if level)
    client.chat_postEphemeral(
        channel=channel_id, user=user_id, text=f"Targets saved: {count} of {len(chosen)} areas have one."
    )


def register(app: App, services: Services) -> None:
    app.view(values.COMMENT_VIEW)(listener(services, submit_comment))
    app.view(values.TARGETS_VIEW)(listener(services, submit_targets))
