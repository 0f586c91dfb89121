"""Outbox message keys: built and read here and nowhere else.

A key names one message the bot owes, uniquely per workspace. It is the outbox row's idempotency key
(enqueuing the same key twice yields one message) and it travels to Slack as the message's metadata, so
that after a crash the sender can tell whether Slack already has it. Keys that must be exactly-once (a
member's kick-off, a prompt, a scheduled slot, a round's final summary, a member's reminder on a day) are
built from what makes them unique; messages a person asks for again on purpose (an on-demand summary,
a facilitator's reminder) get a fresh key each time.

Storage never reads keys: it finds messages by kind and reference (MessageKind, ref_id).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from storage.kinds import MessageKind


def kickoff(round_id: int, user_id: str) -> str:
    return f"kickoff:{round_id}:{user_id}"


def prompt(prompt_id: int) -> str:
    return f"prompt:{prompt_id}"


def reminder(round_id: int, user_id: str, *, day: date | None = None) -> str:
    """The clock's reminder of a member on a day (at most one), or a facilitator's nudge (always new)."""
    return f"reminder:{round_id}:{user_id}:{day.isoformat() if day else uuid.uuid4().hex}"


def scheduled_summary(round_id: int, schedule_id: int, slot: datetime) -> str:
    return f"summary:{round_id}:schedule:{schedule_id}:{slot.isoformat()}"


def final_summary(round_id: int) -> str:
    return f"summary:{round_id}:final"


def summary_now(round_id: int, *, final: bool = False) -> str:
    """A summary a facilitator asked for: a fresh key, since posting it again is what they want."""
    return f"summary:{round_id}:{'final' if final else 'now'}:{uuid.uuid4().hex}"


@dataclass(frozen=True)
class ParsedKey:
    kind: MessageKind
    final: bool = False  # a summary of a closed round (its heading says "final")


def parse(key: str) -> ParsedKey:
    """What a key says about its message; ValueError for a key this module did not build."""
    kind, _, rest = key.partition(":")
    try:
        message_kind = MessageKind(kind)
    except ValueError:
        raise ValueError(f"not an outbox key: {key!r}") from None
    final = message_kind is MessageKind.SUMMARY and rest.split(":")[1:2] == ["final"]
    return ParsedKey(kind=message_kind, final=final)
