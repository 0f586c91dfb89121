"""Installations (multi-workspace mode), kept in memory for a short time in front of the database.

bolt looks up the workspace's installation before any listener runs, so before the ack: with the database
gone, every request would fail there, unanswered, and nobody would be told. `CachedInstallationStore` wraps
slack_sdk's SQLAlchemy store (any InstallationStore) so that

- an installation read in the last `ttl_seconds` (60 s) is served from memory, without the database;
- an older one is read again, but the request waits at most `refresh_wait_seconds` (0.25 s) for the answer:
  when the database cannot be reached (bot.listeners.errors' test: refused, reset, timed out, or the pool
  gave up) or is slower than that, the installation last read is served (stale) and the read finishes in
  the background. After a failure or a wait given up, the database is not waited for at all for
  `retry_seconds` (5 s): each lookup then serves what it has at once and leaves one read in flight per
  installation;
- one never read is read from the database and waited for, unless what is held already answers it: then
  that answer is served as an expired entry is when the database is slow or unreachable. A member's own
  installation (the app asks for no user scopes; bolt only looks for a user token) is the workspace's when
  that member installed it, else none; the bot is the workspace installation's bot;
- saving or deleting (a new installation, app_uninstalled, tokens_revoked) forgets what this process holds
  for the workspace, whether or not the database took the change (a revoked token is of no use anyway).

Other processes forget a deleted installation when their copy expires, at most `ttl_seconds` later (its
token is revoked by then: Slack refuses it). slack_sdk's CacheableInstallationStore was the starting point;
it keeps entries for ever, serves nothing when the database fails, invalidates by key prefix (T1 also drops
T10) and checks then pops its dicts without a lock under bolt's threads, hence this store. Entries are handed out as copies: bolt clears
fields of the installation it is given.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore

from storage.db import database_unreachable

log = logging.getLogger(__name__)

TTL_SECONDS = 60.0
REFRESH_WAIT_SECONDS = 0.25  # a healthy database answers this in milliseconds
RETRY_SECONDS = 5.0

_INSTALLATION, _BOT = "installation", "bot"
_NOTHING = object()  # no value known for a key (None is a value: "no such installation")

Key = tuple[str, str, str, str]  # (kind, enterprise id, team id, user id), "" for none


@dataclass(frozen=True)
class _Entry:
    value: Any  # an Installation, a Bot, or None (a member without an installation of their own)
    read_at: float


class CachedInstallationStore(InstallationStore):
    """An InstallationStore in front of `underlying` (see the module's docstring). `clock` (monotonic
    seconds) and `unreachable` (which errors mean the database cannot be reached) can be given for tests."""

    def __init__(
        self,
        underlying: InstallationStore,
        *,
        ttl_seconds: float = TTL_SECONDS,
        refresh_wait_seconds: float = REFRESH_WAIT_SECONDS,
        retry_seconds: float = RETRY_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        unreachable: Callable[[BaseException], bool] = database_unreachable,
    ):
        self.underlying = underlying
        self.ttl_seconds = ttl_seconds
        self.refresh_wait_seconds = refresh_wait_seconds
        self.retry_seconds = retry_seconds
        self.clock = clock
        self.unreachable = unreachable
        self._lock = threading.Lock()
        self._entries: dict[Key, _Entry] = {}
        self._reading: dict[Key, tuple[int, Future]] = {}  # the read in flight per key, with its generation
        self._generation = 0  # moved on by every save and delete: a read begun before one is not kept
        self._trouble_until = float("-inf")  # until then the database is not waited for

    @property
    def logger(self) -> logging.Logger:
        return self.underlying.logger

    # -- reads -------------------------------------------------------------------------------------------

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        key = _key(_INSTALLATION, enterprise_id, team_id, user_id, is_enterprise_install)
        return self._find(
            key,
            lambda: self.underlying.find_installation(
                enterprise_id=enterprise_id,
                team_id=team_id,
                user_id=user_id,
                is_enterprise_install=is_enterprise_install,
            ),
        )

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        key = _key(_BOT, enterprise_id, team_id, None, is_enterprise_install)
        return self._find(
            key,
            lambda: self.underlying.find_bot(
                enterprise_id=enterprise_id, team_id=team_id, is_enterprise_install=is_enterprise_install
            ),
        )

    def _find(self, key: Key, read: Callable[[], Any]) -> Any:
        now = self.clock()
        with self._lock:
            entry = self._entries.get(key)
            in_trouble = now < self._trouble_until
            if entry is not None and now - entry.read_at < self.ttl_seconds:
                return copy.deepcopy(entry.value)
            known = entry.value if entry is not None else self._derived(key)
            generation = self._generation
        if known is _NOTHING:  # nothing to serve instead: wait for the database, whatever it takes
            value = self._read(key, read, generation)
            return copy.deepcopy(value)
        reading = self._read_in_background(key, read, generation)
        try:
            value = reading.result(timeout=0 if in_trouble else self.refresh_wait_seconds)
        except FutureTimeout:
            if not in_trouble:  # slow or hanging: the next lookups do not wait for it either
                with self._lock:
                    self._trouble_until = max(self._trouble_until, self.clock() + self.retry_seconds)
                log.info("installation of %s: the database is slow; serving the one read before", key[2] or key[1])
            return copy.deepcopy(known)
        except Exception as error:
            if not self.unreachable(error):
                raise
            return copy.deepcopy(known)  # logged where the read failed
        return copy.deepcopy(value)

    def _read(self, key: Key, read: Callable[[], Any], generation: int) -> Any:
        """Read `key` from the database now; keep what is read unless a save or delete came meanwhile."""
        try:
            value = read()
        except Exception as error:
            if self.unreachable(error):
                with self._lock:
                    self._trouble_until = self.clock() + self.retry_seconds
                log.warning(
                    "installation of %s: the database cannot be reached (%s)", key[2] or key[1], type(error).__name__
                )
            raise
        with self._lock:
            self._trouble_until = float("-inf")
            if generation == self._generation:
                if value is None and not key[3]:
                    self._entries.pop(key, None)  # gone (or never there): nothing to serve later
                else:
                    self._entries[key] = _Entry(value, self.clock())
        return value

    def _read_in_background(self, key: Key, read: Callable[[], Any], generation: int) -> Future:
        """The read of `key` in flight since the last save or delete, or a new one in a thread of its own."""
        with self._lock:
            in_flight = self._reading.get(key)
            if in_flight is not None and in_flight[0] == generation:
                return in_flight[1]
            reading: Future = Future()
            self._reading[key] = (generation, reading)

        def run() -> None:
            try:
                reading.set_result(self._read(key, read, generation))
            except BaseException as error:
                reading.set_exception(error)
            finally:
                with self._lock:
                    if self._reading.get(key, (None, None))[1] is reading:
                        del self._reading[key]

        threading.Thread(target=run, name="installation-read", daemon=True).start()
        return reading

    def _derived(self, key: Key) -> Any:
        """What the entries already held answer for `key` (never read itself) when the database cannot
        be asked, or _NOTHING. Called with the lock held."""
        kind, enterprise_id, team_id, user_id = key
        workspace = self._entries.get((_INSTALLATION, enterprise_id, team_id, ""))
        if workspace is None or workspace.value is None:
            return _NOTHING
        installation: Installation = workspace.value
        if kind == _INSTALLATION:  # a member's own installation: the workspace's, if they installed it
            return installation if installation.user_id == user_id else None
        return installation.to_bot() if installation.bot_token else _NOTHING

    # -- writes --------------------------------------------------------------------------------------------

    def save(self, installation: Installation) -> None:
        try:
            self.underlying.save(installation)
        finally:
            self._forget(installation.enterprise_id, installation.team_id, installation.is_enterprise_install)

    def save_bot(self, bot: Bot) -> None:
        try:
            self.underlying.save_bot(bot)
        finally:
            self._forget(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        try:
            self.underlying.delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        finally:
            self._forget(enterprise_id, team_id)

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        try:
            self.underlying.delete_installation(enterprise_id=enterprise_id, team_id=team_id, user_id=user_id)
        finally:
            self._forget(enterprise_id, team_id)

    def delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        try:
            self.underlying.delete_all(enterprise_id=enterprise_id, team_id=team_id)
        finally:
            self._forget(enterprise_id, team_id)

    def _forget(
        self, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None = False
    ) -> None:
        """Drop every entry of the workspace (or, for an org-wide installation or no team, of the org), and
        keep no read that began before now."""
        enterprise_id = enterprise_id or ""
        team_id = "" if is_enterprise_install else team_id or ""
        with self._lock:
            self._generation += 1
            for key in list(self._entries):
                if key[1] == enterprise_id and (key[2] == team_id or not key[2] or not team_id):
                    del self._entries[key]


def _key(kind: str, enterprise_id, team_id, user_id, is_enterprise_install) -> Key:
    """The cache key, with slack_sdk's reading of the ids: an org-wide installation has no team."""
    team = "" if is_enterprise_install or team_id is None else team_id
    return (kind, enterprise_id or "", team, user_id or "")
