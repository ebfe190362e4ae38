"""scoring job progress time, for the stalled-job watchdog

Revision ID: 9b2d7c31e0a4
Revises: 4f56f6466ced
Create Date: 2026-11-21 22:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '9b2d7c31e0a4'
down_revision: str | None = '4f56f6466ced'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # batch mode: SQLite (the demo's corpus) cannot alter tables in place everywhere.
    with op.batch_alter_table('scoring_jobs') as batch:
        batch.add_column(sa.Column('progress_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('scoring_jobs') as batch:
        batch.drop_column('progress_at')
