"""The simulated Slack's model of workspaces: teams, users, channels, messages, views, files and the call log.

Everything is keyed by team id first, because a bot installed in several workspaces must never see one
workspace's data through another's token, even when ids collide (they do in tests, on purpose).  All mutation
happens under ``State.lock``; the HTTP threads and the caller's thread share this object.  ``Event`` is the
record of one visible change the bot made, handed to listeners (the sandbox's terminal, benchmarks).
"""

from __future__ import annotations

import copy
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from .web_api import ApiError

FIRST_TS = 1_700_000_000.0001  # seconds: the first message is "1700000000.000100", so tests can predict ts


@dataclass
class User:
    id: str
    team_id: str
    name: str
    real_name: str = ""
    is_bot: bool = False
    deleted: bool = False
    is_admin: bool = False
    is_owner: bool = False
    tz: str = "Europe/London"
    bot_id: str | None = None


@dataclass
class Channel:
    """A conversation.  ``members`` includes the bot user when the bot is in the channel, as Slack reports it."""

    id: str
    team_id: str
    name: str = ""
    is_private: bool = False
    is_im: bool = False
    is_archived: bool = False
    members: list[str] = field(default_factory=list)
    im_user: str | None = None
    created: int = 1_700_000_000

    @property
    def kind(self) -> str:
        """The kind of conversation, as scopes distinguish them (group DMs are not modelled)."""
        return "im" if self.is_im else "group" if self.is_private else "channel"


@dataclass
class Message:
    """A message as stored: top level when ``thread_ts`` is None; ``history`` holds the versions before edits."""

    channel: str
    ts: str
    user: str
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    thread_ts: str | None = None
    metadata: dict[str, Any] | None = None
    edited: bool = False
    history: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[dict[str, Any]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    team_id: str = ""
    bot_id: str | None = None


@dataclass
class Call:
    """One request the fake answered (API methods, plus "upload" and "response_url" posts)."""

    method: str
    args: dict[str, Any]
    team_id: str | None
    status: int
    error: str | None
    response: dict[str, Any] | None = None


@dataclass
class ViewRecord:
    """A modal or App Home view; ``view`` is the latest payload, ``history`` the earlier ones."""

    id: str
    team_id: str
    type: str
    view: dict[str, Any]
    hash: str
    user_id: str | None = None
    external_id: str | None = None
    method: str = ""
    trigger_id: str | None = None
    root_view_id: str | None = None
    previous_view_id: str | None = None
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class UploadedFile:
    """A file from the files.getUploadURLExternal -> upload POST -> files.completeUploadExternal sequence."""

    id: str
    team_id: str
    name: str
    length: int
    title: str = ""
    content: bytes | None = None
    channel_id: str | None = None
    channels: list[str] = field(default_factory=list)
    thread_ts: str | None = None
    initial_comment: str | None = None
    alt_txt: str | None = None
    completed: bool = False
    upload_secret: str = field(default="", repr=False)
    user: str = ""


@dataclass
class Team:
    id: str
    name: str
    bot_token: str
    bot_user_id: str
    bot_id: str
    app_id: str
    enterprise_id: str | None = None
    scopes: tuple[str, ...] = ()  # exactly the bot scopes the app was granted at install
    users: dict[str, User] = field(default_factory=dict)
    channels: dict[str, Channel] = field(default_factory=dict)
    messages: dict[str, list[Message]] = field(default_factory=dict)

    @property
    def domain(self) -> str:
        return re.sub(r"[^a-z0-9-]+", "-", (self.name or self.id).lower()).strip("-") or self.id.lower()

    @property
    def url(self) -> str:
        return f"https://{self.domain}.slack.com/"


@dataclass
class Event:
    """Something the bot did that a person in the workspace could see, as listeners receive it.

    kind: "post" (a new message), "update" (a changed message), "delete" (a removed message), "ephemeral" (only
    ``user`` sees it; ``payload`` holds its text and blocks), "view" (a modal opened, pushed or updated for
    ``user``, or ``user``'s App Home published) or "file" (a file shared; ``message`` is the message sharing it).
    ``method`` is the Web API method (or "response_url") that caused it.  Everything is a copy: listeners may
    keep it.
    """

    kind: str
    method: str
    team_id: str
    channel: str | None = None
    user: str | None = None
    message: Message | None = None
    view: ViewRecord | None = None
    file: UploadedFile | None = None
    payload: dict[str, Any] | None = None


class State:
    """All workspaces plus the records tests inspect.  Callers hold ``lock`` for every read and write."""

    def __init__(self, first_ts: float = FIRST_TS) -> None:
        self.lock = threading.RLock()
        self.teams: dict[str, Team] = {}
        self.tokens: dict[str, str] = {}  # token -> team id
        self.revoked_tokens: set[str] = set()
        self.calls: list[Call] = []
        self.ephemerals: list[dict[str, Any]] = []
        self.responses: list[dict[str, Any]] = []
        self.response_urls: dict[str, dict[str, Any]] = {}  # token -> context + use count
        self.views: dict[str, ViewRecord] = {}
        self.files: dict[str, UploadedFile] = {}
        self.triggers: dict[str, dict[str, Any]] = {}
        self.oauth_codes: dict[str, dict[str, Any]] = {}
        self.oauth_client: tuple[str, str] | None = None  # (client_id, client_secret) once a test sets it
        self._ts = round(first_ts * 1_000_000)  # microseconds
        self._serial = 0

    # ---------------------------------------------------------------------------------------------- ids

    def next_ts(self) -> str:
        """Unique, increasing message timestamps across all teams (Slack's ts doubles as the message id)."""
        value = self._ts
        self._ts += 100
        return f"{value // 1_000_000}.{value % 1_000_000:06d}"

    def next_id(self, prefix: str) -> str:
        self._serial += 1
        return f"{prefix}{self._serial:08d}"

    # ------------------------------------------------------------------------------------------- lookups

    def team(self, team_id: str) -> Team:
        try:
            return self.teams[team_id]
        except KeyError:
            raise KeyError(f"unknown team {team_id!r}; call add_team first") from None

    def team_for_token(self, token: str | None) -> Team:
        if not token:
            raise ApiError("not_authed")
        if token in self.revoked_tokens:
            raise ApiError("token_revoked")
        team_id = self.tokens.get(token)
        if team_id is None:
            raise ApiError("invalid_auth")
        return self.teams[team_id]

    def only_team_id(self, team_id: str | None) -> str:
        """The team a test means when it leaves team_id out: the only one there is."""
        if team_id is not None:
            return team_id
        if len(self.teams) != 1:
            raise ValueError("several teams exist; pass team_id")
        return next(iter(self.teams))

    def team_of_channel(self, channel_id: str, team_id: str | None) -> Team:
        if team_id is not None:
            return self.team(team_id)
        owners = [team for team in self.teams.values() if channel_id in team.channels]
        if len(owners) != 1:
            raise ValueError(f"channel {channel_id!r} is in {len(owners)} teams; pass team_id")
        return owners[0]

    def conversation_kind(self, team: Team, args: dict[str, Any]) -> str | None:
        """The kind of conversation a call is about, for scopes that depend on it: the ``channel`` argument's
        (when the bot can see that conversation), else conversations.open's ``users`` (one: im, several: mpim).
        None when it cannot be told; the method's handler then answers channel_not_found or the like."""
        channel_id = args.get("channel")
        if channel_id:
            channel = team.channels.get(str(channel_id))
            if channel is None or (channel.is_private and team.bot_user_id not in channel.members):
                return None
            return channel.kind
        users = args.get("users")
        user_ids = users if isinstance(users, list) else [u for u in str(users or "").split(",") if u.strip()]
        if user_ids:
            return "mpim" if len(user_ids) > 1 else "im"
        return None

    # ------------------------------------------------------------------------------------------- builders

    def ensure_user(self, team: Team, user_id: str) -> User:
        """Channel members named before being added become plain users, so big fixtures stay short."""
        if user_id not in team.users:
            team.users[user_id] = User(id=user_id, team_id=team.id, name=user_id.lower(), real_name=user_id)
        return team.users[user_id]

    def im_channel(self, team: Team, user_id: str) -> Channel:
        """The bot's DM with a user; the id is stable so tests can predict it."""
        for channel in team.channels.values():
            if channel.is_im and channel.im_user == user_id:
                return channel
        channel = Channel(
            id=f"D{user_id}", team_id=team.id, is_im=True, im_user=user_id, members=[user_id, team.bot_user_id]
        )
        team.channels[channel.id] = channel
        team.messages.setdefault(channel.id, [])
        return channel

    def add_message(self, team: Team, channel: Channel, **fields: Any) -> Message:
        message = Message(channel=channel.id, ts=self.next_ts(), team_id=team.id, **fields)
        team.messages.setdefault(channel.id, []).append(message)
        return message

    def find_message(self, team: Team, channel_id: str, ts: str) -> Message | None:
        for message in team.messages.get(channel_id, []):
            if message.ts == ts:
                return message
        return None

    def snapshot(self, value: Any) -> Any:
        """Deep copies leave the lock with the caller, so tests never see a half-applied update."""
        return copy.deepcopy(value)
