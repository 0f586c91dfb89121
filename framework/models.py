"""The maturity model as data: a framework of themes, assessable areas and their level descriptors.

These models are the only contract between a framework file and the rest of the product. They are strict
(unknown fields are refused, nothing is coerced: "3" is not a number, 3 is not text, 1 is not true) because a
framework file is written by hand and a typo in it must stop start-up with a clear message rather than show
members a half-empty prompt. What Slack can show (framework/limits.py) is checked by the loader, on the file.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=60)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, strict=True)


class Level(_Strict):
    """One step of the framework's scale, e.g. 3 = "Mature"."""

    number: int = Field(ge=1, le=9)
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]


class LevelDescriptor(_Strict):
    """What one level looks like in one area, in the source's words.

    `truncated` marks a descriptor that the source itself cuts off, so it is shown as such and never
    completed by us. `editor_note` holds a clearly labelled remark about the source (for example a cell
    that has no level label); it is never part of the framework's wording.
    """

    level: Text
    descriptor: Text
    truncated: bool = False
    editor_note: Text | None = None


class Help(_Strict):
    """The source's "What it is" / "Why it is important" text for an area."""

    what_it_is: Text
    why_it_is_important: Text


class KeyArea(_Strict):
    """One assessable row: a key area of a theme, or an enabler.

    `editor_note` is our remark about the area's title, description or help text (for example a word of the
    source that we repaired); like a descriptor's, it is shown labelled as not the framework's words.
    """

    id: Slug
    title: Text
    description: Text | None = None
    help: Help | None = None
    editor_note: Text | None = None
    levels: list[LevelDescriptor]

    def descriptor(self, level_name: str) -> LevelDescriptor:
        return next(d for d in self.levels if d.level == level_name)


class Theme(_Strict):
    """A group of areas. `kind` tells a theme of key areas from the group of enablers."""

    id: Slug
    title: Text
    kind: Literal["theme", "enabler"] = "theme"
    areas: list[KeyArea] = Field(min_length=1)


class Framework(_Strict):
    """A whole maturity framework: its identity, its level scale and its themes in display order.

    `source` says where the framework's words come from (publisher, document, edition); `licence` the terms
    under which this deployment uses them. Both are shown, never interpreted.
    """

    id: Slug
    version: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    title: Text
    source: Text | None = None
    licence: Text | None = None
    levels: list[Level] = Field(min_length=2)
    themes: list[Theme] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_consistency(self) -> Framework:
        problems = consistency_problems(self.model_dump(include={"levels", "themes"}))
        if problems:
            raise LocatedError(*problems[0], more=problems[1:])
        return self

    # -- lookups used across the product -------------------------------------------------------------

    @property
    def areas(self) -> list[KeyArea]:
        """Every assessable area in framework order (themes first to last, areas in each)."""
        return [area for theme in self.themes for area in theme.areas]

    @property
    def area_ids(self) -> list[str]:
        return [area.id for area in self.areas]

    def area(self, area_id: str) -> KeyArea | None:
        return self._area_index.get(area_id)

    def theme_of(self, area_id: str) -> Theme | None:
        for theme in self.themes:
            if any(area.id == area_id for area in theme.areas):
                return theme
        return None

    def level(self, number: int) -> Level | None:
        return self.levels[number - 1] if 1 <= number <= len(self.levels) else None

    @cached_property
    def _area_index(self) -> dict[str, KeyArea]:
        return {area.id: area for area in self.areas}


def consistency_problems(data: dict) -> list[tuple[tuple, str]]:
    """Every rule across fields, as (field path, reason): level numbers and names, unique ids, each area with
    exactly the framework's levels. `data` is a framework as plain data (a file's, or a model dumped), checked
    as far as its shape allows, so that the loader can name these problems beside the fields' own."""
    found: list[tuple[tuple, str]] = []
    levels = [level for _, level in _items(data.get("levels"))]
    numbers = [level.get("number") for level in levels]
    if all(type(number) is int for number in numbers) and numbers != list(range(1, len(numbers) + 1)):
        found.append((("levels",), f"level numbers must run 1, 2, 3... in order, got {numbers}"))
    names = [_clean(level.get("name")) for level in levels]
    names_known = bool(names) and all(isinstance(name, str) for name in names)
    if names_known and len(set(names)) != len(names):
        found.append((("levels",), f"level names must be unique, got {names}"))
    seen_themes: set[str] = set()
    seen_areas: set[str] = set()
    for t, theme in _items(data.get("themes")):
        theme_id = _clean(theme.get("id"))
        if isinstance(theme_id, str) and theme_id in seen_themes:
            found.append((("themes", t, "id"), f"duplicate theme id {theme_id!r}"))
        seen_themes.add(theme_id)
        for a, area in _items(theme.get("areas")):
            where = ("themes", t, "areas", a)
            area_id = _clean(area.get("id"))
            if isinstance(area_id, str) and area_id in seen_areas:
                found.append((where + ("id",), f"duplicate area id {area_id!r}"))
            seen_areas.add(area_id)
            got = [_clean(d.get("level")) for _, d in _items(area.get("levels"))]
            if names_known and isinstance(area.get("levels"), list) and got != names:
                found.append(
                    (
                        where + ("levels",),
                        f"area {area_id!r} must have exactly the framework's levels {names} in order, got {got}",
                    )
                )
    return found


def _items(value) -> list[tuple[int, dict]]:
    """The mappings of a list with their places in it (other items are the models' to name)."""
    return [(i, item) for i, item in enumerate(value) if isinstance(item, dict)] if isinstance(value, list) else []


def _clean(value):
    return value.strip() if isinstance(value, str) else value


class LocatedError(ValueError):
    """A consistency error that knows which field it is about (pydantic only locates field errors); `more`
    holds the other consistency errors found in the same framework, as (loc, reason)."""

    def __init__(self, loc: tuple, reason: str, more: list[tuple[tuple, str]] = ()):
        super().__init__(reason)
        self.loc = loc
        self.reason = reason
        self.more = list(more)
