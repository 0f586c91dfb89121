"""Who takes part in a round: the channel's human members, read through the Web API."""

from __future__ import annotations

from slack_sdk import WebClient

PAGE_SIZE = 200


def channel_members(client: WebClient, channel_id: str) -> list[str]:
    """Every member id of a channel, following conversations.members' cursor pagination."""
    members: list[str] = []
    for page in client.conversations_members(channel=channel_id, limit=PAGE_SIZE):
        members.extend(page.get("members", []))
    return members


def human_members(client: WebClient, channel_id: str, *, bot_user_id: str | None = None) -> list[str]:
    """The channel's members who are people: not bots, not Slackbot, not deactivated accounts."""
    humans = []
    for user_id in channel_members(client, channel_id):
        if user_id in (bot_user_id, "USLACKBOT"):
            continue
        user = client.users_info(user=user_id)["user"]
        if user.get("is_bot") or user.get("deleted") or user.get("is_app_user"):
            continue
        humans.append(user_id)
    return humans
