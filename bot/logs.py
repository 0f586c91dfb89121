"""Logging set-up: plain lines by default, one JSON object per line with LOG_FORMAT=json.

Quiet by default, informative at DEBUG, and never a request body or a secret: the libraries' own lines
that would carry a request body (bolt's refused-signature notice, the SDK's request dumps at DEBUG) are
cut to their first words, the scheduler's per-tick lines and Alembic's steps only show at DEBUG, and bolt's warning that it
ignores SLACK_BOT_TOKEN beside the client we hand it (it reads the same variable itself) is dropped.
"""

from __future__ import annotations

import json
import logging
import os
import re

_BODY = re.compile(r"\b(body|body_params|json_body|data)\b\s*[:=]", re.IGNORECASE)
_NOISE = ("As you gave `client` as well, `token` will be unused.",)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry)


class WithoutBodies(logging.Filter):
    """Keeps request bodies (members' answers, comments, tokens in payloads) out of every log line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(("slack_bolt", "slack_sdk")):
            return True
        message = record.getMessage()
        if message in _NOISE:
            return False
        found = _BODY.search(message)
        if found:
            record.msg, record.args = message[: found.start()].rstrip(" ,(") + " (request details withheld)", None
        return True


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler()
    if os.environ.get("LOG_FORMAT", "").lower() == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(WithoutBodies())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # APScheduler says "Running job ..." / "executed successfully" at INFO on every tick (2 lines every 30 s),
    # and Alembic narrates every step of every start-up's migration check.
    for chatty in ("apscheduler", "alembic"):
        logging.getLogger(chatty).setLevel(logging.DEBUG if level.upper() == "DEBUG" else logging.WARNING)
