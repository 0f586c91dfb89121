"""Scoring a round: where the team stands on each area, how far its members' views differ, and how that
compares with the team's own targets and with its previous round.

The rules (also in the README):
- An area's team level is the median of the levels its members chose; with an even number of answers the
  lower of the two middle levels is taken, so a team is not "Leader" until at least half of it says so.
- The spread is the highest chosen level minus the lowest; a spread of 2 levels or more flags the area as
  one where views differ and should be discussed.
- A theme's level, and the overall level, is the lower median of the team levels of its areas (areas
  with too few answers to show are left out).
- The gap is the target minus the team level (positive: below target); the trend is the team level minus
  the team level of the same area in the team's previous closed round.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .models import Framework

DISAGREEMENT_SPREAD = 2


def lower_median(values: Iterable[int]) -> int | None:
    """The median of integer levels, taking the lower middle value for an even count; None for none."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[(len(ordered) - 1) // 2]


@dataclass(frozen=True)
class AreaScore:
    area_id: str
    answers: int
    counts: dict[int, int]  # level number -> how many members chose it (every level present)
    team_level: int | None
    spread: int | None
    target: int | None = None
    previous_level: int | None = None
    # What the figures leave out (results/anonymity.py): answers the area has now that these figures do not
    # include, and the rule that held them back ("minimum group", "differencing", "round closed").
    held_back: int = 0
    held_by: str | None = None
    received: int | None = None  # answers the area has now; None: the figures include them all

    @property
    def answers_now(self) -> int:
        return self.answers if self.received is None else self.received

    @property
    def disagreement(self) -> bool:
        return self.spread is not None and self.spread >= DISAGREEMENT_SPREAD

    @property
    def gap(self) -> int | None:
        if self.target is None or self.team_level is None:
            return None
        return self.target - self.team_level

    @property
    def trend(self) -> int | None:
        if self.previous_level is None or self.team_level is None:
            return None
        return self.team_level - self.previous_level


@dataclass(frozen=True)
class ThemeScore:
    theme_id: str
    level: int | None


@dataclass(frozen=True)
class Participation:
    members: int
    complete: int
    in_progress: int

    @property
    def not_started(self) -> int:
        return self.members - self.complete - self.in_progress


@dataclass(frozen=True)
class Summary:
    areas: list[AreaScore]
    themes: list[ThemeScore]
    overall: int | None
    participation: Participation
    by_area: dict[str, AreaScore] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "by_area", {a.area_id: a for a in self.areas})


def score_area(
    area_id: str,
    levels: Sequence[int],
    level_count: int,
    *,
    target: int | None = None,
    previous_level: int | None = None,
) -> AreaScore:
    counts = {number: 0 for number in range(1, level_count + 1)}
    for level in levels:
        counts[level] += 1
    return AreaScore(
        area_id=area_id,
        answers=len(levels),
        counts=counts,
        team_level=lower_median(levels),
        spread=(max(levels) - min(levels)) if levels else None,
        target=target,
        previous_level=previous_level,
    )


def summarise(
    framework: Framework,
    answers: Mapping[str, Sequence[int]],
    participation: Participation,
    *,
    targets: Mapping[str, int] | None = None,
    previous: Mapping[str, int] | None = None,
    min_group: int = 1,
) -> Summary:
    """Score every area of the framework from the chosen levels per area (`answers`), in framework order.

    `previous` holds the team level per area of the previous closed round (see `team_levels`). Areas with
    fewer than `min_group` answers are left out of the theme and overall levels, which would otherwise
    reveal what a group too small to show has chosen.
    """
    targets, previous = targets or {}, previous or {}
    areas = [
        score_area(
            area.id,
            list(answers.get(area.id, ())),
            len(framework.levels),
            target=targets.get(area.id),
            previous_level=previous.get(area.id),
        )
        for area in framework.areas
    ]
    shown = {a.area_id: a.team_level for a in areas if a.team_level is not None and a.answers >= min_group}
    themes = [
        ThemeScore(theme.id, lower_median(shown[a.id] for a in theme.areas if a.id in shown))
        for theme in framework.themes
    ]
    overall = lower_median(shown.values())
    return Summary(areas=areas, themes=themes, overall=overall, participation=participation)


def team_levels(answers: Mapping[str, Sequence[int]]) -> dict[str, int]:
    """The team level per area of a round (for comparing the next round with it)."""
    return {area_id: level for area_id, levels in answers.items() if (level := lower_median(levels)) is not None}
