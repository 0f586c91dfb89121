"""Queries for the operator's command line, across every workspace (never reachable from Slack)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from .models import Answer, FinalFigures, Participant, Round


@dataclass(frozen=True)
class RoundOverview:
    round: Round
    number: int  # the channel's 1st, 2nd... round
    members: int
    complete: int


class RoundOverviewStore:
    """Every workspace's rounds with their participation, for the operator's `rounds list`, `export` and `report`."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def round(self, round_id: int) -> Round | None:
        with Session(self.engine) as session:
            return session.get(Round, round_id)

    def rounds(self) -> list[RoundOverview]:
        """Every round, by workspace, channel and age, with its participation."""
        with Session(self.engine) as session:
            rounds = list(session.exec(select(Round).order_by(Round.team_id, Round.channel_id, col(Round.id))))
            members: dict[int, list[str]] = defaultdict(list)
            for round_id, user_id in session.exec(select(Participant.round_id, Participant.user_id)):
                members[round_id].append(user_id)
            answered = Counter(
                {
                    (round_id, user_id): count
                    for round_id, user_id, count in session.exec(
                        select(Answer.round_id, Answer.user_id, func.count()).group_by(Answer.round_id, Answer.user_id)
                    )
                }
            )
            # A round whose answers were deleted (or a member erased) counts as its kept record says.
            kept = {row.round_id: (row.members, row.complete) for row in session.exec(select(FinalFigures))}
        seen: Counter = Counter()
        overview = []
        for round_ in rounds:
            seen[(round_.team_id, round_.channel_id)] += 1
            complete = sum(1 for user_id in members[round_.id] if answered[(round_.id, user_id)] >= round_.area_count)
            total = len(members[round_.id])
            total, complete = kept.get(round_.id, (total, complete))
            overview.append(RoundOverview(round_, seen[(round_.team_id, round_.channel_id)], total, complete))
        return overview
