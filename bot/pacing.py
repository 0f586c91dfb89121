"""Slack's rate limits, kept by every call the bot makes, in every process that serves a workspace.

Slack limits an app per workspace and method (its "tiers"), and chat.postMessage also to about one message a
second per channel. Every WebClient the bot uses is a `PacedWebClient`: before each Web API call it charges
the call to the buckets of its workspace and method (storage.rate_slots: in the database the processes
share on PostgreSQL, in the process on SQLite) and sleeps until the call may go. A member's next prompt is
charged like any other call: it skips the outbox's queue (it is sent at once, never enqueued behind a
kick-off), not the limit.

A 429 that happens anyway (another app's calls, a limit lower than published) is waited out by
`SharedRetryAfter`, which first pushes the buckets of that workspace and method past Slack's Retry-After,
so that every process holds back, and then queues its own retry like any other call.

Methods outside `TIERS` (chat.update, chat.postEphemeral, views.open, ...) answer a person's own click
and are made one at a time; they are not paced, and a 429 on them is waited out and shared the same way.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable

from cachetools import LRUCache
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler

from storage.rate_slots import Bucket, MemoryRateSlots, RateSlotStore

log = logging.getLogger(__name__)

# Calls a minute per workspace, as Slack publishes them (Tier 2: 20+, Tier 3: 50+, Tier 4: 100+), for the
# methods the bot calls many times in a row: enumerating a channel, kicking a round off, looking a message
# up before sending it again, publishing Home tabs, uploading charts.
TIERS: dict[str, float] = {
    "conversations.members": 100,
    "users.info": 100,
    "users.list": 20,
    "conversations.info": 50,
    "team.info": 50,
    "conversations.open": 50,
    "conversations.history": 50,
    "conversations.replies": 50,
    "views.publish": 100,
    "files.getUploadURLExternal": 20,
    "files.completeUploadExternal": 20,
}
POST = "chat.postMessage"
BURST = 3  # Slack: "short bursts are allowed"


def token_key(token: str) -> str:
    """What identifies a workspace's buckets: a digest of its bot token, the same in every process (bolt's
    per-request clients do not always know the team id) and no secret in the database."""
    return hashlib.sha256(token.encode()).hexdigest()[:16]


class Pacer:
    """Charges calls to the buckets Slack's limits give them; `wait` sleeps until a call may go."""

    def __init__(
        self,
        slots: RateSlotStore,
        *,
        channel_rate: float = 1.0,
        workspace_rate: float = 19.0,
        tiers: dict[str, float] = TIERS,
        tier_scale: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.slots = slots
        self.channel_rate = channel_rate
        self.workspace_rate = workspace_rate
        self.tiers = {method: per_minute * tier_scale for method, per_minute in tiers.items()}
        self.sleep = sleep
        self.clock = clock
        self.derived = DerivedClients()  # the clients paced by this pacer, and those made from them
        # Used while the shared buckets are out of reach (the database is away): this process's calls still
        # keep the limits by themselves, and a person's click is never refused for it.
        self.fallback = MemoryRateSlots()

    def buckets(self, team: str, method: str, channel: str | None = None) -> list[Bucket]:
        """The buckets a call is charged to. Each keeps spare calls below Slack's burst (two workspace-wide,
        one per channel), for the jitter between a call's reserved moment and its arrival at Slack when
        several threads and processes send at once."""
        if method == POST:
            buckets = [Bucket(f"{team}:{method}", self.workspace_rate, BURST - 2)]
            if channel:
                buckets.append(Bucket(f"{team}:{method}:{channel}", self.channel_rate, BURST - 1))
            return buckets
        per_minute = self.tiers.get(method)
        return [Bucket(f"{team}:{method}", per_minute / 60.0, BURST - 1)] if per_minute else []

    def wait(self, team: str, method: str, channel: str | None = None) -> float:
        """Reserve the call's moment and sleep until it comes; returns the time waited.

        A call that goes late (a busy machine, a slow database answer) arrives right behind calls that kept
        their moments, and together they run ahead of Slack's limit by its lateness. The spare calls each
        bucket keeps below Slack's burst absorb half their span of lateness; a call later than that for a
        bucket reserves a new moment in that bucket (at most twice, then it goes)."""
        buckets = self.buckets(team, method, channel)
        if not buckets:
            return 0.0
        started = self.clock()
        for _ in range(3):
            asked = self.clock()
            delay = max(self._reserve(buckets), 0.0)
            if delay > 0:
                self.sleep(delay)
            lateness = self.clock() - (asked + delay)
            buckets = [b for b in buckets if lateness > _tolerance(b)]
            if not buckets:
                break
        return self.clock() - started

    def _reserve(self, buckets: list[Bucket]) -> float:
        try:
            return self.slots.reserve(buckets)
        except Exception as error:
            log.warning("shared rate limits out of reach (%s): pacing this process alone", type(error).__name__)
            return self.fallback.reserve(buckets)

    def throttled(self, team: str, method: str, channel: str | None, seconds: float) -> None:
        """Slack answered 429: hold every process's calls of this method back for `seconds`."""
        buckets = self.buckets(team, method, channel) or [Bucket(f"{team}:{method}", 1.0, 1)]
        self.slots.hold_off(buckets, seconds)


def _tolerance(bucket: Bucket) -> float:
    """How late a call may go in this bucket: half the span of the spare calls it keeps below Slack's burst."""
    return 0.5 * max(BURST - bucket.burst, 0) * bucket.interval


def _channel_of(*sources: dict | None) -> str | None:
    for source in sources:
        if source and source.get("channel"):
            return str(source["channel"])
    return None


class PacedWebClient(WebClient):
    """slack_sdk's WebClient, with each Web API call charged to its workspace's limits before it is made."""

    def __init__(self, *args, pacer: Pacer, **kwargs):
        super().__init__(*args, **kwargs)
        self.pacer = pacer

    def api_call(self, api_method: str, **kwargs):
        if self.token:
            channel = _channel_of(kwargs.get("json"), kwargs.get("data"), kwargs.get("params"))
            self.pacer.wait(token_key(self.token), api_method, channel)
        return super().api_call(api_method, **kwargs)

    def _request_for_pagination(self, api_url: str, req_args: dict):
        """The pages after the first (`for page in client.users_list()`): slack_sdk fetches them here, past
        `api_call`, and each is a call Slack counts."""
        if self.token:
            method = api_url.split("?")[0].rsplit("/", 1)[-1]
            self.pacer.wait(
                token_key(self.token), method, _channel_of(*(v for v in req_args.values() if isinstance(v, dict)))
            )
        return super()._request_for_pagination(api_url, req_args)


class SharedRetryAfter(RateLimitErrorRetryHandler):
    """Retries a call Slack answered with 429, as the SDK's handler does, but first tells every process
    (through the shared buckets) to hold back for Retry-After, then queues the retry behind them."""

    def __init__(self, pacer: Pacer, max_retry_count: int = 5):
        super().__init__(max_retry_count=max_retry_count)
        self.pacer = pacer

    def prepare_for_next_attempt(self, *, state, request, response=None, error=None) -> None:
        if response is None:
            raise error
        retry_after = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), None)
        seconds = float((retry_after[0] if isinstance(retry_after, list) else retry_after) or 1)
        method = request.url.split("?")[0].rsplit("/", 1)[-1]
        authorization = next((v for k, v in request.headers.items() if k.lower() == "authorization"), None)
        bearer = (authorization[0] if isinstance(authorization, list) else authorization or "").removeprefix("Bearer ")
        channel = _channel_of(request.body_params)
        log.warning("Slack answered 429 to %s: every process holds back for %g s", method, seconds)
        state.next_attempt_requested = True
        if bearer:
            team = token_key(bearer)
            try:
                self.pacer.throttled(team, method, channel, seconds)
                self.pacer.wait(team, method, channel)
            except Exception as failure:  # the shared buckets are out of reach: wait here alone
                log.warning("could not share a 429 with the other processes: %s", type(failure).__name__)
                time.sleep(seconds)
        else:
            time.sleep(seconds)
        state.increment_current_attempt()


def _options(client: WebClient, retry_handlers: list[RetryHandler]) -> dict:
    return dict(
        token=client.token,
        base_url=client.base_url,
        timeout=client.timeout,
        ssl=client.ssl,
        proxy=client.proxy,
        headers=client.headers,
        team_id=client.default_params.get("team_id"),
        logger=client.logger,
        retry_handlers=retry_handlers,
    )


def copy_client(client: WebClient, *, retry_handlers: list[RetryHandler] | None = None) -> WebClient:
    """The same client (paced if it was), with other retry handlers if given."""
    options = _options(client, list(client.retry_handlers or []) if retry_handlers is None else retry_handlers)
    if isinstance(client, PacedWebClient):
        return PacedWebClient(pacer=client.pacer, **options)
    return WebClient(**options)


class DerivedClients:
    """Clients made from other clients (paced, or with other retry handlers), kept by everything they were made
    from. bolt makes a fresh WebClient for each request, and making one costs about as much Python as a Slack
    call's own work (slack_sdk reads the proxy settings from the environment each time): without this, a click
    would make two more. A WebClient keeps no state between calls, so threads can share one."""

    def __init__(self, size: int = 256):
        self._made: LRUCache = LRUCache(maxsize=size)
        self._lock = threading.Lock()  # LRUCache is not thread-safe

    def get(self, how: str, client: WebClient, make: Callable[[WebClient], WebClient]) -> WebClient:
        key = (how, _identity(client))
        with self._lock:
            made = self._made.get(key)
        if made is None:
            made = make(client)
            with self._lock:
                self._made[key] = made
        return made


def _identity(client: WebClient) -> tuple:
    """Everything a derived client copies from `client` (see _options), and its pacer."""
    return (
        type(client),
        client.token,
        client.base_url,
        client.timeout,
        client.proxy,
        client.default_params.get("team_id"),
        tuple(sorted((client.headers or {}).items())),
        id(client.ssl),
        id(client.logger),
        id(getattr(client, "pacer", None)),
        tuple(
            (type(h), getattr(h, "max_retry_count", None), id(getattr(h, "pacer", None)))
            for h in (client.retry_handlers or [])
        ),
    )


def paced(client: WebClient, pacer: Pacer) -> PacedWebClient:
    """`client` with its calls charged to `pacer`, and its 429s shared with every process (made once for
    each client it is asked for, see DerivedClients)."""
    if isinstance(client, PacedWebClient) and client.pacer is pacer:
        return client
    return pacer.derived.get("paced", client, lambda original: _paced(original, pacer))


def _paced(client: WebClient, pacer: Pacer) -> PacedWebClient:
    handlers = [
        h
        if isinstance(h, SharedRetryAfter) or not isinstance(h, RateLimitErrorRetryHandler)
        else SharedRetryAfter(pacer, h.max_retry_count)
        for h in (client.retry_handlers or [])
    ]
    if not any(isinstance(h, SharedRetryAfter) for h in handlers):
        handlers.insert(0, SharedRetryAfter(pacer))
    return PacedWebClient(pacer=pacer, **_options(client, handlers))


def pace_every_listener(pacer: Pacer):
    """bolt middleware: the client bolt hands a listener (made afresh for each request) is paced too."""

    def middleware(context, next):
        if context.client is not None:
            context["client"] = paced(context.client, pacer)
        next()

    return middleware
