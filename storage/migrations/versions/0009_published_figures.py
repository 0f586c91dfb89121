"""published_view: every view of an area's figures that has been shown, for anonymity under subtraction

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08

Two summaries that differ by one member's answers give that member's answers away by subtraction. Each
view an area's figures were shown from is now recorded (the answers it includes, as member -> level), so
that what is shown next differs from every earlier view by at least MATURITY_MIN_GROUP members or by
none (results/anonymity.py). Rows are written in the transaction that decides them, one revision per
round and area at a time, and never for a closed round. Rounds closed before this revision have none:
they show what their final summary showed (every area with at least MATURITY_MIN_GROUP answers).
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "published_view",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("round_id", sa.Integer(), sa.ForeignKey("round.id"), nullable=False),
        sa.Column("area_id", sa.String(length=60), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("answers", sa.Integer(), nullable=False),
        sa.Column("levels", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("round_id", "area_id", "revision", name="uq_published_view_revision"),
    )
    op.create_index("ix_published_view_team_id", "published_view", ["team_id"])
    op.create_index("ix_published_view_round", "published_view", ["round_id", "area_id", "revision"])


def downgrade() -> None:
    op.drop_index("ix_published_view_round", table_name="published_view")
    op.drop_index("ix_published_view_team_id", table_name="published_view")
    op.drop_table("published_view")
