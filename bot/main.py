"""Start-up: configuration, framework, database, App; then Socket Mode or an HTTP server."""

from __future__ import annotations

import logging
import sys
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App

from framework.loader import FrameworkError

from .app import build_services, create_app
from .config import ConfigurationError, Settings
from .logs import configure_logging
from .wsgi import EVENTS_PATH, wsgi_app

log = logging.getLogger("bot")


def build_from_environment(settings: Settings | None = None) -> App:
    settings = settings or Settings()
    configure_logging(settings.log_level)
    settings.require_credentials()
    return create_app(settings, build_services(settings))


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (the stdlib's name)
        log.debug("http %s", format % args)


def run(settings: Settings | None = None) -> int:
    """`python -m bot`: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP on $PORT."""
    settings = settings or Settings()
    try:
        app = build_from_environment(settings)
    except (ConfigurationError, FrameworkError) as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        return 2
    if settings.socket_mode:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        log.info("Connecting to Slack in Socket Mode")
        SocketModeHandler(app, settings.slack_app_token.get_secret_value()).start()
        return 0
    server = make_server("0.0.0.0", settings.port, wsgi_app(app), server_class=_ThreadingServer, handler_class=_QuietHandler)
    log.info("Listening on http://0.0.0.0:%d%s", settings.port, EVENTS_PATH)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
