"""The member's walk-through: the parent message in their DM, area prompts in its thread, their profile."""

from __future__ import annotations

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

from framework.limits import EDITOR_NOTE_LABEL, TRUNCATED_MARK
from framework.models import Framework, KeyArea
from framework.progress import Progress, progress_bar

from .. import values
from .text import cut_mrkdwn, escape, quote, sections, to_dicts, verbatim

TRUNCATED_NOTE = f"_{TRUNCATED_MARK}_"


def editor_note(note: str) -> str:
    """Our remark about the source, set apart from the framework's words (as in the report and the CLI)."""
    return f"_{EDITOR_NOTE_LABEL}: {escape(note)}_"


def theme_label(framework: Framework, area: KeyArea) -> str:
    theme = framework.theme_of(area.id)
    if theme is None:
        return ""
    return "Enabler" if theme.kind == "enabler" else f"Theme: {theme.title}"


def progress_line(done: int, total: int) -> str:
    return f"{progress_bar(done, total)}  *{done} of {total}* areas answered"


def parent_message(
    *, round_id: int, channel_id: str, framework: Framework, done: int, started: bool
) -> tuple[str, list[dict]]:
    """The top of a member's thread: what the round is, their progress (`done` of the framework's areas
    answered), and Start or Continue (`started`: a prompt has been posted)."""
    total = len(framework.areas)
    text = f"Maturity self-assessment for <#{channel_id}>: {done} of {total} areas answered"
    intro = (
        f"*Maturity self-assessment* for <#{channel_id}>\n"
        f"{escape(framework.title)} · {total} areas\n"
        "I'll show you one area at a time in this thread. Read the levels and click the one that "
        "describes your team today. You can change an answer until the round closes."
    )
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=intro)),
        ContextBlock(elements=[MarkdownTextObject(text=progress_line(done, total))]),
    ]
    if done == total:
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text="All areas answered: thank you! Your profile is in the thread."))
        )
    else:
        label = "Continue" if started else "Start"
        blocks.append(
            ActionsBlock(
                elements=[ButtonElement(text=label, action_id=values.CONTINUE, value=str(round_id), style="primary")]
            )
        )
    return text, to_dicts(blocks)


def _area_heading(framework: Framework, area: KeyArea) -> list[Block]:
    position = framework.area_ids.index(area.id) + 1
    label = theme_label(framework, area)
    context = f"{escape(label)} · Area {position} of {len(framework.areas)}"
    return [
        ContextBlock(elements=[MarkdownTextObject(text=context)]),
        HeaderBlock(text=area.title[:150]),
    ]


def _descriptor_text(framework: Framework, area: KeyArea, level_number: int) -> str:
    level = framework.level(level_number)
    descriptor = area.descriptor(level.name)
    text = escape(descriptor.descriptor)
    if descriptor.truncated:
        text += f"\n{TRUNCATED_NOTE}"
    if descriptor.editor_note:
        text += f"\n{editor_note(descriptor.editor_note)}"
    return text


def area_prompt(
    *, round_id: int, framework: Framework, area: KeyArea, current_level: int | None = None
) -> tuple[str, list[dict]]:
    """An area with its levels, one button per level, and Help / Skip for now / Add a comment."""
    blocks: list[Block] = _area_heading(framework, area)
    if area.description:
        blocks += sections(escape(area.description))
    if area.editor_note:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=editor_note(area.editor_note))]))
    if current_level is not None:
        name = framework.level(current_level).name
        blocks.append(
            ContextBlock(
                elements=[MarkdownTextObject(text=f"Your current answer: *{name}*. Pick a level to change it.")]
            )
        )
    blocks.append(DividerBlock())
    for level in framework.levels:
        button = ButtonElement(
            text=level.name,
            action_id=values.answer_action_id(level.number),
            value=values.PromptValue(round_id, area.id, level.number).encode(),
            style="primary" if level.number == current_level else None,
        )
        body = f"*{level.number} · {escape(level.name)}*\n{_descriptor_text(framework, area, level.number)}"
        blocks.append(SectionBlock(text=MarkdownTextObject(text=cut_mrkdwn(body, 3000)), accessory=button))
    area_value = values.PromptValue(round_id, area.id).encode()
    extra = [ButtonElement(text="Help", action_id=values.HELP, value=area_value)]
    if current_level is None:
        extra.append(ButtonElement(text="Skip for now", action_id=values.SKIP, value=area_value))
    extra.append(ButtonElement(text="Add a comment", action_id=values.COMMENT, value=area_value))
    blocks.append(ActionsBlock(elements=extra))
    return f"{area.title}: choose the level that describes your team today", to_dicts(blocks)


def answered_prompt(
    *, round_id: int, framework: Framework, area: KeyArea, level: int, comment: str | None, editable: bool = True
) -> tuple[str, list[dict]]:
    """The prompt after a click: the chosen level and its descriptor, with Change."""
    name = framework.level(level).name
    blocks: list[Block] = _area_heading(framework, area)
    blocks.append(
        SectionBlock(
            text=MarkdownTextObject(
                text=f":white_check_mark: Your answer: *{level} · {escape(name)}*\n{quote(_descriptor_text(framework, area, level))}"
            )
        )
    )
    if comment:
        # The member's own words, as typed: plain_text, which Slack neither formats nor parses for mentions.
        blocks.append(ContextBlock(elements=[verbatim(f"Your comment: {comment}")]))
    if editable:
        area_value = values.PromptValue(round_id, area.id).encode()
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(text="Change", action_id=values.CHANGE, value=area_value),
                    ButtonElement(text="Help", action_id=values.HELP, value=area_value),
                    ButtonElement(
                        text="Edit comment" if comment else "Add a comment", action_id=values.COMMENT, value=area_value
                    ),
                ]
            )
        )
    return f"{area.title}: you chose {name}", to_dicts(blocks)


def skipped_prompt(*, round_id: int, framework: Framework, area: KeyArea) -> tuple[str, list[dict]]:
    """The prompt after Skip for now: it says the area comes back, and can still be answered now."""
    blocks: list[Block] = _area_heading(framework, area)
    blocks.append(SectionBlock(text=MarkdownTextObject(text="Skipped for now: this area comes back after the others.")))
    area_value = values.PromptValue(round_id, area.id).encode()
    blocks.append(
        ActionsBlock(
            elements=[
                ButtonElement(text="Answer now", action_id=values.CHANGE, value=area_value),
                ButtonElement(text="Help", action_id=values.HELP, value=area_value),
            ]
        )
    )
    return f"{area.title}: skipped for now", to_dicts(blocks)


def profile_message(*, framework: Framework, channel_id: str, levels: dict[str, int]) -> tuple[str, list[dict]]:
    """A member's own levels per area, grouped by theme."""
    blocks: list[Block] = [
        HeaderBlock(text="Your maturity profile"),
        ContextBlock(
            elements=[MarkdownTextObject(text=f"Your answers in <#{channel_id}> · {escape(framework.title)}")]
        ),
    ]
    for theme in framework.themes:
        lines = [f"*{escape(theme.title)}*"]
        for area in theme.areas:
            level = levels.get(area.id)
            shown = f"{level} · {framework.level(level).name}" if level else "not answered"
            lines.append(f"• {escape(area.title)}: *{shown}*")
        blocks += sections("\n".join(lines))
    answered = sum(1 for a in framework.area_ids if a in levels)
    return f"Your maturity profile: {answered} of {len(framework.areas)} areas answered", to_dicts(blocks)


def waiting_note(area: KeyArea) -> str:
    return f"Your next area, *{escape(area.title)}*, is waiting for you in this thread."


def skipped_left_note(count: int) -> str:
    return (
        f"That leaves {count} skipped area{'s' if count != 1 else ''}. Press *Continue* on the message at the "
        "top of this thread when you are ready to answer."
    )


def reminder_message(
    *, round_id: int, channel_id: str, progress: Progress, closes_on: str | None
) -> tuple[str, list[dict]]:
    """A nudge in the member's thread, with Continue and a way to stop reminders for this round."""
    left = progress.total - progress.done
    closing = f" The round closes on {closes_on}." if closes_on else ""
    text = (
        f"Reminder: {left} of {progress.total} areas are still waiting for your answer in the self-assessment "
        f"for <#{channel_id}>.{closing}"
    )
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=text)),
        ActionsBlock(
            elements=[
                ButtonElement(text="Continue", action_id=values.CONTINUE, value=str(round_id), style="primary"),
                ButtonElement(
                    text="Stop reminders for this round", action_id=values.STOP_REMINDERS, value=str(round_id)
                ),
            ]
        ),
    ]
    return text, to_dicts(blocks)
