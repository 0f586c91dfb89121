"""round: drop announcement_ts and timezone, written but never read

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

The announcement's ts and the facilitator's time zone were stored on each round but nothing ever read
them (a closing time is stored as the UTC moment it falls on). Existing rows keep every other value.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ALTER TABLE ... DROP COLUMN (SQLite 3.35 and later, PostgreSQL): neither column is in an index
    # or a constraint, so SQLite needs no table rebuild.
    op.drop_column("round", "announcement_ts")
    op.drop_column("round", "timezone")


def downgrade() -> None:
    op.add_column("round", sa.Column("timezone", sa.String(length=64), nullable=False, server_default="Europe/London"))
    op.add_column("round", sa.Column("announcement_ts", sa.String(length=32), nullable=True))
