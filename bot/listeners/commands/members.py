"""The subcommands every member uses: start (or resume), help and status."""

from __future__ import annotations

import logging
import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from framework.models import Framework
from storage.models import Round, utcnow
from storage.rounds import RoundAlreadyOpen

from ...blocks import help as help_blocks
from ...blocks import messages
from ...blocks.summary import held_back_text
from ...blocks.text import echo, escape
from ...members import alphabetical, channel_and_team_names, human_members
from ...services import Services
from .facilitation import user_timezone

log = logging.getLogger(__name__)

INVITE_ERRORS = {"not_in_channel", "channel_not_found"}
ANNOUNCEMENT_FAILED = (
    "Slack did not take the round's announcement just now, so no round was started and nobody was messaged. "
    "Try `/maturity start` again in a minute."
)


def invite_message(channel_id: str) -> str:
    return (
        f"I can't read or post in <#{channel_id}> yet, so no round was started. Invite me to the channel "
        "(type `/invite @maturity-bot` there, or add the app from the channel's settings) and run "
        "`/maturity start` again."
    )


def start(services: Services, *, ack, args: str, command: dict, client: WebClient, context, respond) -> None:
    """Start a round for the channel's human members, or resume the caller's walk-through if one is open."""
    ack()
    team_id, channel_id, user_id = context.team_id, command["channel_id"], command["user_id"]
    try:
        chosen, args = chosen_framework(services, args)
    except ValueError as error:
        respond(text=str(error), response_type="ephemeral")
        return
    named = args.lower() == "named" or args.lower().startswith("named ")
    if named:
        args = args[len("named") :].strip()
    closing = None
    if args:
        try:
            closing = closing_date(args, user_timezone(client, user_id))
        except ValueError as error:
            respond(text=str(error), response_type="ephemeral")
            return
    if channel_id.startswith("D"):
        respond(text="Start a round in your team's channel, not in a direct message.", response_type="ephemeral")
        return
    existing = services.stores.rounds.open_in_channel(team_id, channel_id)
    if existing is not None:
        _join_open_round(services, existing, user_id, client, respond)
        return
    try:
        members = human_members(client, channel_id, bot_user_id=context.bot_user_id)
    except SlackApiError as error:
        if error.response.get("error") in INVITE_ERRORS:
            respond(text=invite_message(channel_id), response_type="ephemeral")
            return
        raise
    if not members:
        respond(text="There is nobody in this channel to assess yet.", response_type="ephemeral")
        return
    channel_name, team_name = channel_and_team_names(client, channel_id)
    framework = chosen or services.framework_for_channel(team_id, channel_id)  # else the channel's last choice
    try:
        round_ = services.stores.rounds.start(
            channel_name=channel_name,
            team_name=team_name,
            team_id=team_id,
            enterprise_id=context.enterprise_id,
            channel_id=channel_id,
            framework=framework,
            started_by=user_id,
            members=members,
            anonymous=not named,
            kickoff=services.walkthrough.kickoff_message,
        )
    except RoundAlreadyOpen as already:
        _join_open_round(services, already.round, user_id, client, respond)
        return
    if closing is not None:
        services.stores.rounds.set_closing(team_id, round_.id, closing[0], closing[1])
    text, blocks = messages.announcement(
        framework=framework,
        frameworks=services.frameworks,
        started_by=user_id,
        member_count=len(members),
        closes_on=closing[0] if closing else None,
        promised=_promised_last_round(services, round_),
        today=utcnow().date(),
    )
    try:
        client.chat_postMessage(channel=channel_id, text=text, blocks=blocks)
    except SlackApiError as error:
        services.stores.rounds.discard(team_id, round_.id)
        if error.response.get("error") in INVITE_ERRORS:
            respond(text=invite_message(channel_id), response_type="ephemeral")
            return
        log.warning("the announcement of a new round failed: %s", error.response.get("error"))
        respond(text=ANNOUNCEMENT_FAILED, response_type="ephemeral")
        return
    services.stores.audit.record(
        team_id,
        channel_id,
        user_id,
        "start",
        ("named" if named else "anonymous") + (f", closes {closing[0]}" if closing else ""),
        round_.id,
    )
    services.walkthrough.kickoff(client, round_)


def chosen_framework(services: Services, args: str) -> tuple[Framework | None, str]:
    """`framework <id>` at the start of the arguments: (that framework, the rest), or (None, args) when the
    facilitator did not choose. An id the deployment does not have is a ValueError listing the ones it has."""
    words = args.split()
    if not words or words[0].lower() != "framework":
        return None, args
    known = ", ".join(f"`{f.id}` ({escape(f.title)})" for f in services.frameworks.frameworks)
    if len(words) < 2:
        raise ValueError(f"Which framework? Type `/maturity start framework <id>`; the frameworks are {known}.")
    framework = services.frameworks.get(words[1])
    if framework is None:
        raise ValueError(f"There is no framework `{echo(words[1])}`. The frameworks are {known}.")
    return framework, " ".join(words[2:])


def closing_date(args: str, timezone: str) -> tuple[date, datetime, str]:
    """`closes YYYY-MM-DD`: the date, the moment it ends in the facilitator's time zone (UTC), the zone.
    A ValueError's message is mrkdwn, the member's words in it cut and escaped."""
    match = re.fullmatch(r"closes\s+(\d{4}-\d{2}-\d{2})", args.strip(), flags=re.IGNORECASE)
    if not match:
        raise ValueError(
            f"I don't understand “{echo(args)}”. Use `/maturity start`, `/maturity start closes 2026-12-31` or "
            "`/maturity start named` (exports then show names)."
        )
    try:
        closes_on = date.fromisoformat(match.group(1))
    except ValueError:
        raise ValueError(f"“{echo(match.group(1))}” is not a date. Use the form YYYY-MM-DD, e.g. 2026-12-31.") from None
    zone = ZoneInfo(timezone)
    if closes_on < datetime.now(zone).date():
        raise ValueError(f"{closes_on:%-d %B %Y} has passed: choose a closing date from today on.")
    closes_at = datetime.combine(closes_on + timedelta(days=1), time(0, 0), tzinfo=zone).astimezone(UTC)
    return closes_on, closes_at, timezone


def _join_open_round(services: Services, round_: Round, user_id: str, client: WebClient, respond) -> None:
    """A second start: say a round is open and pick the caller's walk-through up where they left off."""
    participant = services.stores.answers.participant(round_.team_id, round_.id, user_id)
    if participant is None:
        participant = services.stores.answers.add_participant(round_, user_id)
    outcome = services.walkthrough.resume(client, round_, participant)
    note = (
        "your walk-through is complete"
        if outcome == "complete"
        else "I've picked up your walk-through in our direct messages"
    )
    respond(
        text=f"A round is already open in this channel (started by <@{round_.started_by}>); {note}.",
        response_type="ephemeral",
    )


def help_(services: Services, *, ack, args: str, command: dict, context, **_) -> None:
    """`/maturity help [words]`: the list of areas, or one area's description and help, in the framework the
    channel works in (in a direct message, that of the member's newest open round)."""
    framework = services.framework_for_channel(context.team_id, command["channel_id"], command["user_id"])
    text, blocks = help_blocks.help_for(framework, args)
    ack(text=text, blocks=blocks)


def status(services: Services, *, ack, command: dict, client: WebClient, context, respond, **_) -> None:
    """The caller's own progress, and the team's for the facilitator."""
    ack()
    team_id, channel_id, user_id = context.team_id, command["channel_id"], command["user_id"]
    round_ = services.stores.rounds.open_in_channel(team_id, channel_id)
    if round_ is None:
        respond(
            text="There is no open round in this channel. Start one with `/maturity start`.", response_type="ephemeral"
        )
        return
    total = round_.area_count
    lines = []
    if services.stores.answers.participant(team_id, round_.id, user_id) is not None:
        progress = services.walkthrough.progress(round_, user_id)
        lines.append(messages.member_status(channel_id=channel_id, done=progress.done, total=total))
    if services.permissions.is_facilitator(client, team_id, channel_id, user_id, round_):
        team = services.stores.answers.team_progress(team_id, round_.id)
        counts = {"complete": 0, "in progress": 0, "not started": 0}
        for member in team:
            counts[member.status(total)] += 1
        unfinished = alphabetical(client, [m.user_id for m in team if m.status(total) != "complete"])
        lines.append(messages.team_status(counts=counts, unfinished=unfinished, total_members=len(team)))
        held = held_back_text(services.results.compute(round_, publish=False))
        if held:
            lines.append(held)
        lines.append(messages.audit_lines(services.stores.audit.recent(team_id, channel_id)))
    if not lines:
        lines.append("You are not part of the open round in this channel. Run `/maturity start` to join it.")
    text, blocks = messages.plain("\n".join(lines))
    respond(text=text, blocks=blocks, response_type="ephemeral")


def forget(services: Services, *, ack, args: str, **_) -> None:
    """`/maturity forget me`: say what erasure deletes and what stays, and ask to confirm (bot/listeners/
    actions.py `forget_me` does it). Anything but "me" gets the usage: nobody can forget someone else here."""
    if args.strip().lower() != "me":
        text, blocks = messages.usage("To delete your own answers, type `/maturity forget me`.")
        ack(text=text, blocks=blocks)
        return
    text, blocks = messages.forget_confirmation()
    ack(text=text, blocks=blocks)


def _promised_last_round(services: Services, round_: Round) -> list:
    """The actions agreed in the channel's previous round, for the new round's announcement."""
    previous = services.stores.rounds.previous_closed(round_)
    return services.stores.plan.of_round(round_.team_id, previous.id) if previous is not None else []
