"""Socket Mode: Slack's end of the WebSocket connections an app opens instead of receiving HTTP requests.

The app calls ``apps.connections.open`` with an app-level (``xapp-``) token and gets a one-time URL,
``ws://127.0.0.1:<port>/link/?ticket=<uuid>&app_id=<app>``; a ticket opens one connection, once, and a
connection with an unknown or used ticket is refused at the handshake (HTTP 401).  On connect Slack sends
``hello``; then it sends envelopes (``events_api``, ``interactive``, ``slash_commands``) spread round-robin over
the app's open connections, and the app acknowledges each with ``{"envelope_id": ..., "payload": {...}}``.

As Slack does, an ``events_api`` envelope that is not acknowledged (its connection closed first, or no ack
within the timeout) is delivered again, preferably on another connection, with ``retry_attempt`` one higher and
``retry_reason`` "timeout" (at most ``EVENT_RETRIES`` times); an interactive or slash command envelope is not:
the person sees an error in Slack, and ``deliver`` raises ``NotAcknowledged``.  Acks naming an envelope that is
not waiting on that connection are ignored (kept in ``ignored_acks``).  ``drop_next`` closes the connection of
the next envelope(s) right after sending, before the ack can arrive; ``refresh`` sends Slack's
``{"type": "disconnect", "reason": "refresh_requested"}``.  Every delivery is kept in ``deliveries`` and every
connection in ``connections``, for tests to assert on.
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Request, Response, ServerConnection, serve

log = logging.getLogger(__name__)
_websockets_log = logging.getLogger(f"{__name__}.websockets")  # each connection's open and close: only problems
_websockets_log.setLevel(logging.WARNING)

KINDS = ("events_api", "interactive", "slash_commands")
EVENT_RETRIES = 3  # Slack retries an unacknowledged event three times
ACK_TIMEOUT = 3.0  # seconds Slack waits for an ack
HOST_NAME = "applink-simulated"


class NotAcknowledged(Exception):
    """Slack got no ack for an envelope (after its retries, for events): the person would see an error."""


@dataclass
class SocketConnection:
    """One WebSocket connection an app opened: ``id`` counts from 1; ``token`` is the app-level token whose
    ticket opened it (an app may have several); ``open`` until either side closes it."""

    id: int
    app_id: str
    token: str
    open: bool = True
    refreshing: bool = False  # sent a disconnect (refresh_requested): no new envelopes go there


@dataclass
class SocketDelivery:
    """One envelope sent on one connection, and what came of it: ``outcome`` is "pending", "acked", "dropped"
    (the connection closed before the ack) or "timeout"; ``ack`` is the app's whole ack message."""

    envelope_id: str
    kind: str
    app_id: str
    connection: int
    payload: dict[str, Any]
    retry_attempt: int = 0
    retry_reason: str = ""
    outcome: str = "pending"
    ack: dict[str, Any] | None = None


@dataclass
class _Link:
    info: SocketConnection
    ws: ServerConnection
    send_lock: threading.Lock = field(default_factory=threading.Lock)
    waiting: dict[str, SocketDelivery] = field(default_factory=dict)  # envelope id -> its delivery here
    cut: bool = False  # closed on purpose (a fault): nothing more is read from it


class SocketMode:
    """Slack's Socket Mode endpoint on 127.0.0.1, in a daemon thread (owned by a SimulatedSlack)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._lock = threading.Condition()
        self._tickets: dict[str, tuple[str, str]] = {}  # ticket -> (app id, token)
        self._admitted: dict[ServerConnection, tuple[str, str]] = {}
        self._links: list[_Link] = []
        self._turns: dict[str, itertools.count] = {}
        self._drops: list[bool] = []  # upcoming envelopes whose connection is cut after sending (True: abruptly)
        self.deliveries: list[SocketDelivery] = []
        self.ignored_acks: list[dict[str, Any]] = []
        self.refused = 0  # handshakes refused (unknown or used ticket)
        self._server = serve(
            self._serve, host, 0, process_request=self._admit, compression=None, logger=_websockets_log, close_timeout=2
        )
        self.host = host
        self.port = self._server.socket.getsockname()[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"SocketMode:{self.port}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)

    # -- what apps.connections.open hands out ---------------------------------------------------------------

    def new_url(self, app_id: str, token: str) -> str:
        """A one-time WebSocket URL for ``app_id`` (what apps.connections.open answers)."""
        ticket = str(uuid.uuid4())
        with self._lock:
            self._tickets[ticket] = (app_id, token)
        return f"ws://{self.host}:{self.port}/link/?ticket={ticket}&app_id={app_id}"

    def _admit(self, ws: ServerConnection, request: Request) -> Response | None:
        url = urlsplit(request.path)
        query = {name: values[-1] for name, values in parse_qs(url.query).items()}
        with self._lock:
            owner = self._tickets.pop(query.get("ticket", ""), None) if url.path.rstrip("/") == "/link" else None
            if owner is None or query.get("app_id", owner[0]) != owner[0]:
                self.refused += 1
                return ws.respond(HTTPStatus.UNAUTHORIZED, "invalid or already used ticket\n")
            self._admitted[ws] = owner
        return None

    # -- connections ------------------------------------------------------------------------------------

    @property
    def connections(self) -> list[SocketConnection]:
        with self._lock:
            return [copy.copy(link.info) for link in self._links]

    def open_connections(self, app_id: str | None = None) -> list[SocketConnection]:
        return [c for c in self.connections if c.open and (app_id is None or c.app_id == app_id)]

    def _serve(self, ws: ServerConnection) -> None:
        """One connection, on its own thread: hello, then acks until it closes."""
        with self._lock:
            app_id, token = self._admitted.pop(ws)
            info = SocketConnection(id=len(self._links) + 1, app_id=app_id, token=token)
            link = _Link(info=info, ws=ws)
            open_now = sum(1 for other in self._links if other.info.open and other.info.app_id == app_id) + 1
        hello = {
            "type": "hello",
            "num_connections": open_now,
            "debug_info": {"host": HOST_NAME, "build_number": 1, "approximate_connection_time": 18060},
            "connection_info": {"app_id": app_id},
        }
        try:
            # Said and listed under one lock: no envelope can come before hello, and whoever reads the list
            # after the app has its hello finds the connection in it.
            with self._lock:
                ws.send(json.dumps(hello))
                self._links.append(link)
                self._lock.notify_all()
            for message in ws:
                self._receive(link, message)
        except ConnectionClosed:
            pass
        finally:
            self._close_link(link)

    def _receive(self, link: _Link, message: str | bytes) -> None:
        try:
            data = json.loads(message)
        except ValueError:
            data = None
        with self._lock:
            if link.cut:
                return  # the connection was cut on purpose: this never reached Slack
            delivery = link.waiting.pop(data.get("envelope_id"), None) if isinstance(data, dict) else None
            if delivery is None or delivery.outcome != "pending":
                self.ignored_acks.append(data if isinstance(data, dict) else {"raw": str(message)})
                return
            delivery.outcome, delivery.ack = "acked", data
            self._lock.notify_all()

    def _pick(self, app_id: str, avoid: int | None, deadline: float) -> _Link | None:
        """The app's next open connection in turn (another than ``avoid`` when there is one); waits for one to
        open (an app reconnecting) until ``deadline``."""
        with self._lock:
            while True:
                links = [
                    link
                    for link in self._links
                    if link.info.app_id == app_id and link.info.open and not link.info.refreshing and not link.cut
                ]
                if len(links) > 1 and avoid is not None:
                    links = [link for link in links if link.info.id != avoid]
                if links:
                    turn = next(self._turns.setdefault(app_id, itertools.count()))
                    return links[turn % len(links)]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._lock.wait(remaining)

    # -- envelopes ------------------------------------------------------------------------------------------

    def deliver(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        app_id: str,
        timeout: float = ACK_TIMEOUT,
        retry_attempt: int = 0,
        retry_reason: str = "",
    ) -> dict[str, Any] | None:
        """Send ``payload`` to the app as a ``kind`` envelope and wait for its ack; returns the ack's payload
        (None when the ack carries none).  ``timeout``: how long to wait for an open connection and then for
        the ack, each attempt.  Raises NotAcknowledged when Slack gives up (see the module docstring)."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        envelope_id = str(uuid.uuid4())
        avoid: int | None = None
        while True:
            link = self._pick(app_id, avoid, time.monotonic() + timeout)
            if link is None:
                raise NotAcknowledged(f"no open Socket Mode connection of app {app_id} within {timeout:g} s")
            envelope: dict[str, Any] = {
                "envelope_id": envelope_id,
                "payload": payload,
                "type": kind,
                "accepts_response_payload": accepts_response_payload(kind, payload),
            }
            delivery = SocketDelivery(envelope_id, kind, app_id, link.info.id, payload)
            if kind == "events_api":
                envelope.update(retry_attempt=retry_attempt, retry_reason=retry_reason)
                delivery.retry_attempt, delivery.retry_reason = retry_attempt, retry_reason
            with self._lock:
                self.deliveries.append(delivery)
                link.waiting[envelope_id] = delivery
                abrupt = self._drops.pop(0) if self._drops else None
                if abrupt is not None:
                    link.cut = True  # nothing the app sends on it from now on reaches Slack
            try:
                with link.send_lock:
                    link.ws.send(json.dumps(envelope))
            except ConnectionClosed:  # it closed since it was picked: the envelope never left
                with self._lock:
                    link.waiting.pop(envelope_id, None)
                    if delivery.outcome == "pending":
                        delivery.outcome = "dropped"
            if abrupt is not None:
                self._cut(link, abrupt)
            outcome = self._wait(link, delivery, time.monotonic() + timeout)
            if outcome == "acked":
                return (delivery.ack or {}).get("payload")
            if kind != "events_api" or retry_attempt >= EVENT_RETRIES:
                raise NotAcknowledged(f"{kind} envelope {envelope_id}: {outcome} on connection {link.info.id}")
            retry_attempt, retry_reason, avoid = retry_attempt + 1, "timeout", link.info.id

    def _wait(self, link: _Link, delivery: SocketDelivery, deadline: float) -> str:
        with self._lock:
            while delivery.outcome == "pending":
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    delivery.outcome = "timeout"
                    link.waiting.pop(delivery.envelope_id, None)
                    break
                self._lock.wait(remaining)
            return delivery.outcome

    def _close_link(self, link: _Link) -> None:
        """The connection is gone: what it had not acknowledged is dropped (and its sender told)."""
        with self._lock:
            link.info.open = False
            for waiting in link.waiting.values():
                if waiting.outcome == "pending":
                    waiting.outcome = "dropped"
            link.waiting.clear()
            self._lock.notify_all()

    def _cut(self, link: _Link, abrupt: bool) -> None:
        self._close_link(link)
        if abrupt:  # the TCP connection goes, without a close frame (a network failure)
            try:
                link.ws.socket.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        else:  # Slack's side closes it (1001, going away); the closing handshake runs in the background
            threading.Thread(target=link.ws.close, args=(1001, "going away"), daemon=True).start()

    # -- faults and Slack's requests -----------------------------------------------------------------------

    def drop_next(self, times: int = 1, *, abrupt: bool = False) -> None:
        """The connection of each of the next ``times`` envelopes closes right after the envelope is sent, before
        any ack can arrive (``abrupt``: the TCP connection is cut, no close frame)."""
        with self._lock:
            self._drops.extend([abrupt] * times)

    def refresh(self, app_id: str | None = None) -> list[int]:
        """Send ``disconnect`` (refresh_requested) on every open connection (of ``app_id``), as Slack does before
        it retires a connection; no new envelope goes to them.  Returns their ids."""
        message = json.dumps({"type": "disconnect", "reason": "refresh_requested", "debug_info": {"host": HOST_NAME}})
        with self._lock:
            links = [link for link in self._links if link.info.open and (app_id is None or link.info.app_id == app_id)]
            for link in links:
                link.info.refreshing = True
        for link in links:
            try:
                with link.send_lock:
                    link.ws.send(message)
            except ConnectionClosed:
                pass
        return [link.info.id for link in links]

    @property
    def acks(self) -> int:
        with self._lock:
            return sum(1 for delivery in self.deliveries if delivery.outcome == "acked")

    def snapshot(self) -> list[SocketDelivery]:
        with self._lock:
            return [copy.copy(delivery) for delivery in self.deliveries]


def accepts_response_payload(kind: str, payload: dict[str, Any]) -> bool:
    """Whether Slack uses a payload in the ack: slash commands, and view submissions and option requests."""
    if kind == "slash_commands":
        return True
    return kind == "interactive" and payload.get("type") in ("view_submission", "block_suggestion")
