"""initial tables

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "processed_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "event_id", name="uq_processed_event"),
    )
    op.create_table(
        "round",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("enterprise_id", sa.String(length=32), nullable=True),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("framework_id", sa.String(length=60), nullable=False),
        sa.Column("framework_version", sa.String(length=40), nullable=False),
        sa.Column("area_count", sa.Integer(), nullable=False),
        sa.Column("started_by", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=True),
        sa.Column("announcement_ts", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_round_team_id"), ["team_id"], unique=False)
        batch_op.create_index(
            "uq_round_open_per_channel",
            ["team_id", "channel_id"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    op.create_table(
        "answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("area_id", sa.String(length=60), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("framework_id", sa.String(length=60), nullable=False),
        sa.Column("framework_version", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["round.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("round_id", "user_id", "area_id", name="uq_answer_round_user_area"),
    )
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.create_index("ix_answer_round_area", ["round_id", "area_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_answer_team_id"), ["team_id"], unique=False)

    op.create_table(
        "answer_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("area_id", sa.String(length=60), nullable=False),
        sa.Column("old_level", sa.Integer(), nullable=True),
        sa.Column("new_level", sa.Integer(), nullable=True),
        sa.Column("old_comment", sa.Text(), nullable=True),
        sa.Column("new_comment", sa.Text(), nullable=True),
        sa.Column("framework_id", sa.String(length=60), nullable=False),
        sa.Column("framework_version", sa.String(length=40), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["round.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("answer_change", schema=None) as batch_op:
        batch_op.create_index("ix_answer_change_round", ["round_id", "user_id", "area_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_answer_change_team_id"), ["team_id"], unique=False)

    op.create_table(
        "participant",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("dm_channel_id", sa.String(length=32), nullable=True),
        sa.Column("thread_ts", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_active_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["round.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("round_id", "user_id", name="uq_participant_round_user"),
    )
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_participant_round_id"), ["round_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_participant_team_id"), ["team_id"], unique=False)

    op.create_table(
        "prompt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("area_id", sa.String(length=60), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("ts", sa.String(length=32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["round.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("round_id", "user_id", "area_id", "attempt", name="uq_prompt_attempt"),
    )
    with op.batch_alter_table("prompt", schema=None) as batch_op:
        batch_op.create_index("ix_prompt_round_user", ["round_id", "user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_prompt_team_id"), ["team_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("prompt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prompt_team_id"))
        batch_op.drop_index("ix_prompt_round_user")

    op.drop_table("prompt")
    with op.batch_alter_table("participant", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_participant_team_id"))
        batch_op.drop_index(batch_op.f("ix_participant_round_id"))

    op.drop_table("participant")
    with op.batch_alter_table("answer_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answer_change_team_id"))
        batch_op.drop_index("ix_answer_change_round")

    op.drop_table("answer_change")
    with op.batch_alter_table("answer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_answer_team_id"))
        batch_op.drop_index("ix_answer_round_area")

    op.drop_table("answer")
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_round_open_per_channel",
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )
        batch_op.drop_index(batch_op.f("ix_round_team_id"))

    op.drop_table("round")
    op.drop_table("processed_event")
