"""Modal submissions: the comment form, the targets form and the action plan's forms."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient

from storage.answers import AnswerResult, NotInOpenRound, clean_text
from storage.db import database_unreachable
from storage.models import Participant, Round, utcnow

from .. import values
from ..blocks import plan as plan_blocks
from ..blocks import views as view_blocks
from ..plan import NOT_ALLOWED_TO_ADD, NewAction, Refused
from ..services import Services
from ..walkthrough import StoredButNotShown
from .binding import listener

log = logging.getLogger(__name__)

# How long the comment form's database work may take before Slack is answered: within Slack's 3 s with room
# for the request's way in and out (and for bot.installations' wait in multi-workspace mode); long enough for
# one connection attempt to time out (2 s, storage/db.py) and be told as the database being unreachable, too
# short for a second one.
PRE_ACK_SECONDS = 2.25

CLOSED_OR_NOT_YOURS = "This round is closed or not yours. Nothing was saved."

# The database could not take the comment in time: the form stays open with what was typed in it.
COMMENT_NOT_SAVED = (
    "I couldn't save this just now. Your comment is still in the box: please press Save again in a minute."
)


class _TooSlow(Exception):
    """The work before the ack did not finish within PRE_ACK_SECONDS."""


def submit_comment(services: Services, ack, body: dict, view: dict, client: WebClient, context) -> None:
    """Store the comment (and the level, for an area not answered yet) with the member's answer, then close
    the form; then show it in Slack.

    The comment is cleaned first (`clean_text`: no NUL or other control characters, no lone surrogates),
    so that what is checked against the limit is what is stored. A comment that cleaning leaves empty is
    refused in the form rather than taken as "remove my comment".

    It is stored before Slack is answered, so that the form closes only on a stored comment: when the
    database cannot be reached, or does not answer within PRE_ACK_SECONDS, the form stays open with the
    comment in it and one line asking to press Save again in a minute. A save that finishes after that
    answer is kept (the clock shows it, and sends the next prompt it claimed, as for any answer whose
    showing failed), and the second press then changes nothing. Only showing it in Slack comes after the ack."""
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
            f"{int(meta['round_id'])}|{meta['area_id']}" + (f"|{selected['value']}" if selected else "")
        )
    except (ValueError, KeyError, TypeError):
        ack(
            response_action="errors", errors={view_blocks.COMMENT_BLOCK: "This form is out of date. Nothing was saved."}
        )
        return
    user_id = body["user"]["id"]
    try:
        recorded = _within(
            PRE_ACK_SECONDS,
            lambda: _record_comment(
                services, context.team_id, user_id, value.round_id, value.area_id, comment, value.level
            ),
            what=f"the comment of {user_id} in workspace {context.team_id}",
        )
    except Exception as error:
        if not (isinstance(error, _TooSlow) or database_unreachable(error)):
            raise
        log.warning(
            "comment of %s in workspace %s not saved, the form kept open: %s",
            user_id,
            context.team_id,
            "the database took too long" if isinstance(error, _TooSlow) else type(error).__name__,
        )
        ack(response_action="errors", errors={view_blocks.COMMENT_BLOCK: COMMENT_NOT_SAVED})
        return
    if isinstance(recorded, dict):
        ack(response_action="errors", errors=recorded)
        return
    round_, participant, result = recorded
    ack()
    try:
        services.walkthrough.after_comment(client, round_, participant, value.area_id, result)
    except Exception as error:
        raise StoredButNotShown() from error


def _record_comment(
    services: Services, team_id: str, user_id: str, round_id: int, area_id: str, comment: str | None, level: int | None
) -> dict[str, str] | tuple[Round, Participant, AnswerResult]:
    """The storage half of a comment, run before the ack: the member's round checked, then the
    comment (and the level) recorded with the next prompt's claim in the same transaction. Returns what the form should say instead, or what Walkthrough.after_comment shows."""
    round_ = services.stores.rounds.get(team_id, round_id)
    participant = services.stores.answers.participant(team_id, round_id, user_id) if round_ else None
    if participant is None or round_.status != "open":
        return {view_blocks.COMMENT_BLOCK: CLOSED_OR_NOT_YOURS}
    framework = services.framework_of(round_)
    try:
        values.PromptValue(round_id, area_id, level).check(framework)
    except values.BadValue:
        return {view_blocks.COMMENT_BLOCK: "This form is out of date. Nothing was saved."}
    has_answer = services.stores.answers.answer(round_.team_id, round_.id, user_id, area_id) is not None
    if not has_answer and level is None:
        return {view_blocks.LEVEL_BLOCK: "Choose a level: a comment is stored with your answer."}
    try:
        result = services.stores.answers.record_answer(
            round_=round_,
            user_id=user_id,
            area_id=area_id,
            level=level,
            comment=comment,
            set_comment=True,
            next_prompt=services.walkthrough.prompt_for(round_, participant),
            area_ids=framework.area_ids,
        )
    except NotInOpenRound:  # closed (or left) since the check above: nothing was written
        return {view_blocks.COMMENT_BLOCK: CLOSED_OR_NOT_YOURS}
    return round_, participant, result


def _within(seconds: float, work: Callable[[], Any], *, what: str) -> Any:
    """work() in a thread of its own, waited for at most `seconds`: its result or its error, or _TooSlow.
    Work that outlives the wait runs to its end and its outcome is logged."""
    future: Future = Future()

    def run() -> None:
        try:
            future.set_result(work())
        except BaseException as error:
            future.set_exception(error)

    threading.Thread(target=run, name="before-ack", daemon=True).start()
    try:
        return future.result(timeout=seconds)
    except FutureTimeout:
        future.add_done_callback(lambda done: _late(done, what))
        raise _TooSlow() from None


def _late(done: Future, what: str) -> None:
    error = done.exception()
    if error is None:
        log.info("%s: its database work finished after the form had been answered (kept; the clock shows it)", what)
    else:
        log.warning("%s, given up on before the ack, then failed: %s", what, type(error).__name__)


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
    # The form's framework must still be the channel's: a round of another one started meanwhile.
    if not allowed or meta.get("framework_id") != round_.framework_id:
        ack()
        client.chat_postEphemeral(
            channel=channel_id,
            user=user_id,
            text="Sorry, only the round's facilitator can set targets. Nothing was changed.",
        )
        return
    ack()
    framework = services.framework_of(round_)
    chosen = view_blocks.chosen_targets(framework, view.get("state", {}).get("values", {}))
    services.stores.targets.replace(context.team_id, channel_id, framework.id, chosen, user_id)
    detail = ", ".join(f"{area_id}={level}" for area_id, level in chosen.items() if level)
    services.stores.audit.record(context.team_id, channel_id, user_id, "targets", detail or "cleared", round_.id)
    count = sum(1 for level in chosen.values() if level)
    client.chat_postEphemeral(
        channel=channel_id, user=user_id, text=f"Targets saved: {count} of {len(chosen)} areas have one."
    )


def submit_action(services: Services, ack, body: dict, view: dict, client: WebClient, context) -> None:
    """Add the action the form describes, or keep the form open naming each field that is wrong."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        channel_id = str(meta["channel_id"])
        round_id = int(meta["round_id"]) if meta.get("round_id") is not None else None
    except (ValueError, KeyError, TypeError):
        ack(response_action="errors", errors={plan_blocks.TEXT: "I couldn't read this form. Nothing was saved."})
        return
    # A form opened before frameworks were chosen per round does not say its framework: the channel's.
    framework_id = str(meta.get("framework_id") or services.framework_for_channel(context.team_id, channel_id).id)
    user_id, today = body["user"]["id"], utcnow().date()
    fields = plan_blocks.chosen_fields(view.get("state", {}).get("values", {}))
    try:
        new = services.plan.check_new(
            client, NewAction(channel_id=channel_id, round_id=round_id, framework_id=framework_id, **fields), today
        )
    except Refused as refused:
        ack(response_action="errors", errors=refused.errors)
        return
    if not services.plan.may_add(client, context.team_id, channel_id, user_id):
        ack()
        client.chat_postEphemeral(channel=channel_id, user=user_id, text=NOT_ALLOWED_TO_ADD)
        return
    item, message = services.plan.add(context.team_id, new, user_id)  # stored first: a failure keeps the form
    ack()
    services.plan.tell(client, message)
    client.chat_postEphemeral(
        channel=channel_id,
        user=user_id,
        text=f"Action added to the plan: {plan_blocks.describe(services.frameworks, item, today)}",
    )


def submit_action_date(services: Services, ack, body: dict, view: dict, client: WebClient, context) -> None:
    """A new due date for an open action, from its owner or a facilitator."""
    due = plan_blocks.chosen_date(view.get("state", {}).get("values", {}))
    try:
        services.plan.check_due(due, utcnow().date())
    except Refused as refused:
        ack(response_action="errors", errors=refused.errors)
        return
    item = _changeable(services, ack, body, view, client, context)
    if item is not None:
        changed = services.stores.plan.change_due(context.team_id, item.id, due, body["user"]["id"])
        _tell_change(services, client, body["user"]["id"], item, changed, f"is now due {due:%-d %b %Y}")


def submit_action_owner(services: Services, ack, body: dict, view: dict, client: WebClient, context) -> None:
    """Hand an open action to someone else, who is told."""
    owner = plan_blocks.chosen_owner(view.get("state", {}).get("values", {}))
    try:
        services.plan.check_owner(client, owner)
    except Refused as refused:
        ack(response_action="errors", errors=refused.errors)
        return
    item = _changeable(services, ack, body, view, client, context)
    if item is not None:
        changed = services.plan.hand_over(client, item, owner, body["user"]["id"])
        _tell_change(services, client, body["user"]["id"], item, changed, f"now belongs to <@{owner}>")


def _changeable(services: Services, ack, body: dict, view: dict, client: WebClient, context):
    """The open action a date or owner form is about, if the person may change it (acked either way)."""
    ack()
    user_id = body["user"]["id"]
    try:
        item = services.stores.plan.get(context.team_id, values.parse_action_value(view.get("private_metadata")))
    except values.BadValue:
        item = None
    if item is None or not services.plan.may_change(client, item, user_id):
        client.chat_postMessage(channel=user_id, text="Sorry, I can't change that action for you. Nothing was changed.")
        return None
    return item


def _tell_change(services: Services, client: WebClient, user_id: str, item, changed, what: str) -> None:
    """Say what became of the action (as it now stands, whoever wrote last), or that it was already done."""
    if changed is None:
        client.chat_postMessage(channel=user_id, text="That action is already done, so it was not changed.")
        return
    text, blocks = services.plan.owner_view(changed, f"The action {what}:")
    client.chat_postMessage(channel=user_id, text=text, blocks=blocks)


def register(app: App, services: Services) -> None:
    app.view(values.COMMENT_VIEW)(listener(services, submit_comment))
    app.view(values.TARGETS_VIEW)(listener(services, submit_targets))
    app.view(values.ACTION_VIEW)(listener(services, submit_action))
    app.view(values.ACTION_DATE_VIEW)(listener(services, submit_action_date))
    app.view(values.ACTION_OWNER_VIEW)(listener(services, submit_action_owner))
