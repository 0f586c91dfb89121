"""Start-up, shared by `python -m bot`, `python -m bot clock` and gunicorn's `bot.wsgi:application`:
logging, the mode's credentials, the services (framework, database, migrations), the App and the clock.

A bad setting or framework file stops here with one line naming it (never a stack trace).
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

from slack_bolt import App

from core.settings import ConfigurationError, Settings
from framework.loader import FrameworkError
from storage.db import describe

from .app import client_resolver, create_app
from .clock import Clock
from .logs import configure_logging
from .services import Services

log = logging.getLogger("bot")


@dataclass(frozen=True)
class Started:
    app: App
    services: Services
    clock: Clock


def start(settings: Settings) -> Started:
    """Build everything, or raise ConfigurationError / FrameworkError with the reason."""
    configure_logging(settings.log_level)
    settings.require_credentials()
    services = Services.compose(settings)
    framework = services.framework
    log.info(
        "Framework %s (%s), %d areas; data in %s",
        framework.id,
        framework.version,
        len(framework.areas),
        describe(services.engine),
    )
    app = create_app(services)
    clock = Clock(services, client_resolver(app, settings), tick_seconds=settings.maturity_clock_tick)
    return Started(app=app, services=services, clock=clock)


def start_or_explain(settings: Settings) -> Started | None:
    """`start`, or None after saying on stderr, in one line, why the bot cannot start."""
    try:
        return start(settings)
    except (ConfigurationError, FrameworkError) as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        return None
