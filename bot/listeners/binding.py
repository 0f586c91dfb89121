"""The one way a handler becomes a bolt listener.

Handlers are plain functions, `handler(services, <bolt's argument names>...)`, so a test can call one
alone with stand-ins. bolt injects a listener's arguments by the names of its positional parameters, so
binding the services with functools.partial leaves exactly the names bolt should fill (ack, body, client,
context, respond, event, view, command, error...). Extra fixed arguments go in by keyword and must be the
handler's last parameters.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any


def listener(services: Any, handler: Callable[..., Any], **fixed: Any) -> Callable[..., Any]:
    bound = functools.partial(handler, services, **fixed)
    bound.__name__ = handler.__name__  # bolt names listeners in its logs
    return bound
