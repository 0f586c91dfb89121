"""The oracle: which Web API methods exist, what each one requires and which scopes it needs.

The simulated Slack is only useful if it is at least as strict as Slack, otherwise the bot passes its tests and
fails in production.  What it knows about methods comes from ``web_api.json`` beside this module, a table the
project keeps from Slack's method documentation (errata of the published OpenAPI spec included), so a clone of
the repository needs nothing beside it.  A method that is not in the table answers ``unknown_method``: adding a
call to the bot means adding its line, with its arguments and scopes, here first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

TABLE_PATH = Path(__file__).with_name("web_api.json")
CONVERSATION_KINDS = ("channel", "group", "im", "mpim")  # public, private, direct message, group direct message
TOKEN_KINDS = ("bot", "none", "app")


class ApiError(Exception):
    """An answer Slack gives instead of doing the work: ``{"ok": false, "error": ...}`` with an HTTP status."""

    def __init__(self, error: str, *, status: int = 200, messages: Iterable[str] | None = None, **extra: Any):
        super().__init__(error)
        self.error = error
        self.status = status
        self.messages = list(messages or [])
        self.extra = extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"ok": False, "error": self.error, **self.extra}
        if self.messages:
            body["response_metadata"] = {"messages": self.messages}
        return body


@dataclass(frozen=True)
class Method:
    """One row of the table.  ``scopes`` is a tuple (needed whatever the call is about) or, for methods whose
    scope depends on the conversation, a mapping from conversation kind to the scopes that kind needs."""

    name: str
    required: tuple[str, ...] = ()
    scopes: tuple[str, ...] | dict[str, tuple[str, ...]] = ()
    token: str = "bot"
    since_spec: bool = False

    @property
    def by_kind(self) -> bool:
        return isinstance(self.scopes, dict)

    def needed_scopes(self, kind: str | None) -> tuple[str, ...]:
        """The scopes a call needs; for per-conversation methods, those of ``kind`` (none when it is unknown,
        e.g. because the conversation does not exist: the handler then answers channel_not_found)."""
        if isinstance(self.scopes, dict):
            return self.scopes.get(kind, ()) if kind else ()
        return self.scopes


@dataclass(frozen=True)
class WebApi:
    """The whole table: methods that work, and methods Slack has retired (with the error they answer)."""

    methods: dict[str, Method]
    retired: dict[str, str]

    @classmethod
    def load(cls, path: Path | str | None = None) -> WebApi:
        return _load(str(path or TABLE_PATH))

    @property
    def required(self) -> dict[str, tuple[str, ...]]:
        return {name: method.required for name, method in self.methods.items()}

    def is_known(self, method: str) -> bool:
        return method in self.methods or method in self.retired

    def missing(self, method: str, args: dict[str, Any]) -> list[str]:
        """Required arguments that are absent or empty, in the table's order."""
        entry = self.methods.get(method)
        return [name for name in (entry.required if entry else ()) if args.get(name) in (None, "")]


@lru_cache(maxsize=4)
def _load(path: str) -> WebApi:
    """Parse and check the table; a malformed row is a bug in the table, reported with the row's name."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    methods: dict[str, Method] = {}
    for name, row in data["methods"].items():
        unknown = set(row) - {"required", "scopes", "token", "since_spec"}
        if unknown:
            raise ValueError(f"{path}: {name} has unknown fields {sorted(unknown)}")
        scopes = row.get("scopes", [])
        if isinstance(scopes, dict):
            if set(scopes) - set(CONVERSATION_KINDS):
                raise ValueError(f"{path}: {name} scopes by kind must use {CONVERSATION_KINDS}")
            scopes = {kind: tuple(needed) for kind, needed in scopes.items()}
        else:
            scopes = tuple(scopes)
        token = row.get("token", "bot")
        if token not in TOKEN_KINDS:
            raise ValueError(f"{path}: {name} token must be one of {TOKEN_KINDS}")
        methods[name] = Method(
            name=name,
            required=tuple(row.get("required", ())),
            scopes=scopes,
            token=token,
            since_spec=bool(row.get("since_spec", False)),
        )
    return WebApi(methods=methods, retired=dict(data.get("retired", {})))


def missing_field_error(fields: list[str]) -> ApiError:
    return ApiError("invalid_arguments", messages=[f"[ERROR] missing required field: {name}" for name in fields])


def missing_scope_error(needed: Iterable[str], provided: Iterable[str]) -> ApiError:
    """Slack's answer when the token lacks a scope: which one was needed, and what the token has."""
    return ApiError("missing_scope", needed=",".join(needed), provided=",".join(provided))
