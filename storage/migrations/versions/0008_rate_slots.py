"""rate_slot: Slack's rate limits per workspace, shared by every process on one database

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

Each process used to keep its own token buckets, so two web workers and a clock each thought they owned
the workspace's limits. The buckets now live in the database the processes share (PostgreSQL). The table
holds no personal data: keys are a digest of the bot token, a method name and, for chat.postMessage, a
channel id.
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_slot",
        sa.Column("key", sa.String(length=200), primary_key=True),
        sa.Column("tat", sa.Float(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("rate_slot")
