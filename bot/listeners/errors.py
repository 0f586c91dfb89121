"""When a listener fails after Slack was acknowledged, the person is told in one line, never left with
silence, and the error is logged with what it was about (never the request body)."""

from __future__ import annotations

import logging

from slack_sdk import WebClient

from storage.db import database_unreachable

from ..services import Services
from ..walkthrough import StoredButNotShown

log = logging.getLogger(__name__)

FAILED = (
    "Sorry, something went wrong on my side and I couldn't finish that. Whatever you had already "
    "entered is kept; please try again in a minute."
)

# The database is unreachable (stopped, restarting, the network to it down): the listener could not
# record anything, so the person is told that plainly and asked to try again.
NOT_RECORDED = "I couldn't record that just now, so nothing was saved. Please try again in a minute."

# What the person entered is stored; only showing it (the next prompt, the answered prompt) failed, and the
# outbox and the clock's sweep finish that without them.
STORED_NOT_SHOWN = (
    "Your answer is saved, but I couldn't update this conversation just now. It will catch up within a "
    "minute; there is no need to answer again."
)


def tell_person_it_failed(
    services: Services, error: Exception, body: dict, context, respond, client: WebClient
) -> None:
    """bolt's error handler: log the failure with its context, then tell the person who acted, ephemerally
    where Slack allows it (a response_url), else in their direct messages with the bot."""
    user_id = _user_of(body)
    log.error(
        "%s failed for %s in workspace %s: %s",
        _what(body),
        user_id or "nobody",
        getattr(context, "team_id", None) or "?",
        type(error.__cause__ if isinstance(error, StoredButNotShown) else error).__name__,
        exc_info=error,
    )
    if isinstance(error, StoredButNotShown):
        text = STORED_NOT_SHOWN
    else:
        text = NOT_RECORDED if database_unreachable(error) else FAILED
    try:
        if respond is not None and getattr(respond, "response_url", None):  # a modal's submission has none
            respond(text=text, response_type="ephemeral", replace_original=False)
        elif user_id and client is not None:
            client.chat_postMessage(channel=user_id, text=text)
    except Exception as telling:
        log.warning("could not tell %s that it failed: %s", user_id, type(telling).__name__)


def _user_of(body: dict) -> str | None:
    user = body.get("user")
    if isinstance(user, dict):
        return user.get("id")
    return body.get("user_id") or (body.get("event") or {}).get("user")


def _what(body: dict) -> str:
    """A short name of the request: the command, the action id, the view's callback id or the event type."""
    if body.get("command"):
        return f"command {body['command']} {str(body.get('text') or '').split(' ')[0]}".strip()
    if body.get("actions"):
        return f"action {body['actions'][0].get('action_id')}"
    if body.get("view") and body.get("type") == "view_submission":
        return f"view {body['view'].get('callback_id')}"
    if body.get("event"):
        return f"event {body['event'].get('type')}"
    return str(body.get("type") or "request")
