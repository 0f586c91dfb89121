"""final_figures, final_area_figures: a closed round's figures kept without its members' answers

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

Retention (MATURITY_RETENTION_DAYS) and a member's erasure delete individual answers; a closed round must go
on showing exactly what it showed. Before they go, the round's participation and each area's shown levels
(with no member named) are written here once, and every surface reads a round that has them from here. No
existing row changes.
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "final_figures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("round_id", sa.Integer(), sa.ForeignKey("round.id"), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("complete", sa.Integer(), nullable=False),
        sa.Column("in_progress", sa.Integer(), nullable=False),
        sa.Column("kept_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answers_deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("round_id", name="uq_final_figures_round"),
    )
    op.create_index("ix_final_figures_team_id", "final_figures", ["team_id"])
    op.create_table(
        "final_area_figures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("round_id", sa.Integer(), sa.ForeignKey("round.id"), nullable=False),
        sa.Column("area_id", sa.String(length=60), nullable=False),
        sa.Column("levels", sa.Text(), nullable=False),
        sa.Column("held_back", sa.Integer(), nullable=False),
        sa.Column("held_by", sa.String(length=20), nullable=True),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.UniqueConstraint("round_id", "area_id", name="uq_final_area_figures"),
    )
    op.create_index("ix_final_area_figures_team_id", "final_area_figures", ["team_id"])


def downgrade() -> None:
    op.drop_index("ix_final_area_figures_team_id", table_name="final_area_figures")
    op.drop_table("final_area_figures")
    op.drop_index("ix_final_figures_team_id", table_name="final_figures")
    op.drop_table("final_figures")
