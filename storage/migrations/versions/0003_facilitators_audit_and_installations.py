"""facilitators audit and installations

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

# slack_sdk's SQLAlchemy installation and OAuth state stores keep their rows in these tables (their
# default names); the stores' own table builders define them, so they always match the library.
SLACK_TABLES = ("slack_installations", "slack_bots", "slack_oauth_states")


def _slack_metadata() -> sa.MetaData:
    metadata = sa.MetaData()
    SQLAlchemyInstallationStore.build_installations_table(metadata, "slack_installations")
    SQLAlchemyInstallationStore.build_bots_table(metadata, "slack_bots")
    SQLAlchemyOAuthStateStore.build_oauth_states_table(metadata, "slack_oauth_states")
    return metadata


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entry_channel", ["team_id", "channel_id", "at"], unique=False)

    op.create_table(
        "facilitator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("channel_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("added_by", sa.String(length=32), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("team_id", "channel_id", "user_id", name="uq_facilitator"),
    )
    with op.batch_alter_table("facilitator", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_facilitator_team_id"), ["team_id"], unique=False)

    _slack_metadata().create_all(op.get_bind())


def downgrade() -> None:
    _slack_metadata().drop_all(op.get_bind())
    with op.batch_alter_table("facilitator", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_facilitator_team_id"))

    op.drop_table("facilitator")
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entry_channel")

    op.drop_table("audit_entry")
