"""Building the slack_bolt App: the real App and the real WebClient, pointed at SLACK_API_URL.

Two modes. With SLACK_BOT_TOKEN the bot serves one workspace. With SLACK_CLIENT_ID and SLACK_CLIENT_SECRET
instead it runs Slack's OAuth flow (/slack/install, /slack/oauth_redirect) through bolt's OAuthSettings,
keeping installations and OAuth state in the product's database with slack_sdk's SQLAlchemy stores, and
each request is answered with the token of the workspace it came from. Installations are read through
bot.installations' cache (60 s, and the last one read while the database is unreachable), which the App and
the clock of a process share.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import Executor, Future

from slack_bolt import App
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine

from core.settings import Settings

from . import listeners
from .installations import CachedInstallationStore
from .pacing import Pacer, pace_every_listener, paced
from .services import Services

log = logging.getLogger(__name__)

INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
# The bot scopes the app asks for when installed through OAuth (manifest.yml lists the same).
BOT_SCOPES = [
    "app_mentions:read",
    "channels:read",
    "channels:history",
    "groups:read",
    "groups:history",
    "mpim:read",
    "chat:write",
    "commands",
    "im:history",
    "im:read",
    "im:write",
    "users:read",
    "files:write",
    "team:read",
]

ClientFor = Callable[[str], "WebClient | None"]


def web_client(settings: Settings, token: str | None = None, *, pacer: Pacer | None = None) -> WebClient:
    """A WebClient that waits out Slack's Retry-After and retries connection errors and 5xx answers; with
    `pacer`, one whose every call keeps the workspace's rate limits (bot.pacing)."""
    if token is None and settings.slack_bot_token is not None:
        token = settings.slack_bot_token.get_secret_value()
    client = WebClient(
        token=token,
        base_url=settings.api_url,
        timeout=settings.maturity_slack_timeout,
        retry_handlers=[
            RateLimitErrorRetryHandler(max_retry_count=5),
            ConnectionErrorRetryHandler(
                max_retry_count=3, interval_calculator=BackoffRetryIntervalCalculator(backoff_factor=0.2)
            ),
            ServerErrorRetryHandler(
                max_retry_count=3, interval_calculator=BackoffRetryIntervalCalculator(backoff_factor=0.2)
            ),
        ],
    )
    return paced(client, pacer) if pacer is not None else client


def oauth_settings(services: Services) -> OAuthSettings:
    settings = services.settings
    return OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret.get_secret_value(),
        scopes=BOT_SCOPES,
        installation_store=installation_store(settings, services.engine),
        state_store=SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=services.engine),
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
    )


def create_app(services: Services) -> App:
    """The real slack_bolt App with every listener registered (the mode's credentials must be set)."""
    settings = services.settings
    settings.require_credentials()
    app = App(
        client=web_client(settings, pacer=services.pacer),
        signing_secret=settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None,
        oauth_settings=oauth_settings(services) if settings.oauth_mode else None,
        process_before_response=settings.process_before_response,
        listener_executor=ThreadPerListener(),
    )
    app.use(pace_every_listener(services.pacer))
    listeners.register(app, services)
    return app


class ThreadPerListener(Executor):
    """bolt's listener executor: each listener in a thread of its own, started at once.

    In ack-first mode bolt runs the listener (whose first act is ack()) in its executor and answers Slack
    when ack() has been called. bolt's default, five pooled threads, queues a listener behind five others
    that are still working; when those wait on a database that has gone away, the next click's ack waits
    with them and Slack gets nothing within its 3 s. Here nothing queues, so the ack never waits on the
    database; what bounds the threads is how long one listener can take (storage/db.py's timeouts)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                future.set_result(fn(*args, **kwargs))
            except BaseException as error:
                future.set_exception(error)

        threading.Thread(target=run, name="listener", daemon=True).start()
        return future


# One installation store per database and client id in a process, so that the App (which saves and deletes
# installations) and the clock (which only reads them) share one cache: an uninstall seen by the App is at
# once seen by the clock of the same process.
_STORES: weakref.WeakKeyDictionary[Engine, dict[str | None, CachedInstallationStore]] = weakref.WeakKeyDictionary()
_STORES_LOCK = threading.Lock()


def installation_store(settings: Settings, engine: Engine) -> CachedInstallationStore:
    """slack_sdk's SQLAlchemy installation store, in the product's database (its tables come from migration
    0003), behind bot.installations' cache; the same one for every caller with this engine and client id."""
    with _STORES_LOCK:
        stores = _STORES.setdefault(engine, {})
        store = stores.get(settings.slack_client_id)
        if store is None:
            store = stores[settings.slack_client_id] = CachedInstallationStore(
                SQLAlchemyInstallationStore(client_id=settings.slack_client_id, engine=engine)
            )
        return store


def client_resolver(settings: Settings, engine: Engine, pacer: Pacer | None = None) -> ClientFor:
    """How the clock (which answers no request) gets a client for a workspace: the single bot token, or
    the workspace's installation (through the installation store the App uses, cached); None once the app
    has been uninstalled there."""
    if not settings.oauth_mode:
        client = web_client(settings, pacer=pacer)
        return lambda team_id: client
    store = installation_store(settings, engine)

    def client_for(team_id: str) -> WebClient | None:
        bot = store.find_bot(enterprise_id=None, team_id=team_id)
        return web_client(settings, token=bot.bot_token, pacer=pacer) if bot else None

    return client_for
