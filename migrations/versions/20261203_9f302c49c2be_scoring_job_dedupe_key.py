"""scoring job dedupe key: at most one active job per key, enforced by a partial unique index

Revision ID: 9f302c49c2be
Revises: 9b2d7c31e0a4
Create Date: 2026-12-03 05:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '9f302c49c2be'
down_revision: str | None = '9b2d7c31e0a4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE_JOB = "status IN ('queued', 'running')"


def upgrade() -> None:
    # batch mode: SQLite (the demo's corpus) cannot alter tables in place everywhere.
    with op.batch_alter_table('scoring_jobs') as batch:
        batch.add_column(sa.Column('dedupe_key', sa.String(length=300), nullable=True))
    # Both dialects support partial indexes; finished jobs drop out of it, so a key is free again.
    op.create_index(
        'uq_scoring_jobs_active_dedupe_key',
        'scoring_jobs',
        ['dedupe_key'],
        unique=True,
        postgresql_where=sa.text(ACTIVE_JOB),
        sqlite_where=sa.text(ACTIVE_JOB),
    )


def downgrade() -> None:
    op.drop_index('uq_scoring_jobs_active_dedupe_key', table_name='scoring_jobs')
    with op.batch_alter_table('scoring_jobs') as batch:
        batch.drop_column('dedupe_key')
