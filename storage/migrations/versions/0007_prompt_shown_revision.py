"""prompt: answer_rev and shown_rev, so that an answer whose prompt was never updated is shown later

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

An answer is stored, then its prompt in Slack is updated to show the choice. When the database (or Slack)
fails between the two, the prompt kept its buttons. Each answer now bumps its prompt's answer_rev in the
same transaction, and the prompt's shown_rev records the revision Slack was last shown; a prompt with
shown_rev < answer_rev is re-rendered on the member's next action or on the clock's tick. Existing prompts
start at 0 and 0: whatever they show is taken as shown.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("prompt", sa.Column("answer_rev", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("prompt", sa.Column("shown_rev", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("prompt", "shown_rev")
    op.drop_column("prompt", "answer_rev")
