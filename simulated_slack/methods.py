"""The Web API methods the simulated Slack implements, each answering the way Slack does for a bot token.

A handler gets an ``ApiRequest`` (already authenticated, required arguments present, scopes checked, state lock
held) and either returns the success body (without ``"ok"``) or raises ``ApiError``.  What a person could see
change is reported with ``req.emit`` so listeners (the sandbox's terminal) can show it.  Methods in the table
(web_api.json) without a handler answer ``not_implemented_by_simulated_slack``, so nothing can pass on a
silently faked success.
"""

from __future__ import annotations

import base64
import binascii
import copy
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .block_kit import bool_arg, check_message_text, int_arg, json_arg, parse_message_blocks, parse_view
from .web_api import ApiError
from .workspaces import Channel, Event, Message, State, Team, UploadedFile, User, ViewRecord


@dataclass
class ApiRequest:
    method: str
    args: dict[str, Any]
    team: Team | None  # None only for methods that need no token (oauth.v2.access, api.test)
    state: State
    base_url: str
    basic_auth: tuple[str, str] | None = None
    listening: bool = False  # whether anyone receives events (copies are only made for them)
    events: list[Event] = field(default_factory=list)

    def emit(self, kind: str, *, channel: str | None = None, user: str | None = None, **records: Any) -> None:
        """Report a visible change; the records are copied now, before a later call changes them."""
        if self.listening:
            team_id = self.team.id if self.team else ""
            self.events.append(
                Event(
                    kind=kind,
                    method=self.method,
                    team_id=team_id,
                    channel=channel,
                    user=user,
                    **{name: copy.deepcopy(value) for name, value in records.items()},
                )
            )


Handler = Callable[[ApiRequest], dict[str, Any]]
HANDLERS: dict[str, Handler] = {}


def api(name: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        HANDLERS[name] = func
        return func

    return register


# ------------------------------------------------------------------------------------------------ helpers


def _team(req: ApiRequest) -> Team:
    assert req.team is not None
    return req.team


def visible_channel(team: Team, channel_id: str) -> Channel:
    """A conversation the bot can know about: private channels without the bot do not exist for it."""
    channel = team.channels.get(channel_id)
    if channel is None or (channel.is_private and team.bot_user_id not in channel.members):
        raise ApiError("channel_not_found")
    return channel


def member_channel(team: Team, channel_id: str) -> Channel:
    channel = visible_channel(team, channel_id)
    if team.bot_user_id not in channel.members:
        raise ApiError("not_in_channel")
    return channel


def postable_channel(state: State, team: Team, target: str) -> Channel:
    """Resolve chat.postMessage's ``channel``: a conversation id, a ``#name``, or a user id meaning their DM."""
    if target[:1] in ("U", "W") and target in team.users:
        user = team.users[target]
        if user.deleted:
            raise ApiError("user_disabled")
        if user.is_bot and user.id != team.bot_user_id:
            raise ApiError("cannot_dm_bot")
        return state.im_channel(team, user.id)
    if target not in team.channels:
        by_name = [c for c in team.channels.values() if c.name and c.name == target.lstrip("#")]
        target = by_name[0].id if by_name else target
    channel = member_channel(team, target)
    if channel.is_archived:
        raise ApiError("is_archived")
    return channel


def message_content(args: dict[str, Any], *, require: bool = True) -> dict[str, Any]:
    """text/blocks/attachments that were supplied, validated; ``no_text`` when a message would be empty."""
    content: dict[str, Any] = {}
    if args.get("text") is not None:
        check_message_text(args["text"])
        content["text"] = str(args["text"])
    blocks = parse_message_blocks(args.get("blocks"))
    if blocks is not None:
        content["blocks"] = blocks
    if args.get("attachments") is not None:
        attachments = json_arg(args["attachments"], error="invalid_attachments", pointer="/attachments")
        if not isinstance(attachments, list) or not all(isinstance(a, dict) for a in attachments):
            raise ApiError("invalid_attachments")
        if len(attachments) > 100:
            raise ApiError("too_many_attachments")
        content["attachments"] = attachments
    if require and not (content.get("text") or content.get("blocks") or content.get("attachments")):
        raise ApiError("no_text")
    return content


def message_metadata(raw: Any) -> dict[str, Any] | None:
    if raw in (None, ""):
        return None
    metadata = json_arg(raw, error="invalid_metadata_format", pointer="/metadata")
    if not isinstance(metadata, dict) or not isinstance(metadata.get("event_type"), str):
        raise ApiError("invalid_metadata_format")
    if not isinstance(metadata.get("event_payload"), dict):
        raise ApiError("invalid_metadata_schema")
    return metadata


def encode_cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def paginate(items: list[Any], args: dict[str, Any], *, default: int = 100, cap: int = 1000) -> tuple[list, str]:
    """Slack's cursor pagination: ``next_cursor`` is "" on the last page, and a bad cursor is an error."""
    try:
        limit = int(args.get("limit") or 0)
    except (TypeError, ValueError):
        raise ApiError("invalid_limit") from None
    if limit < 0:
        raise ApiError("invalid_limit")
    limit = min(limit or default, cap)
    cursor = args.get("cursor") or ""
    start = 0
    if cursor:
        try:
            kind, _, number = base64.b64decode(cursor, validate=True).decode().partition(":")
            start = int(number)
            if kind != "offset" or start < 0:
                raise ValueError(cursor)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise ApiError("invalid_cursor") from None
    end = start + limit
    return items[start:end], (encode_cursor(end) if end < len(items) else "")


def bot_profile(team: Team) -> dict[str, Any]:
    bot = team.users[team.bot_user_id]
    return {
        "id": team.bot_id,
        "app_id": team.app_id,
        "name": bot.name,
        "deleted": False,
        "team_id": team.id,
        "user_id": team.bot_user_id,
        "updated": 1_700_000_000,
    }


def message_json(
    team: Team, message: Message, replies: list[Message] | None = None, files: dict[str, UploadedFile] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "message",
        "ts": message.ts,
        "user": message.user,
        "text": message.text,
        "team": team.id,
    }
    if message.bot_id:
        body.update(bot_id=message.bot_id, app_id=team.app_id, bot_profile=bot_profile(team))
    if message.blocks:
        body["blocks"] = message.blocks
    if message.attachments:
        body["attachments"] = message.attachments
    if message.files:  # Slack lists a shared file's own fields (id, name, title, ...) in the message
        body["files"] = [file_json(team, files[f]) if files and f in files else {"id": f} for f in message.files]
    if message.metadata:
        body["metadata"] = message.metadata
    if message.thread_ts:
        body["thread_ts"] = message.thread_ts
    elif replies:
        body.update(
            thread_ts=message.ts,
            reply_count=len(replies),
            latest_reply=replies[-1].ts,
            reply_users=sorted({r.user for r in replies}),
        )
    if message.edited:
        body["edited"] = {"user": message.bot_id or message.user, "ts": message.ts}
    return body


def channel_json(team: Team, channel: Channel, *, num_members: bool = False) -> dict[str, Any]:
    if channel.is_im:
        return {
            "id": channel.id,
            "created": channel.created,
            "is_im": True,
            "is_org_shared": False,
            "user": channel.im_user,
            "is_user_deleted": team.users[channel.im_user].deleted,
            "is_open": True,
        }
    body = {
        "id": channel.id,
        "name": channel.name,
        "name_normalized": channel.name,
        "created": channel.created,
        "is_channel": not channel.is_private,
        "is_group": channel.is_private,
        "is_im": False,
        "is_mpim": False,
        "is_private": channel.is_private,
        "is_archived": channel.is_archived,
        "is_general": False,
        "is_shared": False,
        "is_ext_shared": False,
        "is_org_shared": False,
        "creator": "",
        "is_member": team.bot_user_id in channel.members,
        "context_team_id": team.id,
        "topic": {"value": "", "creator": "", "last_set": 0},
        "purpose": {"value": "", "creator": "", "last_set": 0},
    }
    if num_members:
        body["num_members"] = len(channel.members)
    return body


def user_json(team: Team, user: User) -> dict[str, Any]:
    try:
        now = datetime.now(ZoneInfo(user.tz))
        offset, label = int(now.utcoffset().total_seconds()), now.tzname()
    except (ZoneInfoNotFoundError, ValueError):
        offset, label = 0, "UTC"
    profile: dict[str, Any] = {
        "real_name": user.real_name,
        "real_name_normalized": user.real_name,
        "display_name": user.name,
        "display_name_normalized": user.name,
        "team": team.id,
    }
    if user.bot_id:
        profile.update(bot_id=user.bot_id, api_app_id=team.app_id, always_active=True)
    return {
        "id": user.id,
        "team_id": team.id,
        "name": user.name,
        "deleted": user.deleted,
        "real_name": user.real_name,
        "tz": user.tz,
        "tz_label": label,
        "tz_offset": offset,
        "is_admin": user.is_admin,
        "is_owner": user.is_owner,
        "is_primary_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "updated": 1_700_000_000,
        "profile": profile,
    }


def known_user(team: Team, user_id: str) -> User:
    user = team.users.get(user_id)
    if user is None:
        raise ApiError("user_not_found")
    return user


# ------------------------------------------------------------------------------------------------ auth, oauth


@api("api.test")
def api_test(req: ApiRequest) -> dict[str, Any]:
    return {"args": dict(req.args)}


@api("auth.test")
def auth_test(req: ApiRequest) -> dict[str, Any]:
    team = _team(req)
    body = {
        "url": team.url,
        "team": team.name,
        "user": team.users[team.bot_user_id].name,
        "team_id": team.id,
        "user_id": team.bot_user_id,
        "bot_id": team.bot_id,
        "app_id": team.app_id,
        "is_enterprise_install": False,
    }
    if team.enterprise_id:
        body["enterprise_id"] = team.enterprise_id
    return body


@api("team.info")
def team_info(req: ApiRequest) -> dict[str, Any]:
    team = _team(req)
    return {
        "team": {
            "id": team.id,
            "name": team.name,
            "domain": team.domain,
            "url": team.url,
            "enterprise_id": team.enterprise_id,
            "is_verified": False,
        }
    }


@api("oauth.v2.access")
def oauth_v2_access(req: ApiRequest) -> dict[str, Any]:
    state = req.state
    client = state.oauth_client
    if client is not None:
        client_id, client_secret = req.basic_auth or (req.args.get("client_id"), req.args.get("client_secret"))
        if client_id != client[0]:
            raise ApiError("invalid_client_id")
        if client_secret != client[1]:
            raise ApiError("bad_client_secret")
    grant = state.oauth_codes.get(req.args["code"])
    if grant is None or grant["used"]:
        raise ApiError("invalid_code")
    grant["used"] = True
    team = state.teams[grant["team_id"]]
    return {
        "app_id": team.app_id,
        "authed_user": {"id": grant["user_id"]},
        "scope": ",".join(team.scopes),
        "token_type": "bot",
        "access_token": team.bot_token,
        "bot_user_id": team.bot_user_id,
        "team": {"id": team.id, "name": team.name},
        "enterprise": {"id": team.enterprise_id, "name": team.enterprise_id} if team.enterprise_id else None,
        "is_enterprise_install": False,
    }


# ------------------------------------------------------------------------------------------------ chat


@api("chat.postMessage")
def chat_post_message(req: ApiRequest) -> dict[str, Any]:
    team, args = _team(req), req.args
    channel = postable_channel(req.state, team, str(args["channel"]))
    content = message_content(args)
    metadata = message_metadata(args.get("metadata"))
    message = req.state.add_message(
        team,
        channel,
        user=team.bot_user_id,
        bot_id=team.bot_id,
        thread_ts=str(args["thread_ts"]) if args.get("thread_ts") else None,
        metadata=metadata,
        **content,
    )
    req.emit("post", channel=channel.id, message=message)
    return {"channel": channel.id, "ts": message.ts, "message": message_json(team, message)}


@api("chat.update")
def chat_update(req: ApiRequest) -> dict[str, Any]:
    team, args = _team(req), req.args
    channel = member_channel(team, str(args["channel"]))
    message = req.state.find_message(team, channel.id, str(args["ts"]))
    if message is None:
        raise ApiError("message_not_found")
    if message.user != team.bot_user_id:
        raise ApiError("cant_update_message")
    content = message_content(args)
    metadata = message_metadata(args.get("metadata"))
    message.history.append(
        {
            "text": message.text,
            "blocks": message.blocks,
            "attachments": message.attachments,
            "metadata": message.metadata,
        }
    )
    # Slack keeps what the update leaves out (blocks=[] clears them); the thread position never changes.
    for key, value in content.items():
        setattr(message, key, value)
    if metadata is not None:
        message.metadata = metadata
    message.edited = True
    req.emit("update", channel=channel.id, message=message)
    return {"channel": channel.id, "ts": message.ts, "text": message.text, "message": message_json(team, message)}


@api("chat.postEphemeral")
def chat_post_ephemeral(req: ApiRequest) -> dict[str, Any]:
    team, args, state = _team(req), req.args, req.state
    channel = postable_channel(state, team, str(args["channel"]))
    user = known_user(team, str(args["user"]))
    if user.id not in channel.members:
        raise ApiError("user_not_in_channel")
    content = message_content(args)
    ts = state.next_ts()
    ephemeral = {
        "team_id": team.id,
        "channel": channel.id,
        "user": user.id,
        "ts": ts,
        "text": content.get("text", ""),
        "blocks": content.get("blocks", []),
        "attachments": content.get("attachments", []),
        "thread_ts": args.get("thread_ts") or None,
        "source": "chat.postEphemeral",
    }
    state.ephemerals.append(ephemeral)
    req.emit("ephemeral", channel=channel.id, user=user.id, payload=ephemeral)
    return {"message_ts": ts}


@api("chat.getPermalink")
def chat_get_permalink(req: ApiRequest) -> dict[str, Any]:
    team = _team(req)
    channel = visible_channel(team, str(req.args["channel"]))
    message = req.state.find_message(team, channel.id, str(req.args["message_ts"]))
    if message is None:
        raise ApiError("message_not_found")
    link = f"{team.url}archives/{channel.id}/p{message.ts.replace('.', '')}"
    if message.thread_ts:
        link += f"?thread_ts={message.thread_ts}&cid={channel.id}"
    return {"channel": channel.id, "permalink": link}


@api("chat.delete")
def chat_delete(req: ApiRequest) -> dict[str, Any]:
    team = _team(req)
    channel = member_channel(team, str(req.args["channel"]))
    message = req.state.find_message(team, channel.id, str(req.args["ts"]))
    if message is None:
        raise ApiError("message_not_found")
    if message.user != team.bot_user_id:
        raise ApiError("cant_delete_message")
    team.messages[channel.id].remove(message)
    req.emit("delete", channel=channel.id, message=message)
    return {"channel": channel.id, "ts": message.ts}


# ------------------------------------------------------------------------------------------------ conversations


@api("conversations.info")
def conversations_info(req: ApiRequest) -> dict[str, Any]:
    team = _team(req)
    channel = visible_channel(team, str(req.args["channel"]))
    return {"channel": channel_json(team, channel, num_members=bool_arg(req.args.get("include_num_members")))}


@api("conversations.members")
def conversations_members(req: ApiRequest) -> dict[str, Any]:
    channel = visible_channel(_team(req), str(req.args["channel"]))
    page, next_cursor = paginate(channel.members, req.args)
    return {"members": page, "response_metadata": {"next_cursor": next_cursor}}


@api("conversations.open")
def conversations_open(req: ApiRequest) -> dict[str, Any]:
    team, args = _team(req), req.args
    if args.get("channel"):
        channel = visible_channel(team, str(args["channel"]))
        if not channel.is_im:
            raise ApiError("method_not_supported_for_channel_type")
        existed = True
    else:
        users = args.get("users")
        user_ids = users if isinstance(users, list) else [u.strip() for u in str(users or "").split(",") if u.strip()]
        if not user_ids:
            raise ApiError("users_list_not_supplied")
        if len(user_ids) > 1:
            raise ApiError("not_implemented_by_simulated_slack", messages=["group DMs (mpim) are not modelled"])
        user = known_user(team, user_ids[0])
        if user.deleted:
            raise ApiError("user_disabled")
        if user.is_bot and user.id != team.bot_user_id:
            raise ApiError("cannot_dm_bot")
        existed = any(c.is_im and c.im_user == user.id for c in team.channels.values())
        channel = req.state.im_channel(team, user.id)
    body: dict[str, Any] = {
        "channel": channel_json(team, channel) if bool_arg(args.get("return_im")) else {"id": channel.id}
    }
    if existed:
        body.update(no_op=True, already_open=True)
    return body


@api("conversations.history")
def conversations_history(req: ApiRequest) -> dict[str, Any]:
    team, args = _team(req), req.args
    channel = member_channel(team, str(args["channel"]))
    inclusive = bool_arg(args.get("inclusive"))
    try:
        latest, oldest = float(args.get("latest") or "inf"), float(args.get("oldest") or 0)
    except ValueError:
        raise ApiError("invalid_ts_latest" if args.get("latest") else "invalid_ts_oldest") from None
    all_messages = team.messages.get(channel.id, [])
    top = [
        m
        for m in reversed(all_messages)
        if m.thread_ts is None and (oldest < float(m.ts) < latest or (inclusive and float(m.ts) in (oldest, latest)))
    ]
    page, next_cursor = paginate(top, args, cap=999)
    bodies = [message_json(team, m, [r for r in all_messages if r.thread_ts == m.ts], req.state.files) for m in page]
    return {
        "messages": bodies,
        "has_more": bool(next_cursor),
        "pin_count": 0,
        "response_metadata": {"next_cursor": next_cursor},
    }


@api("conversations.replies")
def conversations_replies(req: ApiRequest) -> dict[str, Any]:
    team, args = _team(req), req.args
    channel = member_channel(team, str(args["channel"]))
    ts = str(args["ts"])
    if req.state.find_message(team, channel.id, ts) is None:
        raise ApiError("thread_not_found")
    thread = [m for m in team.messages.get(channel.id, []) if m.ts == ts or m.thread_ts == ts]
    page, next_cursor = paginate(thread, args)
    replies = [m for m in thread if m.thread_ts == ts]
    bodies = [message_json(team, m, replies if m.ts == ts else None, req.state.files) for m in page]
    return {"messages": bodies, "has_more": bool(next_cursor), "response_metadata": {"next_cursor": next_cursor}}


# ------------------------------------------------------------------------------------------------ users


@api("users.info")
def users_info(req: ApiRequest) -> dict[str, Any]:
    team = _team(req)
    return {"user": user_json(team, known_user(team, str(req.args["user"])))}


@api("users.list")
def users_list(req: ApiRequest) -> dict[str, Any]:
    team = _team(req)
    page, next_cursor = paginate(list(team.users.values()), req.args, default=1000)
    return {
        "members": [user_json(team, u) for u in page],
        "cache_ts": 1_700_000_000,
        "response_metadata": {"next_cursor": next_cursor},
    }


# ------------------------------------------------------------------------------------------------ views


def view_json(record: ViewRecord) -> dict[str, Any]:
    view = record.view
    body = {
        "id": record.id,
        "team_id": record.team_id,
        "type": record.type,
        "blocks": view.get("blocks", []),
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "state": {"values": {}},
        "hash": record.hash,
        "clear_on_close": bool(view.get("clear_on_close")),
        "notify_on_close": bool(view.get("notify_on_close")),
        "root_view_id": record.root_view_id or record.id,
        "previous_view_id": record.previous_view_id,
        "app_id": "",
        "external_id": record.external_id or "",
        "app_installed_team_id": record.team_id,
        "bot_id": "",
    }
    for key in ("title", "submit", "close"):
        if key in view:
            body[key] = view[key]
    return body


def _consume_trigger(req: ApiRequest) -> dict[str, Any]:
    """Trigger ids come only from the simulated Slack (new_trigger_id) and work once, as Slack's do."""
    trigger = req.state.triggers.get(str(req.args["trigger_id"]))
    if trigger is None or trigger["team_id"] != _team(req).id:
        raise ApiError("invalid_trigger_id")
    if trigger["used"]:
        raise ApiError("expired_trigger_id")
    return trigger


def _new_view(req: ApiRequest, view: dict[str, Any], **fields: Any) -> ViewRecord:
    team, state = _team(req), req.state
    external_id = view.get("external_id") or None
    if external_id and any(v.external_id == external_id and v.team_id == team.id for v in state.views.values()):
        raise ApiError("duplicate_external_id")
    record = ViewRecord(
        id=state.next_id("V"),
        team_id=team.id,
        type=view["type"],
        view=view,
        hash=f"{state.next_ts()}.hash",
        external_id=external_id,
        method=req.method,
        **fields,
    )
    state.views[record.id] = record
    return record


def _modal(req: ApiRequest) -> dict[str, Any]:
    view = parse_view(req.args["view"])
    if view.get("type") != "modal":
        raise ApiError("invalid_arguments", messages=["[ERROR] must be modal [json-pointer:/view/type]"])
    return view


@api("views.open")
def views_open(req: ApiRequest) -> dict[str, Any]:
    trigger = _consume_trigger(req)
    record = _new_view(req, _modal(req), user_id=trigger["user_id"], trigger_id=str(req.args["trigger_id"]))
    trigger["used"] = True
    req.emit("view", user=record.user_id, view=record)
    return {"view": view_json(record)}


@api("views.push")
def views_push(req: ApiRequest) -> dict[str, Any]:
    trigger = _consume_trigger(req)
    record = _new_view(req, _modal(req), user_id=trigger["user_id"], trigger_id=str(req.args["trigger_id"]))
    trigger["used"] = True
    req.emit("view", user=record.user_id, view=record)
    return {"view": view_json(record)}


@api("views.publish")
def views_publish(req: ApiRequest) -> dict[str, Any]:
    team, args = _team(req), req.args
    user = known_user(team, str(args["user_id"]))
    view = parse_view(args["view"])
    if view.get("type") != "home":
        raise ApiError("invalid_arguments", messages=["[ERROR] must be home [json-pointer:/view/type]"])
    existing = next(
        (v for v in req.state.views.values() if v.team_id == team.id and v.type == "home" and v.user_id == user.id),
        None,
    )
    if existing is None:
        existing = _new_view(req, view, user_id=user.id)
    else:
        if args.get("hash") and args["hash"] != existing.hash:
            raise ApiError("hash_conflict")
        _replace_view(req, existing, view)
    req.emit("view", user=user.id, view=existing)
    return {"view": view_json(existing)}


def _replace_view(req: ApiRequest, record: ViewRecord, view: dict[str, Any]) -> None:
    record.history.append(record.view)
    record.view, record.method, record.hash = view, req.method, f"{req.state.next_ts()}.hash"


@api("views.update")
def views_update(req: ApiRequest) -> dict[str, Any]:
    team, args = _team(req), req.args
    view_id, external_id = args.get("view_id"), args.get("external_id")
    if not view_id and not external_id:
        raise ApiError("invalid_arguments", messages=["[ERROR] missing required field: view_id or external_id"])
    record = next(
        (
            v
            for v in req.state.views.values()
            if v.team_id == team.id and (v.id == view_id if view_id else v.external_id == external_id)
        ),
        None,
    )
    if record is None:
        raise ApiError("not_found")
    view = parse_view(args["view"])
    if view.get("type") != record.type:
        raise ApiError("invalid_arguments", messages=[f"[ERROR] must be {record.type} [json-pointer:/view/type]"])
    if args.get("hash") and args["hash"] != record.hash:
        raise ApiError("hash_conflict")
    _replace_view(req, record, view)
    req.emit("view", user=record.user_id, view=record)
    return {"view": view_json(record)}


# ------------------------------------------------------------------------------------------------ files


def file_json(team: Team, upload: UploadedFile) -> dict[str, Any]:
    return {
        "id": upload.id,
        "name": upload.name,
        "title": upload.title,
        "size": len(upload.content or b""),
        "mimetype": "application/octet-stream",
        "filetype": upload.name.rpartition(".")[2] if "." in upload.name else "binary",
        "user": upload.user,
        "user_team": team.id,
        "created": 1_700_000_000,
        "timestamp": 1_700_000_000,
        "is_external": False,
        "is_public": not upload.channel_id or not team.channels[upload.channel_id].is_private,
        "url_private": f"{team.url}files/{upload.id}",
        "channels": list(upload.channels),
        "mode": "hosted",
    }


@api("files.getUploadURLExternal")
def files_get_upload_url_external(req: ApiRequest) -> dict[str, Any]:
    team, state = _team(req), req.state
    length = int_arg(req.args["length"], "length")
    if length < 0:
        raise ApiError("invalid_arguments", messages=["[ERROR] length must not be negative"])
    upload = UploadedFile(
        id=state.next_id("F"),
        team_id=team.id,
        name=str(req.args["filename"]),
        length=length,
        alt_txt=req.args.get("alt_txt"),
        upload_secret=secrets.token_hex(8),
        user=team.bot_user_id,
    )
    state.files[upload.id] = upload
    return {"upload_url": f"{req.base_url}/upload/{upload.id}/{upload.upload_secret}", "file_id": upload.id}


@api("files.completeUploadExternal")
def files_complete_upload_external(req: ApiRequest) -> dict[str, Any]:
    team, args, state = _team(req), req.args, req.state
    items = json_arg(args["files"], error="invalid_arguments", pointer="/files")
    if not isinstance(items, list) or not items or not all(isinstance(i, dict) and i.get("id") for i in items):
        raise ApiError("invalid_arguments", messages=["[ERROR] files must be a non-empty array of {id, title}"])
    uploads = []
    for item in items:
        upload = state.files.get(str(item["id"]))
        if upload is None or upload.team_id != team.id or upload.completed:
            raise ApiError("file_not_found")
        if upload.content is None:
            raise ApiError("file_not_found", messages=[f"[ERROR] {upload.id} was never uploaded to its upload_url"])
        uploads.append((upload, item.get("title") or upload.name))
    targets = [str(args["channel_id"])] if args.get("channel_id") else []
    targets += [c.strip() for c in str(args.get("channels") or "").split(",") if c.strip()]
    channels = [postable_channel(state, team, target) for target in targets]
    comment = args.get("initial_comment") or None
    thread_ts = str(args["thread_ts"]) if args.get("thread_ts") else None
    if comment is not None:
        check_message_text(comment)
    for upload, title in uploads:
        upload.title, upload.completed = title, True
        upload.channel_id = channels[0].id if channels else None
        upload.channels = [c.id for c in channels]
        upload.thread_ts, upload.initial_comment = thread_ts, comment
    for channel in channels:  # Slack shares the files as one bot message carrying the initial comment
        message = state.add_message(
            team,
            channel,
            user=team.bot_user_id,
            bot_id=team.bot_id,
            text=comment or "",
            thread_ts=thread_ts,
            files=[u.id for u, _ in uploads],
        )
        req.emit("post", channel=channel.id, message=message)
        for upload, _ in uploads:
            req.emit("file", channel=channel.id, message=message, file=upload)
    return {"files": [file_json(team, u) for u, _ in uploads]}
