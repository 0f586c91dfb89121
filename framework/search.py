"""Finding an area from loose words: "social value", "smes", "risk", "talent", an id or a title.

Members type whatever they remember of an area's name, so matching is forgiving: exact id or title
first, then every query word found (as a prefix, ignoring case, plurals and punctuation) in the area's
id, title or the acronyms in its title, then a fuzzy ranking to suggest the closest areas when nothing
matches.
"""

from __future__ import annotations

import difflib
import re

from .models import Framework, KeyArea

_STOPWORDS = {"and", "the", "of", "a", "an", "for", "with", "to", "in", "on", "&"}


def _words(text: str) -> list[str]:
    words = re.findall(r"[a-z0-9£]+", text.lower())
    return [_singular(w) for w in words if w not in _STOPWORDS]


def _singular(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def _vocabulary(area: KeyArea) -> list[str]:
    acronyms = re.findall(r"\(([A-Za-z]+)\)", area.title)
    return _words(area.id.replace("-", " ") + " " + area.title + " " + " ".join(acronyms))


def find_area(framework: Framework, query: str) -> KeyArea | None:
    """The one area the query names, or None when it names none or several."""
    matches = find_areas(framework, query)
    return matches[0] if len(matches) == 1 else None


def find_areas(framework: Framework, query: str) -> list[KeyArea]:
    """Every area the query could name, best first; empty when none does."""
    query = query.strip()
    if not query:
        return []
    lowered = query.lower()
    for area in framework.areas:
        if lowered in (area.id, area.title.lower()):
            return [area]
    wanted = _words(query)
    if not wanted:
        return []
    return [
        area for area in framework.areas if all(any(word.startswith(w) for word in _vocabulary(area)) for w in wanted)
    ]


def closest_areas(framework: Framework, query: str, limit: int = 3) -> list[KeyArea]:
    """The areas whose words look most like the query, for a "did you mean" answer."""
    wanted = _words(query)

    def score(area: KeyArea) -> float:
        vocabulary = _vocabulary(area)
        if not wanted or not vocabulary:
            return 0.0
        return sum(max(difflib.SequenceMatcher(None, w, word).ratio() for word in vocabulary) for w in wanted) / len(
            wanted
        )

    ranked = sorted(framework.areas, key=score, reverse=True)
    return ranked[:limit]
