"""relation index: which quantification method made each row's class shares and score

Revision ID: a41c9e7d3f15
Revises: d41f7a9e3c58
Create Date: 2026-12-03 12:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "a41c9e7d3f15"
down_revision: str | None = "d41f7a9e3c58"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # rows computed before this migration averaged uncalibrated probabilities: say so
    with op.batch_alter_table("relation_index") as batch:
        batch.add_column(
            sa.Column(
                "quantification", sa.String(length=40), nullable=False, server_default="mean-probability"
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("relation_index") as batch:
        batch.drop_column("quantification")
