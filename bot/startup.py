"""Start-up, shared by `python -m bot`, `python -m bot clock` and gunicorn's `bot.wsgi:application`:
logging, the credentials the way of running needs, the services (framework, database, migrations), the
App (whose construction checks the token with auth.test) and the clock.

Whatever stops start-up (a bad setting or framework file, a token Slack refuses, Slack or the database
out of reach, a malformed DATABASE_URL) is said in one or two lines naming the cause and the fix, with
exit status 2, never a stack trace.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from urllib.error import URLError

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from core.settings import ConfigurationError, Settings, load_settings
from framework.loader import FrameworkError
from storage.db import describe

from .app import client_resolver, create_app
from .clock import Clock
from .logs import configure_logging
from .outbox_workers import OutboxWorkers
from .services import Services

log = logging.getLogger("bot")


class CannotStart(Exception):
    """Start-up cannot go on; the message (one or two lines) says why and what to do."""


@dataclass(frozen=True)
class Started:
    services: Services
    clock: Clock
    senders: OutboxWorkers
    app: App | None = None  # None for the clock alone: it answers no request


def start(settings: Settings, serving: str | None = None) -> Started:
    """Build what `serving` ("http", "socket", "clock" or None: by the settings) needs, or raise CannotStart."""
    configure_logging(settings.log_level)
    try:
        settings.require_credentials(serving)
        services = _services(settings)
        app = None if serving == "clock" else _app(services)
    except (ConfigurationError, FrameworkError) as error:
        raise CannotStart(str(error)) from None
    client_for = client_resolver(settings, services.engine, services.pacer)
    clock = Clock(services, client_for, tick_seconds=settings.maturity_clock_tick)
    senders = OutboxWorkers(
        services.sender, client_for, threads=settings.maturity_senders, poll=settings.maturity_sender_poll
    )
    return Started(services=services, clock=clock, senders=senders, app=app)


def start_or_explain(serving: str | None = None, settings: Settings | None = None) -> Started | None:
    """`start` with the settings from the environment, or None after saying why on stderr."""
    try:
        return start(settings or load_settings(), serving)
    except (CannotStart, ConfigurationError) as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        return None


def _services(settings: Settings) -> Services:
    where = "DATABASE_URL" if settings.database_url else "the default SQLite file (DATABASE_URL is unset)"
    try:
        services = Services.compose(settings)
    except (ArgumentError, NoSuchModuleError, ValueError) as error:
        if isinstance(error, FrameworkError):
            raise
        raise CannotStart(
            f"DATABASE_URL is not a database URL I can use ({type(error).__name__}). Use sqlite:///path/to/file.db "
            "or postgresql+psycopg://user:password@host:5432/database."
        ) from None
    except DBAPIError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
        raise CannotStart(
            f"cannot open the database named by {where}: {reason}\n"
            "Check that the server is running and the database exists (PostgreSQL: createdb NAME)."
        ) from None
    log.info(
        "Frameworks: %s (the first is the default); data in %s",
        ", ".join(f"{f.id} {f.version} ({len(f.areas)} areas)" for f in services.frameworks.frameworks),
        describe(services.engine),
    )
    return services


def _check_token(settings: Settings) -> None:
    """auth.test once, without retries and without the SDK's own log lines: the refusal below says it all.
    (bolt checks the token too as it builds the App, but says less about what was wrong.)"""
    silent = logging.getLogger("bot.startup.token_check")
    silent.setLevel(logging.CRITICAL)
    silent.propagate = False
    WebClient(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.api_url, timeout=10, logger=silent
    ).auth_test()


def _app(services: Services) -> App:
    settings = services.settings
    try:
        if not settings.oauth_mode:
            _check_token(settings)
        return create_app(services)
    except SlackApiError as error:
        raise CannotStart(
            f"Slack refused SLACK_BOT_TOKEN ({error.response.get('error')}).\n"
            "Copy the Bot User OAuth Token (xoxb-...) from your app's OAuth & Permissions page."
        ) from None
    except (URLError, OSError, TimeoutError) as error:
        raise CannotStart(
            f"cannot reach Slack at {settings.api_url} ({type(error).__name__}: {getattr(error, 'reason', error)}).\n"
            "Check the network (and SLACK_API_URL, if you set it)."
        ) from None
