"""Block Kit for the action plan: the form that adds an action, the owner's message with its buttons, the
forms that change an action's date or owner, and the channel's list."""

from __future__ import annotations

import json
from datetime import date

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DatePickerElement,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from framework.library import FrameworkLibrary
from framework.models import Framework
from storage.kinds import ActionStatus
from storage.models import ActionItem

from .. import values
from .text import escape, sections, to_dicts

TEXT_LIMIT = 1000
AREA, AREA_INPUT = "action_area", "action_area_choice"
TEXT, TEXT_INPUT = "action_text", "action_text_input"
OWNER, OWNER_INPUT = "action_owner", "action_owner_choice"
DUE, DUE_INPUT = "action_due", "action_due_date"
AIM, AIM_INPUT = "action_aim", "action_aim_level"


def _level_options(framework: Framework) -> list[Option]:
    return [Option(text=f"{lvl.number} · {lvl.name}"[:75], value=str(lvl.number)) for lvl in framework.levels]


def add_form(
    *, framework: Framework, channel_id: str, round_id: int | None, area_id: str | None, aim: int | None, owner: str
) -> dict:
    """The form a facilitator (or, where allowed, a member) fills in to add an action."""
    areas = [Option(text=area.title[:75], value=area.id) for area in framework.areas]
    levels = _level_options(framework)
    chosen_area = next((o for o in areas if o.value == area_id), None)
    chosen_aim = levels[aim - 1] if aim and 0 < aim <= len(levels) else None
    blocks: list[Block] = [
        InputBlock(
            block_id=AREA,
            label="Area",
            element=StaticSelectElement(action_id=AREA_INPUT, options=areas, initial_option=chosen_area),
        ),
        InputBlock(
            block_id=TEXT,
            label="What will be done",
            element=PlainTextInputElement(action_id=TEXT_INPUT, multiline=True, max_length=TEXT_LIMIT),
        ),
        InputBlock(block_id=OWNER, label="Owner", element=UserSelectElement(action_id=OWNER_INPUT, initial_user=owner)),
        InputBlock(block_id=DUE, label="Due", element=DatePickerElement(action_id=DUE_INPUT)),
        InputBlock(
            block_id=AIM,
            label="Level it aims for",
            optional=True,
            element=StaticSelectElement(action_id=AIM_INPUT, options=levels, initial_option=chosen_aim),
        ),
    ]
    view = View(
        type="modal",
        callback_id=values.ACTION_VIEW,
        title="Add an action",
        submit="Add",
        close="Cancel",
        blocks=blocks,
        private_metadata=json.dumps({"channel_id": channel_id, "round_id": round_id, "framework_id": framework.id}),
    )
    view.validate_json()
    return view.to_dict()


def date_form(item: ActionItem) -> dict:
    """Change an action's due date (the current one preselected)."""
    element = DatePickerElement(action_id=DUE_INPUT, initial_date=item.due_on.isoformat())
    return _one_field_form(
        item,
        values.ACTION_DATE_VIEW,
        "Change the due date",
        "Save",
        InputBlock(block_id=DUE, label="Due", element=element),
    )


def owner_form(item: ActionItem) -> dict:
    """Hand an action to someone else."""
    element = UserSelectElement(action_id=OWNER_INPUT)
    return _one_field_form(
        item,
        values.ACTION_OWNER_VIEW,
        "Hand it over",
        "Hand over",
        InputBlock(block_id=OWNER, label="New owner", element=element),
    )


def _one_field_form(item: ActionItem, callback_id: str, title: str, submit: str, field: InputBlock) -> dict:
    """A modal of one input about one action, whose id travels as the private metadata."""
    view = View(
        type="modal",
        callback_id=callback_id,
        title=title,
        submit=submit,
        close="Cancel",
        blocks=[field],
        private_metadata=str(item.id),
    )
    view.validate_json()
    return view.to_dict()


def describe(frameworks: FrameworkLibrary, item: ActionItem, today: date) -> str:
    """One action in a line: area, what, owner, due (and overdue), the level it aims for, in the words of the
    action's own framework (a channel's plan may hold actions of rounds run with different ones)."""
    framework = frameworks.get(item.framework_id)
    area = framework.area(item.area_id) if framework else None
    aim = framework.level(item.aim_level) if framework and item.aim_level else None
    due = f"due {item.due_on:%-d %b %Y}"
    if item.status == ActionStatus.DONE:
        due = "done"
    elif item.due_on < today:
        due = f"*overdue* since {item.due_on:%-d %b %Y}"
    aims = f", aims for {aim.number} · {escape(aim.name)}" if aim else ""
    title = escape(area.title) if area else escape(item.area_id)
    return f"*{title}*: {escape(item.text)} (<@{item.owner_id}>, {due}{aims})"


def owner_message(
    frameworks: FrameworkLibrary, item: ActionItem, today: date, *, heading: str
) -> tuple[str, list[dict]]:
    """What an action's owner gets: the action and its area, with Done, Change date and Hand over."""
    value = str(item.id)
    blocks: list[Block] = [
        SectionBlock(text=MarkdownTextObject(text=f"{heading}\n{describe(frameworks, item, today)}")),
        ContextBlock(elements=[MarkdownTextObject(text=f"From the action plan of <#{item.channel_id}>")]),
    ]
    if item.status == ActionStatus.OPEN:
        blocks.append(
            ActionsBlock(
                elements=[
                    ButtonElement(text="Mark done", action_id=values.ACTION_DONE, value=value, style="primary"),
                    ButtonElement(text="Change date", action_id=values.ACTION_REDATE, value=value),
                    ButtonElement(text="Hand over", action_id=values.ACTION_HANDOVER, value=value),
                ]
            )
        )
    framework = frameworks.get(item.framework_id)
    area = framework.area(item.area_id) if framework else None
    return f"{heading} {area.title if area else item.area_id}: {item.text}"[:3000], to_dicts(blocks)


def plan_text(
    frameworks: FrameworkLibrary, channel_id: str, items: list[ActionItem], today: date
) -> tuple[str, list[dict]]:
    """`/maturity actions`: the channel's open actions per area, overdue first within each."""
    if not items:
        text = f"No open actions in <#{channel_id}>. Add one with `/maturity action add <area words>`."
        return text, to_dicts(sections(text))
    lines = [f"*Open actions in <#{channel_id}>* ({len(items)})"]
    order = {(f.id, area.id): i for f in frameworks.frameworks for i, area in enumerate(f.areas)}
    for item in sorted(items, key=lambda a: (order.get((a.framework_id, a.area_id), len(order)), a.due_on, a.id)):
        lines.append(f"• {describe(frameworks, item, today)}")
    text = "\n".join(lines)
    return text[:3000], to_dicts(sections(text))


def _picked(state: dict, block: str, element: str) -> dict:
    return (state.get(block) or {}).get(element) or {}


def chosen_date(state: dict) -> date | None:
    raw = _picked(state, DUE, DUE_INPUT).get("selected_date")
    try:
        return date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def chosen_owner(state: dict) -> str | None:
    user = _picked(state, OWNER, OWNER_INPUT).get("selected_user")
    return user if isinstance(user, str) else None


def chosen_fields(state: dict) -> dict:
    """The add form read back, as typed: area id, text, owner, due date and level (None where absent)."""
    area = (_picked(state, AREA, AREA_INPUT).get("selected_option") or {}).get("value")
    aim = (_picked(state, AIM, AIM_INPUT).get("selected_option") or {}).get("value")
    text = _picked(state, TEXT, TEXT_INPUT).get("value")
    return {
        "area_id": area if isinstance(area, str) else "",
        "text": text if isinstance(text, str) else "",
        "owner_id": chosen_owner(state),
        "due_on": chosen_date(state),
        "aim_level": int(aim) if isinstance(aim, str) and aim.isascii() and aim.isdigit() else None,
    }
