"""Who takes part in a round (the channel's human members) and where (the channel's and workspace's names),
read through the Web API."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

PAGE_SIZE = 200


def channel_members(client: WebClient, channel_id: str) -> list[str]:
    """Every member id of a channel, following conversations.members' cursor pagination."""
    members: list[str] = []
    for page in client.conversations_members(channel=channel_id, limit=PAGE_SIZE):
        members.extend(page.get("members", []))
    return members


# Up to this many members are looked up one by one (users.info); a bigger channel reads the workspace's
# user list in pages (users.list), which takes far fewer calls under Slack's rate limits.
LOOKUP_ONE_BY_ONE = 50


def human_members(client: WebClient, channel_id: str, *, bot_user_id: str | None = None) -> list[str]:
    """The channel's members who are people: not bots, not Slackbot, not deactivated accounts."""
    members = [u for u in channel_members(client, channel_id) if u not in (bot_user_id, "USLACKBOT")]
    if len(members) <= LOOKUP_ONE_BY_ONE:
        users = {user_id: client.users_info(user=user_id)["user"] for user_id in members}
    else:
        wanted = set(members)
        users = {}
        for page in client.users_list(limit=PAGE_SIZE):
            users.update({u["id"]: u for u in page.get("members", []) if u["id"] in wanted})
    return [user_id for user_id in members if user_id in users and _is_person(users[user_id])]


def _is_person(user: dict) -> bool:
    return not (user.get("is_bot") or user.get("deleted") or user.get("is_app_user"))


def channel_and_team_names(client: WebClient, channel_id: str) -> tuple[str | None, str | None]:
    """The channel's and the workspace's names as Slack has them now (conversations.info, team.info), to
    be recorded with a round; None for a name Slack would not give."""
    names: list[str | None] = []
    for call, pick in (
        (lambda: client.conversations_info(channel=channel_id), lambda r: r["channel"].get("name")),
        (lambda: client.team_info(), lambda r: r["team"].get("name")),
    ):
        try:
            names.append(pick(call()))
        except SlackApiError as error:
            log.warning("could not read a name for a new round: %s", error.response.get("error"))
            names.append(None)
    return names[0], names[1]
