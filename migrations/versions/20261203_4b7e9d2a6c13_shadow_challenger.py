"""shadow challenger: champion-vs-challenger tallies and a sample of their disagreements

Revision ID: 4b7e9d2a6c13
Revises: a41c9e7d3f15
Create Date: 2026-12-03 12:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "4b7e9d2a6c13"
down_revision: str | None = "a41c9e7d3f15"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _versions() -> list[sa.Column]:  # type: ignore[type-arg]
    return [
        sa.Column("model_name", sa.String(length=200), nullable=False),
        sa.Column("champion_version", sa.String(length=32), nullable=False),
        sa.Column("challenger_version", sa.String(length=32), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "shadow_comparisons",
        sa.Column("id", sa.Integer(), nullable=False),
        *_versions(),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("agree", sa.Integer(), nullable=False),
        sa.Column("confusion", sa.JSON(), nullable=False),
        sa.Column("champion_confidence", sa.JSON(), nullable=False),
        sa.Column("challenger_confidence", sa.JSON(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_reason", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shadow_comparisons")),
        sa.UniqueConstraint(
            "model_name",
            "champion_version",
            "challenger_version",
            "source",
            name=op.f("uq_shadow_comparisons_model_name_champion_version_challenger_version_source"),
        ),
    )
    op.create_index(
        "ix_shadow_comparisons_challenger", "shadow_comparisons", ["model_name", "challenger_version"]
    )
    op.create_table(
        "shadow_disagreements",
        sa.Column("id", sa.Integer(), nullable=False),
        *_versions(),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("champion_label", sa.String(length=64), nullable=False),
        sa.Column("champion_confidence", sa.Float(), nullable=False),
        sa.Column("challenger_label", sa.String(length=64), nullable=False),
        sa.Column("challenger_confidence", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shadow_disagreements")),
    )
    op.create_index(
        "ix_shadow_disagreements_versions", "shadow_disagreements", ["model_name", "challenger_version"]
    )


def downgrade() -> None:
    op.drop_index("ix_shadow_disagreements_versions", table_name="shadow_disagreements")
    op.drop_table("shadow_disagreements")
    op.drop_index("ix_shadow_comparisons_challenger", table_name="shadow_comparisons")
    op.drop_table("shadow_comparisons")
