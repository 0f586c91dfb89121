"""The facilitator's subcommands: summary, schedule, targets, remind and close.

Each acknowledges Slack first, then checks that the caller facilitates the channel's round; anyone else
gets a polite ephemeral refusal and nothing changes.
"""

from __future__ import annotations

import logging
import re

from slack_sdk import WebClient

from storage.kinds import RoundStatus
from storage.models import Round, utcnow

from ...blocks import messages
from ...blocks import views as view_blocks
from ...blocks.summary import held_back_text
from ...members import alphabetical
from ...schedules import ScheduleError, ScheduleSpec, check_timezone, format_moment, parse_schedule
from ...services import Services

log = logging.getLogger(__name__)

DEFAULT_TIMEZONE = "Europe/London"


def _say(respond, text: str) -> None:
    text, blocks = messages.plain(text)
    respond(text=text, blocks=blocks, response_type="ephemeral")


def facilitated_round(
    services: Services, client: WebClient, context, command: dict, respond, *, open_only: bool
) -> Round | None:
    """The channel's round if the caller facilitates it; otherwise say why not and return None."""
    team_id, channel_id, user_id = context.team_id, command["channel_id"], command["user_id"]
    if open_only:
        round_ = services.stores.rounds.open_in_channel(team_id, channel_id)
    else:
        round_ = services.stores.rounds.latest_in_channel(team_id, channel_id)
    if round_ is None:
        _say(respond, "There is no open round in this channel. Start one with `/maturity start`.")
        return None
    if not services.permissions.is_facilitator(client, team_id, channel_id, user_id, round_):
        _say(respond, refusal(round_))
        return None
    return round_


def refusal(round_: Round) -> str:
    return f"Sorry, only the round's facilitators can do that (<@{round_.started_by}> started it). Nothing was changed."


def audit(
    services: Services, command: dict, context, action: str, detail: str = "", round_: Round | None = None
) -> None:
    services.stores.audit.record(
        context.team_id, command["channel_id"], command["user_id"], action, detail, round_.id if round_ else None
    )


def user_timezone(client: WebClient, user_id: str) -> str:
    """The member's Slack time zone (users.info), or Europe/London when Slack gives none we know."""
    try:
        return check_timezone(client.users_info(user=user_id)["user"].get("tz") or DEFAULT_TIMEZONE)
    except (ScheduleError, KeyError):
        return DEFAULT_TIMEZONE


def summary(services: Services, *, ack, command: dict, client: WebClient, context, respond, **_) -> None:
    """Post the channel's summary now; tell the facilitator (only) who has not finished."""
    ack()
    round_ = facilitated_round(services, client, context, command, respond, open_only=False)
    if round_ is None:
        return
    services.summaries.post(client, round_, final=round_.status == RoundStatus.CLOSED)
    audit(services, command, context, "summary", round_=round_)
    unfinished = [
        m.user_id
        for m in services.stores.answers.team_progress(round_.team_id, round_.id)
        if m.status(round_.area_count) != "complete"
    ]
    note = "Summary posted."
    if unfinished and round_.status == RoundStatus.OPEN:
        unfinished = alphabetical(client, unfinished)
        note += " Still to finish (only you see this): " + ", ".join(f"<@{u}>" for u in unfinished)
    held = held_back_text(services.results.compute(round_, publish=False))
    if held:
        note += f"\n{held}"
    _say(respond, note)


def schedule(services: Services, *, ack, args: str, command: dict, client: WebClient, context, respond) -> None:
    """Show, set or remove the channel's summary schedule."""
    ack()
    team_id, channel_id = context.team_id, command["channel_id"]
    current = services.stores.schedules.schedule(team_id, channel_id)
    if not args:
        if current is None:
            _say(respond, "No summary schedule in this channel. Set one with `/maturity schedule weekly mon 09:00`.")
        else:
            spec = ScheduleSpec(current.frequency, current.day, current.time, current.timezone)
            _say(
                respond,
                f"Summaries are posted {spec.describe()}. Next: {format_moment(spec.next_run(utcnow()), spec.timezone)}.",
            )
        return
    round_ = facilitated_round(services, client, context, command, respond, open_only=False)
    if round_ is None:
        return
    if args.lower() == "off":
        removed = services.stores.schedules.remove_schedule(team_id, channel_id)
        audit(services, command, context, "schedule", "off", round_)
        _say(respond, "Scheduled summaries are off." if removed else "There was no schedule to turn off.")
        return
    try:
        spec = parse_schedule(args, default_timezone=user_timezone(client, command["user_id"]))
    except ScheduleError as error:
        _say(respond, str(error))
        return
    services.stores.schedules.set_schedule(
        team_id,
        channel_id,
        frequency=spec.frequency,
        day=spec.day,
        time=spec.time,
        timezone=spec.timezone,
        created_by=command["user_id"],
    )
    audit(services, command, context, "schedule", spec.describe(), round_)
    _say(
        respond,
        f"Summaries will be posted here {spec.describe()}. Next: {format_moment(spec.next_run(utcnow()), spec.timezone)}.",
    )


def targets(services: Services, *, ack, command: dict, client: WebClient, context, respond, **_) -> None:
    """Open the targets form: one level per area, the current targets preselected."""
    ack()
    round_ = facilitated_round(services, client, context, command, respond, open_only=False)
    if round_ is None:
        return
    framework = services.framework_of(round_)
    current = services.stores.targets.for_channel(round_.team_id, round_.channel_id, framework.id)
    view = view_blocks.targets_modal(framework=framework, channel_id=round_.channel_id, current=current)
    client.views_open(trigger_id=command["trigger_id"], view=view)
    audit(services, command, context, "targets", "opened the targets form", round_)


def remind(services: Services, *, ack, command: dict, client: WebClient, context, respond, **_) -> None:
    """Nudge every unfinished member in their own thread."""
    ack()
    round_ = facilitated_round(services, client, context, command, respond, open_only=True)
    if round_ is None:
        return
    count = services.reminders.remind_unfinished(client, round_)
    audit(services, command, context, "remind", f"{count} reminded", round_)
    _say(
        respond,
        f"Reminded {count} member{'s' if count != 1 else ''} who have not finished."
        if count
        else "Everyone has finished (or asked not to be reminded).",
    )


def close(services: Services, *, ack, command: dict, client: WebClient, context, respond, **_) -> None:
    """Close the round and post the final summary."""
    ack()
    round_ = facilitated_round(services, client, context, command, respond, open_only=True)
    if round_ is None:
        return
    closed = services.summaries.close_round(client, round_)
    if closed is None:
        _say(respond, "This round was already closed.")
        return
    audit(services, command, context, "close", round_=closed)
    _say(respond, "The round is closed and the final summary is posted. `/maturity start` begins the next round.")


USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")


def facilitators(services: Services, *, ack, args: str, command: dict, client: WebClient, context, respond) -> None:
    """`/maturity facilitators [add|remove @user]`: list or change the channel's extra facilitators."""
    ack()
    team_id, channel_id, user_id = context.team_id, command["channel_id"], command["user_id"]
    verb, _, rest = args.partition(" ")
    verb = verb.lower()
    if verb not in ("", "add", "remove"):
        _say(
            respond,
            "Use `/maturity facilitators`, `/maturity facilitators add @someone` or `/maturity facilitators remove @someone`.",
        )
        return
    if verb:
        round_ = services.stores.rounds.latest_in_channel(team_id, channel_id)
        if not services.permissions.is_facilitator(client, team_id, channel_id, user_id, round_):
            _say(respond, "Sorry, only this channel's facilitators can change who facilitates. Nothing was changed.")
            return
        people = USER_MENTION.findall(rest)
        if not people:
            _say(respond, f"Mention the people to {verb}, e.g. `/maturity facilitators {verb} @alex`.")
            return
        for person in people:
            changed = (
                services.stores.facilitators.add(team_id, channel_id, person, user_id)
                if verb == "add"
                else services.stores.facilitators.remove(team_id, channel_id, person)
            )
            if changed:
                services.stores.audit.record(
                    team_id, channel_id, user_id, f"facilitators {verb}", f"<@{person}>", round_.id if round_ else None
                )
    extra = services.stores.facilitators.facilitators(team_id, channel_id)
    listed = ", ".join(f"<@{u}>" for u in extra) if extra else "none"
    _say(
        respond,
        f"Extra facilitators in this channel: {listed}. The member who starts a round and workspace admins facilitate too.",
    )


def export(services: Services, *, ack, args: str, command: dict, client: WebClient, context, respond) -> None:
    """`/maturity export [round N]`: the round's answers and summary as CSV files, in the caller's DM."""
    ack()
    team_id, channel_id = context.team_id, command["channel_id"]
    number = args.lower().removeprefix("round").strip()
    if number:
        if not (number.isascii() and number.isdigit()):
            _say(respond, "Use `/maturity export` for the current round, or `/maturity export round 2`.")
            return
        round_ = services.stores.rounds.by_number(team_id, channel_id, int(number))
        if round_ is None:
            _say(respond, f"This channel has no round {number}.")
            return
        if not services.permissions.is_facilitator(client, team_id, channel_id, command["user_id"], round_):
            _say(respond, refusal(round_))
            return
    else:
        round_ = facilitated_round(services, client, context, command, respond, open_only=False)
        if round_ is None:
            return
    sent = services.uploads.export(client, round_, command["user_id"])
    audit(services, command, context, "export", f"round {services.stores.rounds.number(round_)}", round_)
    if sent is None:
        _say(respond, "Slack is not taking files right now; the CSV files will reach our direct messages shortly.")
        return
    _say(respond, "The CSV files are in our direct messages.")


def report(services: Services, *, ack, command: dict, client: WebClient, context, respond, **_) -> None:
    """`/maturity report`: the round's PDF report for leaders, in the thread of its latest summary."""
    ack()
    round_ = facilitated_round(services, client, context, command, respond, open_only=False)
    if round_ is None:
        return
    latest = services.stores.outbox.latest_summary(round_.team_id, round_.id)
    thread_ts = (
        latest.ts if latest else services.summaries.post(client, round_, final=round_.status == RoundStatus.CLOSED)
    )
    if thread_ts is None:
        _say(
            respond,
            "Slack is not taking messages right now; the summary is queued. Try `/maturity report` again shortly.",
        )
        return
    sent = services.uploads.report(client, round_, thread_ts)
    audit(services, command, context, "report", f"round {services.stores.rounds.number(round_)}", round_)
    if sent is None:
        _say(respond, "Slack is not taking files right now; the report will reach the summary's thread shortly.")
        return
    _say(respond, "The report (PDF) is in the summary's thread.")
