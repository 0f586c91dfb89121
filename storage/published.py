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
from collections.abc import Callable, Mapping

from sqlalchemy import Connection, Engine, insert
from sqlalchemy import select as core_select
from sqlalchemy.exc import IntegrityError

from .kinds import RoundStatus
from .models import Answer, PublishedView, Round, utcnow

_ANSWER = Answer.__table__
_VIEW = PublishedView.__table__
_ROUND = Round.__table__

Levels = dict[str, int]  # member -> level
Current = dict[str, Levels]  # area -> the answers it has now
History = dict[str, list[Levels]]  # area -> every view published, oldest first
# Given the current answers and the published views, the new views to record: area -> member -> level.
Decide = Callable[[Current, History], Mapping[str, Mapping[str, int]]]


class PublishedStore:
    def __init__(self, engine: Engine):
        self.engine = engine

    def read(self, team_id: str, round_id: int) -> tuple[Current, History]:
        """The round's answers now and every view of them published, read together."""
        with self.engine.connect() as conn:
            return _current(conn, team_id, round_id), _history(conn, team_id, round_id)

    def publish(self, team_id: str, round_id: int, decide: Decide) -> tuple[Current, History] | None:
        """Read the answers and the published views, record the new views `decide` returns, in one
        transaction. Returns the answers and the views as they stand after it (new ones included), or None
        when the round is closed (or gone): then nothing is written."""
        for _ in range(5):
            try:
                return self._publish_once(team_id, round_id, decide)
            except IntegrityError:  # another process recorded a revision meanwhile: decide again on it
                continue
        raise RuntimeError("could not record the published figures after 5 attempts")

    def _publish_once(self, team_id: str, round_id: int, decide: Decide) -> tuple[Current, History] | None:
        with self.engine.connect() as conn:
            if not _open(conn, team_id, round_id, lock=True):
                return None
            current, history = _current(conn, team_id, round_id), _history(conn, team_id, round_id)
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
            # Written, and so holding SQLite's write lock: a round closed meanwhile keeps its record as it was.
            if not _open(conn, team_id, round_id, lock=False):
                conn.rollback()
                return None
            conn.commit()
        for area_id, levels in new.items():
            history.setdefault(area_id, []).append(levels)
        return current, history


def _open(conn: Connection, team_id: str, round_id: int, *, lock: bool) -> bool:
    query = core_select(_ROUND.c.status).where(_ROUND.c.team_id == team_id, _ROUND.c.id == round_id)
    if lock:
        query = query.with_for_update()  # PostgreSQL: deciders of one round, and its closing, take turns
    return conn.execute(query).scalar() == RoundStatus.OPEN


def _current(conn: Connection, team_id: str, round_id: int) -> Current:
    current: Current = defaultdict(dict)
    rows = conn.execute(
        core_select(_ANSWER.c.area_id, _ANSWER.c.user_id, _ANSWER.c.level).where(
            _ANSWER.c.team_id == team_id, _ANSWER.c.round_id == round_id
        )
    )
    for area_id, user_id, level in rows:
        current[area_id][user_id] = level
    return dict(current)


def _history(conn: Connection, team_id: str, round_id: int) -> History:
    history: History = defaultdict(list)
    rows = conn.execute(
        core_select(_VIEW.c.area_id, _VIEW.c.levels)
        .where(_VIEW.c.team_id == team_id, _VIEW.c.round_id == round_id)
        .order_by(_VIEW.c.area_id, _VIEW.c.revision)
    )
    for area_id, levels in rows:
        history[area_id].append({user_id: int(level) for user_id, level in json.loads(levels).items()})
    return dict(history)
