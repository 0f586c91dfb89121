"""Reading a framework file (YAML or JSON) into a validated `Framework`.

Start-up fails on a bad file, so the error has to be actionable on its own: it names the file, the path
of the offending field (``themes[1].areas[0].levels``) and the reason, and nothing else.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from pydantic import ValidationError

from .models import Framework, LocatedError

DEFAULT_FRAMEWORK_PATH = Path(__file__).with_name("data") / "nps-2018-draft.yaml"


class FrameworkError(Exception):
    """A framework file that cannot be used. `str()` is the whole message for the operator."""

    def __init__(self, path: Path | str, field: str, reason: str):
        self.path = str(path)
        self.field = field
        self.reason = reason
        where = f" at {field}" if field else ""
        super().__init__(f"Invalid framework file {self.path}{where}: {reason}")


def load_framework(path: Path | str | None = None) -> Framework:
    """Load and validate a framework file; the default is the NPS 2018 draft shipped with the product."""
    path = Path(path) if path else DEFAULT_FRAMEWORK_PATH
    try:
        raw_text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FrameworkError(path, "", "the file does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FrameworkError(path, "", f"the file cannot be read ({exc})") from None
    data = _parse(path, raw_text)
    if not isinstance(data, dict):
        raise FrameworkError(path, "", "the top level must be a mapping with id, version, title, levels and themes")
    try:
        return Framework.model_validate(data)
    except ValidationError as exc:
        raise _first_error(path, exc) from None


def _parse(path: Path, text: str):
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return yaml.safe_load(text)
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise FrameworkError(
            path, "", f"it is not valid {'JSON' if path.suffix.lower() == '.json' else 'YAML'}: {exc}"
        ) from None


def _first_error(path: Path, exc: ValidationError) -> FrameworkError:
    error = exc.errors()[0]
    original = (error.get("ctx") or {}).get("error")
    if isinstance(original, LocatedError):
        return FrameworkError(path, format_loc(original.loc), original.reason)
    reason = error["msg"]
    if error["type"] == "extra_forbidden":
        reason = "unknown field"
    elif error["type"] == "missing":
        reason = "required field is missing"
    elif error["type"] in ("string_too_short", "too_short") and error.get("input") in ("", [], None):
        reason = "must not be empty"
    return FrameworkError(path, format_loc(error["loc"]), reason)


def format_loc(loc) -> str:
    """("themes", 1, "areas", 0, "id") -> "themes[1].areas[0].id"."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
