"""The HTTP face of the bot, for `python -m bot` and for production servers (gunicorn: `bot.wsgi:application`,
see the Procfile).

/slack/events takes slash commands, interactivity and events (and, in multi-workspace mode, Slack's OAuth
flow is on /slack/install and /slack/oauth_redirect); GET /healthz says whether the database answers, for a
load balancer, without any Slack credentials; everything else is 404.
"""

from __future__ import annotations

import io
import logging

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import Engine, text

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
OAUTH_PATHS = ("/slack/install", "/slack/oauth_redirect")


def wsgi_app(app: App, engine: Engine | None = None):
    """The WSGI application around the bolt App; with the database's engine it also answers /healthz.

    A body bolt cannot parse (malformed JSON in a payload) gets 400 when it is signed and 401 when it is
    not, instead of a stack trace and a 500: bolt parses before it verifies the signature.
    """
    handler = SlackRequestHandler(app)
    verifier = SignatureVerifier(app._signing_secret) if getattr(app, "_signing_secret", None) else None
    paths = {EVENTS_PATH, *(OAUTH_PATHS if app.oauth_flow is not None else ())}

    def application(environ, start_response):
        path = environ.get("PATH_INFO")
        if path == HEALTH_PATH and engine is not None and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            return _health(engine, start_response)
        if path not in paths:
            return _plain(start_response, "404 Not Found", "Not found")
        if environ.get("REQUEST_METHOD") != "POST":
            return handler(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        try:
            return handler(environ, start_response)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            signed = verifier is not None and verifier.is_valid(
                body=body.decode("utf-8", "replace"),
                timestamp=environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""),
                signature=environ.get("HTTP_X_SLACK_SIGNATURE", ""),
            )
            log.info("refused a request bolt could not read (%s)", type(error).__name__)
            if signed:
                return _plain(start_response, "400 Bad Request", "Bad request")
            return _plain(start_response, "401 Unauthorized", "Unauthorized")

    return application


def _health(engine: Engine, start_response):
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:  # noqa: BLE001 (any failure means: not healthy)
        log.warning("health check: the database does not answer (%s)", type(error).__name__)
        return _plain(start_response, "503 Service Unavailable", "database unavailable")
    return _plain(start_response, "200 OK", "ok")


def _plain(start_response, status: str, text: str):
    start_response(status, [("Content-Type", "text/plain")])
    return [text.encode()]


def __getattr__(name: str):
    """gunicorn imports `bot.wsgi:application`: build it on first use, so importing this module is cheap.
    gunicorn always serves HTTP, so HTTP's credentials are required whatever else is set."""
    if name == "application":
        from .startup import start_or_explain

        started = start_or_explain("http")
        if started is None:
            raise SystemExit(2)
        globals()["application"] = wsgi_app(started.app, started.services.engine)
        return globals()["application"]
    raise AttributeError(name)
