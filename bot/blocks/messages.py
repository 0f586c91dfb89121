"""Channel and ephemeral messages: usage, the round announcement, status."""

from __future__ import annotations

from datetime import date

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from framework.library import FrameworkLibrary
from framework.models import Framework
from framework.progress import progress_bar
from storage.kinds import ActionStatus
from storage.models import ActionItem

from .. import values
from .plan import describe
from .text import cut_mrkdwn, escape, sections, to_dicts

USAGE = (
    "*How to use* `/maturity`\n"
    "• `/maturity start`: start a self-assessment round for everyone in this channel\n"
    "• `/maturity help`: list the areas; `/maturity help <words>` explains one, e.g. `/maturity help risk`\n"
    "• `/maturity status`: your progress (and the team's, for the facilitator)\n"
    "• `/maturity forget me`: delete your answers (you are asked to confirm first)\n"
    "Facilitators: `/maturity start [framework <id>] [named] [closes YYYY-MM-DD]` (the framework: the channel's "
    "last one unless you name another), `summary`, `schedule`, `targets`, `remind`, "
    "`close`, `export [round N]`, `report`, `facilitators [add|remove @someone]`\n"
    "Action plan: `/maturity action add <area words>` adds an action (facilitators, or members where allowed); "
    "`/maturity actions` lists the open ones; `/maturity actions members on|off` lets members add them\n"
    "You can also mention me with `help <words>` in a channel, or message me directly to pick up where you left off."
)


def usage(problem: str | None = None) -> tuple[str, list[dict]]:
    text = (f"{escape(problem)}\n\n" if problem else "") + USAGE
    return "How to use /maturity", to_dicts(sections(text))


def announcement(
    *,
    framework: Framework,
    frameworks: FrameworkLibrary,
    started_by: str,
    member_count: int,
    closes_on: date | None = None,
    promised: list[ActionItem] = (),
    today: date | None = None,
) -> tuple[str, list[dict]]:
    """The round's announcement in the channel; with `promised` (the actions agreed in the channel's previous
    round), what became of them, so the team starts from what it said it would do."""
    closing = f" The round closes at the end of {closes_on:%-d %B %Y}." if closes_on else ""
    text = (
        f"<@{started_by}> started a maturity self-assessment round: *{len(framework.areas)} areas* of "
        f"{escape(framework.title)}.\n"
        f"Everyone in this channel ({member_count} member{'s' if member_count != 1 else ''}) gets a direct "
        f"message from me to walk through the areas one at a time.{closing}"
    )
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=text)),
        ContextBlock(
            elements=[
                MarkdownTextObject(
                    text="Individual answers are not shown in the channel. Ask about an area any time with `/maturity help <words>`."
                )
            ]
        ),
    ]
    if promised:
        blocks.insert(
            1, SectionBlock(text=MarkdownTextObject(text=cut_mrkdwn(promised_text(frameworks, promised, today), 3000)))
        )
    return f"<@{started_by}> started a maturity self-assessment round", to_dicts(blocks)


def promised_text(frameworks: FrameworkLibrary, promised: list[ActionItem], today: date | None) -> str:
    """ "Last round the team agreed 3 actions: 1 done, 2 still open (1 overdue)", and the open ones."""
    today = today or date.today()
    still_open = [item for item in promised if item.status == ActionStatus.OPEN]
    overdue = sum(1 for item in still_open if item.due_on < today)
    agreed = f"{len(promised)} action{'s' if len(promised) != 1 else ''}"
    late = f" ({overdue} overdue)" if overdue else ""
    lines = [
        f"*Last round the team agreed {agreed}*: {len(promised) - len(still_open)} done, "
        f"{len(still_open)} still open{late}."
    ]
    lines += [f"• {describe(frameworks, item, today)}" for item in still_open[:5]]
    if len(still_open) > 5:
        lines.append(f"and {len(still_open) - 5} more: `/maturity actions` lists them")
    return "\n".join(lines)


def member_status(*, channel_id: str, done: int, total: int) -> str:
    return f"Your progress in <#{channel_id}>: {progress_bar(done, total)} {done} of {total} areas answered."


def team_status(*, counts: dict[str, int], unfinished: list[str], total_members: int) -> str:
    """The team's progress for a facilitator; `unfinished` in the order to list them (alphabetical by the
    names Slack shows, bot/members.py `alphabetical`: never the channel's order)."""
    lines = [
        f"*Team progress*: {counts['complete']} of {total_members} complete, {counts['in progress']} in progress, "
        f"{counts['not started']} not started."
    ]
    if unfinished:
        lines.append("Still to finish (only you see this): " + ", ".join(f"<@{u}>" for u in unfinished))
    return "\n".join(lines)


def plain(text: str) -> tuple[str, list[dict]]:
    """A message with just text, as a section so it renders mrkdwn the same everywhere."""
    return text, to_dicts(sections(text))


def audit_lines(entries) -> str:
    """The facilitators' recent actions, newest first: who, what, when."""
    if not entries:
        return "*Facilitator actions*: none yet."
    lines = ["*Facilitator actions* (newest first):"]
    for entry in entries:
        detail = f": {entry.detail}" if entry.detail else ""  # written by the bot, may hold mentions
        lines.append(f"• {entry.at:%Y-%m-%d %H:%M} UTC <@{entry.user_id}> {escape(entry.action)}{detail}")
    return "\n".join(lines)


FORGET_EXPLAINED = (
    "*Forget me?* I will delete, in every round of this workspace, your answers, your comments, the history "
    "of your changes, your prompts and my reminders to you, and stop your walk-throughs in open rounds.\n"
    "What stays: figures already shown in a summary or report (they name nobody; an open round's figures "
    "drop your answers the next time they move), and the audit log's note that you asked, without your "
    "answers. My messages in our direct-message thread stay in Slack: delete them there if you wish.\n"
    "This cannot be undone."
)


def forget_confirmation() -> tuple[str, list[dict]]:
    """`/maturity forget me`: what will be deleted and what stays, with the button that does it."""
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=FORGET_EXPLAINED)),
        ActionsBlock(
            elements=[
                ButtonElement(text="Delete my answers", action_id=values.FORGET_ME, value="me", style="danger"),
                ButtonElement(text="Cancel", action_id=values.FORGET_CANCEL, value="cancel"),
            ]
        ),
    ]
    return "Forget me? Confirm to delete your answers.", to_dicts(blocks)


def forgotten(*, answers: int, comments: int, rounds: int) -> str:
    """What the member's erasure deleted, for them."""
    if not rounds:
        return "Done: I held no answers of yours in this workspace, so there was nothing to delete."
    return (
        f"Done: I deleted {answers} {'answer' if answers == 1 else 'answers'} "
        f"({comments} with {'a comment' if comments == 1 else 'comments'}) from {rounds} "
        f"{'round' if rounds == 1 else 'rounds'}, with their history, prompts and reminders. "
        "Run `/maturity start` in a channel if you want to take part again."
    )
