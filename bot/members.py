"""Who takes part in a round (the channel's human members) and where (the channel's and workspace's names),
read through the Web API."""

from __future__ import annotations

import logging
import unicodedata

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

# Slack's lists return up to 1,000 items a page. Each page is a call against the method's tier (users.list is
# Tier 2, about 20 a minute), so big pages read a 10,000-person workspace in 10 calls rather than 50.
PAGE_SIZE = 1000


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


def display_names(client: WebClient, user_ids: list[str]) -> dict[str, str]:
    """{user id: the name Slack shows for them}: the profile's display name, else the real name, else the
    user name; the user id for someone Slack will not describe. Up to LOOKUP_ONE_BY_ONE people are looked up
    one by one (users.info), more through the workspace's user list in pages."""
    wanted = list(dict.fromkeys(user_ids))
    users: dict[str, dict] = {}
    if len(wanted) <= LOOKUP_ONE_BY_ONE:
        for user_id in wanted:
            try:
                users[user_id] = client.users_info(user=user_id)["user"]
            except SlackApiError as error:
                log.warning("could not read a member's name: %s", error.response.get("error"))
    else:
        looked_for = set(wanted)
        try:
            for page in client.users_list(limit=PAGE_SIZE):
                users.update({u["id"]: u for u in page.get("members", []) if u["id"] in looked_for})
        except SlackApiError as error:
            log.warning("could not read the members' names: %s", error.response.get("error"))
    return {user_id: shown_name(users.get(user_id) or {}) or user_id for user_id in wanted}


def shown_name(user: dict) -> str:
    """The name Slack shows for a user object (users.info): display name, real name or user name."""
    profile = user.get("profile") or {}
    for name in (profile.get("display_name"), profile.get("real_name"), user.get("real_name"), user.get("name")):
        if name and name.strip():
            return name.strip()
    return ""


def alphabetical(client: WebClient, user_ids: list[str]) -> list[str]:
    """The user ids in the alphabetical order of the names Slack shows for them (case and accents aside, then
    by id), never the order Slack lists a channel in, which would tell who is who in a list of pseudonyms."""
    names = display_names(client, user_ids)
    return sorted(dict.fromkeys(user_ids), key=lambda user_id: (sort_key(names[user_id]), user_id))


def sort_key(name: str) -> str:
    """A name as compared alphabetically: accents dropped, case folded ("Émile" sorts with "emile")."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


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
