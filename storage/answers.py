"""Participants, their prompts and their answers: the walk-through's state, and the tallies a summary is
built from.

Every method takes the workspace (team) id and filters on it. Each method is one short transaction; the
Slack layer never holds a session open across a Web API call. Uniqueness the walk-through relies on (one
prompt per member, area and attempt; one answer per member and area) is the database's to decide.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from framework.progress import Progress, PromptState

from .db import insert_once
from .kinds import PromptStatus
from .models import Answer, AnswerChange, Participant, Prompt, Round, utcnow
from .outbox import Owed, add_owed

_NEW_LINES = re.compile(r"\r\n?")


def clean_text(text: str) -> str:
    """A member's text as every database stores it: line ends as "\\n", control characters other than new
    line and tab dropped (PostgreSQL refuses NUL), and lone surrogates (which no UTF-8 database or JSON
    reader takes) replaced by U+FFFD; a surrogate pair left split is joined. Nothing else changes."""
    text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    text = _NEW_LINES.sub("\n", text)
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc")


@dataclass(frozen=True)
class AnswerResult:
    answer: Answer
    changed: bool  # False when the same level was chosen again (a repeated click)
    first: bool  # True when the area had no answer before
    completed_now: bool = False  # True when this answer completed the member's round
    revision: int = 0  # the answer_rev of the area's latest prompt after this change (0: no prompt)


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

    def __init__(self, engine: Engine):
        self.engine = engine

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
        """Add a member who joined the channel after the round started (idempotent)."""
        insert_once(self.engine, Participant(team_id=round_.team_id, round_id=round_.id, user_id=user_id))
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

    def progress(self, team_id: str, round_id: int, user_id: str, area_ids: list[str]) -> Progress:
        with Session(self.engine) as session:
            answered = session.exec(
                select(Answer.area_id).where(
                    Answer.team_id == team_id, Answer.round_id == round_id, Answer.user_id == user_id
                )
            ).all()
            prompts = session.exec(
                select(Prompt).where(Prompt.team_id == team_id, Prompt.round_id == round_id, Prompt.user_id == user_id)
            ).all()
        states: dict[str, PromptState] = {}
        for prompt in sorted(prompts, key=lambda p: p.attempt):
            before = states.get(prompt.area_id) or PromptState(prompt.area_id)
            states[prompt.area_id] = PromptState(
                area_id=prompt.area_id,
                posts=before.posts + 1,
                skips=before.skips + (prompt.state == PromptStatus.SKIPPED),
                open=prompt.state == PromptStatus.OPEN,
            )
        return Progress(area_ids=area_ids, answered=frozenset(answered), prompts=states)

    def claim_prompt(
        self,
        team_id: str,
        round_id: int,
        user_id: str,
        area_id: str,
        attempt: int,
        owed: Callable[[Prompt], Owed] | None = None,
    ) -> Prompt | None:
        """Reserve attempt number `attempt` of an area's prompt, and (with `owed`) the message that posts
        it, in one transaction.

        The caller passes the attempt its view of the progress expects; when two requests act on the same
        view (two quick clicks, a retried request) the database's unique constraint lets exactly one of
        them have it, across processes. Returns None for the loser.
        """
        with Session(self.engine) as session:
            prompt = Prompt(team_id=team_id, round_id=round_id, user_id=user_id, area_id=area_id, attempt=attempt)
            session.add(prompt)
            try:
                session.flush()
                if owed is not None:
                    add_owed(session, team_id, owed(prompt))
                session.exec(
                    update(Participant)
                    .where(
                        Participant.team_id == team_id, Participant.round_id == round_id, Participant.user_id == user_id
                    )
                    .values(last_active_at=utcnow())
                )
                session.commit()
            except IntegrityError:
                session.rollback()
                return None
            session.refresh(prompt)
            return prompt

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
    ) -> AnswerResult:
        """Set a member's level (and/or comment) for an area, keeping the history of every change.

        Concurrent identical clicks end in one answer: the unique constraint rejects the second insert,
        which is then applied as an update of the first. The comment is stored cleaned (`clean_text`).
        """
        if set_comment and comment is not None:
            comment = clean_text(comment)
        for _ in range(3):
            try:
                return self._record_answer_once(round_, user_id, area_id, level, comment, set_comment)
            except IntegrityError:
                continue
        raise RuntimeError("could not record the answer after 3 attempts")

    def _record_answer_once(self, round_, user_id, area_id, level, comment, set_comment) -> AnswerResult:
        team_id = round_.team_id
        with Session(self.engine) as session:
            answer = session.exec(
                select(Answer)
                .where(
                    Answer.team_id == team_id,
                    Answer.round_id == round_.id,
                    Answer.user_id == user_id,
                    Answer.area_id == area_id,
                )
                .with_for_update()
            ).first()
            first = answer is None
            if answer is None:
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
                )
                old_level, old_comment = None, None
            else:
                old_level, old_comment = answer.level, answer.comment
                if level is not None:
                    answer.level = level
                if set_comment:
                    answer.comment = comment
                answer.updated_at = utcnow()
            changed = first or (answer.level, answer.comment) != (old_level, old_comment)
            if changed:
                session.add(answer)
                session.add(
                    AnswerChange(
                        team_id=team_id,
                        round_id=round_.id,
                        user_id=user_id,
                        area_id=area_id,
                        old_level=old_level,
                        new_level=answer.level,
                        old_comment=old_comment,
                        new_comment=answer.comment,
                        framework_id=round_.framework_id,
                        framework_version=round_.framework_version,
                    )
                )
            area_prompts = list(
                session.exec(
                    select(Prompt)
                    .where(
                        Prompt.team_id == team_id,
                        Prompt.round_id == round_.id,
                        Prompt.user_id == user_id,
                        Prompt.area_id == area_id,
                    )
                    .order_by(col(Prompt.attempt))
                )
            )
            for prompt in area_prompts:
                if prompt.state != PromptStatus.ANSWERED:
                    prompt.state = PromptStatus.ANSWERED
                    session.add(prompt)
            revision = 0
            if area_prompts:
                latest = area_prompts[-1]
                if changed:  # the latest prompt must now show this answer (see show_pending)
                    latest.answer_rev += 1
                    session.add(latest)
                revision = latest.answer_rev
            completed_now = self._mark_activity(session, round_, user_id, count_answers=first)
            session.commit()
            session.refresh(answer)
            return AnswerResult(
                answer=answer, changed=changed, first=first, completed_now=completed_now, revision=revision
            )

    def mark_shown(self, team_id: str, round_id: int, user_id: str, area_id: str, revision: int) -> None:
        """The area's prompt in Slack now shows the answer as of `revision` (never moves backwards, so a
        newer answer stored meanwhile stays pending)."""
        with Session(self.engine) as session:
            session.exec(
                update(Prompt)
                .where(
                    Prompt.team_id == team_id,
                    Prompt.round_id == round_id,
                    Prompt.user_id == user_id,
                    Prompt.area_id == area_id,
                    Prompt.shown_rev < revision,
                )
                .values(shown_rev=revision)
            )
            session.commit()

    def pending_shows(
        self, team_id: str | None = None, round_id: int | None = None, user_id: str | None = None, *, limit: int = 100
    ) -> list[Prompt]:
        """Posted prompts whose stored answer Slack does not show yet (a member's, or everyone's)."""
        with Session(self.engine) as session:
            query = select(Prompt).where(col(Prompt.ts).is_not(None), Prompt.shown_rev < Prompt.answer_rev)
            if team_id is not None:
                query = query.where(Prompt.team_id == team_id, Prompt.round_id == round_id, Prompt.user_id == user_id)
            return list(session.exec(query.order_by(Prompt.id).limit(limit)))

    @staticmethod
    def _mark_activity(session: Session, round_: Round, user_id: str, *, count_answers: bool) -> bool:
        """Keep the participant's last activity and completion up to date in the caller's transaction, so
        that participation is one cheap query on the participant table. True when the round was completed
        just now."""
        participant = session.exec(
            select(Participant).where(
                Participant.team_id == round_.team_id, Participant.round_id == round_.id, Participant.user_id == user_id
            )
        ).first()
        if participant is None:
            return False
        participant.last_active_at = utcnow()
        completed_now = False
        if count_answers and participant.completed_at is None:
            session.flush()
            answered = session.exec(
                select(func.count())
                .select_from(Answer)
                .where(Answer.team_id == round_.team_id, Answer.round_id == round_.id, Answer.user_id == user_id)
            ).one()
            if answered >= round_.area_count:
                participant.completed_at = participant.last_active_at
                completed_now = True
        session.add(participant)
        return completed_now

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
