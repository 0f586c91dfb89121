"""The closed sets of values the tables hold, as enums.

They are `StrEnum`s: the columns stay plain strings (so the migrations and existing rows need nothing), and
every comparison and write in the code names a member instead of repeating a bare string.
"""

from __future__ import annotations

from enum import StrEnum


class RoundStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class PromptStatus(StrEnum):
    """Where one posted area prompt stands."""

    OPEN = "open"
    ANSWERED = "answered"
    SKIPPED = "skipped"


class MessageKind(StrEnum):
    """What an owed message is, which says what its Slack ts belongs to once it is sent."""

    KICKOFF = "kickoff"  # the parent message of a member's thread (ref_id: the participant)
    PROMPT = "prompt"  # an area prompt in the thread (ref_id: the prompt)
    REMINDER = "reminder"  # a nudge in the thread (ref_id: the participant)
    SUMMARY = "summary"  # a team summary in the channel (ref_id: the round)
    SUMMARY_PART = "summary-part"  # the rest of a long summary, in its thread (ref_id: the round)
    FILE = "file"  # a file to upload: a summary's chart, a report, an export (ref_id: the round)
    ACTION = "action"  # an action's owner told of it, or reminded (ref_id: the action)


class ClaimKind(StrEnum):
    """What a claimed slot (scheduled_run row) stands for."""

    SUMMARY = "summary"  # one slot of a channel's summary schedule
    CLOSING_SOON = "closing-soon"  # the reminders two days before a round closes
    REMINDER = "reminder"  # one member's automatic reminder on one day
    ACTION_DUE_SOON = "action-due-soon"  # an action's owner reminded a few days before it is due
    ACTION_DUE = "action-due"  # ...and on the day


class ReminderReason(StrEnum):
    FACILITATOR = "facilitator"
    IDLE = "idle"
    CLOSING_SOON = "closing-soon"


class ActionStatus(StrEnum):
    """Where one action of a team's action plan stands."""

    OPEN = "open"
    DONE = "done"
