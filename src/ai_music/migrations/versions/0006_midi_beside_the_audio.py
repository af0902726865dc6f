"""midi beside the audio

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-02 05:15:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("history_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("midi_key", sa.String(length=300), nullable=True))
    with op.batch_alter_table("generation_jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("has_midi", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("generation_jobs", schema=None) as batch_op:
        batch_op.drop_column("has_midi")
    with op.batch_alter_table("history_entries", schema=None) as batch_op:
        batch_op.drop_column("midi_key")
