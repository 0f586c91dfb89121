"""Action ids and the values carried by buttons, and the checks applied when a click comes back.

A button's value travels through the member's Slack client and comes back to us, so it is untrusted
input: `parse_prompt_value` rejects anything that is not a round id, an area id and (where needed) a level,
and `PromptValue.check` anything that is not an area and a level of the round's own framework.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from framework.models import Framework

ANSWER = "answer_level"  # + "_<n>": one action id per level (action ids are unique within a block)
ANSWER_PATTERN = re.compile(r"^answer_level_\d+$")
HELP = "area_help"
SKIP = "area_skip"
COMMENT = "area_comment"
CHANGE = "area_change"
CONTINUE = "walkthrough_continue"
STOP_REMINDERS = "reminders_stop"
HOME_SUMMARY = "home_summary"
HOME_REMIND = "home_remind"
HOME_TARGETS = "home_targets"
HOME_CLOSE = "home_close"
FORGET_ME = "forget_me"
FORGET_CANCEL = "forget_cancel"
ACTION_ADD = "action_add"
ACTION_DONE = "action_done"
ACTION_REDATE = "action_redate"
ACTION_HANDOVER = "action_handover"
ACTION_VIEW = "action_modal"
ACTION_DATE_VIEW = "action_date_modal"
ACTION_OWNER_VIEW = "action_owner_modal"
COMMENT_VIEW = "comment_modal"
TARGETS_VIEW = "targets_modal"


class BadValue(ValueError):
    """A button value that does not name something real."""


@dataclass(frozen=True)
class PromptValue:
    round_id: int
    area_id: str
    level: int | None = None

    def encode(self) -> str:
        parts = [str(self.round_id), self.area_id]
        if self.level is not None:
            parts.append(str(self.level))
        return "|".join(parts)

    def check(self, framework: Framework) -> PromptValue:
        """This value, if its area and level are the framework's (the round's, once it is read); else BadValue."""
        if framework.area(self.area_id) is None:
            raise BadValue(f"unknown area {self.area_id!r}")
        if self.level is not None and framework.level(self.level) is None:
            raise BadValue(f"level outside the framework: {self.level!r}")
        return self


def answer_action_id(level: int) -> str:
    return f"{ANSWER}_{level}"


def parse_prompt_value(value: str | None, *, needs_level: bool = False) -> PromptValue:
    """ "round|area" or "round|area|level", in form only: `PromptValue.check` checks it against the round's
    framework."""
    parts = (value or "").split("|")
    if len(parts) not in (2, 3) or not _number(parts[0]) or len(parts[0]) > 12 or not parts[1]:
        raise BadValue("malformed value")
    round_id, area_id = int(parts[0]), parts[1]
    level = None
    if len(parts) == 3:
        if not _number(parts[2]) or len(parts[2]) > 2:
            raise BadValue(f"level outside the framework: {parts[2]!r}")
        level = int(parts[2])
    if needs_level and level is None:
        raise BadValue("missing level")
    return PromptValue(round_id, area_id, level)


def parse_round_value(value: str | None) -> int:
    if not value or not _number(value):
        raise BadValue("malformed round id")
    return int(value)


def parse_action_value(value: str | None) -> int:
    """An action's id from a button's value or a form's private metadata."""
    if not value or not _number(value) or len(value) > 12:
        raise BadValue("malformed action id")
    return int(value)


def _number(text: str) -> bool:
    """ASCII digits only: str.isdigit() also accepts "²", which int() refuses."""
    return text.isascii() and text.isdigit()
