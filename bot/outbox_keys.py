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

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from storage.kinds import MessageKind


def kickoff(round_id: int, user_id: str) -> str:
    return f"kickoff:{round_id}:{user_id}"


def prompt(prompt_id: int) -> str:
    return f"prompt:{prompt_id}"


def reminder(round_id: int, user_id: str, *, occasion: datetime | None = None) -> str:
    """The clock's reminder of a member for one occasion (a day's idle reminder, the closing-soon one: at
    most one each), or a facilitator's nudge (always new)."""
    return f"reminder:{round_id}:{user_id}:{occasion.isoformat() if occasion else uuid.uuid4().hex}"


def scheduled_summary(round_id: int, schedule_id: int, slot: datetime) -> str:
    return f"summary:{round_id}:schedule:{schedule_id}:{slot.isoformat()}"


def final_summary(round_id: int) -> str:
    return f"summary:{round_id}:final"


def summary_now(round_id: int, *, final: bool = False) -> str:
    """A summary a facilitator asked for: a fresh key, since posting it again is what they want."""
    return f"summary:{round_id}:{'final' if final else 'now'}:{uuid.uuid4().hex}"


def summary_part(summary_key: str, index: int) -> str:
    """The `index`th continuation of a long summary, in its thread."""
    return f"summary-part:{_digest(summary_key)}:{index}"


def chart(summary_key: str) -> str:
    """A summary's chart, in its thread."""
    return f"file:chart:{_digest(summary_key)}"


def report(round_id: int) -> str:
    """A leaders' report a facilitator asked for (again is on purpose: a fresh key)."""
    return f"file:report:{round_id}:{uuid.uuid4().hex}"


def export(round_id: int) -> str:
    """An export (the answers and summary CSVs) a facilitator asked for (again is on purpose: a fresh key)."""
    return f"file:export:{round_id}:{uuid.uuid4().hex}"


def action_owner(action_id: int) -> str:
    """An action's owner told of it: when it is added, and each time it is handed to someone (a fresh key:
    every new owner is told)."""
    return f"action:{action_id}:owner:{uuid.uuid4().hex}"


def action_reminder(action_id: int, occasion: str, due: date) -> str:
    """The clock's reminder of an action's owner, once per occasion ("soon", "due") and due date."""
    return f"action:{action_id}:{occasion}:{due.isoformat()}"


def _digest(key: str) -> str:
    """A short stand-in for a longer key, so that what follows it stays within the key column."""
    return hashlib.sha1(key.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ParsedKey:
    kind: MessageKind
    final: bool = False  # a summary of a closed round (its heading says "final")
    file: str | None = None  # for a file: what it is (chart, report, export)


def parse(key: str) -> ParsedKey:
    """What a key says about its message; ValueError for a key this module did not build."""
    kind, _, rest = key.partition(":")
    try:
        message_kind = MessageKind(kind)
    except ValueError:
        raise ValueError(f"not an outbox key: {key!r}") from None
    parts = rest.split(":")
    return ParsedKey(
        kind=message_kind,
        final=message_kind is MessageKind.SUMMARY and parts[1:2] == ["final"],
        file=parts[0] if message_kind is MessageKind.FILE else None,
    )
