"""Building the slack_bolt App: the real App and the real WebClient, pointed at SLACK_API_URL."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from framework.loader import load_framework
from storage.db import describe, make_engine, migrate

from . import listeners
from .config import Settings
from .services import Services

log = logging.getLogger(__name__)


def web_client(settings: Settings) -> WebClient:
    """A WebClient that waits out Slack's Retry-After and retries connection errors and 5xx answers."""
    return WebClient(
        token=settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None,
        base_url=settings.api_url,
        timeout=10,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=5),
            ConnectionErrorRetryHandler(max_retry_count=3),
            ServerErrorRetryHandler(max_retry_count=3),
        ],
    )


def build_services(settings: Settings) -> Services:
    """Load the framework (a bad file stops start-up here) and bring the database up to date."""
    framework = load_framework(settings.maturity_framework)
    engine = make_engine(settings.database_url)
    migrate(engine)
    log.info("Framework %s (%s), %d areas; data in %s", framework.id, framework.version, len(framework.areas), describe(engine))
    return Services.build(
        framework, engine, min_group=settings.maturity_min_group, facilitator_ids=settings.facilitator_ids
    )


def create_app(settings: Settings, services: Services) -> App:
    settings.require_credentials()
    app = App(
        client=web_client(settings),
        signing_secret=settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None,
        process_before_response=settings.process_before_response,
    )
    listeners.register(app, services)
    return app
