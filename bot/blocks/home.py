"""The App Home tab: a member's open rounds, last profile and actions; for facilitators, their channels' rounds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)
from slack_sdk.models.views import View

from framework.library import FrameworkLibrary
from framework.models import Framework
from framework.progress import Progress, progress_bar
from framework.scoring import Summary
from storage.models import ActionItem

from .. import values
from .plan import describe
from .summary import held_back_text
from .text import VIEW_BLOCK_LIMIT, cut_mrkdwn, escape

MAX_ROUNDS_SHOWN = 5
MAX_ACTIONS_SHOWN = 10
MAX_TEAM_ACTIONS_SHOWN = 5


@dataclass(frozen=True)
class MemberRound:
    round_id: int
    channel_id: str
    progress: Progress


@dataclass(frozen=True)
class FacilitatedRound:
    round_id: int
    channel_id: str
    framework: Framework  # the round's own
    summary: Summary
    schedule: str | None  # "every Monday at 09:00 (Europe/London), next Mon 7 Dec..." or None
    actions: tuple[ActionItem, ...] = ()  # the channel's open actions, soonest due first


def _level(framework: Framework, number: int | None) -> str:
    return framework.level(number).name if number else "–"


def home_view(
    *,
    frameworks: FrameworkLibrary,
    member_rounds: list[MemberRound],
    profile: tuple[str, Framework, dict[str, int]] | None,
    facilitated: list[FacilitatedRound],
    notice: str | None = None,
    my_actions: list[ActionItem] = (),
    today: date | None = None,
) -> dict:
    blocks: list[Block] = [HeaderBlock(text="Maturity self-assessment")]
    if notice:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=notice)]))
    blocks.append(SectionBlock(text=MarkdownTextObject(text="*Your open rounds*")))
    if not member_rounds:
        blocks.append(
            ContextBlock(
                elements=[
                    MarkdownTextObject(
                        text="None right now. A facilitator starts one with `/maturity start` in a team channel."
                    )
                ]
            )
        )
    for item in member_rounds[:MAX_ROUNDS_SHOWN]:
        p = item.progress
        line = f"<#{item.channel_id}>  {progress_bar(p.done, p.total)}  {p.done} of {p.total} answered"
        button = None
        if not p.complete:
            button = ButtonElement(
                text="Continue" if p.started else "Start",
                action_id=values.CONTINUE,
                value=str(item.round_id),
                style="primary",
            )
        blocks.append(SectionBlock(text=MarkdownTextObject(text=line), accessory=button))
    if len(member_rounds) > MAX_ROUNDS_SHOWN:
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=f"and {len(member_rounds) - MAX_ROUNDS_SHOWN} more")])
        )
    if profile is not None:
        channel_id, framework, levels = profile  # in the words of that round's framework
        lines = [f"*Your last profile* (<#{channel_id}>)"]
        lines += [f"• {escape(area.title)}: {_level(framework, levels.get(area.id))}" for area in framework.areas]
        blocks.append(DividerBlock())
        blocks.append(SectionBlock(text=MarkdownTextObject(text=cut_mrkdwn("\n".join(lines), 3000))))
    if my_actions:
        lines = [f"*Your actions* ({len(my_actions)} open)"]
        lines += [f"• {describe(frameworks, item, today or date.today())}" for item in my_actions[:MAX_ACTIONS_SHOWN]]
        if len(my_actions) > MAX_ACTIONS_SHOWN:
            lines.append(f"and {len(my_actions) - MAX_ACTIONS_SHOWN} more: the direct messages I sent you list them")
        blocks.append(DividerBlock())
        blocks.append(SectionBlock(text=MarkdownTextObject(text=cut_mrkdwn("\n".join(lines), 3000))))
    if facilitated:
        blocks.append(DividerBlock())
        blocks.append(SectionBlock(text=MarkdownTextObject(text="*Rounds you facilitate*")))
        budget = VIEW_BLOCK_LIMIT - len(blocks) - 1
        shown = 0
        for item in facilitated[:MAX_ROUNDS_SHOWN]:
            round_blocks = _facilitated_blocks(frameworks, item, today or date.today())
            if len(round_blocks) > budget:
                break
            blocks += round_blocks
            budget -= len(round_blocks)
            shown += 1
        if len(facilitated) > shown:
            blocks.append(
                ContextBlock(
                    elements=[MarkdownTextObject(text=f"and {len(facilitated) - shown} more (newest shown first)")]
                )
            )
    view = View(type="home", blocks=blocks)
    view.validate_json()
    return view.to_dict()


def _facilitated_blocks(frameworks: FrameworkLibrary, item: FacilitatedRound, today: date) -> list[Block]:
    p, framework = item.summary.participation, item.framework
    themes = " · ".join(
        f"{escape(theme.title)}: {_level(framework, score.level)}"
        for theme, score in zip(framework.themes, item.summary.themes)
    )
    text = (
        f"<#{item.channel_id}>  {progress_bar(p.complete, p.members)}  {p.complete} of {p.members} complete, "
        f"{p.in_progress} in progress, {p.not_started} not started\n{themes}"
    )
    held = held_back_text(item.summary)
    if held:
        text += f"\n{held}"
    overdue = sum(1 for action in item.actions if action.due_on < today)
    text += f"\nActions: {len(item.actions)} open" + (f", {overdue} overdue" if overdue else "")
    text += "".join(f"\n• {describe(frameworks, action, today)}" for action in item.actions[:MAX_TEAM_ACTIONS_SHOWN])
    if len(item.actions) > MAX_TEAM_ACTIONS_SHOWN:
        text += f"\nand {len(item.actions) - MAX_TEAM_ACTIONS_SHOWN} more (`/maturity actions` in the channel)"
    schedule = (
        f"Summaries {item.schedule}" if item.schedule else "No summary schedule (`/maturity schedule` in the channel)"
    )
    value = str(item.round_id)
    return [
        SectionBlock(text=MarkdownTextObject(text=cut_mrkdwn(text, 3000))),
        ContextBlock(elements=[MarkdownTextObject(text=schedule)]),
        ActionsBlock(
            elements=[
                ButtonElement(text="Post summary now", action_id=values.HOME_SUMMARY, value=value),
                ButtonElement(text="Remind", action_id=values.HOME_REMIND, value=value),
                ButtonElement(text="Targets", action_id=values.HOME_TARGETS, value=value),
                ButtonElement(text="Add an action", action_id=values.ACTION_ADD, value=value),
                ButtonElement(text="Close round", action_id=values.HOME_CLOSE, value=value, style="danger"),
            ]
        ),
    ]
