"""participant.pseudonym: each round's "Member k" numbers in a random order, stored once

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08

The answers CSV numbered an anonymous round's members by their place in Slack's list of the channel's members,
which anyone in the channel can see, so "Member k" named the k-th person of that list. Each participant now
keeps the number it is exported under: a new round gives its members 1..n in a random order (storage/rounds.py)
and a member who joins later is numbered after them. Every existing round's participants are given a random
order here too, so their exports stop following the channel's order from now on (an export taken before this
migration numbers them differently). Every other value of every row is kept.
"""

import secrets
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("participant", sa.Column("pseudonym", sa.Integer(), nullable=True))
    connection = op.get_bind()
    by_round: dict[int, list[int]] = defaultdict(list)
    for participant_id, round_id in connection.execute(
        sa.text("SELECT id, round_id FROM participant ORDER BY round_id, id")
    ):
        by_round[round_id].append(participant_id)
    shuffler = secrets.SystemRandom()
    numbered = []
    for participant_ids in by_round.values():
        numbers = list(range(1, len(participant_ids) + 1))
        shuffler.shuffle(numbers)
        numbered += [{"id": i, "pseudonym": n} for i, n in zip(participant_ids, numbers, strict=True)]
    if numbered:
        connection.execute(sa.text("UPDATE participant SET pseudonym = :pseudonym WHERE id = :id"), numbered)
    op.create_index("uq_participant_pseudonym", "participant", ["round_id", "pseudonym"], unique=True)


def downgrade() -> None:
    op.drop_index("uq_participant_pseudonym", table_name="participant")
    op.drop_column("participant", "pseudonym")
