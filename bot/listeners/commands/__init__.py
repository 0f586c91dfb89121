"""/maturity and its subcommands: routing here, the handlers in members.py and facilitation.py."""

from __future__ import annotations

from slack_bolt import App
from slack_sdk import WebClient

from ...blocks import messages
from ...blocks.text import cut
from ...services import Services
from ..binding import listener
from . import facilitation, members, plan

SUBCOMMANDS = {
    "start": members.start,
    "help": members.help_,
    "status": members.status,
    "forget": members.forget,
    "summary": facilitation.summary,
    "schedule": facilitation.schedule,
    "targets": facilitation.targets,
    "remind": facilitation.remind,
    "close": facilitation.close,
    "facilitators": facilitation.facilitators,
    "export": facilitation.export,
    "report": facilitation.report,
    "action": plan.action,
    "actions": plan.actions,
}


def maturity(services: Services, ack, command: dict, client: WebClient, context, respond) -> None:
    """Route `/maturity <subcommand> ...`; bare or unknown subcommands get the usage."""
    sub, _, rest = (command.get("text") or "").strip().partition(" ")
    handler = SUBCOMMANDS.get(sub.lower())
    if handler is None:
        problem = f"I don't know “{cut(sub)}”." if sub else None  # plain text: usage() escapes it
        text, blocks = messages.usage(problem)
        ack(text=text, blocks=blocks)
        return
    handler(services, ack=ack, args=rest.strip(), command=command, client=client, context=context, respond=respond)


def register(app: App, services: Services) -> None:
    app.command("/maturity")(listener(services, maturity))
