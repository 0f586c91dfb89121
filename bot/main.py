"""Running the bot: Socket Mode or an HTTP server (`python -m bot`), or only the clock (`python -m bot clock`)."""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time
from socketserver import ThreadingMixIn
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from core.settings import Settings

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
        return _run_socket_mode(started)
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


def _run_socket_mode(started) -> int:
    """Socket Mode: one WebSocket to Slack, opened with SLACK_APP_TOKEN. Several processes may run at once, each
    with its connection; Slack spreads envelopes over them. SIGTERM closes this process's connection (Slack sends
    the rest to the others, and redelivers the events this one had not acknowledged), then stops the outbox
    senders and the clock and exits 0, as the HTTP server does; a token Slack refuses stops start-up in one line.
    A connection Slack closes is replaced at once (see _reconnect_when_gone)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk.errors import SlackApiError

    settings = started.services.settings
    handler = SocketModeHandler(started.app, settings.slack_app_token.get_secret_value())
    handler.client.on_close_listeners.append(lambda *_: _reconnect_when_gone(handler.client))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    log.info("Connecting to Slack in Socket Mode")
    try:
        handler.connect()
        log.info("Connected to Slack in Socket Mode")
        stop.wait()
    except SlackApiError as error:
        print(
            f"Cannot start: Slack refused SLACK_APP_TOKEN ({error.response.get('error')}).\n"
            "Use an app-level token (xapp-...) with the connections:write scope, from your app's Basic Information page.",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        pass
    finally:
        handler.close()
        started.senders.stop()
        started.clock.stop()
    return 0


def _reconnect_when_gone(socket_mode) -> None:
    """Called when Slack closes the connection (a close frame). slack_sdk's builtin client logs "Reconnecting..."
    then, but the closing connection still counts as connected at that moment, so nothing reconnects before its
    monitor's next round, up to ping_interval (10 s) later, and no envelope reaches this process meanwhile.
    Reconnect as soon as the old connection is gone (connect_to_new_endpoint does nothing if the monitor was
    quicker)."""

    def reconnect() -> None:
        deadline = time.monotonic() + 5
        while socket_mode.is_connected() and time.monotonic() < deadline:
            time.sleep(0.05)
        if socket_mode.closed or not socket_mode.auto_reconnect_enabled:
            return
        try:
            socket_mode.connect_to_new_endpoint()
        except Exception as error:  # the monitor tries again on its next round
            log.warning("Socket Mode: could not reconnect yet (%s: %s)", type(error).__name__, error)

    threading.Thread(target=reconnect, name="socket-mode-reconnect", daemon=True).start()
