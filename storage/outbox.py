"""The outbox: messages the bot owes people, recorded before they are sent.

A message is enqueued in the same transaction as the state that makes it owed (a round's participants, a
claimed prompt), so a crash can never lose one. The outbox is also the work queue of every process: a
sender leases a message before sending it (a conditional UPDATE, or `claim_due`'s SKIP LOCKED claim of the
next due one, so one process sends it at a time), then marks it sent with Slack's ts, and in the same
transaction records that ts where it belongs (the member's thread, the prompt). A message whose sending
failed stays owed, with the reason, and is tried again later.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, bindparam, func, insert, tuple_, update
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from .group_commit import Batch, GroupCommit, Write
from .kinds import MessageKind
from .models import OutboxMessage, Participant, Prompt, utcnow

# How long a sender holds a message it is sending. The sender renews the lease while it works (see
# bot/outbox.py), so a live sender never loses it however slow Slack is; a killed one loses it this soon.
LEASE = timedelta(seconds=15)


@dataclass(frozen=True)
class Owed:
    """What to enqueue: where the message goes and what it says."""

    key: str
    kind: MessageKind
    channel: str
    text: str
    blocks: list[dict] | None = None
    thread_ts: str | None = None
    ref_id: int | None = None


def _owed_row(team_id: str, owed: Owed, leased_for: timedelta | None) -> OutboxMessage:
    """The outbox row of an owed message; with `leased_for`, born leased to the caller (its first attempt
    taken), who sends it at once without a second transaction to lease it."""
    leased = {} if leased_for is None else {"attempts": 1, "next_attempt_at": utcnow() + leased_for}
    return OutboxMessage(
        **leased,
        team_id=team_id,
        key=owed.key,
        kind=owed.kind,
        ref_id=owed.ref_id,
        channel=owed.channel,
        thread_ts=owed.thread_ts,
        text=owed.text,
        blocks=json.dumps(owed.blocks) if owed.blocks is not None else None,
    )


def add_owed(session: Session, team_id: str, owed: Owed, *, leased_for: timedelta | None = None) -> OutboxMessage:
    """Record an owed message inside the caller's transaction (see `_owed_row` for `leased_for`)."""
    message = _owed_row(team_id, owed, leased_for)
    session.add(message)
    return message


_OUTBOX = OutboxMessage.__table__
_OUTBOX_COLUMNS = [c.name for c in _OUTBOX.c if c.name != "id"]
_PARTICIPANT = Participant.__table__
_PROMPT = Prompt.__table__

# A sent mark's statements, built once: every click runs them, and building a statement costs more than
# running one. (Bound parameters are named b_*: a column's own name is reserved in an UPDATE's SET.)
_MARK_SENT = (
    update(_OUTBOX)
    .where(_OUTBOX.c.id == bindparam("b_id"))
    .values(ts=bindparam("b_ts"), sent_channel=bindparam("b_channel"), sent_at=bindparam("b_at"), last_error=None)
)
_THREAD_SENT = (
    update(_PARTICIPANT)
    .where(_PARTICIPANT.c.id == bindparam("b_id"))
    .values(dm_channel_id=bindparam("b_channel"), thread_ts=bindparam("b_ts"))
)
_PROMPT_SENT = update(_PROMPT).where(_PROMPT.c.id == bindparam("b_id")).values(ts=bindparam("b_ts"))
_INSERT_OUTBOX = insert(_OUTBOX)


def insert_owed(conn: Connection, team_id: str, owed: Owed, *, leased_for: timedelta | None = None) -> OutboxMessage:
    """`add_owed` as one INSERT on the caller's connection (no ORM unit of work): the row is handed back as
    a detached object carrying its new id."""
    message = _owed_row(team_id, owed, leased_for)
    values = {name: getattr(message, name) for name in _OUTBOX_COLUMNS}
    message.id = conn.execute(_INSERT_OUTBOX, values).inserted_primary_key[0]
    return message


class OutboxStore:
    def __init__(self, engine: Engine, lease: timedelta = LEASE):
        self.engine = engine
        self.lease_time = lease
        self._marks = GroupCommit(engine)

    def enqueue(self, team_id: str, owed: Owed) -> OutboxMessage:
        """Record an owed message; enqueuing the same key again returns the first one."""
        with Session(self.engine) as session:
            message = add_owed(session, team_id, owed)
            try:
                session.commit()
                session.refresh(message)
                return message
            except IntegrityError:
                session.rollback()
        return self.by_key(team_id, owed.key)

    def by_key(self, team_id: str, key: str) -> OutboxMessage | None:
        with Session(self.engine) as session:
            return session.exec(
                select(OutboxMessage).where(OutboxMessage.team_id == team_id, OutboxMessage.key == key)
            ).first()

    def lease(self, message_id: int, now: datetime | None = None) -> OutboxMessage | None:
        """Take an unsent, due message for sending; None if it is sent or another sender holds it."""
        now = now or utcnow()
        lease = self.lease_time
        with Session(self.engine) as session:
            result = session.exec(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id == message_id,
                    col(OutboxMessage.ts).is_(None),
                    OutboxMessage.next_attempt_at <= now,
                )
                .values(next_attempt_at=now + lease, attempts=OutboxMessage.attempts + 1)
            )
            session.commit()
            if result.rowcount != 1:
                return None
            return session.get(OutboxMessage, message_id)

    def renew(self, held: dict[int, int], now: datetime | None = None) -> int:
        """Extend the leases a live sender still holds: message id -> the attempt it leased. A message sent
        meanwhile, or leased again by another sender (a later attempt), is left alone, and a lease is only
        ever lengthened (a retry time set further off, e.g. waiting for a slow post, stays)."""
        if not held:
            return 0
        now = now or utcnow()
        until = now + self.lease_time
        with Session(self.engine) as session:
            result = session.exec(
                update(OutboxMessage)
                .where(
                    tuple_(OutboxMessage.id, OutboxMessage.attempts).in_(list(held.items())),
                    col(OutboxMessage.ts).is_(None),
                    OutboxMessage.next_attempt_at < until,
                )
                .values(next_attempt_at=until)
            )
            session.commit()
        return result.rowcount

    def mark_sent(
        self,
        message: OutboxMessage,
        channel: str,
        ts: str,
        follow_ups: Sequence[Owed] = (),
        also: Sequence[Write] = (),
    ) -> list[OutboxMessage]:
        """Record Slack's ts on the message and on what it belongs to (the member's thread, the prompt), and
        enqueue the messages its being in Slack makes owed (a long summary's rest and its chart, in its
        thread), in one transaction of plain UPDATEs (the sender already holds the row), with `also` (what
        else the caller did in Slack meanwhile, e.g. the answered prompt shown: one commit for both).
        Returns the follow-ups (an already-enqueued key is not enqueued twice). Marks of messages sent at
        the same moment share a transaction (storage.group_commit): each returns once its own is committed."""
        return self._marks.run(lambda batch: self._mark(batch, message, channel, ts, follow_ups, also), message.id)

    def _mark(
        self, batch: Batch, message: OutboxMessage, channel: str, ts: str, follow_ups: Sequence[Owed], also
    ) -> list[OutboxMessage]:
        for statement, params in also:
            batch.add(statement, params)
        batch.add(_MARK_SENT, {"b_id": message.id, "b_ts": ts, "b_channel": channel, "b_at": utcnow()})
        if message.kind == MessageKind.KICKOFF and message.ref_id is not None:
            batch.add(_THREAD_SENT, {"b_id": message.ref_id, "b_channel": channel, "b_ts": ts})
        elif message.kind == MessageKind.PROMPT and message.ref_id is not None:
            batch.add(_PROMPT_SENT, {"b_id": message.ref_id, "b_ts": ts})
        if not follow_ups:
            return []
        known = set(
            batch.execute(
                core_select(_OUTBOX.c.key).where(
                    _OUTBOX.c.team_id == message.team_id, _OUTBOX.c.key.in_([owed.key for owed in follow_ups])
                )
            ).scalars()
        )
        return [insert_owed(batch.conn, message.team_id, owed) for owed in follow_ups if owed.key not in known]

    def mark_failed(self, message_id: int, reason: str, retry_at: datetime) -> None:
        with Session(self.engine) as session:
            message = session.get(OutboxMessage, message_id)
            message.last_error, message.next_attempt_at = reason[:200], retry_at
            session.add(message)
            session.commit()

    def claim_due(
        self, now: datetime | None = None, *, limit: int = 1, team_id: str | None = None
    ) -> list[OutboxMessage]:
        """Lease up to `limit` unsent, due messages (of one workspace, or of any), oldest first.

        One statement: UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING, so on
        PostgreSQL senders in any number of processes each take different messages, never wait for one
        another's rows, and never take the same message twice (SQLite runs one writer at a time, which gives
        the same). An idle SQLite database is only read, so that idle senders never take its write lock."""
        now = now or utcnow()
        due = select(OutboxMessage.id).where(
            col(OutboxMessage.sent_at).is_(None), col(OutboxMessage.ts).is_(None), OutboxMessage.next_attempt_at <= now
        )
        if team_id is not None:
            due = due.where(OutboxMessage.team_id == team_id)
        with Session(self.engine, expire_on_commit=False) as session:
            if self.engine.dialect.name == "sqlite" and session.exec(due.limit(1)).first() is None:
                return []
            claimed = session.scalars(
                update(OutboxMessage)
                .where(
                    col(OutboxMessage.id).in_(
                        due.order_by(OutboxMessage.id).limit(limit).with_for_update(skip_locked=True)
                    )
                )
                .values(next_attempt_at=now + self.lease_time, attempts=OutboxMessage.attempts + 1)
                .returning(OutboxMessage)
                .execution_options(synchronize_session=False)
            ).all()
            session.commit()
            return sorted(claimed, key=lambda message: message.id)

    def owed_count(self, team_id: str | None = None) -> int:
        with Session(self.engine) as session:
            query = select(func.count()).select_from(OutboxMessage).where(col(OutboxMessage.ts).is_(None))
            if team_id is not None:
                query = query.where(OutboxMessage.team_id == team_id)
            return session.exec(query).one()

    def sent_file(self, team_id: str, file_id: str) -> bool:
        """Whether a file row has already recorded this Slack file as the one it sent."""
        with Session(self.engine) as session:
            return (
                session.exec(
                    select(OutboxMessage.id).where(
                        OutboxMessage.team_id == team_id,
                        OutboxMessage.kind == MessageKind.FILE,
                        OutboxMessage.ts == file_id,
                    )
                ).first()
                is not None
            )

    def latest_summary(self, team_id: str, round_id: int) -> OutboxMessage | None:
        """The round's newest summary in the channel, whichever way it was posted (on demand, scheduled or
        final): the thread a report goes into."""
        with Session(self.engine) as session:
            return session.exec(
                select(OutboxMessage)
                .where(
                    OutboxMessage.team_id == team_id,
                    OutboxMessage.kind == MessageKind.SUMMARY,
                    OutboxMessage.ref_id == round_id,
                    col(OutboxMessage.ts).is_not(None),
                )
                .order_by(col(OutboxMessage.id).desc())
            ).first()

    def get(self, message_id: int) -> OutboxMessage | None:
        with Session(self.engine) as session:
            return session.get(OutboxMessage, message_id)
