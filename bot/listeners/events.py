"""Events: mentions in channels and direct messages to the bot.

Slack delivers events at least once. bolt acknowledges an event before its listener runs; the listener
then records the first delivery of the event id in the database and drops later deliveries (Slack's
retries). That check is in the listener, after the ack, never in a middleware before it: a database that
has gone away must not keep Slack from its answer.
"""

from __future__ import annotations

import logging
import re

from slack_bolt import App
from slack_sdk import WebClient

from ..blocks import help as help_blocks
from ..blocks import messages
from ..services import Services
from .binding import listener

log = logging.getLogger(__name__)

MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


def app_mention(services: Services, body: dict, event: dict, client: WebClient, context) -> None:
    """`@bot help <words>` answers in a thread under the mention; anything else gets a short hint."""
    if not first_delivery(services, body):
        return
    words = MENTION.sub("", event.get("text") or "").strip()
    command, _, query = words.partition(" ")
    thread_ts = event.get("thread_ts") or event["ts"]
    if command.lower() == "help":
        framework = services.framework_for_channel(context.team_id, event["channel"], event.get("user"))
        text, blocks = help_blocks.help_for(framework, query)
    else:
        text, blocks = messages.plain(
            "Ask me about an area with `@me help <words>` (e.g. `help social value`), or use `/maturity`."
        )
    client.chat_postMessage(channel=event["channel"], thread_ts=thread_ts, text=text, blocks=blocks)


def direct_message(services: Services, body: dict, event: dict, client: WebClient, context) -> None:
    """A message to the bot resumes the member's open walk-throughs where they left off."""
    if event.get("subtype") or event.get("bot_id") or event.get("channel_type") != "im":
        return
    if not first_delivery(services, body):
        return
    user_id = event.get("user")
    rounds = services.stores.rounds.open_for_member(context.team_id, user_id)
    if not rounds:
        client.chat_postMessage(
            channel=event["channel"],
            text="You have no open self-assessment right now. A facilitator starts one with `/maturity start` in a team channel.",
        )
        return
    for round_ in rounds:
        participant = services.stores.answers.participant(context.team_id, round_.id, user_id)
        services.walkthrough.show_pending(client, round_, participant)
        outcome = services.walkthrough.resume(client, round_, participant)
        if outcome == "complete":
            client.chat_postMessage(
                channel=participant.dm_channel_id,
                thread_ts=participant.thread_ts,
                text="You have answered every area in this round. Use an area's *Change* button to change an answer.",
            )


def app_home_opened(services: Services, body: dict, event: dict, client: WebClient, context) -> None:
    if event.get("tab", "home") == "home" and first_delivery(services, body):
        services.home.publish(client, context.team_id, event["user"])


def uninstalled(services: Services, body: dict, event: dict, context, installation_store=None) -> None:
    """app_uninstalled / tokens_revoked: forget the installation and stop the workspace's schedules. Its
    assessment data stays for export unless MATURITY_DELETE_ON_UNINSTALL=true."""
    if not first_delivery(services, body):
        return
    team_id, enterprise_id = context.team_id, context.enterprise_id
    if installation_store is not None:
        if event["type"] == "app_uninstalled":
            installation_store.delete_all(enterprise_id=enterprise_id, team_id=team_id)
        elif (event.get("tokens") or {}).get("bot"):
            installation_store.delete_bot(enterprise_id=enterprise_id, team_id=team_id)
    if event["type"] == "app_uninstalled" or (event.get("tokens") or {}).get("bot"):
        stopped = services.stores.workspaces.stop_schedules(team_id)
        log.info("workspace %s: installation removed, %d schedule(s) stopped", team_id, stopped)
        if services.settings.maturity_delete_on_uninstall and event["type"] == "app_uninstalled":
            services.stores.workspaces.delete_all(team_id)
            log.info("workspace %s: assessment data deleted (MATURITY_DELETE_ON_UNINSTALL)", team_id)


def first_delivery(services: Services, body: dict) -> bool:
    """Whether this is the first delivery of the event (Slack retries an event it thinks was missed)."""
    if body.get("type") != "event_callback" or not body.get("event_id"):
        return True
    if not services.stores.events.first_delivery(body.get("team_id") or "", body["event_id"]):
        log.info("dropped a redelivered event %s", body["event_id"])
        return False
    return True


def register(app: App, services: Services) -> None:
    """Event listeners are acknowledged by bolt itself (events need no ack of ours)."""
    app.event("app_mention")(listener(services, app_mention))
    app.event("app_home_opened")(listener(services, app_home_opened))
    app.event("message")(listener(services, direct_message))
    for name in ("app_uninstalled", "tokens_revoked"):
        app.event(name)(listener(services, uninstalled, installation_store=app.installation_store))
