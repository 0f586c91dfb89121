"""The WSGI entry point for production servers (gunicorn, see the Procfile): one path, /slack/events."""

from __future__ import annotations

import io
import logging

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
OAUTH_PATHS = ("/slack/install", "/slack/oauth_redirect")


def wsgi_app(app: App):
    """Serve slash commands, interactivity and events on /slack/events (and, in multi-workspace mode,
    Slack's OAuth flow on /slack/install and /slack/oauth_redirect); 404 elsewhere.

    A body bolt cannot parse (malformed JSON in a payload) gets 400 when it is signed and 401 when it is
    not, instead of a stack trace and a 500: bolt parses before it verifies the signature.
    """
    handler = SlackRequestHandler(app)
    verifier = SignatureVerifier(app._signing_secret) if getattr(app, "_signing_secret", None) else None
    paths = {EVENTS_PATH, *(OAUTH_PATHS if app.oauth_flow is not None else ())}

    def application(environ, start_response):
        if environ.get("PATH_INFO") not in paths:
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


def _plain(start_response, status: str, text: str):
    start_response(status, [("Content-Type", "text/plain")])
    return [text.encode()]


def __getattr__(name: str):
    """gunicorn imports `bot.wsgi:application`: build it on first use, so importing this module is cheap."""
    if name == "application":
        from core.settings import Settings

        from .startup import start

        globals()["application"] = wsgi_app(start(Settings()).app)
        return globals()["application"]
    raise AttributeError(name)
