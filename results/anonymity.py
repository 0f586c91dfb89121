"""Anonymity that survives subtraction: which answers an area's figures may include now.

The rule (also in the README, "Anonymity"): for any two views of an area that have been shown (a channel
summary, a chart, a Home tab, a report, a summary CSV), the answers one includes and the other does not
come from at least `min_group` members, or from none.

A view is the set of answers its figures were computed from, as a map member -> level. Two views differ
by the members whose level differs between them: a member who answered in one and not (yet) in the other,
or who changed their answer in between (a changed answer is an answer to subtract, like a new one). Before
anything is shown the view is empty, so a first view needs `min_group` answers: the minimum group is the
same rule. A skipped area is no answer; each area is judged on its own.

`decide` is the one function that applies the rule. Given an area's current answers and every view of it
published so far (oldest first), it says what may be shown now: the current answers when they differ from
every published view by `min_group` members or more (or by none), and otherwise the last view published,
"as of" its number of answers, with how many answers it holds back and which rule held them.

Pure: no Slack, no database. The store keeps the published views (storage/published.py); results/figures.py
asks `decide` for every area of every surface.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from storage.records import ERASED_PREFIX

MIN_GROUP = "minimum group"  # nothing shown yet: fewer than min_group answers
DIFFERENCING = "differencing"  # what changed since a view already shown comes from too few members
CLOSED = "round closed"  # answers that came after the round's final figures were recorded

View = Mapping[str, int]  # member -> level: the answers a view's figures are computed from


def difference(a: View, b: View) -> int:
    """How many members' answers one view includes and the other does not: a member in only one of them,
    or with different levels in the two.

    A member who asked to be forgotten is named in the views shown before by a token (storage/records.py);
    if they take part again, a later view names them as anyone else. The two may be one person, so each
    token found only in one view is paired with a name found only in the other, and a pair counts once:
    the count never comes out higher than the people behind it."""
    if a == b:
        return 0
    differing = {member for member, _ in a.items() ^ b.items()}
    only_a = [member for member in differing if member not in b]
    only_b = [member for member in differing if member not in a]
    pairs = min(_erased(only_a), len(only_b) - _erased(only_b)) + min(_erased(only_b), len(only_a) - _erased(only_a))
    return len(differing) - pairs


def _erased(members: list[str]) -> int:
    return sum(1 for member in members if member.startswith(ERASED_PREFIX))


def may_follow(candidate: View, published: Sequence[View], min_group: int) -> bool:
    """Whether `candidate` may be shown after `published` (the empty view included): it differs from each
    of them by no member or by at least `min_group`."""
    return all(d == 0 or d >= min_group for d in (difference(candidate, view) for view in [{}, *published]))


@dataclass(frozen=True)
class Decision:
    """What an area may show now."""

    shown: dict[str, int] = field(default_factory=dict)  # the answers the figures shown are computed from
    publish: bool = False  # `shown` is a new view, to record before it is shown
    held_back: int = 0  # members whose current answer the figures do not include
    held_by: str | None = None  # MIN_GROUP, DIFFERENCING or CLOSED when held_back > 0
    received: int = 0  # answers the area has now

    @property
    def answers(self) -> int:
        return len(self.shown)


def decide(current: View, published: Sequence[View], min_group: int, *, may_publish: bool = True) -> Decision:
    """What an area may show now (see the module docstring). `published` are the views recorded so far,
    oldest first; with `may_publish` False (a closed round) nothing new is shown."""
    min_group = max(min_group, 1)
    last: View = published[-1] if published else {}
    if difference(current, last) == 0:
        return Decision(shown=dict(last), received=len(current))
    # Held back: the current answers the figures leave out (a forgotten member's departure is none).
    held = sum(1 for member, level in current.items() if last.get(member) != level)
    if may_publish and may_follow(current, published, min_group):
        return Decision(shown=dict(current), publish=True, received=len(current))
    if not published and len(current) < min_group:
        reason = MIN_GROUP
    elif may_follow(current, published, min_group):
        reason = CLOSED
    else:
        reason = DIFFERENCING
    return Decision(shown=dict(last), held_back=held, held_by=reason if held else None, received=len(current))


def decide_all(
    current: Mapping[str, View],
    published: Mapping[str, Sequence[View]],
    min_group: int,
    *,
    may_publish: bool = True,
) -> dict[str, Decision]:
    """`decide` for every area that has answers or published views."""
    return {
        area_id: decide(current.get(area_id, {}), published.get(area_id, ()), min_group, may_publish=may_publish)
        for area_id in current.keys() | published.keys()
    }
