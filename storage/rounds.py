"""Rounds and their lifecycle: starting (with the participants and their owed kick-offs), finding,
numbering, closing and discarding. The only place the product changes a round's status.

Every method takes the workspace (team) id and filters on it, so one workspace never reaches another's
rounds even when channel ids collide. The clock's cross-workspace queries say so in their names.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import date, datetime

from sqlalchemy import Engine, delete, func, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from framework.models import Framework

from .kinds import MessageKind, RoundStatus
from .models import (
    Answer,
    AnswerChange,
    OutboxMessage,
    Participant,
    Prompt,
    PublishedView,
    Round,
    RoundTarget,
    Target,
    utcnow,
)
from .outbox import Owed, add_owed


def pseudonym_numbers(count: int) -> list[int]:
    """1..count in a random order from the operating system's generator: the "Member k" number of each of a
    new round's members, so that exports never follow Slack's order of the channel (which anyone in it can
    see) and one round's numbers say nothing about another's. The tests replace it to fix the order."""
    numbers = list(range(1, count + 1))
    secrets.SystemRandom().shuffle(numbers)
    return numbers


class RoundAlreadyOpen(Exception):
    """A channel can have one open round at a time."""

    def __init__(self, round_: Round):
        super().__init__(f"round {round_.id} is open in {round_.channel_id}")
        self.round = round_


class RoundStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    # -- starting --------------------------------------------------------------------------------------

    def start(
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
        channel_name: str | None = None,
        team_name: str | None = None,
    ) -> Round:
        """Create an open round with the channel's targets as they are now, its participants (each with a
        random pseudonym number, `pseudonym_numbers`) and (with `kickoff`) the kick-off message each is owed,
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
                channel_name=channel_name,
                team_name=team_name,
            )
            session.add(round_)
            try:
                session.flush()
                for target in session.exec(
                    select(Target).where(
                        Target.team_id == team_id, Target.channel_id == channel_id, Target.framework_id == framework.id
                    )
                ):
                    session.add(
                        RoundTarget(team_id=team_id, round_id=round_.id, area_id=target.area_id, level=target.level)
                    )
                user_ids = list(dict.fromkeys(members))
                participants = [
                    Participant(team_id=team_id, round_id=round_.id, user_id=user_id, pseudonym=number)
                    for user_id, number in zip(user_ids, pseudonym_numbers(len(user_ids)), strict=True)
                ]
                session.add_all(participants)
                if kickoff is not None:
                    session.flush()
                    for participant in participants:
                        add_owed(session, team_id, kickoff(round_, participant))
                session.commit()
            except IntegrityError:
                session.rollback()
                existing = self.open_in_channel(team_id, channel_id)
                if existing is None:
                    raise
                raise RoundAlreadyOpen(existing) from None
            session.refresh(round_)
            return round_

    def discard(self, team_id: str, round_id: int) -> None:
        """Remove a round that never got going (its announcement could not be posted), with its owed
        kick-offs."""
        with Session(self.engine) as session:
            participant_ids = select(Participant.id).where(
                Participant.team_id == team_id, Participant.round_id == round_id
            )
            session.exec(
                delete(OutboxMessage).where(
                    OutboxMessage.team_id == team_id,
                    OutboxMessage.kind == MessageKind.KICKOFF,
                    col(OutboxMessage.ref_id).in_(participant_ids),
                )
            )
            for model in (PublishedView, AnswerChange, Answer, Prompt, Participant, RoundTarget):
                session.exec(delete(model).where(model.team_id == team_id, model.round_id == round_id))
            session.exec(delete(Round).where(Round.team_id == team_id, Round.id == round_id))
            session.commit()

    # -- finding ---------------------------------------------------------------------------------------

    def get(self, team_id: str, round_id: int) -> Round | None:
        with Session(self.engine) as session:
            return session.exec(select(Round).where(Round.team_id == team_id, Round.id == round_id)).first()

    def open_in_channel(self, team_id: str, channel_id: str) -> Round | None:
        with Session(self.engine) as session:
            return session.exec(
                select(Round).where(
                    Round.team_id == team_id, Round.channel_id == channel_id, Round.status == RoundStatus.OPEN
                )
            ).first()

    def open_in_workspace(self, team_id: str) -> list[Round]:
        """A workspace's open rounds, newest first."""
        with Session(self.engine) as session:
            return list(
                session.exec(
                    select(Round)
                    .where(Round.team_id == team_id, Round.status == RoundStatus.OPEN)
                    .order_by(col(Round.id).desc())
                )
            )

    def open_in_every_workspace(self) -> list[Round]:
        """Every open round of every workspace: the clock's reminders."""
        with Session(self.engine) as session:
            return list(session.exec(select(Round).where(Round.status == RoundStatus.OPEN).order_by(Round.id)))

    def open_for_member(self, team_id: str, user_id: str) -> list[Round]:
        """The open rounds a member takes part in, newest first."""
        with Session(self.engine) as session:
            return list(
                session.exec(
                    select(Round)
                    .join(Participant, Participant.round_id == Round.id)
                    .where(
                        Round.team_id == team_id,
                        Round.status == RoundStatus.OPEN,
                        Participant.team_id == team_id,
                        Participant.user_id == user_id,
                    )
                    .order_by(col(Round.id).desc())
                )
            )

    def latest_in_channel(self, team_id: str, channel_id: str) -> Round | None:
        """The channel's newest round, open or closed."""
        with Session(self.engine) as session:
            return session.exec(
                select(Round)
                .where(Round.team_id == team_id, Round.channel_id == channel_id)
                .order_by(col(Round.id).desc())
            ).first()

    def by_number(self, team_id: str, channel_id: str, number: int) -> Round | None:
        """The channel's Nth round (1 = its first)."""
        if number < 1:
            return None
        with Session(self.engine) as session:
            return session.exec(
                select(Round)
                .where(Round.team_id == team_id, Round.channel_id == channel_id)
                .order_by(col(Round.id))
                .offset(number - 1)
            ).first()

    def number(self, round_: Round) -> int:
        """1 for a channel's first round, 2 for its second..."""
        with Session(self.engine) as session:
            return session.exec(
                select(func.count())
                .select_from(Round)
                .where(
                    Round.team_id == round_.team_id, Round.channel_id == round_.channel_id, col(Round.id) <= round_.id
                )
            ).one()

    def previous_closed(self, round_: Round) -> Round | None:
        """The channel's last closed round before this one, with the same framework: what a trend compares."""
        with Session(self.engine) as session:
            return session.exec(
                select(Round)
                .where(
                    Round.team_id == round_.team_id,
                    Round.channel_id == round_.channel_id,
                    Round.framework_id == round_.framework_id,
                    Round.status == RoundStatus.CLOSED,
                    col(Round.id) < round_.id,
                )
                .order_by(col(Round.id).desc())
            ).first()

    # -- closing ---------------------------------------------------------------------------------------

    def set_closing(self, team_id: str, round_id: int, closes_on: date, closes_at: datetime) -> None:
        with Session(self.engine) as session:
            round_ = session.exec(select(Round).where(Round.team_id == team_id, Round.id == round_id)).one()
            round_.closes_on, round_.closes_at = closes_on, closes_at
            session.add(round_)
            session.commit()

    def close(
        self, team_id: str, round_id: int, final_summary: Callable[[Round], Owed]
    ) -> tuple[Round, OutboxMessage] | None:
        """Close an open round and record its final summary as owed, in one transaction: killed at any
        moment, the round is either still open or closed with its final summary in the outbox. A conditional
        UPDATE, so that of several callers (a command and the clock, two processes) exactly one gets the
        round and the message back; the others get None."""
        with Session(self.engine) as session:
            result = session.exec(
                update(Round)
                .where(Round.team_id == team_id, Round.id == round_id, Round.status == RoundStatus.OPEN)
                .values(status=RoundStatus.CLOSED, closed_at=utcnow())
            )
            if result.rowcount != 1:
                session.rollback()
                return None
            round_ = session.get(Round, round_id)
            message = add_owed(session, team_id, final_summary(round_))
            session.commit()
            session.refresh(round_)
            session.refresh(message)
            return round_, message

    def due_to_close(self, now: datetime) -> list[Round]:
        """Open rounds of every workspace whose closing time has come: the clock closes them."""
        with Session(self.engine) as session:
            return list(
                session.exec(
                    select(Round).where(
                        Round.status == RoundStatus.OPEN,
                        col(Round.closes_at).is_not(None),
                        col(Round.closes_at) <= now,
                    )
                )
            )
