"""SimulatedSlack: a stateful, strict stand-in for Slack's Web API, served over real HTTP.

The bot's real slack_sdk WebClient points at ``SimulatedSlack(...).api_url`` so its whole Slack stack (argument
encoding, retries, error handling) runs unchanged; only Slack itself is replaced.  It keeps workspaces, messages,
views and files, answers like Slack (HTTP 200 ``{"ok": false, "error": ...}`` for API errors), and refuses what
Slack refuses: unknown and retired methods, missing arguments, scopes the app was not granted (web_api.json),
Block Kit Slack would reject (block_kit.py).  Faults (errors, 429/500, slow answers, dropped connections, lost
replies) and Slack's rate limits can be switched on per method.  Every visible change the bot makes is handed
to listeners as an ``Event`` (the sandbox's terminal shows them).

Routes: ``/api/<method>`` (Web API), ``/upload/<file_id>/<secret>`` (file bytes for files_upload_v2),
``/response/<token>`` (response_url stand-ins), ``/_simulated_slack/state`` (a JSON snapshot, for other processes).
Socket Mode (``apps.connections.open`` with an app-level token from ``add_app_token``, then a WebSocket) is
served by socket_mode.py on a port of its own, started on first use.
"""

from __future__ import annotations

import base64
import json
import logging
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .block_kit import bool_arg, check_message_text, parse_message_blocks
from .methods import HANDLERS, ApiRequest
from .socket_mode import SocketDelivery, SocketMode
from .web_api import ApiError, WebApi, missing_field_error, missing_scope_error
from .workspaces import (
    FIRST_TS,
    Call,
    Channel,
    Event,
    Message,
    State,
    Team,
    UploadedFile,
    User,
    ViewRecord,
)

RESPONSE_URL_USES = 5  # Slack lets a response_url be used five times
log = logging.getLogger(__name__)
Listener = Callable[[Event], None]


@dataclass(frozen=True)
class Installation:
    """Who the app is in one workspace: what Slack puts in the requests it sends the app."""

    team_id: str
    team_name: str
    domain: str
    enterprise_id: str | None
    app_id: str
    bot_user_id: str
    bot_id: str
    scopes: tuple[str, ...]


def scope_list(scopes: Iterable[str] | str) -> tuple[str, ...]:
    """Scopes as a tuple, from a list or Slack's comma-separated form; duplicates dropped, order kept."""
    items = scopes.split(",") if isinstance(scopes, str) else scopes
    return tuple(dict.fromkeys(s.strip() for s in items if s and s.strip()))


@dataclass
class Fault:
    """An injected failure for ``method`` ("*" for any).  ``remaining`` None means unlimited."""

    method: str
    error: str | None = None
    status: int = 200
    retry_after: int | None = None
    remaining: int | None = 1
    rate: float | None = None
    delay: float | None = None
    drop: bool = False
    lose_reply: bool = False  # do the work, then drop the connection: the client never learns it succeeded

    @property
    def answers_with_error(self) -> bool:
        # A bare fail(method) is an error; delay/drop/lose_reply alone only slow down or cut the answer.
        return self.error is not None or self.status != 200 or not (self.delay or self.drop or self.lose_reply)

    def body(self) -> dict[str, Any]:
        default = "ratelimited" if self.status == 429 else "internal_error"
        return {"ok": False, "error": self.error or default}


@dataclass
class Reply:
    status: int
    body: dict[str, Any] | str
    headers: dict[str, str]


class SimulatedSlack:
    """A Slack Web API on 127.0.0.1 for one test, one benchmark or one sandbox session.

    ``scopes``: the bot scopes every workspace's installation is granted (``add_team`` may narrow them); calls
    that need another answer missing_scope.  ``listener``: called with each ``Event`` on the request's thread,
    before the answer goes back (it should be quick: queue it).  ``first_ts``: the first message timestamp, in
    seconds (fixed by default so tests can predict ts; the sandbox starts at the current time so timestamps
    never repeat across runs on one database).
    """

    def __init__(
        self,
        *,
        scopes: Iterable[str] | str,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 0,
        listener: Listener | None = None,
        first_ts: float = FIRST_TS,
        web_api: Path | str | None = None,
    ):
        self.scopes = scope_list(scopes)
        self._state = State(first_ts)
        self._web_api = WebApi.load(web_api)
        self._listeners: list[Listener] = [listener] if listener else []
        self._random = random.Random(seed)
        self._faults: list[Fault] = []
        self._limits: dict[str, tuple[float, float | None]] = {}  # method -> (per channel, per workspace) a second
        self._next_slot: dict[tuple, float] = {}
        self.throttled = 0  # how many calls were answered 429 by the rate limits
        self._app_tokens: dict[str, tuple[str, tuple[str, ...]]] = {}  # xapp- token -> (app id, scopes)
        self._socket_mode: SocketMode | None = None
        self._host = host
        self._server = _Server((host, port), _Handler)
        self._server.slack = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"SimulatedSlack:{self.port}",
            daemon=True,
        )
        self._thread.start()

    # ------------------------------------------------------------------------------------------- lifecycle

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
        if self._socket_mode is not None:
            self._socket_mode.stop()

    @property
    def socket_mode(self) -> SocketMode:
        """Slack's Socket Mode endpoint (socket_mode.py), started on first use: ``deliver`` envelopes, inject
        faults (``drop_next``), read ``deliveries`` and ``connections``."""
        with self._state.lock:
            if self._socket_mode is None:
                self._socket_mode = SocketMode(self._host)
            return self._socket_mode

    @property
    def socket_deliveries(self) -> list[SocketDelivery]:
        """Every Socket Mode envelope sent so far (one per attempt), with its connection and outcome."""
        return self.socket_mode.snapshot()

    def __enter__(self) -> SimulatedSlack:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # ------------------------------------------------------------------------------------------- workspace setup

    def add_team(
        self,
        team_id: str,
        bot_token: str | None = None,
        bot_user_id: str | None = None,
        name: str | None = None,
        enterprise_id: str | None = None,
        *,
        bot_id: str | None = None,
        app_id: str = "A0FAKEAPP",
        scopes: Iterable[str] | str | None = None,
        bot_name: str = "maturity_bot",
        bot_real_name: str = "Maturity Bot",
    ) -> str:
        """Install the bot in a workspace.  Returns the bot token (default ``xoxb-<team_id>``).

        ``scopes`` narrows (or replaces) the scopes given to the constructor for this installation only.
        """
        with self._state.lock:
            if team_id in self._state.teams:
                raise ValueError(f"team {team_id!r} exists")
            team = Team(
                id=team_id,
                name=name or team_id,
                bot_token=bot_token or f"xoxb-{team_id}",
                bot_user_id=bot_user_id or f"UBOT{team_id}",
                bot_id=bot_id or f"B{team_id}",
                app_id=app_id,
                enterprise_id=enterprise_id,
                scopes=self.scopes if scopes is None else scope_list(scopes),
            )
            if team.bot_token in self._state.tokens:
                raise ValueError(f"token {team.bot_token!r} already belongs to another team")
            team.users[team.bot_user_id] = User(
                id=team.bot_user_id,
                team_id=team_id,
                name=bot_name,
                real_name=bot_real_name,
                is_bot=True,
                bot_id=team.bot_id,
            )
            self._state.teams[team_id] = team
            self._state.tokens[team.bot_token] = team_id
            return team.bot_token

    def add_user(
        self,
        team_id: str,
        user_id: str,
        name: str | None = None,
        real_name: str = "",
        *,
        is_bot: bool = False,
        deleted: bool = False,
        is_admin: bool = False,
        is_owner: bool = False,
        tz: str = "Europe/London",
    ) -> None:
        with self._state.lock:
            team = self._state.team(team_id)
            team.users[user_id] = User(
                id=user_id,
                team_id=team_id,
                name=name or user_id.lower(),
                real_name=real_name or name or user_id,
                is_bot=is_bot,
                deleted=deleted,
                is_admin=is_admin,
                is_owner=is_owner,
                tz=tz,
                bot_id=f"B{user_id}" if is_bot else None,
            )

    def add_channel(
        self,
        team_id: str,
        channel_id: str,
        name: str | None = None,
        members: Iterable[str] = (),
        *,
        bot_member: bool = True,
        is_private: bool = False,
        is_archived: bool = False,
    ) -> None:
        """Create a channel.  Unknown member ids become plain users; the bot is appended when ``bot_member``."""
        with self._state.lock:
            team = self._state.team(team_id)
            member_ids = list(dict.fromkeys(members))
            for user_id in member_ids:
                self._state.ensure_user(team, user_id)
            if bot_member and team.bot_user_id not in member_ids:
                member_ids.append(team.bot_user_id)
            team.channels[channel_id] = Channel(
                id=channel_id,
                team_id=team_id,
                name=name or channel_id.lower(),
                is_private=is_private,
                is_archived=is_archived,
                members=member_ids,
            )
            team.messages.setdefault(channel_id, [])

    def add_member(self, team_id: str, channel_id: str, user_id: str) -> None:
        """Add a user (or the bot, by its user id) to a channel."""
        with self._state.lock:
            team = self._state.team(team_id)
            self._state.ensure_user(team, user_id)
            channel = team.channels[channel_id]
            if user_id not in channel.members:
                channel.members.append(user_id)

    def remove_member(self, team_id: str, channel_id: str, user_id: str) -> None:
        with self._state.lock:
            channel = self._state.team(team_id).channels[channel_id]
            if user_id in channel.members:
                channel.members.remove(user_id)

    def dm_channel(self, team_id: str, user_id: str) -> str:
        """The id of the bot's IM with ``user_id`` (``D<user_id>``), created on first use."""
        with self._state.lock:
            team = self._state.team(team_id)
            self._state.ensure_user(team, user_id)
            return self._state.im_channel(team, user_id).id

    def add_app_token(
        self, app_id: str = "A0FAKEAPP", token: str | None = None, scopes: Iterable[str] | str = ("connections:write",)
    ) -> str:
        """An app-level token (``xapp-...``) of ``app_id``, as generated on the app's Basic Information page; it
        is good only for app-level methods (apps.connections.open).  Returns it."""
        with self._state.lock:
            token = token or f"xapp-1-{app_id}-{len(self._app_tokens) + 1}-{secrets.token_hex(16)}"
            if token in self._state.tokens or token in self._app_tokens:
                raise ValueError(f"token {token!r} exists")
            self._app_tokens[token] = (app_id, scope_list(scopes))
            return token

    def set_scopes(self, team_id: str, scopes: Iterable[str] | str) -> None:
        """Change what an installation is granted (as re-installing with other scopes would)."""
        with self._state.lock:
            self._state.team(team_id).scopes = scope_list(scopes)

    def listen(self, listener: Listener) -> None:
        """Also call ``listener`` with every ``Event`` (see the class docstring)."""
        with self._state.lock:
            self._listeners.append(listener)

    def add_message(
        self,
        team_id: str,
        channel_id: str,
        user: str,
        text: str = "",
        *,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
    ) -> Message:
        """A message written by someone else (a person), e.g. to give the bot a thread to read."""
        with self._state.lock:
            team = self._state.team(team_id)
            message = self._state.add_message(
                team, team.channels[channel_id], user=user, text=text, blocks=list(blocks or []), thread_ts=thread_ts
            )
            return self._state.snapshot(message)

    def revoke_token(self, token: str) -> None:
        """Make further calls with ``token`` fail with token_revoked (what follows an uninstall)."""
        with self._state.lock:
            self._state.revoked_tokens.add(token)

    def new_trigger_id(self, team_id: str | None = None, user_id: str | None = None) -> str:
        """A trigger id, as Slack puts in interaction payloads; views.open/push accept only these, once each."""
        with self._state.lock:
            team_id = self._state.only_team_id(team_id)
            trigger_id = f"{int(time.time())}.{secrets.randbelow(10**9)}.{secrets.token_hex(16)}"
            self._state.triggers[trigger_id] = {"team_id": team_id, "user_id": user_id, "used": False}
            return trigger_id

    def new_oauth_code(self, team_id: str | None = None, installer_user_id: str = "UINSTALLER") -> str:
        """A one-time code that oauth.v2.access exchanges for the team's bot token."""
        with self._state.lock:
            team_id = self._state.only_team_id(team_id)
            code = secrets.token_hex(12)
            self._state.oauth_codes[code] = {"team_id": team_id, "user_id": installer_user_id, "used": False}
            return code

    def set_oauth_client(self, client_id: str, client_secret: str) -> None:
        """Make oauth.v2.access check the app's credentials (unchecked until this is called)."""
        with self._state.lock:
            self._state.oauth_client = (client_id, client_secret)

    def new_response_url(self, team_id: str | None = None, channel: str | None = None, user: str | None = None) -> str:
        """A URL that behaves like a slash command / interaction response_url (five uses)."""
        with self._state.lock:
            token = secrets.token_urlsafe(12)
            self._state.response_urls[token] = {"team_id": team_id, "channel": channel, "user": user, "uses": 0}
            return f"{self.base_url}/response/{token}"

    # ------------------------------------------------------------------------------------------- inspection

    def installation(self, team_id: str | None = None) -> Installation:
        """The app's identity in a workspace (the only one when ``team_id`` is left out)."""
        with self._state.lock:
            team = self._state.team(self._state.only_team_id(team_id))
            return Installation(
                team_id=team.id,
                team_name=team.name,
                domain=team.domain,
                enterprise_id=team.enterprise_id,
                app_id=team.app_id,
                bot_user_id=team.bot_user_id,
                bot_id=team.bot_id,
                scopes=team.scopes,
            )

    def user(self, team_id: str, user_id: str) -> User | None:
        with self._state.lock:
            user = self._state.team(team_id).users.get(user_id)
            return self._state.snapshot(user)

    def users(self, team_id: str | None = None) -> list[User]:
        """Everyone in a workspace, the bot included."""
        with self._state.lock:
            team = self._state.team(self._state.only_team_id(team_id))
            return self._state.snapshot(list(team.users.values()))

    def channel(self, team_id: str, channel_id: str) -> Channel | None:
        with self._state.lock:
            return self._state.snapshot(self._state.team(team_id).channels.get(channel_id))

    def messages(self, channel: str, team_id: str | None = None) -> list[Message]:
        """Every message in ``channel`` (top level and replies) in post order."""
        with self._state.lock:
            team = self._state.team_of_channel(channel, team_id)
            return self._state.snapshot(team.messages.get(channel, []))

    def top_level(self, channel: str, team_id: str | None = None) -> list[Message]:
        return [m for m in self.messages(channel, team_id) if m.thread_ts is None]

    def replies(self, channel: str, thread_ts: str, team_id: str | None = None) -> list[Message]:
        """The replies in a thread, without its parent."""
        return [m for m in self.messages(channel, team_id) if m.thread_ts == thread_ts]

    def message(self, channel: str, ts: str, team_id: str | None = None) -> Message:
        message = self.find_message(channel, ts, team_id)
        if message is None:
            raise KeyError(f"no message {ts} in {channel}")
        return message

    def find_message(self, channel: str, ts: str, team_id: str | None = None) -> Message | None:
        """The message with this ts in ``channel``, or None (deleted, or never posted)."""
        with self._state.lock:
            team = self._state.team_of_channel(channel, team_id)
            return self._state.snapshot(self._state.find_message(team, channel, ts))

    @property
    def call_count(self) -> int:
        """How many requests were answered so far (cheap: no copies)."""
        with self._state.lock:
            return len(self._state.calls)

    @property
    def calls(self) -> list[Call]:
        with self._state.lock:
            return self._state.snapshot(self._state.calls)

    def calls_to(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method == method]

    def reset_calls(self) -> None:
        with self._state.lock:
            self._state.calls.clear()

    @property
    def ephemerals(self) -> list[dict[str, Any]]:
        with self._state.lock:
            return self._state.snapshot(self._state.ephemerals)

    @property
    def responses(self) -> list[dict[str, Any]]:
        with self._state.lock:
            return self._state.snapshot(self._state.responses)

    @property
    def views(self) -> list[ViewRecord]:
        with self._state.lock:
            return self._state.snapshot(list(self._state.views.values()))

    @property
    def files(self) -> list[UploadedFile]:
        """Files whose upload was completed with files.completeUploadExternal."""
        with self._state.lock:
            return self._state.snapshot([f for f in self._state.files.values() if f.completed])

    def file(self, file_id: str) -> UploadedFile | None:
        with self._state.lock:
            upload = self._state.files.get(file_id)
            return self._state.snapshot(upload) if upload is not None and upload.completed else None

    # ------------------------------------------------------------------------------------------- faults

    def fail(
        self,
        method: str,
        error: str | None = None,
        status: int = 200,
        retry_after: int | None = None,
        times: int | None = None,
        rate: float | None = None,
        delay: float | None = None,
        drop: bool = False,
        lose_reply: bool = False,
    ) -> Fault:
        """Inject a failure into calls to ``method`` ("*": any; "upload"/"response_url" for those routes).

        ``error``: answer HTTP ``status`` with ok:false and this error; ``status`` 429 adds Retry-After
        (``retry_after``, default 1); ``delay``: sleep first; ``drop``: close the connection without answering;
        ``lose_reply``: do the work, then close the connection (Slack acted, the client never heard).
        ``times``: how many calls fail (default 1, or unlimited when ``rate`` is set); ``rate``: the probability
        that a matching call fails, drawn from the seeded random generator.
        """
        if rate is not None and not 0 <= rate <= 1:
            raise ValueError("rate must be within [0, 1]")
        fault = Fault(
            method=method,
            error=error,
            status=status,
            retry_after=retry_after,
            remaining=times if times is not None else (None if rate is not None else 1),
            rate=rate,
            delay=delay,
            drop=drop,
            lose_reply=lose_reply,
        )
        with self._state.lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._state.lock:
            self._faults.clear()

    def _take_fault(self, method: str) -> Fault | None:
        with self._state.lock:
            for fault in self._faults:
                if fault.method not in ("*", method):
                    continue
                if fault.rate is not None and self._random.random() >= fault.rate:
                    continue
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                return fault
            return None

    # ------------------------------------------------------------------------------------------- request handling

    def _record(self, method: str, args: dict[str, Any], team_id: str | None, reply: Reply) -> None:
        body = reply.body if isinstance(reply.body, dict) else None
        error = body.get("error") if body else (None if reply.status == 200 else str(reply.body))
        with self._state.lock:
            self._state.calls.append(
                Call(method=method, args=args, team_id=team_id, status=reply.status, error=error, response=body)
            )

    def enforce_rate_limits(
        self,
        method: str = "chat.postMessage",
        *,
        per_channel: float = 1.0,
        per_workspace: float | None = None,
        burst: int = 3,
    ) -> None:
        """Answer 429 with Retry-After, as Slack does, when calls to ``method`` come faster than
        ``per_channel`` a second into one channel or ``per_workspace`` a second in one workspace. Like
        Slack ("short bursts are allowed"), each limit is a token bucket holding ``burst`` calls."""
        with self._state.lock:
            self._limits[method] = (per_channel, per_workspace, burst)

    def _throttle(self, method: str, token: str | None, args: dict[str, Any]) -> Reply | None:
        limits = self._limits.get(method)
        if limits is None:
            return None
        per_channel, per_workspace, burst = limits
        now = time.monotonic()
        with self._state.lock:
            # Slack keeps each method's limits apart: a bucket per method and workspace (and channel).
            keys = [((method, token, str(args.get("channel"))), 1.0 / per_channel)]
            if per_workspace:
                keys.append(((method, token, None), 1.0 / per_workspace))
            # Each bucket is kept as the moment it will be empty again ("theoretical arrival time").
            wait = max(self._next_slot.get(key, now) - (burst - 1) * interval - now for key, interval in keys)
            if wait > 0:
                self.throttled += 1
                return Reply(
                    429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(max(1, int(wait + 0.999)))}
                )
            for key, interval in keys:
                self._next_slot[key] = max(self._next_slot.get(key, now), now) + interval
        return None

    def _fault_reply(self, fault: Fault) -> Reply:
        headers = {}
        if fault.status == 429:
            headers["Retry-After"] = str(fault.retry_after if fault.retry_after is not None else 1)
        return Reply(fault.status, fault.body(), headers)

    def _call_api(
        self, method: str, args: dict[str, Any], token: str | None, basic_auth: tuple[str, str] | None
    ) -> tuple[Reply, str | None]:
        """Run one Web API call under the state lock, then tell the listeners what changed; returns the reply
        and the caller's team id.  The checks run in Slack's order: method, token, retirement, arguments,
        scopes."""
        with self._state.lock:
            team: Team | None = None
            req: ApiRequest | None = None
            try:
                if not self._web_api.is_known(method):
                    raise ApiError("unknown_method", status=404)
                if method in self._web_api.retired:
                    team = self._state.team_for_token(token)
                    raise ApiError(self._web_api.retired[method])
                entry = self._web_api.methods[method]
                if entry.token == "app":
                    return self._app_level(method, args, token), None
                if entry.token == "bot":
                    if token in self._app_tokens:
                        raise ApiError("not_allowed_token_type")  # an app-level token is no bot token
                    team = self._state.team_for_token(token)
                missing = self._web_api.missing(method, args)
                if missing:
                    raise missing_field_error(missing)
                if team is not None:
                    needed = entry.needed_scopes(self._state.conversation_kind(team, args) if entry.by_kind else None)
                    lacking = [scope for scope in needed if scope not in team.scopes]
                    if lacking:
                        raise missing_scope_error(lacking, team.scopes)
                handler = HANDLERS.get(method)
                if handler is None:
                    raise ApiError(
                        "not_implemented_by_simulated_slack",
                        messages=[f"[ERROR] the simulated Slack does not implement {method}"],
                    )
                req = ApiRequest(
                    method=method,
                    args=args,
                    team=team,
                    state=self._state,
                    base_url=self.base_url,
                    basic_auth=basic_auth,
                    listening=bool(self._listeners),
                )
                body = handler(req)
                reply = Reply(200, {"ok": True, **body}, {})
            except ApiError as exc:
                reply = Reply(exc.status, exc.body(), {})
            except Exception as exc:  # a bug here must fail the caller loudly, not hang up on the client
                reply = Reply(
                    500,
                    {
                        "ok": False,
                        "error": "simulated_slack_internal_error",
                        "response_metadata": {"messages": [f"{type(exc).__name__}: {exc}"]},
                    },
                    {},
                )
            if team is not None:
                reply.headers["X-OAuth-Scopes"] = ",".join(team.scopes)
            listeners = list(self._listeners)
        if req is not None and reply.status == 200 and req.events:
            self._notify(listeners, req.events)
        return reply, team.id if team else None

    def _app_level(self, method: str, args: dict[str, Any], token: str | None) -> Reply:
        """A method that takes an app-level token (called under the state lock): only apps.connections.open."""
        try:
            if token not in self._app_tokens:
                self._state.team_for_token(token)  # not_authed, token_revoked, invalid_auth...
                raise ApiError("not_allowed_token_type")  # ...or a bot token, which Slack refuses here
            if token in self._state.revoked_tokens:
                raise ApiError("token_revoked")
            app_id, scopes = self._app_tokens[token]
            missing = self._web_api.missing(method, args)
            if missing:
                raise missing_field_error(missing)
            lacking = [scope for scope in self._web_api.methods[method].needed_scopes(None) if scope not in scopes]
            if lacking:
                raise missing_scope_error(lacking, scopes)
            if method != "apps.connections.open":
                raise ApiError(
                    "not_implemented_by_simulated_slack",
                    messages=[f"[ERROR] the simulated Slack does not implement {method}"],
                )
            return Reply(200, {"ok": True, "url": self.socket_mode.new_url(app_id, token)}, {})
        except ApiError as exc:
            return Reply(exc.status, exc.body(), {})

    @staticmethod
    def _notify(listeners: list[Listener], events: list[Event]) -> None:
        for event in events:
            for listener in listeners:
                try:
                    listener(event)
                except Exception:  # a listener's bug must not turn into a Slack error for the bot
                    log.exception("a listener of the simulated Slack failed on a %s event", event.kind)

    def _receive_upload(self, file_id: str, secret: str, content: bytes) -> Reply:
        with self._state.lock:
            upload = self._state.files.get(file_id)
            if upload is None or not secrets.compare_digest(upload.upload_secret, secret) or upload.completed:
                return Reply(404, "Not Found", {})
            if len(content) != upload.length:
                return Reply(400, f"size_mismatch: declared {upload.length} bytes, received {len(content)}", {})
            upload.content = content
            return Reply(200, f"OK - {len(content)}", {})

    def _receive_response(self, token: str, url: str, body: Any) -> tuple[Reply, str | None]:
        """A post to a response_url: recorded in ``responses``; ephemeral ones also in ``ephemerals``, and
        in_channel ones posted in the channel as the bot, as Slack does."""
        events: list[Event] = []
        with self._state.lock:
            context = self._state.response_urls.get(token)
            if context is None:
                return Reply(404, {"ok": False, "error": "expired_url"}, {}), None
            try:
                if context["uses"] >= RESPONSE_URL_USES:
                    raise ApiError("used_url", status=404)
                if not isinstance(body, dict):
                    raise ApiError("invalid_payload", status=400)
                check_message_text(body.get("text"))
                blocks = parse_message_blocks(body.get("blocks"))
                removing = bool_arg(body.get("delete_original"))
                if not (body.get("text") or blocks or body.get("attachments") or removing):
                    raise ApiError("no_text")
            except ApiError as exc:
                status = exc.status if exc.status != 200 else 400
                return Reply(status, exc.body(), {}), context["team_id"]
            context["uses"] += 1
            self._state.responses.append({"url": url, **body})
            listening = bool(self._listeners)
            listeners = list(self._listeners)
            replacing = bool_arg(body.get("replace_original"))
            ephemeral = body.get("response_type", "ephemeral") == "ephemeral"
            if ephemeral and not removing and not replacing:
                record = {
                    "team_id": context["team_id"],
                    "channel": context["channel"],
                    "user": context["user"],
                    "ts": self._state.next_ts(),
                    "text": body.get("text", ""),
                    "blocks": blocks or [],
                    "attachments": body.get("attachments") or [],
                    "thread_ts": body.get("thread_ts"),
                    "source": "response_url",
                }
                self._state.ephemerals.append(record)
                if listening:
                    events.append(
                        Event(
                            "ephemeral",
                            "response_url",
                            context["team_id"] or "",
                            channel=context["channel"],
                            user=context["user"],
                            payload=self._state.snapshot(record),
                        )
                    )
            elif not ephemeral and not removing and not replacing:
                team = self._state.teams.get(context["team_id"] or "")
                channel = team.channels.get(context["channel"] or "") if team else None
                if team is not None and channel is not None:
                    message = self._state.add_message(
                        team,
                        channel,
                        user=team.bot_user_id,
                        bot_id=team.bot_id,
                        text=str(body.get("text") or ""),
                        blocks=blocks or [],
                        attachments=body.get("attachments") or [],
                        thread_ts=body.get("thread_ts") or None,
                    )
                    if listening:
                        events.append(
                            Event(
                                "post",
                                "response_url",
                                team.id,
                                channel=channel.id,
                                message=self._state.snapshot(message),
                            )
                        )
        self._notify(listeners, events)
        return Reply(200, {"ok": True}, {}), context["team_id"]

    def snapshot(self) -> dict[str, Any]:
        """Everything tests inspect, as JSON-ready data (file bytes base64-encoded)."""
        with self._state.lock:
            files = []
            for upload in self._state.files.values():
                data = asdict(upload)
                data["content"] = base64.b64encode(upload.content).decode() if upload.content is not None else None
                data.pop("upload_secret")
                files.append(data)
            return {
                "messages": {
                    team.id: {cid: [asdict(m) for m in ms] for cid, ms in team.messages.items()}
                    for team in self._state.teams.values()
                },
                "calls": [asdict(c) for c in self._state.calls],
                "ephemerals": self._state.snapshot(self._state.ephemerals),
                "responses": self._state.snapshot(self._state.responses),
                "views": [asdict(v) for v in self._state.views.values()],
                "files": files,
            }


# ---------------------------------------------------------------------------------------------------- HTTP


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default backlog of 5 drops SYNs under concurrent clients (1 s retransmits)
    slack: SimulatedSlack


class _Handler(BaseHTTPRequestHandler):
    """Thin HTTP layer: decode the request, apply faults, hand over to SimulatedSlack, encode the reply."""

    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def _dispatch(self) -> None:
        slack = self.server.slack
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = url.path.strip("/").split("/")
        if url.path == "/_simulated_slack/state":
            self._send(Reply(200, slack.snapshot(), {}))
            return
        if parts[0] == "api" and len(parts) == 2:
            route = parts[1]
        elif parts[0] == "upload" and len(parts) == 3:
            route = "upload"
        elif parts[0] == "response" and len(parts) == 2:
            route = "response_url"
        else:
            self._send(Reply(404, "Not Found", {}))
            return

        try:
            args, token = self._parse_args(url.query, body, route)
        except ApiError as exc:
            reply = Reply(exc.status, exc.body(), {})
            slack._record(route, {}, None, reply)
            self._send(reply)
            return

        fault = slack._take_fault(route)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.drop:
                slack._record(route, args, None, Reply(0, "dropped", {}))
                self._drop()
                return
            if fault.answers_with_error:
                reply = slack._fault_reply(fault)
                slack._record(route, args, None, reply)
                self._send(reply)
                return

        team_id = None
        if route == "upload":
            reply = slack._receive_upload(parts[1], parts[2], self._upload_bytes(body))
            args = {"file_id": parts[1], "bytes": len(body)}
        elif route == "response_url":
            reply, team_id = slack._receive_response(parts[1], slack.base_url + url.path, args.get("_json", args))
            args = args.get("_json", args)
        elif (throttled := slack._throttle(route, token, args)) is not None:
            reply = throttled
        else:
            reply, team_id = slack._call_api(route, args, token, self._basic_auth())
        slack._record(route, args, team_id, reply)
        if fault is not None and fault.lose_reply:
            self._drop()
            return
        self._send(reply)

    def _parse_args(self, query: str, body: bytes, route: str) -> tuple[dict[str, Any], str | None]:
        """Query string plus form, multipart or JSON body, as Slack accepts them.

        A token counts only from the Authorization header or a form/query ``token`` field: Slack ignores a token
        inside a JSON body.
        """
        args: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        content_type = self.headers.get("Content-Type", "")
        kind = content_type.split(";")[0].strip().lower()
        if route == "upload" or not body:
            pass
        elif kind == "application/json":
            try:
                data = json.loads(body)
            except ValueError:
                raise ApiError("invalid_json") from None
            if not isinstance(data, dict):
                raise ApiError("invalid_json")
            if route == "response_url":
                return {"_json": data}, None
            data.pop("token", None)
            args.update(data)
        elif kind == "multipart/form-data":
            args.update(self._multipart(content_type, body))
        else:
            try:
                form = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
            except UnicodeDecodeError:
                raise ApiError("invalid_form_data") from None
            args.update({k: v[-1] for k, v in form.items()})
            if route == "response_url" and "payload" in args:  # form-encoded JSON payload
                try:
                    return {"_json": json.loads(args["payload"])}, None
                except ValueError:
                    raise ApiError("invalid_payload", status=400) from None
        header = self.headers.get("Authorization", "")
        token = args.pop("token", None)
        if header.lower().startswith("bearer "):
            token = header[7:].strip()
        elif header and not header.lower().startswith("basic "):
            token = "malformed-authorization-header"
        return args, token

    @staticmethod
    def _multipart(content_type: str, body: bytes) -> dict[str, Any]:
        message = BytesParser(policy=HTTP).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + body)
        fields: dict[str, Any] = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True) or b""
            if name:
                fields[name] = payload if part.get_filename() else payload.decode("utf-8", "replace")
        return fields

    def _upload_bytes(self, body: bytes) -> bytes:
        """slack_sdk posts raw bytes; other clients send multipart with one file part."""
        content_type = self.headers.get("Content-Type", "")
        if content_type.lower().startswith("multipart/form-data"):
            for value in self._multipart(content_type, body).values():
                if isinstance(value, bytes):
                    return value
        return body

    def _basic_auth(self) -> tuple[str, str] | None:
        header = self.headers.get("Authorization", "")
        if not header.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        return user, password

    def _send(self, reply: Reply) -> None:
        if isinstance(reply.body, str):
            payload, content_type = reply.body.encode(), "text/plain; charset=utf-8"
        else:
            payload, content_type = json.dumps(reply.body).encode(), "application/json; charset=utf-8"
        try:
            self.send_response(reply.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its timeout ran out during a delay)

    def _drop(self) -> None:
        """Close the socket without a byte of response, like a load balancer cutting the connection."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
