"""The WSGI entry point for production servers (gunicorn, see the Procfile): one path, /slack/events."""

from __future__ import annotations

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler

EVENTS_PATH = "/slack/events"


def wsgi_app(app: App):
    """Serve slash commands, interactivity and events on /slack/events; 404 elsewhere."""
    handler = SlackRequestHandler(app)

    def application(environ, start_response):
        if environ.get("PATH_INFO") != EVENTS_PATH:
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
