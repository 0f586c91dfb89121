"""Where a member is in a walk-through, and which area comes next.

Pure rules, so that the Slack layer and the storage layer agree on them and they can be tested alone:
areas come in framework order; an area that is waiting for an answer blocks the next one (a member never
has two prompts open, and never gets the same prompt twice); skipped areas come back once, automatically,
after every other area; after that they come back only when the member asks to continue.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

AUTOMATIC_SKIP_RETURNS = 1


@dataclass(frozen=True)
class PromptState:
    """What has happened to one area for one member: how often it was posted and how it ended."""

    area_id: str
    posts: int = 0
    skips: int = 0
    open: bool = False  # posted, neither answered nor skipped yet


@dataclass(frozen=True)
class Progress:
    """A member's progress through one round."""

    area_ids: Sequence[str]
    answered: frozenset[str] = frozenset()
    prompts: dict[str, PromptState] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.area_ids)

    @property
    def done(self) -> int:
        return sum(1 for area_id in self.area_ids if area_id in self.answered)

    @property
    def complete(self) -> bool:
        return self.done == self.total

    @property
    def started(self) -> bool:
        return bool(self.answered) or any(p.posts for p in self.prompts.values())

    @property
    def skipped(self) -> list[str]:
        return [a for a in self.area_ids if a not in self.answered and self._state(a).skips]

    def posts(self, area_id: str) -> int:
        """How many times the area's prompt has been posted to the member."""
        return self._state(area_id).posts

    def waiting(self) -> str | None:
        """The area whose prompt is posted and still waiting for an answer, if any."""
        return next((a for a in self.area_ids if a not in self.answered and self._state(a).open), None)

    def next_area(self, *, resuming: bool = False) -> str | None:
        """The area to post next, or None when nothing should be posted now.

        `resuming` is the member asking to go on (Continue, a new start, a direct message): then every
        skipped area may come back, not only those that have not yet had their automatic return.
        """
        if self.waiting() is not None:
            return None
        for area_id in self.area_ids:
            if area_id not in self.answered and self._state(area_id).posts == 0:
                return area_id
        for area_id in self.area_ids:
            state = self._state(area_id)
            if area_id in self.answered:
                continue
            if resuming or state.posts <= AUTOMATIC_SKIP_RETURNS:
                return area_id
        return None

    def _state(self, area_id: str) -> PromptState:
        return self.prompts.get(area_id) or PromptState(area_id)


def progress_bar(done: int, total: int, width: int = 13) -> str:
    """A text bar that reads well in Slack on a phone: ▰▰▰▱▱▱ 3/13."""
    if total <= 0:
        return ""
    filled = round(width * done / total)
    return "▰" * filled + "▱" * (width - filled)
