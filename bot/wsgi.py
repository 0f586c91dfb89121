"""The WSGI entry point for production servers (gunicorn, see the Procfile): one path, /slack/events."""

from __future__ import annotations

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

EVENTS_PATH = "/slack/events"
OAUTH_PATHS = ("/slack/install", "/slack/oauth_redirect")


def wsgi_app(app: App):
    """Serve slash commands, interactivity and events on /slack/events (and, in multi-workspace mode,
    Slack's OAuth flow on /slack/install and /slack/oauth_redirect); 404 elsewhere."""
    handler = SlackRequestHandler(app)
    paths = {EVENTS_PATH, *(OAUTH_PATHS if app.oauth_flow is not None else ())}

    def application(environ, start_response):
        if environ.get("PATH_INFO") not in paths:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"Not found"]
        return handler(environ, start_response)

    return application


def __getattr__(name: str):
    """gunicorn imports `bot.wsgi:application`: build it on first use, so importing this module is cheap."""
    if name == "application":
        from .main import build_from_environment

        globals()["application"] = wsgi_app(build_from_environment())
        return globals()["application"]
    raise AttributeError(name)
