"""Socket Mode: the bot's connection to Slack over a WebSocket (SLACK_APP_TOKEN), in one process or several.

Slack spreads envelopes over every open connection of an app (up to 10), so each `python -m bot` in Socket
Mode takes a share; whatever one process must not do twice is decided in the database, as in HTTP mode.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time

log = logging.getLogger("bot")


def socket_mode_handler(app, app_token: str):
    """slack_bolt's Socket Mode adapter over the websocket-client package. slack_sdk's builtin client (bolt's
    default adapter) waits for its monitor's next round (up to 10 s) to replace a connection Slack closed, and when
    the TCP connection goes without a close frame its read loop spins on EOF for tens of seconds (a CPU busy) before
    it reconnects; this one notices either at once and opens a new connection within about half a second."""
    from slack_bolt.adapter.socket_mode.websocket_client import SocketModeHandler
    from websocket import WebSocketException

    class Handler(SocketModeHandler):
        def handle(self, client, req) -> None:
            try:
                super().handle(client, req)
            except (WebSocketException, OSError) as error:  # the connection went before the ack could be sent
                log.warning(
                    "Socket Mode: the connection closed before %s envelope %s was acknowledged (%s)%s",
                    req.type,
                    req.envelope_id,
                    str(error) or type(error).__name__,
                    "; Slack sends the event again" if req.type == "events_api" else "",
                )

    handler = Handler(app, app_token)
    handler.client.logger.addFilter(_CLOSED_CONNECTION_NOTICES)
    logging.getLogger("websocket").addFilter(_CLOSED_CONNECTION_NOTICES)
    return handler


class _ClosedConnectionNotices(logging.Filter):
    """A connection that closes (Slack retires connections now and then; the network drops them) is routine:
    the client reconnects at once. websocket-client and slack_sdk both report it as an ERROR; make it one INFO
    line (slack_sdk's) and drop websocket-client's copy ("... - goodbye"), which only shows at DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.levelno != logging.ERROR:
            return True
        if record.name == "websocket" and message.endswith(" - goodbye"):
            level = logging.DEBUG
        elif message.startswith("on_error invoked (error: WebSocketConnectionClosedException"):
            level = logging.INFO
        else:
            return True
        record.levelno, record.levelname = level, logging.getLevelName(level)
        return logging.getLogger(record.name).isEnabledFor(level)


_CLOSED_CONNECTION_NOTICES = _ClosedConnectionNotices()


def run_socket_mode(started) -> int:
    """Socket Mode: one WebSocket to Slack, opened with SLACK_APP_TOKEN. Several processes may run at once, each
    with its connection; Slack spreads envelopes over them. SIGTERM closes this process's connection (Slack sends
    the rest to the others, and redelivers the events this one had not acknowledged), then stops the outbox
    senders and the clock and exits 0, as the HTTP server does; a token Slack refuses stops start-up in one line.
    A connection that closes, with or without a close frame, is replaced at once (see socket_mode_handler)."""
    from slack_sdk.errors import SlackApiError

    settings = started.services.settings
    handler = socket_mode_handler(started.app, settings.slack_app_token.get_secret_value())
    opened = threading.Event()
    handler.client.on_open_listeners.append(lambda *_: opened.set())
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    log.info("Connecting to Slack in Socket Mode")
    try:
        handler.connect()  # asks Slack for the URL; the connection opens on the client's own thread
        deadline = time.monotonic() + 10
        while not opened.wait(0.05) and not stop.is_set() and time.monotonic() < deadline:
            pass
        if opened.is_set():
            log.info("Connected to Slack in Socket Mode")
        elif not stop.is_set():
            log.warning("Socket Mode: not connected after 10 s; still trying")
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
        close_socket_mode(handler)
        started.senders.stop()
        started.clock.stop()
    return 0


def close_socket_mode(handler, timeout: float = 2.0) -> None:
    """Close the connection (its closing handshake takes milliseconds) and stop the client's threads. About one
    close in four, websocket-client's reader thread, blocked in select() on the socket, notices only when its next
    ping is due (up to 10 s later), and handler.close() waits for it; the connection is closed by then and the
    client's threads are daemons, so wait at most ``timeout`` seconds."""
    closing = threading.Thread(target=handler.close, name="socket-mode-close", daemon=True)
    closing.start()
    closing.join(timeout)
