"""Running the bot: Socket Mode or an HTTP server (`python -m bot`), or only the clock (`python -m bot clock`)."""

from __future__ import annotations

import logging
import signal
import threading
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from core.settings import Settings

from .socket_mode import run_socket_mode
from .startup import start_or_explain
from .wsgi import EVENTS_PATH, wsgi_app

log = logging.getLogger("bot")


def run_clock(settings: Settings | None = None) -> int:
    """`python -m bot clock`: only the clock, for deployments with several web processes."""
    started = start_or_explain("clock", settings)
    if started is None:
        return 2
    clock = started.clock
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    clock.start()
    started.senders.start()
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        started.senders.stop()
        clock.stop()
    return 0


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    request_queue_size = 128  # the default backlog of 5 resets connections under a burst of clicks


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format, *args):
        log.debug("http %s", format % args)


def run(settings: Settings | None = None) -> int:
    """`python -m bot`: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP on $PORT."""
    started = start_or_explain(None, settings)
    if started is None:
        return 2
    app, clock, settings = started.app, started.clock, started.services.settings
    if settings.maturity_clock:
        clock.start()
    started.senders.start()
    if settings.socket_mode:
        return run_socket_mode(started)
    server = make_server(
        "0.0.0.0",
        settings.port,
        wsgi_app(app, started.services.engine),
        server_class=_ThreadingServer,
        handler_class=_QuietHandler,
    )
    # SIGTERM: stop taking requests, let the ones in flight finish, then exit.
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    log.info("Listening on http://0.0.0.0:%d%s", settings.port, EVENTS_PATH)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        started.senders.stop()
        clock.stop()
    return 0
