"""`/maturity action add <area words>` and `/maturity actions [members on|off]`: the channel's action plan."""

from __future__ import annotations

from slack_sdk import WebClient

from framework.search import find_areas
from storage.models import utcnow

from ...blocks import messages
from ...blocks import plan as plan_blocks
from ...blocks.text import cut
from ...plan import NOT_ALLOWED_TO_ADD
from ...services import Services

ACTION_USAGE = "Add an action with `/maturity action add <area words>`, e.g. `/maturity action add social value`."


def _say(respond, text: str) -> None:
    text, blocks = messages.plain(text)
    respond(text=text, blocks=blocks, response_type="ephemeral")


def action(services: Services, *, ack, args: str, command: dict, client: WebClient, context, respond) -> None:
    """Open the form that adds an action to the channel's plan, for the area the words name."""
    ack()
    verb, _, words = args.partition(" ")
    if verb.lower() != "add":
        _say(respond, ACTION_USAGE)
        return
    team_id, channel_id, user_id = context.team_id, command["channel_id"], command["user_id"]
    if channel_id.startswith("D"):
        _say(respond, "Add actions in your team's channel: each channel keeps its own action plan.")
        return
    if not services.plan.may_add(client, team_id, channel_id, user_id):
        _say(respond, NOT_ALLOWED_TO_ADD)
        return
    framework = services.framework_for_channel(team_id, channel_id)
    matches = find_areas(framework, words) if words.strip() else []
    if len(matches) != 1:
        named = f"“{cut(words.strip())}”" if words.strip() else "nothing"
        closest = ", ".join(f"`{area.id}`" for area in matches[:5]) or "`/maturity help` lists them"
        _say(respond, f"I need one area, and {named} names {len(matches) or 'none'}. Areas: {closest}.")
        return
    area = matches[0]
    round_ = services.stores.rounds.latest_in_channel(team_id, channel_id)
    aim = services.stores.targets.for_channel(team_id, channel_id, framework.id).get(area.id)
    client.views_open(
        trigger_id=command["trigger_id"],
        view=plan_blocks.add_form(
            framework=framework,
            channel_id=channel_id,
            round_id=round_.id if round_ is not None else None,
            area_id=area.id,
            aim=aim,
            owner=user_id,
        ),
    )


def actions(services: Services, *, ack, args: str, command: dict, client: WebClient, context, respond) -> None:
    """List the channel's open actions, or (a facilitator) let members add actions or not."""
    ack()
    team_id, channel_id, user_id = context.team_id, command["channel_id"], command["user_id"]
    setting = args.lower().split()
    if setting[:1] == ["members"]:
        round_ = services.stores.rounds.latest_in_channel(team_id, channel_id)
        if not services.permissions.is_facilitator(client, team_id, channel_id, user_id, round_):
            _say(respond, "Only the channel's facilitators can change who adds actions. Nothing was changed.")
            return
        if setting[1:] not in (["on"], ["off"]):
            _say(respond, "Say `/maturity actions members on` or `/maturity actions members off`.")
            return
        allowed = setting[1] == "on"
        services.stores.plan.set_members_may_add(team_id, channel_id, allowed, user_id)
        _say(respond, "Members can now add actions." if allowed else "Only facilitators can add actions now.")
        return
    if setting:
        _say(respond, f"{ACTION_USAGE} `/maturity actions` lists the channel's open actions.")
        return
    items = services.stores.plan.for_channel(team_id, channel_id)
    text, blocks = plan_blocks.plan_text(services.frameworks, channel_id, items, utcnow().date())
    respond(text=text, blocks=blocks, response_type="ephemeral")
