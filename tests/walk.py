"""Reading a member's walk-through out of the fake Slack, and moving through it, as a member would."""

from __future__ import annotations

from bot import values
from tests.harness import find_button

TEAM = "T1"


def dm(slack, user_id: str) -> str:
    return slack.dm_channel(TEAM, user_id)


def parent(slack, user_id: str):
    top = slack.top_level(dm(slack, user_id), team_id=TEAM)
    assert len(top) == 1, f"expected one parent message in {user_id}'s DM, got {len(top)}"
    return top[0]


def thread(slack, user_id: str):
    return slack.replies(dm(slack, user_id), parent(slack, user_id).ts, team_id=TEAM)


def has_button(message, action_id: str) -> bool:
    try:
        find_button(message, action_id)
        return True
    except AssertionError:
        return False


def prompts(slack, user_id: str):
    """Area prompts in the member's thread (open or answered), in post order."""
    return [m for m in thread(slack, user_id) if _area_of(m) is not None and not _is_help(m)]


def open_prompt(slack, user_id: str):
    """The prompt with level buttons that has not been answered (the newest one)."""
    candidates = [m for m in prompts(slack, user_id) if has_button(m, values.answer_action_id(1))]
    assert candidates, f"{user_id} has no open prompt"
    return candidates[-1]


def area_of(message) -> str:
    area = _area_of(message)
    assert area is not None
    return area


def _area_of(message) -> str | None:
    for block in message.blocks:
        elements = list(block.get("elements", [])) if block.get("type") == "actions" else []
        if block.get("accessory"):
            elements.append(block["accessory"])
        for element in elements:
            value = element.get("value") or ""
            if element.get("action_id", "").startswith(("answer_level", "area_")) and "|" in value:
                return value.split("|")[1]
    return None


def _is_help(message) -> bool:
    return message.text.startswith("Help: ")


def answer_all(workspace, slack, user_id: str, levels: dict[str, int]) -> None:
    """Start the walk-through and answer every area it shows with the given levels."""
    workspace.click(user_id, parent(slack, user_id), values.CONTINUE)
    for _ in range(len(levels)):
        prompt = open_prompt(slack, user_id)
        level = levels[area_of(prompt)]
        reply = workspace.click(user_id, prompt, values.answer_action_id(level))
        assert reply.status == 200
