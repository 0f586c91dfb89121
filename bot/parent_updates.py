"""Updates of the progress at the top of members' threads, taken off the click's path and coalesced.

After each answer the member waits for one thing: the next area's prompt. The parent message's progress bar
("5 of 13 areas answered") is for when they look up, so it is updated once the member has been quiet for
`delay` seconds (a run of quick answers costs one chat.update, not one each), and not at all when it would
show what it already shows. The last update of a round (completing it) is never deferred: the caller sends
it at once.

What is pending lives in this process only: a process killed in the delay leaves the parent one update
behind until the member's next answer. Nothing the member entered depends on it (answers and prompts go
through the database and the outbox).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable

log = logging.getLogger(__name__)

# How many parents' last shown states are remembered (to skip updates that change nothing); beyond it the
# oldest are forgotten, which costs at most one unneeded update each.
REMEMBERED = 10_000


class ParentUpdates:
    """`soon(key, shown, update)`: run `update()` once `delay` seconds have passed without another `soon` for
    the same key, unless `shown` (what the update would show) is what the last update of that key showed.
    With delay 0 the update runs at once, in the caller's thread."""

    def __init__(self, delay: float, clock: Callable[[], float] = time.monotonic):
        self.delay = delay
        self.clock = clock
        self._pending: dict[Hashable, tuple[float, Hashable, Callable[[], None]]] = {}
        self._shown: dict[Hashable, Hashable] = {}
        self._wake = threading.Condition()
        self._worker: threading.Thread | None = None

    def soon(self, key: Hashable, shown: Hashable, update: Callable[[], None]) -> None:
        with self._wake:
            if self._shown.get(key) == shown:
                self._pending.pop(key, None)  # a pending update would show something older: drop it
                return
            if self.delay <= 0:
                self._pending.pop(key, None)
            else:
                self._pending[key] = (self.clock() + self.delay, shown, update)
                self._ensure_worker()
                self._wake.notify()
                return
        self._run(key, shown, update)

    def now(self, key: Hashable, shown: Hashable, update: Callable[[], None]) -> None:
        """Update at once (in the caller's thread), replacing whatever was pending for the key."""
        with self._wake:
            self._pending.pop(key, None)
        self._run(key, shown, update)

    def flush(self) -> None:
        """Run every pending update now (at shutdown, and in tests)."""
        with self._wake:
            pending, self._pending = self._pending, {}
        for key, (_, shown, update) in pending.items():
            self._run(key, shown, update)

    def _run(self, key: Hashable, shown: Hashable, update: Callable[[], None]) -> None:
        try:
            update()
        except Exception as error:  # the next answer's update will show it; the answer itself is stored
            log.warning("could not update a member's progress message: %s", type(error).__name__)
            with self._wake:
                self._shown.pop(key, None)
            return
        with self._wake:
            self._shown[key] = shown
            if len(self._shown) > REMEMBERED:
                del self._shown[next(iter(self._shown))]

    def _ensure_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._work, name="parent-updates", daemon=True)
            self._worker.start()

    def _work(self) -> None:
        while True:
            with self._wake:
                while not self._pending:
                    if not self._wake.wait(timeout=60):
                        self._worker = None
                        return
                key, (due, shown, update) = min(self._pending.items(), key=lambda item: item[1][0])
                wait = due - self.clock()
                if wait > 0:
                    self._wake.wait(timeout=wait)
                    continue
                del self._pending[key]
            self._run(key, shown, update)
