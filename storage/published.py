"""The views of a round's figures that have been shown: per area, every revision with the answers it
includes (member -> level), so that what is shown next can be checked against all of them
(results/anonymity.py decides; this store reads and records).

Every method takes the workspace (team) id and filters on it. A new revision is written in the same
transaction that read the answers and the revisions it was decided from; the unique (round, area,
revision) lets one of two processes deciding at once record it, and the other decides again. A closed
round's views never change: nothing is written once the round is closed (the round's row is locked on
PostgreSQL, and its status is read again after the writes, before the commit).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace

from sqlalchemy import Connection, Engine, func, insert
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError

from .kinds import RoundStatus
from .models import Answer, AnswerChange, PublishedView, Round, utcnow

_ANSWER = Answer.__table__
_CHANGE = AnswerChange.__table__
_VIEW = PublishedView.__table__
_ROUND = Round.__table__

Levels = dict[str, int]  # member -> level
Current = dict[str, Levels]  # area -> the answers it has now
History = dict[str, list[Levels]]  # area -> every view published, oldest first
# Given the current answers and the published views, the new views to record: area -> member -> level.
Decide = Callable[[Current, History], Mapping[str, Mapping[str, int]]]


@dataclass(frozen=True)
class State:
    """What an area's figures are decided from, in three numbers: how many answers it has, the last change
    of any of them (each level set or changed adds a row to the answers' history, so this only grows) and
    how many views of it have been recorded."""

    answers: int = 0
    last_change: int | None = None
    views: int = 0

    def with_view(self, recorded: int = 1) -> State:
        return replace(self, views=self.views + recorded)


class PublishedStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def round_state(self, team_id: str, round_id: int) -> State:
        """The `State` of the whole round, in three scalar counts over indexes (see `state`)."""
        with self.engine.connect() as conn:
            answers = conn.execute(core_select(func.count()).where(_ANSWER.c.round_id == round_id)).scalar()
            last_change = conn.execute(
                core_select(func.max(_CHANGE.c.id)).where(_CHANGE.c.round_id == round_id)
            ).scalar()
            views = conn.execute(
                core_select(func.count()).where(_VIEW.c.team_id == team_id, _VIEW.c.round_id == round_id)
            ).scalar()
        return State(answers or 0, last_change, views or 0)

    def state(self, team_id: str, round_id: int) -> dict[str, State]:
        """Each area's `State` (areas with answers or views): three grouped counts over indexes, far cheaper
        than reading the answers. The answers and their changes are counted by round alone: a round id
        belongs to one workspace (the round's row says which, and the views' count filters on it), and
        SQLite would otherwise walk the workspace's every answer through its team index (35 ms against
        2 ms for 65,000 answers)."""
        answers: dict[str, int] = {}
        changes: dict[str, int] = {}
        views: dict[str, int] = {}
        with self.engine.connect() as conn:
            for area_id, count in conn.execute(
                core_select(_ANSWER.c.area_id, func.count())
                .where(_ANSWER.c.round_id == round_id)
                .group_by(_ANSWER.c.area_id)
            ):
                answers[area_id] = count
            for area_id, last in conn.execute(
                core_select(_CHANGE.c.area_id, func.max(_CHANGE.c.id))
                .where(_CHANGE.c.round_id == round_id)
                .group_by(_CHANGE.c.area_id)
            ):
                changes[area_id] = last
            for area_id, count in conn.execute(
                core_select(_VIEW.c.area_id, func.count())
                .where(_VIEW.c.team_id == team_id, _VIEW.c.round_id == round_id)
                .group_by(_VIEW.c.area_id)
            ):
                views[area_id] = count
        return {
            area_id: State(answers.get(area_id, 0), changes.get(area_id), views.get(area_id, 0))
            for area_id in answers.keys() | views.keys()
        }

    def read(self, team_id: str, round_id: int, areas: Iterable[str] | None = None) -> tuple[Current, History]:
        """The round's answers now and every view of them published (of `areas` only, if given)."""
        with self.engine.connect() as conn:
            return _current(conn, team_id, round_id, areas), _history(conn, team_id, round_id, areas)

    def publish(
        self, team_id: str, round_id: int, decide: Decide, areas: Iterable[str] | None = None
    ) -> tuple[Current, History] | None:
        """Read the answers and the published views, record the new views `decide` returns, in one
        transaction. Returns the answers and the views as they stand after it (new ones included), or None
        when the round is closed (or gone): then nothing is written."""
        for _ in range(5):
            try:
                return self._publish_once(team_id, round_id, decide, areas)
            except (IntegrityError, _ChangedMeanwhile):  # another process recorded a revision, or an erasure
                continue  # changed the answers, meanwhile: decide again on what is there now
        raise RuntimeError("could not record the published figures after 5 attempts")

    def _publish_once(
        self, team_id: str, round_id: int, decide: Decide, areas: Iterable[str] | None
    ) -> tuple[Current, History] | None:
        with self.engine.connect() as conn:
            if not _open(conn, team_id, round_id, lock=True):
                return None
            current, history = _current(conn, team_id, round_id, areas), _history(conn, team_id, round_id, areas)
            new = {area_id: dict(levels) for area_id, levels in decide(current, history).items()}
            if not new:
                return current, history
            now = utcnow()
            conn.execute(
                insert(_VIEW),
                [
                    {
                        "team_id": team_id,
                        "round_id": round_id,
                        "area_id": area_id,
                        "revision": len(history.get(area_id, ())) + 1,
                        "answers": len(levels),
                        "levels": json.dumps(levels, sort_keys=True),
                        "published_at": now,
                    }
                    for area_id, levels in sorted(new.items())
                ],
            )
            # Written, and so holding SQLite's write lock: a round closed meanwhile keeps its record as it was,
            # and answers erased meanwhile (storage/records.py) must not come back in a view decided before.
            if not _open(conn, team_id, round_id, lock=False):
                conn.rollback()
                return None
            again = _current(conn, team_id, round_id, list(new))
            if any(again.get(area_id, {}) != current.get(area_id, {}) for area_id in new):
                conn.rollback()
                raise _ChangedMeanwhile()
            conn.commit()
        for area_id, levels in new.items():
            history.setdefault(area_id, []).append(levels)
        return current, history


class _ChangedMeanwhile(Exception):
    """The answers a new view was decided on changed before it was recorded."""


def _open(conn: Connection, team_id: str, round_id: int, *, lock: bool) -> bool:
    query = core_select(_ROUND.c.status).where(_ROUND.c.team_id == team_id, _ROUND.c.id == round_id)
    if lock:
        query = query.with_for_update()  # PostgreSQL: deciders of one round, and its closing, take turns
    return conn.execute(query).scalar() == RoundStatus.OPEN


def _current(conn: Connection, team_id: str, round_id: int, areas: Iterable[str] | None) -> Current:
    current: Current = defaultdict(dict)
    query = core_select(_ANSWER.c.area_id, _ANSWER.c.user_id, _ANSWER.c.level).where(
        _ANSWER.c.team_id == team_id, _ANSWER.c.round_id == round_id
    )
    if areas is not None:
        query = query.where(_ANSWER.c.area_id.in_(list(areas)))
    rows = conn.execute(query)
    for area_id, user_id, level in rows.all():  # fetched at once: row by row costs twice as much
        current[area_id][user_id] = level
    return dict(current)


def _history(conn: Connection, team_id: str, round_id: int, areas: Iterable[str] | None) -> History:
    history: History = defaultdict(list)
    query = core_select(_VIEW.c.area_id, _VIEW.c.levels).where(_VIEW.c.team_id == team_id, _VIEW.c.round_id == round_id)
    if areas is not None:
        query = query.where(_VIEW.c.area_id.in_(list(areas)))
    rows = conn.execute(query.order_by(_VIEW.c.area_id, _VIEW.c.revision))
    for area_id, levels in rows.all():
        history[area_id].append({user_id: int(level) for user_id, level in json.loads(levels).items()})
    return dict(history)
