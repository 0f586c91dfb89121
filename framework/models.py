"""The maturity model as data: a framework of themes, assessable areas and their level descriptors.

These models are the only contract between a framework file and the rest of the product. They are strict
(unknown fields are refused, nothing is coerced silently) because a framework file is written by hand and
a typo in it must stop start-up with a clear message rather than show members a half-empty prompt.
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN, max_length=60)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


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
    """One assessable row: a key area of a theme, or an enabler."""

    id: Slug
    title: Text
    description: Text | None = None
    help: Help | None = None
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
    """A whole maturity framework: its identity, its level scale and its themes in display order."""

    id: Slug
    version: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
    title: Text
    source: Text | None = None
    levels: list[Level] = Field(min_length=2)
    themes: list[Theme] = Field(min_length=1)

    @model_validator(mode="after")
    def _check_consistency(self) -> Framework:
        numbers = [level.number for level in self.levels]
        if numbers != list(range(1, len(numbers) + 1)):
            raise _located(("levels",), f"level numbers must run 1, 2, 3... in order, got {numbers}")
        names = [level.name for level in self.levels]
        if len(set(names)) != len(names):
            raise _located(("levels",), f"level names must be unique, got {names}")
        seen_themes: set[str] = set()
        seen_areas: dict[str, tuple] = {}
        for t, theme in enumerate(self.themes):
            if theme.id in seen_themes:
                raise _located(("themes", t, "id"), f"duplicate theme id {theme.id!r}")
            seen_themes.add(theme.id)
            for a, area in enumerate(theme.areas):
                where = ("themes", t, "areas", a)
                if area.id in seen_areas:
                    raise _located(where + ("id",), f"duplicate area id {area.id!r}")
                seen_areas[area.id] = where
                got = [d.level for d in area.levels]
                if got != names:
                    raise _located(
                        where + ("levels",),
                        f"area {area.id!r} must have exactly the framework's levels {names} in order, got {got}",
                    )
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


class LocatedError(ValueError):
    """A consistency error that knows which field it is about (pydantic only locates field errors)."""

    def __init__(self, loc: tuple, reason: str):
        super().__init__(reason)
        self.loc = loc
        self.reason = reason


def _located(loc: tuple, reason: str) -> LocatedError:
    return LocatedError(loc, reason)
