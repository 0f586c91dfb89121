"""action_item, action_policy: a channel's action plan

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

Actions per area, with an owner, a due date and the level they aim for; and per channel whether members may
add them. New tables only: no existing row changes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "action_item",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("framework_id", sa.String(length=60), nullable=False),
        sa.Column("area_id", sa.String(length=60), nullable=False),
        sa.Column("round_id", sa.Integer(), sa.ForeignKey("round.id"), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner_id", sa.String(length=32), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("aim_level", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=32), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_action_item_channel", "action_item", ["team_id", "channel_id", "status"])
    op.create_index("ix_action_item_owner", "action_item", ["team_id", "owner_id", "status"])
    op.create_table(
        "action_policy",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("members_may_add", sa.Boolean(), nullable=False),
        sa.Column("set_by", sa.String(length=32), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("team_id", "channel_id", name="uq_action_policy_channel"),
    )


def downgrade() -> None:
    op.drop_table("action_policy")
    op.drop_index("ix_action_item_owner", table_name="action_item")
    op.drop_index("ix_action_item_channel", table_name="action_item")
    op.drop_table("action_item")
