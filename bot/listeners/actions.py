"""Button clicks: a member's walk-through, a facilitator's App Home, and the confirmation of an erasure.

Every click is acknowledged first, then checked: the button's value must name a real round of this
workspace, an area of the framework and a level of its scale, and the prompt must belong to the member
who clicked. Anything else gets a polite ephemeral refusal and changes nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_bolt import App
from slack_sdk import WebClient

from framework.models import Framework
from storage.answers import NotInOpenRound
from storage.models import Participant, Round

from .. import values
from ..blocks import help as help_blocks
from ..blocks import messages
from ..blocks import plan as plan_blocks
from ..blocks import views as view_blocks
from ..plan import NOT_ALLOWED_TO_ADD
from ..services import Services
from .binding import listener

log = logging.getLogger(__name__)

UNREADABLE = (
    "Sorry, I couldn't make sense of that button, so nothing was changed. Message me to pick up your walk-through."
)
NOT_YOURS = "That walk-through belongs to someone else, so I can't take your answer there. Nothing was changed."
CLOSED = "This round is closed, so its answers can no longer be changed."
FRAMEWORK_GONE = (
    "This round's framework is no longer installed here, so nothing was changed. Your answers so far are kept; "
    "please tell the round's facilitator."
)


class Refusal(Exception):
    """A click we will not act on; the message goes back to the member ephemerally."""


@dataclass(frozen=True)
class Click:
    round: Round
    participant: Participant
    value: values.PromptValue
    message_ts: str | None
    framework: Framework  # the round's own


def read_click(
    services: Services,
    body: dict,
    context,
    *,
    needs_level: bool = False,
    value_is_round: bool = False,
    checked_again: bool = False,
) -> Click:
    """Validate a click on a walk-through message, or raise Refusal. With `checked_again` (the work's own
    transaction checks the round and the member once more, raising NotInOpenRound), the member check may be
    one this process made a moment ago."""
    action = body["actions"][0]
    try:
        if value_is_round:
            value = values.PromptValue(values.parse_round_value(action.get("value")), "")
        else:
            value = values.parse_prompt_value(action.get("value"), needs_level=needs_level)
    except values.BadValue as error:
        log.info("refused a click with a bad value: %s", error)
        raise Refusal(UNREADABLE) from None
    round_, participant = services.stores.answers.member_in_round(
        context.team_id, value.round_id, body["user"]["id"], remembered=checked_again
    )
    if round_ is None:
        raise Refusal(UNREADABLE)
    framework = services.frameworks.get(round_.framework_id)
    if framework is None:
        raise Refusal(FRAMEWORK_GONE)
    if not value_is_round:
        try:
            value.check(framework)
        except values.BadValue as error:
            log.info("refused a click with a bad value: %s", error)
            raise Refusal(UNREADABLE) from None
    container = body.get("container") or {}
    if participant is None or (
        participant.dm_channel_id is not None and container.get("channel_id") not in (None, participant.dm_channel_id)
    ):
        raise Refusal(NOT_YOURS)
    if round_.status != "open":
        raise Refusal(CLOSED)
    return Click(
        round=round_,
        participant=participant,
        value=value,
        message_ts=container.get("message_ts"),
        framework=framework,
    )


def _handle(services: Services, body: dict, context, respond, work, *, repairs: bool = True, **read_options) -> None:
    """Read and check the click, then do its work; then (unless the work does it itself, `repairs=False`)
    update any of the member's prompts whose stored answer Slack does not show yet (the database or Slack
    failed in between), after the work, so that the member's wait is not spent on it."""
    try:
        click = read_click(services, body, context, **read_options)
        try:
            work(click)
        except NotInOpenRound:  # the round closed, or the member left it, since the check: nothing was written
            read_click(services, body, context, **{**read_options, "checked_again": False})  # the refusal that fits
            raise Refusal(CLOSED) from None
    except Refusal as refusal:
        if body.get("response_url"):
            respond(text=str(refusal), response_type="ephemeral", replace_original=False)
        else:  # a click on the App Home, which has no response_url: say it there
            services.home.publish(context.client, context.team_id, body["user"]["id"], notice=str(refusal))
        return
    if repairs:
        services.walkthrough.show_pending(context.client, click.round, click.participant)


def answer(services: Services, ack, body: dict, client: WebClient, context, respond) -> None:
    ack()

    def record(click: Click) -> None:
        # The Home tab is published when the member opens it (app_home_opened), not after every click.
        services.walkthrough.answer(
            client, click.round, click.participant, click.value.area_id, click.value.level, click.message_ts
        )

    _handle(services, body, context, respond, record, needs_level=True, repairs=False, checked_again=True)


def skip(services: Services, ack, body: dict, client: WebClient, context, respond) -> None:
    ack()
    _handle(
        services,
        body,
        context,
        respond,
        lambda c: services.walkthrough.skip(client, c.round, c.participant, c.value.area_id, c.message_ts),
        repairs=False,
    )


def change(services: Services, ack, body: dict, client: WebClient, context, respond) -> None:
    ack()
    _handle(
        services,
        body,
        context,
        respond,
        lambda c: services.walkthrough.reopen(client, c.round, c.participant, c.value.area_id, c.message_ts),
        repairs=False,
    )


def continue_(services: Services, ack, body: dict, client: WebClient, context, respond) -> None:
    ack()
    _handle(
        services,
        body,
        context,
        respond,
        lambda c: services.walkthrough.resume(client, c.round, c.participant),
        value_is_round=True,
        repairs=False,
    )


def stop_reminders(services: Services, ack, body: dict, client: WebClient, context, respond) -> None:
    """Honour "Stop reminders for this round"."""
    ack()

    def stop(click: Click) -> None:
        services.stores.schedules.stop_reminders(click.round.team_id, click.round.id, click.participant.user_id)
        respond(text="Done: no more reminders for this round.", response_type="ephemeral", replace_original=False)

    _handle(services, body, context, respond, stop, value_is_round=True)


def help_(services: Services, ack, body: dict, client: WebClient, context, respond) -> None:
    """Help on a prompt: the area's description and help, posted in the member's thread."""
    ack()

    def post(click: Click) -> None:
        text, blocks = help_blocks.area_help(click.framework, click.framework.area(click.value.area_id))
        client.chat_postMessage(
            channel=click.participant.dm_channel_id, thread_ts=click.participant.thread_ts, text=text, blocks=blocks
        )

    _handle(services, body, context, respond, post)


def comment(services: Services, ack, body: dict, client: WebClient, context, respond) -> None:
    """Open the comment modal for an area, prefilled with the member's current answer and comment."""
    ack()

    def open_modal(click: Click) -> None:
        current = services.stores.answers.answer(
            click.round.team_id, click.round.id, click.participant.user_id, click.value.area_id
        )
        view = view_blocks.comment_modal(
            framework=click.framework,
            area=click.framework.area(click.value.area_id),
            round_id=click.round.id,
            current_level=current.level if current else None,
            current_comment=current.comment if current else None,
        )
        client.views_open(trigger_id=body["trigger_id"], view=view)

    _handle(services, body, context, respond, open_modal)


HOME_DONE = {
    values.HOME_SUMMARY: "Summary posted in <#{channel}>.",
    values.HOME_REMIND: "Reminded {count} member(s) in <#{channel}>.",
    values.HOME_CLOSE: "Round in <#{channel}> closed; the final summary is posted.",
}


def home_action(services: Services, ack, body: dict, client: WebClient, context, respond) -> None:
    """The facilitator's buttons on the App Home: summary now, remind, targets, close."""
    ack()
    action = body["actions"][0]
    user_id = body["user"]["id"]
    try:
        round_id = values.parse_round_value(action.get("value"))
    except values.BadValue:
        services.home.publish(client, context.team_id, user_id, notice=UNREADABLE)
        return
    round_ = services.stores.rounds.get(context.team_id, round_id)
    if round_ is None or not services.permissions.is_facilitator(
        client, context.team_id, round_.channel_id, user_id, round_
    ):
        services.home.publish(
            client,
            context.team_id,
            user_id,
            notice="Sorry, only the round's facilitators can do that. Nothing was changed.",
        )
        return
    kind = action["action_id"]
    if round_.status != "open":
        services.home.publish(client, context.team_id, user_id, notice="That round is already closed.")
        return
    count = 0
    if kind == values.HOME_SUMMARY:
        services.summaries.post(client, round_)
    elif kind == values.HOME_REMIND:
        count = services.reminders.remind_unfinished(client, round_)
    elif kind == values.HOME_CLOSE:
        services.summaries.close_round(client, round_)
    elif kind == values.HOME_TARGETS:
        framework = services.framework_of(round_)
        current = services.stores.targets.for_channel(round_.team_id, round_.channel_id, framework.id)
        client.views_open(
            trigger_id=body["trigger_id"],
            view=view_blocks.targets_modal(framework=framework, channel_id=round_.channel_id, current=current),
        )
    services.stores.audit.record(
        context.team_id, round_.channel_id, user_id, kind.removeprefix("home_"), "from the App Home", round_.id
    )
    notice = HOME_DONE.get(kind, "").format(channel=round_.channel_id, count=count) or None
    services.home.publish(client, context.team_id, user_id, notice=notice)


def forget_me(services: Services, ack, body: dict, client: WebClient, context, respond) -> None:
    """The confirmation of `/maturity forget me`: erase the member who clicked (only ever them: the button
    carries no one's id) and tell them what was deleted, in place of the question."""
    ack()
    user_id = body["user"]["id"]
    erased = services.data_protection.erase_member(context.team_id, user_id, by=user_id)
    done = erased.get(context.team_id)
    text = messages.forgotten(
        answers=done.answers if done else 0, comments=done.comments if done else 0, rounds=done.rounds if done else 0
    )
    respond(text=text, replace_original=True, response_type="ephemeral")
    services.home.publish(client, context.team_id, user_id)  # their Home stops showing their progress


def forget_cancel(services: Services, ack, respond, **_) -> None:
    ack()
    respond(text="Nothing was deleted.", replace_original=True, response_type="ephemeral")


def action_button(services: Services, ack, body: dict, client: WebClient, context, respond) -> None:
    """An action owner's buttons: Mark done (the message shows it done), Change date and Hand over (a form
    each). Only the owner and the channel's facilitators may use them."""
    ack()
    button = body["actions"][0]
    user_id = body["user"]["id"]
    try:
        item = services.stores.plan.get(context.team_id, values.parse_action_value(button.get("value")))
    except values.BadValue:
        item = None
    if item is None:
        respond(text=UNREADABLE, response_type="ephemeral", replace_original=False)
        return
    if not services.plan.may_change(client, item, user_id):
        respond(text=ACTION_NOT_YOURS, response_type="ephemeral", replace_original=False)
        return
    if item.status != "open":
        respond(text="That action is already done.", response_type="ephemeral", replace_original=False)
        return
    kind = button["action_id"]
    if kind == values.ACTION_DONE:
        done = services.stores.plan.mark_done(context.team_id, item.id, user_id) or item
        text, blocks = services.plan.owner_view(done, f"Done, marked by <@{user_id}>:")
        respond(text=text, blocks=blocks, replace_original=True)
    elif kind == values.ACTION_REDATE:
        client.views_open(trigger_id=body["trigger_id"], view=plan_blocks.date_form(item))
    elif kind == values.ACTION_HANDOVER:
        client.views_open(trigger_id=body["trigger_id"], view=plan_blocks.owner_form(item))


def add_action_button(services: Services, ack, body: dict, client: WebClient, context, respond) -> None:
    """ "Add an action" under a summary (or on the App Home): the form, for whoever may add actions there."""
    ack()
    user_id = body["user"]["id"]
    try:
        round_ = services.stores.rounds.get(context.team_id, values.parse_round_value(body["actions"][0].get("value")))
    except values.BadValue:
        round_ = None
    if round_ is None:
        respond(text=UNREADABLE, response_type="ephemeral", replace_original=False)
        return
    if not services.plan.may_add(client, context.team_id, round_.channel_id, user_id):
        respond(text=NOT_ALLOWED_TO_ADD, response_type="ephemeral", replace_original=False)
        return
    client.views_open(
        trigger_id=body["trigger_id"],
        view=plan_blocks.add_form(
            framework=services.framework_of(round_),
            channel_id=round_.channel_id,
            round_id=round_.id,
            area_id=None,
            aim=None,
            owner=user_id,
        ),
    )


ACTION_NOT_YOURS = "Only the action's owner and the channel's facilitators can change it. Nothing was changed."


def register(app: App, services: Services) -> None:
    handlers = {
        values.ANSWER_PATTERN: answer,
        values.SKIP: skip,
        values.CHANGE: change,
        values.CONTINUE: continue_,
        values.STOP_REMINDERS: stop_reminders,
        values.HELP: help_,
        values.COMMENT: comment,
        values.HOME_SUMMARY: home_action,
        values.HOME_REMIND: home_action,
        values.HOME_TARGETS: home_action,
        values.HOME_CLOSE: home_action,
        values.FORGET_ME: forget_me,
        values.FORGET_CANCEL: forget_cancel,
        values.ACTION_ADD: add_action_button,
        values.ACTION_DONE: action_button,
        values.ACTION_REDATE: action_button,
        values.ACTION_HANDOVER: action_button,
    }
    for action_id, handler in handlers.items():
        app.action(action_id)(listener(services, handler))
