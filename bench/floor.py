"""The floor app: what a click costs when it does only what a click cannot avoid.

The bot's clicks are judged against this app, measured in the same run, over the same server class
(simulated_slack.AppServer around bot.wsgi's entry point), with the same signing secret, the same clients
(bench/clients.py) and the same simulated Slack. It is a real slack_bolt App in ack-first mode whose one
block_actions listener

1. acks;
2. runs one database transaction through SQLModel on an engine like the bot's (storage.db.make_engine: the
   same SQLite file or PostgreSQL schema, a pool of its own so its statements are counted apart), recording
   the answer and claiming the next prompt: two INSERTs into two small tables of its own, the claim under a
   unique constraint so that a repeated click posts nothing (the bot's rule: the database decides);
3. posts the next prompt into the member's thread (chat.postMessage) and shows the answer on the clicked
   prompt (chat.update), through a real slack_sdk WebClient (bot.app.web_client, the bot's own settings and,
   like the bot's, paced to Slack's rate limits by bot.pacing).

Its next prompt carries the same blocks as the prompt that was clicked (the bot's real prompt, so the message
sizes and Block Kit checks match) and arrives where the bot's does, so the clients observe it the same way.
Listeners each run in a thread of their own, started at once, as the bot's do: the floor is not held back by
bolt's five pooled threads when the bot is not.
"""

from __future__ import annotations

import re

from sqlalchemy import UniqueConstraint
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import registry
from sqlmodel import Field, Session, SQLModel

from bench.clients import Member
from bot.app import ThreadPerListener

_REGISTRY = registry()  # the floor's tables stay out of the bot's SQLModel metadata


class _FloorModel(SQLModel, registry=_REGISTRY):
    pass


class FloorAnswer(_FloorModel, table=True):
    __tablename__ = "bench_floor_answer"
    id: int | None = Field(default=None, primary_key=True)
    team_id: str
    user_id: str
    prompt_ts: str
    level: int


class FloorClaim(_FloorModel, table=True):
    """The next prompt, claimed before it is posted: one per member and answered prompt."""

    __tablename__ = "bench_floor_claim"
    __table_args__ = (UniqueConstraint("team_id", "user_id", "after_ts"),)
    id: int | None = Field(default=None, primary_key=True)
    team_id: str
    user_id: str
    after_ts: str


def create_tables(engine) -> None:
    _REGISTRY.metadata.create_all(engine)


def record_and_claim(engine, team_id: str, user_id: str, prompt_ts: str, level: int) -> bool:
    """The click's one transaction: the answer and the claim of the next prompt. False when already claimed."""
    with Session(engine) as session:
        session.add(FloorAnswer(team_id=team_id, user_id=user_id, prompt_ts=prompt_ts, level=level))
        session.add(FloorClaim(team_id=team_id, user_id=user_id, after_ts=prompt_ts))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
            return False
    return True


def answered(blocks: list[dict], level: int) -> list[dict]:
    """The clicked prompt with its buttons gone and the answer shown."""
    kept = [{k: v for k, v in b.items() if k != "accessory"} for b in blocks if b.get("type") != "actions"]
    return [*kept, {"type": "section", "text": {"type": "mrkdwn", "text": f"*Your answer:* level {level}"}}]


def create_floor_app(client, signing_secret: str, engine):
    from slack_bolt import App

    app = App(
        client=client,
        signing_secret=signing_secret,
        process_before_response=False,
        listener_executor=ThreadPerListener(),
    )

    @app.action(re.compile(r"^answer_level_\d+$"))
    def answer(ack, body):
        # The app's own client, not the one bolt makes afresh for each request: it is the one that keeps
        # Slack's rate limits when it is given paced (bench/interactions.py), as the bot's listeners' are.
        ack()
        message, channel = body["message"], body["channel"]["id"]
        level = int(body["actions"][0]["action_id"].rsplit("_", 1)[1])
        if not record_and_claim(engine, body["team"]["id"], body["user"]["id"], message["ts"], level):
            return
        client.chat_postMessage(
            channel=channel,
            thread_ts=message.get("thread_ts") or message["ts"],
            text=message.get("text") or "The next area",
            blocks=message["blocks"],
        )
        client.chat_update(
            channel=channel,
            ts=message["ts"],
            text=f"Your answer: level {level}",
            blocks=answered(message["blocks"], level),
        )

    return app


def seed_members(slack, team_id: str, bot_user_id: str, count: int, prompt, prefix: str = "UFLOOR") -> list[Member]:
    """Members of the floor app, each with a thread in their DM and an open prompt in it (a copy of `prompt`,
    the bot's), written straight into the simulated Slack as the bot's messages."""
    members = []
    for i in range(count):
        user_id = f"{prefix}{i:04d}"
        slack.add_user(team_id, user_id, name=user_id.lower())
        dm = slack.dm_channel(team_id, user_id)
        parent = slack.add_message(team_id, dm, bot_user_id, "Floor app: your walk-through")
        first = slack.add_message(team_id, dm, bot_user_id, prompt.text, blocks=prompt.blocks, thread_ts=parent.ts)
        members.append(Member(user_id, dm, first, 0.0))
    return members
