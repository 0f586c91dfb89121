"""round_target (the targets in force in each round) and the channel's and workspace's names on round

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

Until now targets were kept per channel only, so changing them rewrote every earlier round's gaps. Each
round now keeps its own. Existing rounds are given what can be known of theirs: an open round, the channel's
targets as they are now; a closed round, the channel's targets that were last set before it closed (a target
changed after the close is not attributed to it, since its value then is no longer known).
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("round", sa.Column("channel_name", sa.String(length=80), nullable=True))
    op.add_column("round", sa.Column("team_name", sa.String(length=120), nullable=True))
    op.create_table(
        "round_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.String(length=60), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("round_id", "area_id", name="uq_round_target"),
    )
    op.create_index("ix_round_target_team_id", "round_target", ["team_id"])
    op.create_index("ix_round_target_round_id", "round_target", ["round_id"])
    op.execute(
        """
        INSERT INTO round_target (team_id, round_id, area_id, level)
        SELECT r.team_id, r.id, t.area_id, t.level
        FROM round r
        JOIN target t ON t.team_id = r.team_id AND t.channel_id = r.channel_id AND t.framework_id = r.framework_id
        WHERE r.status = 'open' OR t.updated_at <= r.closed_at
        """
    )


def downgrade() -> None:
    op.drop_index("ix_round_target_round_id", table_name="round_target")
    op.drop_index("ix_round_target_team_id", table_name="round_target")
    op.drop_table("round_target")
    op.drop_column("round", "team_name")
    op.drop_column("round", "channel_name")
