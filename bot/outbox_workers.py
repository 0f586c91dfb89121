"""Outbox workers: threads in every process that send what the outbox owes, whichever workspace it is for.

Each takes the next due message with `Sender.send_next` (a SKIP LOCKED claim on PostgreSQL), so any
number of workers in any number of processes share one queue: a big kick-off started through one process
is spread over every process that has capacity, and the messages a killed process held are taken over by
the others once their short lease runs out. When nothing is due a worker sleeps `poll` seconds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from slack_sdk import WebClient

from .outbox import Sender

log = logging.getLogger(__name__)


class OutboxWorkers:
    def __init__(
        self, sender: Sender, client_for: Callable[[str], WebClient | None], *, threads: int = 2, poll: float = 1.0
    ):
        self.sender = sender
        self.client_for = client_for
        self.threads = threads
        self.poll = poll
        self._stop = threading.Event()
        self._running: list[threading.Thread] = []

    def start(self) -> None:
        self._stop.clear()
        for n in range(self.threads):
            thread = threading.Thread(target=self._work, name=f"outbox-{n + 1}", daemon=True)
            thread.start()
            self._running.append(thread)
        if self.threads:
            log.info("Outbox: %d sender(s) in this process", self.threads)

    def stop(self, timeout: float = 10.0) -> None:
        """Let the messages in hand go out (or stay owed), then stop."""
        self._stop.set()
        for thread in self._running:
            thread.join(timeout)
        self._running.clear()

    def _work(self) -> None:
        while not self._stop.is_set():
            try:
                outcome = self.sender.send_next(self.client_for)
            except Exception:  # the database is away, say: the message stays owed, try again soon
                log.exception("an outbox sender failed; trying again in %g s", self.poll)
                outcome = None
            if outcome is None:
                self._stop.wait(self.poll)
