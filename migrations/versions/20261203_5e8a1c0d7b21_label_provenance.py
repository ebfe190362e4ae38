"""labeled examples: who labeled a row, when, from which file, for which sentence; benchmark opt-in

Revision ID: 5e8a1c0d7b21
Revises: c7d1e4a2b9f0
Create Date: 2026-12-03 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "5e8a1c0d7b21"
down_revision: str | None = "c7d1e4a2b9f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("labeled_examples") as batch:
        batch.add_column(sa.Column("annotator", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("labeled_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("source_file", sa.Text(), nullable=True))
        batch.add_column(sa.Column("sentence_id", sa.Integer(), nullable=True))
        # rows imported before this migration could already be carved into a benchmark: keep them so
        batch.add_column(
            sa.Column("benchmark_eligible", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("labeled_examples") as batch:
        batch.drop_column("benchmark_eligible")
        batch.drop_column("sentence_id")
        batch.drop_column("source_file")
        batch.drop_column("labeled_at")
        batch.drop_column("annotator")
