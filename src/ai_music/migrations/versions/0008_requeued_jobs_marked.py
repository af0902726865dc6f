"""requeued jobs marked

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 12:40:00.000000

- ``generation_jobs.requeued_reason``: why a job went back to the queue after a run was cut
  off (its worker stopped past the grace period, or stopped answering); shown to the user as
  ``requeued`` and ``requeued_reason`` in the job's JSON. NULL for a job never re-queued.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("generation_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requeued_reason", sa.String(length=300), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("generation_jobs", schema=None) as batch_op:
        batch_op.drop_column("requeued_reason")
