"""Reading a framework file (YAML or JSON) into a validated `Framework`, or saying everything that is wrong.

Start-up fails on a bad file, so the error has to be actionable on its own: it names the file and, for every
problem in it (not only the first), the path of the offending field (``themes[1].areas[0].levels``) and the
reason. A file is read strictly, because it is typed by hand and what a YAML parser does quietly is what an
author does not expect:

- a key given twice is refused (YAML and JSON readers keep the last one without a word);
- YAML anchors and aliases are refused outright: an alias repeats a part of the file, and aliases of aliases
  expand a few hundred bytes into millions of values (the "billion laughs"), which no framework needs;
- nothing is coerced: an unquoted ``yes`` or ``3`` in a text field is refused with the advice to quote it,
  rather than becoming true or the number 3; "3" where a number belongs, or 1 for true, is refused too;
- a text Slack could not show whole (framework/limits.py) is refused, with how far over it is;
- a placeholder left from ``python -m bot framework new`` (``<<...>>``) is refused.
"""

from __future__ import annotations

import datetime
import difflib
import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from . import limits
from .models import Framework, Help, KeyArea, Level, LevelDescriptor, LocatedError, Theme, consistency_problems

DEFAULT_FRAMEWORK_PATH = Path(__file__).with_name("data") / "nps-2018-draft.yaml"
FRAMEWORK_SUFFIXES = (".yaml", ".yml", ".json")

# A placeholder of `python -m bot framework new`'s skeleton, still to be replaced by the source's words.
PLACEHOLDER = re.compile(r"<<[^<>]*>>")

# An operator's message lists every problem up to this many (a file of 10,000 aliases need not print them all).
MAX_LISTED = 100

_ALIAS_TAG = "!refused-alias"  # stands in for an alias, which is never followed
_SLUG_HINT = "lowercase letters and digits, words joined by single hyphens, e.g. team-health-check"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a framework file: the file, the field's path ("" for the whole file) and why."""

    path: str
    field: str
    reason: str

    def line(self, *, with_file: bool) -> str:
        where = f" at {self.field}" if self.field else ""
        if with_file:
            return f"{self.path}{where}: {self.reason}"
        return f"at {self.field}: {self.reason}" if self.field else self.reason


class FrameworkError(Exception):
    """A framework file (or several) that cannot be used. `str()` is the whole message for the operator:
    one line for one problem, else a first line counting them and one line per problem. `problems` lists
    them all; `path`, `field` and `reason` are the first one's."""

    def __init__(self, path: Path | str = "", field: str = "", reason: str = "", *, problems: list[Problem] = ()):
        self.problems = list(problems) or [Problem(str(path), field, reason)]
        first = self.problems[0]
        self.path, self.field, self.reason = first.path, first.field, first.reason
        super().__init__(self._message())

    def _message(self) -> str:
        problems = self.problems
        files = list(dict.fromkeys(problem.path for problem in problems))
        if len(problems) == 1:
            problem = problems[0]
            where = f" at {problem.field}" if problem.field else ""
            return f"Invalid framework file {problem.path}{where}: {problem.reason}"
        if len(files) == 1:
            head = f"Invalid framework file {files[0]}: {len(problems)} problems"
        else:
            head = f"Invalid framework files: {len(problems)} problems in {len(files)} files"
        lines = [f"  {problem.line(with_file=len(files) > 1)}" for problem in problems[:MAX_LISTED]]
        if len(problems) > MAX_LISTED:
            lines.append(f"  and {len(problems) - MAX_LISTED} more: mend these and check again")
        return "\n".join([head, *lines])


def load_framework(path: Path | str | None = None) -> Framework:
    """Load and validate a framework file; the default is the NPS 2018 draft shipped with the product.
    Raises FrameworkError listing every problem in the file."""
    path = Path(path) if path else DEFAULT_FRAMEWORK_PATH
    framework, problems = read_framework(path)
    if problems:
        raise FrameworkError(problems=problems)
    return framework


def read_framework(path: Path) -> tuple[Framework | None, list[Problem]]:
    """The framework in `path` and no problems, or None and every problem found in it."""
    found: list[tuple[tuple, str]] = []
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return None, [Problem(str(path), "", "the file does not exist")]
    except IsADirectoryError:
        return None, [Problem(str(path), "", "it is a folder, not a file")]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [Problem(str(path), "", f"the file cannot be read ({exc})")]
    is_json = path.suffix.lower() == ".json"
    try:
        reader = _read_json(text) if is_json else _read_yaml(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        kind = "JSON" if is_json else "YAML"
        return None, [Problem(str(path), "", f"it is not valid {kind}: {_one_line(exc)}")]
    except RecursionError:
        return None, [Problem(str(path), "", "it is nested too deeply to be a framework")]
    data = reader.data
    found += reader.problems
    if not isinstance(data, dict):
        found.append(((), "the top level must be a mapping with id, version, title, levels and themes"))
        return None, _problems(path, found)
    found += _placeholders(data, (), reader.refused)
    found += consistency_problems(data)
    found += limits.problems(data)
    framework = None
    try:
        framework = Framework.model_validate(data)
    except ValidationError as exc:
        found += _validation_problems(exc, reader)
    found.sort(key=lambda problem: reader.line_of(problem[0]))  # in the file's order (YAML), stable otherwise
    return (None, _problems(path, found)) if found else (framework, [])


def format_loc(loc) -> str:
    """("themes", 1, "areas", 0, "id") -> "themes[1].areas[0].id"."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _problems(path: Path, found: list[tuple[tuple, str]]) -> list[Problem]:
    unique = list(dict.fromkeys((format_loc(loc), reason) for loc, reason in found))
    return [Problem(str(path), field, reason) for field, reason in unique]


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


# -- reading YAML and JSON strictly ------------------------------------------------------------------------


class _Read:
    """A file's data, with the problems seen while reading it, the places holding a value that was refused
    (so the models' complaints about them are not repeated) and, for YAML, each unquoted scalar that YAML
    reads as something other than text: (its text, its line), so that a type error can say what happened."""

    def __init__(self):
        self.data = None
        self.problems: list[tuple[tuple, str]] = []
        self.refused: set[tuple] = set()
        self.plain: dict[tuple, tuple[str, int]] = {}
        self.lines: dict[tuple, int] = {}  # YAML: where each value starts

    def line_of(self, loc: tuple) -> float:
        """The line of the value at `loc`, or of its nearest enclosing value (for a missing field)."""
        for end in range(len(loc), -1, -1):
            if loc[:end] in self.lines:
                return self.lines[loc[:end]]
        return float("inf")

    def refuse(self, loc: tuple, reason: str) -> None:
        self.problems.append((loc, reason))
        self.refused.add(loc)


class StrictYamlLoader(yaml.SafeLoader):
    """yaml.SafeLoader that never follows an alias: an alias event becomes a marked empty node and an
    anchor is taken off its node (and remembered), so the caller can refuse each one where it is."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.get_event()
            return yaml.ScalarNode(_ALIAS_TAG, event.anchor, event.start_mark, event.end_mark)
        event = self.peek_event()
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            event.anchor = None  # never registered, so nothing can refer to it
        node = super().compose_node(parent, index)
        if anchor is not None:
            node.refused_anchor = anchor
        return node


def _read_yaml(text: str) -> _Read:
    loader = StrictYamlLoader(text)
    try:
        node = loader.get_single_node()
        read = _Read()
        if node is not None:
            read.data = _yaml_value(loader, node, (), read)
        return read
    finally:
        loader.dispose()


_ANCHORS_REFUSED = (
    "YAML anchors and aliases are refused, since aliases of aliases can blow a small file up into millions of "
    "values: write the text out in full"
)


def _yaml_value(loader: StrictYamlLoader, node, loc: tuple, read: _Read):
    line = node.start_mark.line + 1
    anchor = getattr(node, "refused_anchor", None)
    read.lines[loc] = line
    if anchor is not None:  # refused, but the value it marks is there, and checked as usual
        read.problems.append((loc, f"has the YAML anchor &{anchor} (line {line}): {_ANCHORS_REFUSED}"))
    if node.tag == _ALIAS_TAG:
        read.refuse(loc, f"is the YAML alias *{node.value} (line {line}): {_ANCHORS_REFUSED}")
        return None
    if isinstance(node, yaml.MappingNode):
        out: dict = {}
        lines: dict[str, int] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _ALIAS_TAG:
                read.problems.append((loc, f"has a key that is not a plain name (line {key_line})"))
                continue
            key = key_node.value
            if key in out:
                read.problems.append(
                    (
                        loc + (key,),
                        f"is given twice (lines {lines[key]} and {key_line}); YAML would silently keep only the "
                        "last one: keep one",
                    )
                )
                continue
            lines[key] = key_line
            out[key] = _yaml_value(loader, value_node, loc + (key,), read)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_yaml_value(loader, item, loc + (i,), read) for i, item in enumerate(node.value)]
    try:
        value = loader.construct_object(node)
    except yaml.constructor.ConstructorError:
        read.refuse(loc, f"has a YAML tag this loader does not read, {node.tag} (line {line})")
        return None
    if node.style is None and not isinstance(value, str):
        read.plain[loc] = (node.value, line)
    return value


class _JsonObject(dict):
    """A JSON object that remembers the keys it was given more than once."""

    def __init__(self, pairs):
        super().__init__()
        self.repeated: list[str] = []
        for key, value in pairs:
            if key in self:
                self.repeated.append(key)
                continue
            self[key] = value


def _read_json(text: str) -> _Read:
    read = _Read()
    read.data = json.loads(text, object_pairs_hook=_JsonObject)
    _json_repeats(read.data, (), read)
    return read


def _json_repeats(value, loc: tuple, read: _Read) -> None:
    if isinstance(value, dict):
        for key in getattr(value, "repeated", []):
            read.problems.append(
                (loc + (key,), "is given twice; JSON readers would silently keep only the last one: keep one")
            )
        for key, item in value.items():
            _json_repeats(item, loc + (key,), read)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _json_repeats(item, loc + (i,), read)


def _placeholders(value, loc: tuple, refused: set[tuple]) -> list[tuple[tuple, str]]:
    """Every text still holding a `<<...>>` placeholder of the skeleton (`python -m bot framework new`)."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _placeholders(item, loc + (key,), refused)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _placeholders(item, loc + (i,), refused)
    elif isinstance(value, str) and PLACEHOLDER.search(value):
        refused.add(loc)
        placeholder = PLACEHOLDER.search(value).group(0)
        found.append(
            (
                loc,
                f"is still the placeholder {placeholder} from `framework new`: fill it in (or delete the line, if "
                "the field is optional)",
            )
        )
    return found


# -- the models' complaints, in an author's words ---------------------------------------------------------------


def _fields_at(loc: tuple) -> list[str]:
    """The fields the schema allows in the mapping at `loc` (for "did you mean")."""
    models = {
        (): Framework,
        ("levels",): Level,
        ("themes",): Theme,
        ("themes", "areas"): KeyArea,
        ("themes", "areas", "help"): Help,
        ("themes", "areas", "levels"): LevelDescriptor,
    }
    model = models.get(tuple(part for part in loc if not isinstance(part, int)))
    return list(model.model_fields) if model else []


def _validation_problems(exc: ValidationError, read: _Read) -> list[tuple[tuple, str]]:
    found: list[tuple[tuple, str]] = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        if any(loc[: len(refused)] == refused for refused in read.refused):
            continue  # already said why (an alias, a placeholder, an unreadable tag)
        original = (error.get("ctx") or {}).get("error")
        if isinstance(original, LocatedError):
            found += [(original.loc, original.reason), *original.more]
            continue
        found.append((loc, _reason(error, loc, read)))
    return found


def _reason(error: dict, loc: tuple, read: _Read) -> str:
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(loc[-1]), _fields_at(loc[:-1]), n=1)
        return "unknown field" + (f" (did you mean {close[0]}?)" if close else "")
    if kind == "missing":
        return "required field is missing"
    if kind in ("string_too_short", "too_short") and value in ("", [], None):
        return "must not be empty"
    if kind == "string_type":
        if value is None and read.plain.get(loc, ("",))[0] == "":
            return "must not be empty"
        if loc in read.plain:
            text, line = read.plain[loc]
            return f'must be text, but YAML reads the unquoted {text} (line {line}) as {_kind_of(value)}: write it in quotes, "{text}"'
        return f"must be text, not {_kind_of(value)}: write it in quotes"
    if kind == "int_type":
        if isinstance(value, str):
            return "must be a whole number, not text: write it without quotes"
        return f"must be a whole number, not {_kind_of(value)}"
    if kind == "bool_type":
        if isinstance(value, str):
            return "must be true or false, not text: write it without quotes"
        return f"must be true or false, not {_kind_of(value)}"
    if kind == "list_type":
        return "must be a list (in YAML, lines starting with '- ')"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return "must be a mapping of fields (in YAML, 'field: value' lines)"
    if kind == "string_pattern_mismatch":
        return f"{error['msg']} ({_SLUG_HINT})"
    return error["msg"]


def _kind_of(value) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, datetime.date):
        return "a date"
    if isinstance(value, str):
        return "text"
    if value is None:
        return "nothing"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return ""
