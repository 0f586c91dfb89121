"""SQLModel tables. Every row carries the Slack workspace (team) id, and every query filters on it.

Times are timezone-aware UTC datetimes (SQLModel stores them as UTC on SQLite and PostgreSQL alike).
Uniqueness that the product relies on is enforced by the database, not by the process, so that several
web processes on one PostgreSQL database stay correct:
- one open round per channel (a partial unique index);
- one participant per round and member;
- one current answer per round, member and area;
- one prompt per round, member, area and attempt (a prompt is claimed before it is posted, so a repeated
  click or a retried request can never post the same prompt twice);
- one processed Slack event per workspace and event id.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from .kinds import PromptStatus, RoundStatus


def utcnow() -> datetime:
    return datetime.now(UTC)


class Round(SQLModel, table=True):
    """One assessment round in one channel, against one version of one framework."""

    __tablename__ = "round"
    __table_args__ = (
        Index(
            "uq_round_open_per_channel",
            "team_id",
            "channel_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    enterprise_id: str | None = Field(default=None, max_length=32)
    channel_id: str = Field(max_length=32)
    framework_id: str = Field(max_length=60)
    framework_version: str = Field(max_length=40)
    area_count: int
    started_by: str = Field(max_length=32)
    # The channel's and the workspace's names when the round started, for reports and exports: a council
    # reading a year-old report sees the names as they were (None when Slack did not say).
    channel_name: str | None = Field(default=None, max_length=80)
    team_name: str | None = Field(default=None, max_length=120)
    status: str = Field(default=RoundStatus.OPEN, max_length=10)  # a RoundStatus
    anonymous: bool = True
    closes_on: date | None = None
    closes_at: datetime | None = None  # the end of closes_on in the facilitator's time zone
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None


class Participant(SQLModel, table=True):
    """A member taking part in a round, and where their walk-through thread lives.

    `thread_ts` is None until the kick-off message has reached the member: a participant without one is
    a message still owed.
    """

    __tablename__ = "participant"
    __table_args__ = (
        UniqueConstraint("round_id", "user_id", name="uq_participant_round_user"),
        Index("uq_participant_pseudonym", "round_id", "pseudonym", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    round_id: int = Field(foreign_key="round.id", index=True)
    user_id: str = Field(max_length=32)
    dm_channel_id: str | None = Field(default=None, max_length=32)
    thread_ts: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    last_active_at: datetime | None = None
    completed_at: datetime | None = None
    reminders_off: bool = False
    # The member's number in the round's exports ("Member 7"): the members the round started with are given
    # 1..n in a random order when it starts (storage/rounds.py), never Slack's order of the channel, so the
    # number says nothing about who it is. None for a member who joined the open round later: numbered
    # after them, in the order they joined (results/csv_files.py `pseudonyms`).
    pseudonym: int | None = None


class Prompt(SQLModel, table=True):
    """One area prompt posted (or about to be posted) in a member's thread.

    The row is written before the message is sent; `ts` is filled in once Slack has it. `state` is
    open, answered or skipped.
    """

    __tablename__ = "prompt"
    __table_args__ = (
        UniqueConstraint("round_id", "user_id", "area_id", "attempt", name="uq_prompt_attempt"),
        Index("ix_prompt_round_user", "round_id", "user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    round_id: int = Field(foreign_key="round.id")
    user_id: str = Field(max_length=32)
    area_id: str = Field(max_length=60)
    attempt: int = 1
    state: str = Field(default=PromptStatus.OPEN, max_length=10)  # a PromptStatus
    ts: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    # Every change of the area's answer bumps answer_rev on its latest prompt (in the answer's transaction);
    # shown_rev is the revision the message in Slack was last updated to. shown_rev < answer_rev: the
    # prompt does not show the stored answer yet (the database or Slack failed in between).
    answer_rev: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    shown_rev: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class Answer(SQLModel, table=True):
    """A member's current answer for one area in one round."""

    __tablename__ = "answer"
    __table_args__ = (
        UniqueConstraint("round_id", "user_id", "area_id", name="uq_answer_round_user_area"),
        Index("ix_answer_round_area", "round_id", "area_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    round_id: int = Field(foreign_key="round.id")
    user_id: str = Field(max_length=32)
    area_id: str = Field(max_length=60)
    level: int
    comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    framework_id: str = Field(max_length=60)
    framework_version: str = Field(max_length=40)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class AnswerChange(SQLModel, table=True):
    """The history of an answer: one row each time a level or comment is set or changed."""

    __tablename__ = "answer_change"
    __table_args__ = (Index("ix_answer_change_round", "round_id", "user_id", "area_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    round_id: int = Field(foreign_key="round.id")
    user_id: str = Field(max_length=32)
    area_id: str = Field(max_length=60)
    old_level: int | None = None
    new_level: int | None = None
    old_comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    new_comment: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    framework_id: str = Field(max_length=60)
    framework_version: str = Field(max_length=40)
    changed_at: datetime = Field(default_factory=utcnow)


class ProcessedEvent(SQLModel, table=True):
    """Slack events already acted on, so that Slack's retries of the same event change nothing."""

    __tablename__ = "processed_event"
    __table_args__ = (UniqueConstraint("team_id", "event_id", name="uq_processed_event"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    event_id: str = Field(max_length=64)
    received_at: datetime = Field(default_factory=utcnow)


class Target(SQLModel, table=True):
    """The level a team aims for in an area. Kept per channel and framework, so it carries over to the
    channel's next round."""

    __tablename__ = "target"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", "framework_id", "area_id", name="uq_target"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    channel_id: str = Field(max_length=32)
    framework_id: str = Field(max_length=60)
    area_id: str = Field(max_length=60)
    level: int
    set_by: str = Field(max_length=32)
    updated_at: datetime = Field(default_factory=utcnow)


class RoundTarget(SQLModel, table=True):
    """The targets in force in one round: copied from the channel's when the round starts and changed with
    them while it is open, never after it closes, so a closed round's gaps stay what they were."""

    __tablename__ = "round_target"
    __table_args__ = (UniqueConstraint("round_id", "area_id", name="uq_round_target"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    round_id: int = Field(foreign_key="round.id", index=True)
    area_id: str = Field(max_length=60)
    level: int


class Schedule(SQLModel, table=True):
    """When a channel's summary is posted automatically: a cron-like rule in a time zone."""

    __tablename__ = "schedule"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", name="uq_schedule_channel"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    channel_id: str = Field(max_length=32)
    frequency: str = Field(max_length=10)  # daily, weekly or monthly
    day: str | None = Field(default=None, max_length=3)  # mon..sun for weekly, 1..28 for monthly
    time: str = Field(max_length=5)  # HH:MM
    timezone: str = Field(max_length=64)
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow)


class ScheduledRun(SQLModel, table=True):
    """A claimed slot: the unique row that lets exactly one process post a scheduled message."""

    __tablename__ = "scheduled_run"
    __table_args__ = (UniqueConstraint("team_id", "kind", "key", "slot", name="uq_scheduled_run"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    kind: str = Field(max_length=20)  # a ClaimKind
    key: str = Field(max_length=64)  # the schedule or round it belongs to
    slot: datetime
    claimed_at: datetime = Field(default_factory=utcnow)


class Reminder(SQLModel, table=True):
    """A reminder sent to a member, so that nobody is nudged more than once a day."""

    __tablename__ = "reminder"
    __table_args__ = (Index("ix_reminder_round_user", "round_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    round_id: int = Field(foreign_key="round.id")
    user_id: str = Field(max_length=32)
    reason: str = Field(max_length=20)  # a ReminderReason
    sent_at: datetime = Field(default_factory=utcnow)


class Facilitator(SQLModel, table=True):
    """An extra facilitator of a channel's rounds, added with `/maturity facilitators add`."""

    __tablename__ = "facilitator"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", "user_id", name="uq_facilitator"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    channel_id: str = Field(max_length=32)
    user_id: str = Field(max_length=32)
    added_by: str = Field(max_length=32)
    added_at: datetime = Field(default_factory=utcnow)


class AuditEntry(SQLModel, table=True):
    """A facilitator action (who, what, when), shown to facilitators in `/maturity status`."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_channel", "team_id", "channel_id", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    channel_id: str = Field(max_length=32)
    round_id: int | None = None
    user_id: str = Field(max_length=32)
    action: str = Field(max_length=30)
    detail: str = Field(default="", max_length=200)
    at: datetime = Field(default_factory=utcnow)


class OutboxMessage(SQLModel, table=True):
    """A message the bot owes someone: recorded before it is sent, marked with Slack's ts once sent.

    `key` is the message's idempotency key (unique per workspace), also sent to Slack as message metadata,
    so that after a crash the sender can find out whether Slack already has it before sending it again.
    `kind` and `ref_id` say what the ts belongs to (a participant's thread, a prompt).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("team_id", "key", name="uq_outbox_key"),
        Index("ix_outbox_unsent", "sent_at", "next_attempt_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    key: str = Field(max_length=120)
    kind: str = Field(max_length=20)  # a MessageKind
    ref_id: int | None = None
    channel: str = Field(max_length=32)  # a channel id, or a user id for the member's DM
    thread_ts: str | None = Field(default=None, max_length=32)
    text: str = Field(sa_column=Column(Text, nullable=False))
    blocks: str | None = Field(default=None, sa_column=Column(Text, nullable=True))  # JSON
    ts: str | None = Field(default=None, max_length=32)
    sent_channel: str | None = Field(default=None, max_length=32)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=200)
    next_attempt_at: datetime = Field(default_factory=utcnow)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class RateSlot(SQLModel, table=True):
    """One of Slack's rate limits for one workspace, shared by every process on the database.

    `tat` (the generic cell rate algorithm's "theoretical arrival time") is the moment, in seconds since the
    epoch by the database server's clock, at which the bucket is empty again; a call may go once the
    bucket's burst allowance covers it. One row per workspace and method, and per channel for
    chat.postMessage. Rows are tiny and go stale within seconds; the clock deletes old ones.
    """

    __tablename__ = "rate_slot"

    key: str = Field(primary_key=True, max_length=200)
    tat: float = 0.0


class PublishedView(SQLModel, table=True):
    """One view of an area's figures that has been (or is about to be) shown: the answers it is computed from,
    as a JSON object member -> level. Revisions count up from 1 per round and area; a new one is written in
    the transaction that decides it may be shown (results/anonymity.py), never changed, and never written
    for a closed round. The unique revision lets only one of two processes deciding at once record it."""

    __tablename__ = "published_view"
    __table_args__ = (
        UniqueConstraint("round_id", "area_id", "revision", name="uq_published_view_revision"),
        Index("ix_published_view_round", "round_id", "area_id", "revision"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    round_id: int = Field(foreign_key="round.id")
    area_id: str = Field(max_length=60)
    revision: int
    answers: int  # how many answers the view includes
    levels: str = Field(sa_column=Column(Text, nullable=False))  # JSON: {"U123": 3, ...}
    published_at: datetime = Field(default_factory=utcnow)


class FinalFigures(SQLModel, table=True):
    """A closed round's record kept as aggregates: its participation and, in `FinalAreaFigures`, each area's
    figures as it last showed them, with no member named. Written once, when the individual answers behind
    them are about to go (retention, or a member's erasure: storage/records.py); from then on every surface
    shows the round from here, so deleting people's answers never changes what the round showed."""

    __tablename__ = "final_figures"
    __table_args__ = (UniqueConstraint("round_id", name="uq_final_figures_round"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    round_id: int = Field(foreign_key="round.id")
    members: int
    complete: int
    in_progress: int
    kept_at: datetime = Field(default_factory=utcnow)
    # When the round's individual answers, comments and history were deleted (MATURITY_RETENTION_DAYS).
    answers_deleted_at: datetime | None = None


class FinalAreaFigures(SQLModel, table=True):
    """One area of a `FinalFigures` record: the levels its figures were computed from (a sorted JSON list,
    nobody's name), how many answers they held back and by which rule, and how many it had."""

    __tablename__ = "final_area_figures"
    __table_args__ = (UniqueConstraint("round_id", "area_id", name="uq_final_area_figures"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(index=True, max_length=32)
    round_id: int = Field(foreign_key="round.id")
    area_id: str = Field(max_length=60)
    levels: str = Field(sa_column=Column(Text, nullable=False))  # JSON: [2, 3, 3]
    held_back: int = 0
    held_by: str | None = Field(default=None, max_length=20)
    received: int = 0


class ActionItem(SQLModel, table=True):
    """One action of a channel's action plan: what will be done about an area, by whom, by when, and the
    level it aims for. It belongs to the channel, not to a round (actions outlive rounds); `round_id` is
    the round it was agreed in, if any, so the next round can say what became of it."""

    __tablename__ = "action_item"
    __table_args__ = (
        Index("ix_action_item_channel", "team_id", "channel_id", "status"),
        Index("ix_action_item_owner", "team_id", "owner_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    channel_id: str = Field(max_length=32)
    framework_id: str = Field(max_length=60)
    area_id: str = Field(max_length=60)
    round_id: int | None = Field(default=None, foreign_key="round.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
    owner_id: str = Field(max_length=32)
    due_on: date
    aim_level: int | None = None
    status: str = Field(default="open", max_length=10)  # an ActionStatus
    created_by: str = Field(max_length=32)
    created_at: datetime = Field(default_factory=utcnow)
    updated_by: str = Field(max_length=32)
    updated_at: datetime = Field(default_factory=utcnow)
    done_at: datetime | None = None


class ActionPolicy(SQLModel, table=True):
    """Whether a channel's members (not only its facilitators) may add actions to its plan."""

    __tablename__ = "action_policy"
    __table_args__ = (UniqueConstraint("team_id", "channel_id", name="uq_action_policy_channel"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(max_length=32)
    channel_id: str = Field(max_length=32)
    members_may_add: bool = False
    set_by: str = Field(max_length=32)
    set_at: datetime = Field(default_factory=utcnow)
