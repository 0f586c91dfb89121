"""Participants, their prompts and their answers: the walk-through's state, and the tallies a summary is
built from.

Every method takes the workspace (team) id and filters on it. Each method is one short transaction; the
Slack layer never holds a session open across a Web API call. Uniqueness the walk-through relies on (one
prompt per member, area and attempt; one answer per member and area) is the database's to decide.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import NamedTuple

from cachetools import TTLCache
from sqlalchemy import Connection, Engine, and_, bindparam, case, func, insert, literal, update
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from framework.progress import Progress, PromptState

from .db import insert_once
from .group_commit import Write
from .kinds import PromptStatus, RoundStatus
from .models import Answer, AnswerChange, OutboxMessage, Participant, Prompt, Round, utcnow
from .outbox import LEASE, Owed, insert_owed

# The click's transaction works on the tables (Core statements, plain rows), not on ORM objects: it reads
# first, then writes in one short burst (on SQLite the process's writers queue from the first write to the
# commit, see storage/db.py), and hands back the rows it wrote as detached model objects.
_ANSWER = Answer.__table__
_CHANGE = AnswerChange.__table__
_PROMPT = Prompt.__table__
_PARTICIPANT = Participant.__table__
_ROUND = Round.__table__

_NEW_LINES = re.compile(r"\r\n?")

# Every click's first query, built once (building a statement costs more than running it).
_MEMBER_IN_ROUND = (
    select(Round, Participant)
    .outerjoin(
        Participant,
        (Participant.round_id == Round.id)
        & (Participant.team_id == bindparam("b_team"))
        & (Participant.user_id == bindparam("b_user")),
    )
    .where(Round.team_id == bindparam("b_team"), Round.id == bindparam("b_round"))
)


def clean_text(text: str) -> str:
    """A member's text as every database stores it: line ends as "\\n", control characters other than new
    line and tab dropped (PostgreSQL refuses NUL), and lone surrogates (which no UTF-8 database or JSON
    reader takes) replaced by U+FFFD; a surrogate pair left split is joined. Nothing else changes."""
    text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    text = _NEW_LINES.sub("\n", text)
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc")


# A level click's member check is remembered this long, for this many members a process, because the answer's
# own transaction checks again (NotInOpenRound): a click need not read the round and its member each time.
MEMBER_MEMO_SECONDS = 60.0
MEMBER_MEMO_SIZE = 10_000


class NotInOpenRound(Exception):
    """The answer's transaction found its round closed, or the member no longer in it: nothing was written.
    (The member check before it passed, remembered or read a moment before the round closed.)"""


# What posts an area's prompt: (area id, the claimed prompt row) -> the owed message.
PromptFor = Callable[[str, Prompt], Owed]


class PromptRow(NamedTuple):
    """A member's prompt as the walk-through's transactions read it."""

    id: int
    area_id: str
    attempt: int
    state: str
    ts: str | None
    answer_rev: int
    shown_rev: int


@dataclass(frozen=True)
class Step:
    """Where a member's walk-through stands after one transaction, and the prompt it claimed, if any.

    `message` is the claimed prompt's outbox row, born leased to the caller (attempt 1): the caller sends
    it straight away without another transaction to take it, and if the caller dies the lease runs out and
    any sender takes it over."""

    progress: Progress
    prompt: Prompt | None = None
    message: OutboxMessage | None = None
    lost_race: bool = False  # another request claimed the prompt this one wanted
    unshown: tuple[PromptRow, ...] = ()  # the member's other prompts whose stored answer Slack does not show yet


@dataclass(frozen=True)
class AnswerResult:
    answer: Answer
    changed: bool  # False when the same level was chosen again (a repeated click)
    first: bool  # True when the area had no answer before
    completed_now: bool = False  # True when this answer completed the member's round
    revision: int = 0  # the answer_rev of the area's latest prompt after this change (0: no prompt)
    step: Step | None = None  # with `next_prompt`: the progress after the answer and the next prompt claimed


@dataclass(frozen=True)
class MemberProgress:
    user_id: str
    answered: int
    started: bool

    def status(self, total: int) -> str:
        if self.answered >= total:
            return "complete"
        return "in progress" if self.started else "not started"


class AnswerStore:
    """Participants, prompts and answers of rounds, scoped by workspace."""

    def __init__(self, engine: Engine, outbox_lease: timedelta = LEASE):
        self.engine = engine
        self.outbox_lease = outbox_lease
        self._members: TTLCache = TTLCache(maxsize=MEMBER_MEMO_SIZE, ttl=MEMBER_MEMO_SECONDS)
        self._members_lock = threading.Lock()  # TTLCache is not thread-safe

    # -- participants ----------------------------------------------------------------------------------

    def participant(self, team_id: str, round_id: int, user_id: str) -> Participant | None:
        with Session(self.engine) as session:
            return session.exec(
                select(Participant).where(
                    Participant.team_id == team_id,
                    Participant.round_id == round_id,
                    Participant.user_id == user_id,
                )
            ).first()

    def member_in_round(
        self, team_id: str, round_id: int, user_id: str, *, remembered: bool = False
    ) -> tuple[Round | None, Participant | None]:
        """The round of this workspace and the member's place in it (None where there is none), in one query:
        what every click checks before acting.

        With `remembered`, an open round's member whose thread exists may come from what this process read
        in the last MEMBER_MEMO_SECONDS, without a query: only for a caller whose own transaction checks the
        round and the member again (record_answer's). What a click reads of them is fixed once the thread
        exists (the round's framework and channel, the member's DM and thread); only the round's status and
        the member's place in it can change, and those are checked again."""
        key = (team_id, round_id, user_id)
        if remembered:
            with self._members_lock:
                found = self._members.get(key)
            if found is not None:
                return found
        with Session(self.engine) as session:
            row = session.exec(_MEMBER_IN_ROUND, params=_member(team_id, round_id, user_id)).first()
        found = (row[0], row[1]) if row is not None else (None, None)
        round_, participant = found
        if round_ is not None and round_.status == RoundStatus.OPEN and participant and participant.thread_ts:
            with self._members_lock:
                self._members[key] = found
        return found

    def participants(self, team_id: str, round_id: int) -> list[Participant]:
        with Session(self.engine) as session:
            return list(
                session.exec(
                    select(Participant)
                    .where(Participant.team_id == team_id, Participant.round_id == round_id)
                    .order_by(Participant.id)
                )
            )

    def add_participant(self, round_: Round, user_id: str) -> Participant:
        """Add a member who joined the channel after the round started (idempotent), numbered after everyone
        numbered so far, and kept: their "Member k" never moves, even when a member before them is erased."""
        for _ in range(5):
            existing = self.participant(round_.team_id, round_.id, user_id)
            if existing is not None:
                return existing
            with Session(self.engine) as session:
                highest = session.exec(
                    select(func.max(Participant.pseudonym)).where(
                        Participant.team_id == round_.team_id, Participant.round_id == round_.id
                    )
                ).one()
            number = (highest or 0) + 1
            row = Participant(team_id=round_.team_id, round_id=round_.id, user_id=user_id, pseudonym=number)
            insert_once(self.engine, row)  # False: they, or another member with that number, came meanwhile
        return self.participant(round_.team_id, round_.id, user_id)

    def latest_profile(self, team_id: str, user_id: str) -> tuple[Round, dict[str, int]] | None:
        """The member's answers in the newest round they answered in."""
        with Session(self.engine) as session:
            round_ = session.exec(
                select(Round)
                .join(Answer, Answer.round_id == Round.id)
                .where(Round.team_id == team_id, Answer.team_id == team_id, Answer.user_id == user_id)
                .order_by(col(Round.id).desc())
            ).first()
            if round_ is None:
                return None
            rows = session.exec(
                select(Answer.area_id, Answer.level).where(
                    Answer.team_id == team_id, Answer.round_id == round_.id, Answer.user_id == user_id
                )
            )
            return round_, dict(rows.all())

    def touch(self, participant_id: int, *, completed: bool | None = None) -> None:
        with Session(self.engine) as session:
            participant = session.get(Participant, participant_id)
            participant.last_active_at = utcnow()
            if completed is True and participant.completed_at is None:
                participant.completed_at = utcnow()
            elif completed is False:
                participant.completed_at = None
            session.add(participant)
            session.commit()

    # -- prompts ---------------------------------------------------------------------------------------

    def progress(self, team_id: str, round_id: int, user_id: str, area_ids: Sequence[str]) -> Progress:
        with self.engine.connect() as conn:
            answered = _answered(conn, team_id, round_id, user_id)
            return _progress(area_ids, answered, _prompts(conn, team_id, round_id, user_id))

    def claim_next(
        self, round_: Round, user_id: str, area_ids: Sequence[str], prompt_for: PromptFor, *, resuming: bool = False
    ) -> Step:
        """Read where the member is and claim the prompt that comes next (with its message, born leased to
        the caller), in one transaction. See `Step`."""
        for _ in range(3):
            with self.engine.connect() as conn:
                prompts = _prompts(conn, round_.team_id, round_.id, user_id)
                progress = _progress(area_ids, _answered(conn, round_.team_id, round_.id, user_id), prompts)
                try:
                    step = self._claim(conn, round_, user_id, progress, prompts, prompt_for, resuming=resuming)
                    conn.commit()
                except IntegrityError:  # another request claimed the same attempt a moment ago: look again
                    conn.rollback()
                    continue
                return step
        return Step(progress=self.progress(round_.team_id, round_.id, user_id, area_ids), lost_race=True)

    def _claim(
        self,
        conn: Connection,
        round_: Round,
        user_id: str,
        progress: Progress,
        prompts: list[PromptRow],
        prompt_for: PromptFor,
        *,
        resuming: bool = False,
        touched: bool = False,
    ) -> Step:
        """Claim the next prompt in the caller's transaction (whose commit may fail on the unique attempt,
        when another request claimed it first); the member's activity is touched either way (unless the
        caller has, `touched`)."""
        unshown = tuple(p for p in prompts if p.ts is not None and p.shown_rev < p.answer_rev)
        if not touched:
            _touch(conn, round_, user_id)
        area_id = progress.next_area(resuming=resuming)
        if area_id is None:
            return Step(progress=progress, unshown=unshown)
        prompt = Prompt(
            team_id=round_.team_id,
            round_id=round_.id,
            user_id=user_id,
            area_id=area_id,
            attempt=progress.posts(area_id) + 1,
        )
        prompt.id = conn.execute(
            _INSERT_PROMPT,
            {
                "team_id": prompt.team_id,
                "round_id": prompt.round_id,
                "user_id": user_id,
                "area_id": area_id,
                "attempt": prompt.attempt,
                "state": prompt.state,
                "created_at": prompt.created_at,
            },
        ).inserted_primary_key[0]
        message = insert_owed(conn, round_.team_id, prompt_for(area_id, prompt), leased_for=self.outbox_lease)
        row = PromptRow(prompt.id, area_id, prompt.attempt, prompt.state, None, 0, 0)
        claimed = _progress(progress.area_ids, progress.answered, [*prompts, row])
        return Step(progress=claimed, prompt=prompt, message=message, unshown=unshown)

    def latest_prompt(self, team_id: str, round_id: int, user_id: str, area_id: str) -> Prompt | None:
        with Session(self.engine) as session:
            return session.exec(
                select(Prompt)
                .where(
                    Prompt.team_id == team_id,
                    Prompt.round_id == round_id,
                    Prompt.user_id == user_id,
                    Prompt.area_id == area_id,
                )
                .order_by(col(Prompt.attempt).desc())
            ).first()

    def skip(self, team_id: str, round_id: int, user_id: str, area_id: str) -> bool:
        """Mark the open prompt of an area skipped; False when there is none (already answered or skipped)."""
        with Session(self.engine) as session:
            prompt = session.exec(
                select(Prompt).where(
                    Prompt.team_id == team_id,
                    Prompt.round_id == round_id,
                    Prompt.user_id == user_id,
                    Prompt.area_id == area_id,
                    Prompt.state == PromptStatus.OPEN,
                )
            ).first()
            answered = session.exec(
                select(Answer.id).where(
                    Answer.team_id == team_id,
                    Answer.round_id == round_id,
                    Answer.user_id == user_id,
                    Answer.area_id == area_id,
                )
            ).first()
            if prompt is None or answered is not None:
                return False
            prompt.state = PromptStatus.SKIPPED
            session.add(prompt)
            session.commit()
            return True

    # -- answers ---------------------------------------------------------------------------------------

    def record_answer(
        self,
        *,
        round_: Round,
        user_id: str,
        area_id: str,
        level: int | None = None,
        comment: str | None = None,
        set_comment: bool = False,
        next_prompt: PromptFor | None = None,
        area_ids: Sequence[str] = (),
    ) -> AnswerResult:
        """Set a member's level (and/or comment) for an area, keeping the history of every change; with
        `next_prompt` (and the framework's `area_ids`), also claim the prompt that comes next, in the same
        transaction (the result's `step`), so a click costs one transaction before its next prompt is posted.

        Concurrent identical clicks end in one answer: the unique constraint rejects the second insert,
        which is then applied as an update of the first (and a prompt two requests both claimed goes to
        one of them). The comment is stored cleaned (`clean_text`).
        """
        if set_comment and comment is not None:
            comment = clean_text(comment)
        for _ in range(3):
            try:
                return self._record_answer_once(
                    round_, user_id, area_id, level, comment, set_comment, next_prompt, area_ids
                )
            except IntegrityError:
                continue
        raise RuntimeError("could not record the answer after 3 attempts")

    def _record_answer_once(
        self, round_, user_id, area_id, level, comment, set_comment, next_prompt, area_ids
    ) -> AnswerResult:
        team_id = round_.team_id
        # Reads first (the member's answers, locked, and prompts), then the writes in one burst. The rows
        # written are handed back as they were committed, not reloaded.
        with self.engine.connect() as conn:
            rows = conn.execute(_ANSWERS_LOCKED, _member(team_id, round_.id, user_id)).all()
            existing = next((row for row in rows if row.area_id == area_id), None)
            first = existing is None
            now = utcnow()
            if existing is None:
                if level is None:
                    raise ValueError("a first answer needs a level")
                answer = Answer(
                    team_id=team_id,
                    round_id=round_.id,
                    user_id=user_id,
                    area_id=area_id,
                    level=level,
                    comment=comment if set_comment else None,
                    framework_id=round_.framework_id,
                    framework_version=round_.framework_version,
                    created_at=now,
                    updated_at=now,
                )
                old_level, old_comment = None, None
            else:
                answer = Answer(**existing._mapping)
                old_level, old_comment = answer.level, answer.comment
                if level is not None:
                    answer.level = level
                if set_comment:
                    answer.comment = comment
            changed = first or (answer.level, answer.comment) != (old_level, old_comment)
            if not changed:  # nothing to write; still, say so only of an open round (the check may be a memo)
                if not conn.execute(_IS_OPEN, _member(team_id, round_.id, user_id)).scalar():
                    raise NotInOpenRound()
                return AnswerResult(answer=answer, changed=False, first=False)
            prompts = _prompts(conn, team_id, round_.id, user_id)
            answered = frozenset(row.area_id for row in rows) | {area_id}
            area_prompts = [p for p in prompts if p.area_id == area_id]
            revision = area_prompts[-1].answer_rev + 1 if area_prompts else 0
            # The latest prompt of the area must now show this answer (see show_pending); all of them are
            # answered.
            prompts = [
                p._replace(state=PromptStatus.ANSWERED, answer_rev=revision if p is area_prompts[-1] else p.answer_rev)
                if p.area_id == area_id
                else p
                for p in prompts
            ]

            # -- the writes
            if first:
                answer.id = conn.execute(
                    _INSERT_ANSWER,
                    {
                        "team_id": team_id,
                        "round_id": round_.id,
                        "user_id": user_id,
                        "area_id": area_id,
                        "level": answer.level,
                        "comment": answer.comment,
                        "framework_id": answer.framework_id,
                        "framework_version": answer.framework_version,
                        "created_at": now,
                        "updated_at": now,
                    },
                ).inserted_primary_key[0]
            else:
                answer.updated_at = now
                conn.execute(
                    _UPDATE_ANSWER,
                    {"b_id": answer.id, "b_level": answer.level, "b_comment": answer.comment, "b_at": now},
                )
            conn.execute(
                _INSERT_CHANGE,
                {
                    "team_id": team_id,
                    "round_id": round_.id,
                    "user_id": user_id,
                    "area_id": area_id,
                    "old_level": old_level,
                    "new_level": answer.level,
                    "old_comment": old_comment,
                    "new_comment": answer.comment,
                    "framework_id": round_.framework_id,
                    "framework_version": round_.framework_version,
                    "changed_at": now,
                },
            )
            if area_prompts:
                latest = area_prompts[-1]
                earlier = [p.id for p in area_prompts[:-1] if p.state != PromptStatus.ANSWERED]
                if earlier:
                    conn.execute(update(_PROMPT).where(_PROMPT.c.id.in_(earlier)).values(state=PromptStatus.ANSWERED))
                conn.execute(_PROMPT_ANSWERED, {"b_id": latest.id, "b_rev": revision})
            # The member's activity, and for a new answer their round's completion, counted here (after the
            # answer is written) rather than from the answers read above, which a concurrent click of theirs
            # may have outdated.
            completed_now = _touch(
                conn, round_, user_id, complete_at=round_.area_count if first else None, only_if_open=True
            )
            step = None
            if next_prompt is not None:
                progress = _progress(area_ids, answered, prompts)
                step = self._claim(conn, round_, user_id, progress, prompts, next_prompt, touched=True)
            conn.commit()
            return AnswerResult(
                answer=answer, changed=True, first=first, completed_now=completed_now, revision=revision, step=step
            )

    def mark_shown(self, team_id: str, round_id: int, user_id: str, area_id: str, revision: int) -> None:
        """The area's prompt in Slack now shows the answer as of `revision` (never moves backwards, so a
        newer answer stored meanwhile stays pending)."""
        with self.engine.connect() as conn:
            conn.execute(*shown_update(team_id, round_id, user_id, area_id, revision))
            conn.commit()

    def pending_shows(
        self, team_id: str | None = None, round_id: int | None = None, user_id: str | None = None, *, limit: int = 100
    ) -> list[Prompt]:
        """Posted prompts whose stored answer Slack does not show yet (a member's, or everyone's)."""
        with Session(self.engine) as session:
            query = select(Prompt).where(col(Prompt.ts).is_not(None), Prompt.shown_rev < Prompt.answer_rev)
            if team_id is not None:
                query = query.where(Prompt.team_id == team_id, Prompt.round_id == round_id, Prompt.user_id == user_id)
            return list(session.exec(query.order_by(Prompt.id).limit(limit)))

    def answers(self, team_id: str, round_id: int, user_id: str | None = None) -> list[Answer]:
        with Session(self.engine) as session:
            query = select(Answer).where(Answer.team_id == team_id, Answer.round_id == round_id)
            if user_id is not None:
                query = query.where(Answer.user_id == user_id)
            return list(session.exec(query.order_by(Answer.id)))

    def answer(self, team_id: str, round_id: int, user_id: str, area_id: str) -> Answer | None:
        with Session(self.engine) as session:
            return session.exec(
                select(Answer).where(
                    Answer.team_id == team_id,
                    Answer.round_id == round_id,
                    Answer.user_id == user_id,
                    Answer.area_id == area_id,
                )
            ).first()

    def history(self, team_id: str, round_id: int, user_id: str, area_id: str) -> list[AnswerChange]:
        with Session(self.engine) as session:
            return list(
                session.exec(
                    select(AnswerChange)
                    .where(
                        AnswerChange.team_id == team_id,
                        AnswerChange.round_id == round_id,
                        AnswerChange.user_id == user_id,
                        AnswerChange.area_id == area_id,
                    )
                    .order_by(AnswerChange.id)
                )
            )

    def team_progress(self, team_id: str, round_id: int) -> list[MemberProgress]:
        """Per member: how many areas answered and whether they have started (one grouped query each)."""
        with Session(self.engine) as session:
            counts = dict(
                session.exec(
                    select(Answer.user_id, func.count())
                    .where(Answer.team_id == team_id, Answer.round_id == round_id)
                    .group_by(Answer.user_id)
                ).all()
            )
            prompted = set(
                session.exec(
                    select(Prompt.user_id).where(Prompt.team_id == team_id, Prompt.round_id == round_id).distinct()
                ).all()
            )
            members = session.exec(
                select(Participant.user_id)
                .where(Participant.team_id == team_id, Participant.round_id == round_id)
                .order_by(Participant.id)
            ).all()
        return [
            MemberProgress(user_id=u, answered=counts.get(u, 0), started=u in prompted or u in counts) for u in members
        ]

    # -- tallies for summaries ------------------------------------------------------------------------

    def level_counts(self, team_id: str, round_id: int) -> dict[str, dict[int, int]]:
        """How many members chose each level per area: one GROUP BY, done by the database."""
        counts: dict[str, dict[int, int]] = defaultdict(dict)
        with Session(self.engine) as session:
            rows = session.exec(
                select(Answer.area_id, Answer.level, func.count())
                .where(Answer.team_id == team_id, Answer.round_id == round_id)
                .group_by(Answer.area_id, Answer.level)
            )
            for area_id, level, count in rows:
                counts[area_id][level] = count
        return dict(counts)

    def participation(self, team_id: str, round_id: int) -> tuple[int, int, int]:
        """(members, complete, started) for a round: one query on the participant table, whose activity and
        completion the answer and prompt writes keep up to date."""
        with Session(self.engine) as session:
            members, complete, started = session.exec(
                select(
                    func.count(), func.count(Participant.completed_at), func.count(Participant.last_active_at)
                ).where(Participant.team_id == team_id, Participant.round_id == round_id)
            ).one()
        return members, complete, started


# -- the walk-through's reads and writes inside a caller's transaction --------------------------------------


_SHOWN = (
    update(_PROMPT)
    .where(
        _PROMPT.c.team_id == bindparam("b_team"),
        _PROMPT.c.round_id == bindparam("b_round"),
        _PROMPT.c.user_id == bindparam("b_user"),
        _PROMPT.c.area_id == bindparam("b_area"),
        _PROMPT.c.shown_rev < bindparam("b_rev"),
    )
    .values(shown_rev=bindparam("b_rev"))
)


def shown_update(team_id: str, round_id: int, user_id: str, area_id: str, revision: int) -> Write:
    """The statement recording that the area's prompt in Slack shows the answer as of `revision` (see
    `AnswerStore.mark_shown`; the click runs it in the transaction that marks its next prompt sent), with
    its parameters: the statement is built once, as every click runs it."""
    return _SHOWN, {"b_team": team_id, "b_round": round_id, "b_user": user_id, "b_area": area_id, "b_rev": revision}


_PROMPT_ROW = (
    _PROMPT.c.id,
    _PROMPT.c.area_id,
    _PROMPT.c.attempt,
    _PROMPT.c.state,
    _PROMPT.c.ts,
    _PROMPT.c.answer_rev,
    _PROMPT.c.shown_rev,
)


# The click's statements, built once: building a statement costs more than running it, and every click
# runs these. (Bound parameters are named b_*: a column's own name is reserved in an UPDATE's SET.)


def _of_member(table):
    """A member's rows of `table` in a round, by bound parameters b_team, b_round and b_user."""
    return (
        table.c.team_id == bindparam("b_team"),
        table.c.round_id == bindparam("b_round"),
        table.c.user_id == bindparam("b_user"),
    )


def _member(team_id: str, round_id: int, user_id: str) -> dict:
    """The bound parameters of `_of_member`."""
    return {"b_team": team_id, "b_round": round_id, "b_user": user_id}


_ANSWERS_LOCKED = core_select(_ANSWER).where(*_of_member(_ANSWER)).order_by(_ANSWER.c.id).with_for_update()
_MEMBER_PROMPTS = core_select(*_PROMPT_ROW).where(*_of_member(_PROMPT)).order_by(_PROMPT.c.area_id, _PROMPT.c.attempt)
_MEMBER_AREAS = core_select(_ANSWER.c.area_id).where(*_of_member(_ANSWER))
_INSERT_ANSWER = insert(_ANSWER)
_INSERT_CHANGE = insert(_CHANGE)
_INSERT_PROMPT = insert(_PROMPT)
_UPDATE_ANSWER = (
    update(_ANSWER)
    .where(_ANSWER.c.id == bindparam("b_id"))
    .values(level=bindparam("b_level"), comment=bindparam("b_comment"), updated_at=bindparam("b_at"))
)
_PROMPT_ANSWERED = (
    update(_PROMPT)
    .where(_PROMPT.c.id == bindparam("b_id"))
    .values(state=PromptStatus.ANSWERED, answer_rev=bindparam("b_rev"))
)
_TOUCH = update(_PARTICIPANT).where(*_of_member(_PARTICIPANT)).values(last_active_at=bindparam("b_now"))
_COMPLETES = and_(
    _PARTICIPANT.c.completed_at.is_(None),
    core_select(func.count()).select_from(_ANSWER).where(*_of_member(_ANSWER)).scalar_subquery()
    >= bindparam("b_areas"),
)
_TOUCH_AND_COMPLETE = _TOUCH.values(
    completed_at=case((_COMPLETES, bindparam("b_now")), else_=_PARTICIPANT.c.completed_at)
).returning(_PARTICIPANT.c.completed_at == bindparam("b_now"))
# The round still open, its row held FOR SHARE on PostgreSQL (see _touch).
_ROUND_OPEN = (
    core_select(literal(1))
    .select_from(_ROUND)
    .where(_ROUND.c.team_id == bindparam("b_team"), _ROUND.c.id == bindparam("b_round"))
    .where(_ROUND.c.status == RoundStatus.OPEN)
    .with_for_update(read=True)
    .exists()
)
_IS_OPEN = core_select(_ROUND_OPEN)
_TOUCH_IF_OPEN = _TOUCH.where(_ROUND_OPEN)
_TOUCH_AND_COMPLETE_IF_OPEN = _TOUCH_AND_COMPLETE.where(_ROUND_OPEN)


def _prompts(conn: Connection, team_id: str, round_id: int, user_id: str) -> list[PromptRow]:
    """A member's prompts in a round, oldest attempt first."""
    rows = conn.execute(_MEMBER_PROMPTS, _member(team_id, round_id, user_id))
    return [PromptRow(*row) for row in rows]


def _answered(conn: Connection, team_id: str, round_id: int, user_id: str) -> frozenset[str]:
    return frozenset(conn.execute(_MEMBER_AREAS, _member(team_id, round_id, user_id)).scalars())


def _progress(area_ids: Sequence[str], answered: frozenset[str], prompts: Sequence[PromptRow]) -> Progress:
    states: dict[str, PromptState] = {}
    for prompt in sorted(prompts, key=lambda p: p.attempt):
        before = states.get(prompt.area_id) or PromptState(prompt.area_id)
        states[prompt.area_id] = PromptState(
            area_id=prompt.area_id,
            posts=before.posts + 1,
            skips=before.skips + (prompt.state == PromptStatus.SKIPPED),
            open=prompt.state == PromptStatus.OPEN,
        )
    return Progress(area_ids=area_ids, answered=answered, prompts=states)


def _touch(
    conn: Connection, round_: Round, user_id: str, *, complete_at: int | None = None, only_if_open: bool = False
) -> bool:
    """The member's last activity, kept on the participant row so that participation is one cheap query.
    With `complete_at` (the round's number of areas), also mark the round complete if the member has that
    many answers now; True when this marked it (it was not complete before).

    With `only_if_open`, the round must still be open and the member still in it, or NotInOpenRound is raised
    (the caller's transaction then writes nothing). On PostgreSQL the check holds the round's row FOR SHARE
    until the caller commits, so a round closing meanwhile waits for this answer, or this answer sees it
    closed: no answer lands in a closed round. (SQLite has one writer at a time, this write among them.)"""
    member = {**_member(round_.team_id, round_.id, user_id), "b_now": utcnow()}
    if complete_at is None:
        touched = conn.execute(_TOUCH_IF_OPEN if only_if_open else _TOUCH, member).rowcount
        if only_if_open and touched != 1:
            raise NotInOpenRound()
        return False
    statement = _TOUCH_AND_COMPLETE_IF_OPEN if only_if_open else _TOUCH_AND_COMPLETE
    row = conn.execute(statement, {**member, "b_areas": complete_at}).first()
    if row is None and only_if_open:
        raise NotInOpenRound()
    return bool(row[0]) if row is not None else False
