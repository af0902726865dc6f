"""jobs on Procrastinate

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 07:10:00.000000

- ``generation_jobs.queue_job_id``: the Procrastinate job that moves the work (PostgreSQL);
  cancels and queue positions find it through this.
- On PostgreSQL, Procrastinate's own schema (its ``procrastinate_*`` tables, functions and
  triggers), exactly as the installed version ships it. Upgrading Procrastinate past a release
  that changes its schema needs a migration here with that release's SQL migration files.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("generation_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("queue_job_id", sa.BigInteger(), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    from procrastinate.schema import SchemaManager

    exists = bind.execute(sa.text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL"))
    if not exists.scalar():
        # Many statements in one string: asyncpg runs those only outside a prepared statement,
        # which SQLAlchemy's public run_async hands us, in this migration's transaction.
        schema = SchemaManager.get_schema()
        bind.connection.dbapi_connection.run_async(  # type: ignore[union-attr]
            lambda connection: connection.execute(schema)
        )


def downgrade() -> None:
    with op.batch_alter_table("generation_jobs", schema=None) as batch_op:
        batch_op.drop_column("queue_job_id")
