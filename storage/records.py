"""Keeping what a council must keep and deleting what it must not: a closed round's figures as
aggregates, retention of individual answers, and a member's erasure.

A closed round's record never changes. Before any individual answer of a closed round is deleted, the
round's participation and each area's figures as last shown are kept here with no member named
(`keep_final`); from then on every surface shows the round from that record (results/figures.py).
Then:

- retention (`delete_answers`) deletes everything that links a person to the round: participants,
  prompts, answers with their comments, the answers' history, reminders, the views' member -> level maps,
  and the direct messages owed or sent to them;
- erasure (`erase_member`) deletes one member's rows of that kind in every round of a workspace. In an open
  round the views already shown stay as they were, with the member's name replaced by a token nobody can
  trace back, so the anonymity rule still counts the answer as one that left (results/anonymity.py).

Each is one transaction. Every method takes the workspace (team) id, as every store's does; the
operator's command line passes None to erase a member from every workspace.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, insert, or_, update
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError

from .kinds import ClaimKind, MessageKind, RoundStatus
from .models import (
    Answer,
    AnswerChange,
    AuditEntry,
    FinalAreaFigures,
    FinalFigures,
    OutboxMessage,
    Participant,
    Prompt,
    PublishedView,
    Reminder,
    Round,
    ScheduledRun,
    utcnow,
)

_ROUND = Round.__table__
_FINAL = FinalFigures.__table__
_FINAL_AREA = FinalAreaFigures.__table__
_PARTICIPANT = Participant.__table__
_PROMPT = Prompt.__table__
_ANSWER = Answer.__table__
_CHANGE = AnswerChange.__table__
_REMINDER = Reminder.__table__
_VIEW = PublishedView.__table__
_OUTBOX = OutboxMessage.__table__
_CLAIM = ScheduledRun.__table__
_AUDIT = AuditEntry.__table__

ERASURE = "erasure"  # the audit log's action for a member's erasure
ERASED_PREFIX = "erased-"  # how an erased member is named in the views shown before (results/anonymity.py)
# The claims that name a member: their key is "<round id>:<user id>" (bot/reminders.py).
_MEMBER_CLAIMS = (ClaimKind.REMINDER, ClaimKind.CLOSING_SOON)


@dataclass(frozen=True)
class AreaRecord:
    """An area's figures as last shown: the levels they were computed from, and what they held back."""

    levels: tuple[int, ...]
    held_back: int = 0
    held_by: str | None = None
    received: int = 0


@dataclass(frozen=True)
class FinalRecord:
    members: int
    complete: int
    in_progress: int
    areas: dict[str, AreaRecord] = field(default_factory=dict)
    answers_deleted_at: datetime | None = None


@dataclass(frozen=True)
class Erasure:
    """What an erasure deleted, counted (the audit log keeps these figures, never the answers)."""

    rounds: int = 0
    answers: int = 0
    comments: int = 0

    def describe(self) -> str:
        return (
            f"{_count(self.answers, 'answer')} ({self.comments} with {'a comment' if self.comments == 1 else 'comments'})"
            f" in {_count(self.rounds, 'round')}"
        )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


class NeedsRecord(Exception):
    """A closed round the member took part in has no kept record yet: keep it, then erase again."""

    def __init__(self, round_: Round):
        super().__init__(f"round {round_.id} needs its final figures kept first")
        self.round = round_


class RecordStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    # -- the kept record ------------------------------------------------------------------------------------

    def final(self, team_id: str, round_id: int) -> FinalRecord | None:
        """The round's kept record, or None while its figures are still worked out from its answers."""
        with self.engine.connect() as conn:
            row = conn.execute(
                core_select(_FINAL).where(_FINAL.c.team_id == team_id, _FINAL.c.round_id == round_id)
            ).first()
            if row is None:
                return None
            areas = {
                area.area_id: AreaRecord(tuple(json.loads(area.levels)), area.held_back, area.held_by, area.received)
                for area in conn.execute(
                    core_select(_FINAL_AREA).where(_FINAL_AREA.c.team_id == team_id, _FINAL_AREA.c.round_id == round_id)
                )
            }
        return FinalRecord(row.members, row.complete, row.in_progress, areas, row.answers_deleted_at)

    def keep_final(
        self,
        team_id: str,
        round_id: int,
        *,
        members: int,
        complete: int,
        in_progress: int,
        areas: Mapping[str, AreaRecord],
    ) -> bool:
        """Keep a closed round's figures (once: False when they were already kept, or the round is open)."""
        with self.engine.connect() as conn:
            status = conn.execute(
                core_select(_ROUND.c.status).where(_ROUND.c.team_id == team_id, _ROUND.c.id == round_id)
            ).scalar()
            if status != RoundStatus.CLOSED:
                return False
            try:
                conn.execute(
                    insert(_FINAL).values(
                        team_id=team_id,
                        round_id=round_id,
                        members=members,
                        complete=complete,
                        in_progress=in_progress,
                        kept_at=utcnow(),
                    )
                )
            except IntegrityError:
                conn.rollback()
                return False
            if areas:
                conn.execute(
                    insert(_FINAL_AREA),
                    [
                        {
                            "team_id": team_id,
                            "round_id": round_id,
                            "area_id": area_id,
                            "levels": json.dumps(sorted(area.levels)),
                            "held_back": area.held_back,
                            "held_by": area.held_by,
                            "received": area.received,
                        }
                        for area_id, area in sorted(areas.items())
                    ],
                )
            conn.commit()
        return True

    # -- retention ------------------------------------------------------------------------------------------

    def past_retention(self, closed_before: datetime) -> list[Round]:
        """Closed rounds of every workspace closed before `closed_before` whose answers are not yet deleted."""
        deleted = core_select(_FINAL.c.round_id).where(_FINAL.c.answers_deleted_at.is_not(None))
        with self.engine.connect() as conn:
            rows = conn.execute(
                core_select(_ROUND)
                .where(
                    _ROUND.c.status == RoundStatus.CLOSED,
                    _ROUND.c.closed_at < closed_before,
                    _ROUND.c.id.not_in(deleted),
                )
                .order_by(_ROUND.c.id)
            ).all()
        return [Round.model_validate(dict(row._mapping)) for row in rows]

    def delete_answers(self, team_id: str, round_id: int, now: datetime | None = None) -> int:
        """Delete everything that links a person to a closed round whose record is kept, and say when; the
        answers deleted (0, and nothing done, when the record is not kept yet)."""
        with self.engine.connect() as conn:
            kept = conn.execute(
                update(_FINAL)
                .where(_FINAL.c.team_id == team_id, _FINAL.c.round_id == round_id)
                .values(answers_deleted_at=now or utcnow())
            ).rowcount
            if not kept:
                conn.rollback()
                return 0
            answers = _delete_people(conn, team_id, round_id, user_id=None)
            conn.execute(delete(_VIEW).where(_VIEW.c.team_id == team_id, _VIEW.c.round_id == round_id))
            conn.commit()
        return answers.answers

    def forget_claims(self, before: datetime) -> int:
        """The claims that kept a member from being reminded twice on one day, once the day is long past."""
        with self.engine.connect() as conn:
            removed = conn.execute(
                delete(_CLAIM).where(_CLAIM.c.kind.in_([str(k) for k in _MEMBER_CLAIMS]), _CLAIM.c.slot < before)
            ).rowcount
            conn.commit()
        return removed

    # -- erasure --------------------------------------------------------------------------------------------

    def rounds_of_member(self, team_id: str | None, user_id: str) -> list[Round]:
        """Every round (of one workspace, or of all) in which the member took part or answered."""
        took_part = core_select(_PARTICIPANT.c.round_id).where(_PARTICIPANT.c.user_id == user_id)
        answered = core_select(_ANSWER.c.round_id).where(_ANSWER.c.user_id == user_id)
        query = core_select(_ROUND).where(or_(_ROUND.c.id.in_(took_part), _ROUND.c.id.in_(answered)))
        if team_id is not None:
            query = query.where(_ROUND.c.team_id == team_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(_ROUND.c.id)).all()
        return [Round.model_validate(dict(row._mapping)) for row in rows]

    def erase_member(self, team_id: str | None, user_id: str, *, by: str) -> dict[str, Erasure]:
        """Delete the member's answers, comments, history, prompts, reminders and direct messages in every
        round (of one workspace, or of all), and record that it was done, per workspace, in the audit log.
        Raises NeedsRecord for a closed round whose figures are not kept yet (nothing is deleted then)."""
        rounds = self.rounds_of_member(team_id, user_id)
        erased: dict[str, Erasure] = {}
        with self.engine.connect() as conn:
            # PostgreSQL: the rounds' rows locked first, as publishing a view and closing a round lock them, so
            # neither can run between this transaction's reads and its commit (SQLite: see below).
            for round_ in rounds:
                status = conn.execute(
                    core_select(_ROUND.c.status)
                    .where(_ROUND.c.team_id == round_.team_id, _ROUND.c.id == round_.id)
                    .with_for_update()
                ).scalar()
                if status == RoundStatus.CLOSED and not _has_record(conn, round_):
                    conn.rollback()
                    raise NeedsRecord(round_)
            for round_ in rounds:
                counts = _delete_people(conn, round_.team_id, round_.id, user_id=user_id)
                _replace_in_views(conn, round_.team_id, round_.id, user_id)
                before = erased.get(round_.team_id, Erasure())
                erased[round_.team_id] = Erasure(
                    before.rounds + 1, before.answers + counts.answers, before.comments + counts.comments
                )
            # Written, and so holding SQLite's write lock: a round that closed meanwhile must have its record.
            for round_ in rounds:
                status = conn.execute(
                    core_select(_ROUND.c.status).where(_ROUND.c.team_id == round_.team_id, _ROUND.c.id == round_.id)
                ).scalar()
                if status == RoundStatus.CLOSED and not _has_record(conn, round_):
                    conn.rollback()
                    raise NeedsRecord(round_)
                conn.execute(
                    delete(_CLAIM).where(
                        _CLAIM.c.team_id == round_.team_id,
                        _CLAIM.c.key == f"{round_.id}:{user_id}",
                        _CLAIM.c.kind.in_([str(k) for k in _MEMBER_CLAIMS]),
                    )
                )
            teams = sorted(erased) if erased else ([team_id] if team_id is not None else [])
            for team in teams:
                conn.execute(
                    insert(_AUDIT).values(
                        team_id=team,
                        channel_id="",
                        round_id=None,
                        user_id=by[:32],
                        action=ERASURE,
                        detail=f"member {user_id}: {erased.get(team, Erasure()).describe()}"[:200],
                        at=utcnow(),
                    )
                )
            conn.commit()
        return erased

    def erasures(self, team_id: str) -> list[AuditEntry]:
        """The workspace's erasures, newest first (the audit log's entries for them)."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                core_select(_AUDIT)
                .where(_AUDIT.c.team_id == team_id, _AUDIT.c.action == ERASURE)
                .order_by(_AUDIT.c.id.desc())
            ).all()
        return [AuditEntry.model_validate(dict(row._mapping)) for row in rows]


def _has_record(conn: Connection, round_: Round) -> bool:
    return (
        conn.execute(
            core_select(_FINAL.c.id).where(_FINAL.c.team_id == round_.team_id, _FINAL.c.round_id == round_.id)
        ).first()
        is not None
    )


def _delete_people(conn: Connection, team_id: str, round_id: int, *, user_id: str | None) -> Erasure:
    """Delete the round's rows that name a person (one member's, or everyone's), in the caller's transaction."""

    def of(table):
        condition = [table.c.team_id == team_id, table.c.round_id == round_id]
        return condition if user_id is None else [*condition, table.c.user_id == user_id]

    participants = [row.id for row in conn.execute(core_select(_PARTICIPANT.c.id).where(*of(_PARTICIPANT)))]
    prompts = [row.id for row in conn.execute(core_select(_PROMPT.c.id).where(*of(_PROMPT)))]
    answers = conn.execute(core_select(_ANSWER.c.comment).where(*of(_ANSWER))).all()
    owed = _by_reference(MessageKind.KICKOFF, participants) + _by_reference(MessageKind.REMINDER, participants)
    owed += _by_reference(MessageKind.PROMPT, prompts)
    for condition in owed:
        conn.execute(delete(_OUTBOX).where(_OUTBOX.c.team_id == team_id, *condition))
    for table in (_CHANGE, _ANSWER, _PROMPT, _REMINDER, _PARTICIPANT):
        conn.execute(delete(table).where(*of(table)))
    return Erasure(rounds=1, answers=len(answers), comments=sum(1 for (comment,) in answers if comment))


def _by_reference(kind: MessageKind, ids: Sequence[int]) -> list[tuple]:
    """Conditions for the outbox rows of `kind` that refer to `ids`, in chunks the databases take."""
    return [
        (_OUTBOX.c.kind == str(kind), _OUTBOX.c.ref_id.in_(ids[start : start + 500]))
        for start in range(0, len(ids), 500)
    ]


def _replace_in_views(conn: Connection, team_id: str, round_id: int, user_id: str) -> None:
    """Replace the member in the round's shown views by a token of this erasure (the same in every view,
    so the views still differ from each other, and from what is shown next, exactly as they did)."""
    token = f"{ERASED_PREFIX}{secrets.token_hex(6)}"
    for view_id, levels in conn.execute(
        core_select(_VIEW.c.id, _VIEW.c.levels).where(_VIEW.c.team_id == team_id, _VIEW.c.round_id == round_id)
    ).all():
        members = json.loads(levels)
        if user_id not in members:
            continue
        members[token] = members.pop(user_id)
        conn.execute(
            update(_VIEW)
            .where(_VIEW.c.team_id == team_id, _VIEW.c.id == view_id)
            .values(levels=json.dumps(members, sort_keys=True))
        )
