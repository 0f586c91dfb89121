"""Queries for rounds, participants, prompts and answers: the only place the product touches those tables.

Every method takes the workspace (team) id and filters on it, so a request from one workspace can never
reach another's rows even when Slack ids collide. Each method is one short transaction; the Slack layer
never holds a session open across a Web API call.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import Engine, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from framework.models import Framework
from framework.progress import Progress, PromptState

from .db import insert_once
from .models import Answer, AnswerChange, OutboxMessage, Participant, ProcessedEvent, Prompt, Round, utcnow
from .outbox import Owed, add_owed


class RoundAlreadyOpen(Exception):
    """A channel can have one open round at a time."""

    def __init__(self, round_: Round):
        super().__init__(f"round {round_.id} is open in {round_.channel_id}")
        self.round = round_


@dataclass(frozen=True)
class AnswerResult:
    answer: Answer
    changed: bool  # False when the same level was chosen again (a repeated click)
    first: bool  # True when the area had no answer before
    completed_now: bool = False  # True when this answer completed the member's round


@dataclass(frozen=True)
class MemberProgress:
    user_id: str
    answered: int
    started: bool

    def status(self, total: int) -> str:
        if self.answered >= total:
            return "complete"
        return "in progress" if self.started else "not started"


class AssessmentStore:
    """Rounds, participants, prompts and answers, scoped by workspace."""

    def __init__(self, engine: Engine):
        self.engine = engine

    # -- rounds ----------------------------------------------------------------------------------------

    def start_round(
        self,
        *,
        team_id: str,
        enterprise_id: str | None,
        channel_id: str,
        framework: Framework,
        started_by: str,
        members: Iterable[str],
        anonymous: bool = True,
        kickoff: Callable[[Round, Participant], Owed] | None = None,
    ) -> Round:
        """Create an open round, its participants and (with `kickoff`) the kick-off message each is owed,
        in one transaction; or raise RoundAlreadyOpen."""
        with Session(self.engine) as session:
            round_ = Round(
                team_id=team_id,
                enterprise_id=enterprise_id,
                channel_id=channel_id,
                framework_id=framework.id,
                framework_version=framework.version,
                area_count=len(framework.areas),
                started_by=started_by,
                anonymous=anonymous,
            )
            session.add(round_)
            try:
                session.flush()
                participants = [
                    Participant(team_id=team_id, round_id=round_.id, user_id=user_id) for user_id in dict.fromkeys(members)
                ]
                session.add_all(participants)
                if kickoff is not None:
                    session.flush()
                    for participant in participants:
                        add_owed(session, team_id, kickoff(round_, participant))
                session.commit()
            except IntegrityError:
                session.rollback()
                existing = self.open_round(team_id, channel_id)
                if existing is None:
                    raise
                raise RoundAlreadyOpen(existing) from None
            session.refresh(round_)
            return round_

    def open_round(self, team_id: str, channel_id: str) -> Round | None:
        with Session(self.engine) as session:
            return session.exec(
                select(Round).where(
                    Round.team_id == team_id, Round.channel_id == channel_id, Round.status == "open"
                )
            ).first()

    def get_round(self, team_id: str, round_id: int) -> Round | None:
        with Session(self.engine) as session:
            return session.exec(
                select(Round).where(Round.team_id == team_id, Round.id == round_id)
            ).first()

    def set_announcement(self, team_id: str, round_id: int, ts: str) -> None:
        with Session(self.engine) as session:
            round_ = session.exec(select(Round).where(Round.team_id == team_id, Round.id == round_id)).one()
            round_.announcement_ts = ts
            session.add(round_)
            session.commit()

    def discard_round(self, team_id: str, round_id: int) -> None:
        """Remove a round that never got going (its announcement could not be posted)."""
        with Session(self.engine) as session:
            for model in (Participant, Prompt, Answer, AnswerChange):
                for row in session.exec(
                    select(model).where(model.team_id == team_id, model.round_id == round_id)
                ):
                    session.delete(row)
            for row in session.exec(
                select(OutboxMessage).where(
                    OutboxMessage.team_id == team_id, col(OutboxMessage.key).startswith(f"kickoff:{round_id}:")
                )
            ):
                session.delete(row)
            session.flush()
            round_ = session.exec(select(Round).where(Round.team_id == team_id, Round.id == round_id)).first()
            if round_ is not None:
                session.delete(round_)
            session.commit()

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

    def open_rounds_for_member(self, team_id: str, user_id: str) -> list[tuple[Round, Participant]]:
        """The open rounds a member takes part in, newest first."""
        with Session(self.engine) as session:
            rows = session.exec(
                select(Round, Participant)
                .join(Participant, Participant.round_id == Round.id)
                .where(
                    Round.team_id == team_id,
                    Round.status == "open",
                    Participant.team_id == team_id,
                    Participant.user_id == user_id,
                )
                .order_by(col(Round.id).desc())
            )
            return [(r, p) for r, p in rows]

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

    def open_rounds(self, team_id: str) -> list[Round]:
        """A workspace's open rounds, newest first."""
        with Session(self.engine) as session:
            return list(
                session.exec(select(Round).where(Round.team_id == team_id, Round.status == "open").order_by(col(Round.id).desc()))
            )

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
                select(Prompt).where(
                    Prompt.team_id == team_id, Prompt.round_id == round_id, Prompt.user_id == user_id
                )
            ).all()
        states: dict[str, PromptState] = {}
        for prompt in sorted(prompts, key=lambda p: p.attempt):
            before = states.get(prompt.area_id) or PromptState(prompt.area_id)
            states[prompt.area_id] = PromptState(
                area_id=prompt.area_id,
                posts=before.posts + 1,
                skips=before.skips + (prompt.state == "skipped"),
                open=prompt.state == "open",
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
                    .where(Participant.team_id == team_id, Participant.round_id == round_id, Participant.user_id == user_id)
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

    def prompt_by_ts(self, team_id: str, round_id: int, user_id: str, ts: str) -> Prompt | None:
        with Session(self.engine) as session:
            return session.exec(
                select(Prompt).where(
                    Prompt.team_id == team_id,
                    Prompt.round_id == round_id,
                    Prompt.user_id == user_id,
                    Prompt.ts == ts,
                )
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
                    Prompt.state == "open",
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
            prompt.state = "skipped"
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
        which is then applied as an update of the first.
        """
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
            for prompt in session.exec(
                select(Prompt).where(
                    Prompt.team_id == team_id,
                    Prompt.round_id == round_.id,
                    Prompt.user_id == user_id,
                    Prompt.area_id == area_id,
                    Prompt.state != "answered",
                )
            ):
                prompt.state = "answered"
                session.add(prompt)
            completed_now = self._mark_activity(session, round_, user_id, count_answers=first)
            session.commit()
            session.refresh(answer)
            return AnswerResult(answer=answer, changed=changed, first=first, completed_now=completed_now)

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
                select(func.count()).select_from(Answer).where(
                    Answer.team_id == round_.team_id, Answer.round_id == round_.id, Answer.user_id == user_id
                )
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
                    select(Prompt.user_id)
                    .where(Prompt.team_id == team_id, Prompt.round_id == round_id)
                    .distinct()
                ).all()
            )
            members = session.exec(
                select(Participant.user_id)
                .where(Participant.team_id == team_id, Participant.round_id == round_id)
                .order_by(Participant.id)
            ).all()
        return [
            MemberProgress(user_id=u, answered=counts.get(u, 0), started=u in prompted or u in counts)
            for u in members
        ]

    # -- Slack delivery bookkeeping --------------------------------------------------------------------

    def first_delivery(self, team_id: str, event_id: str) -> bool:
        """True the first time an event id is seen for a workspace; False for Slack's retries."""
        return insert_once(self.engine, ProcessedEvent(team_id=team_id, event_id=event_id))

