"""retraining runs and their triggers: at most one queued and one running run (partial unique indexes)

Revision ID: a3c9e7f1d2b4
Revises: 5e8a1c0d7b21
Create Date: 2026-12-03 12:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "a3c9e7f1d2b4"
down_revision: str | None = "5e8a1c0d7b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUED = "status = 'queued'"
RUNNING = "status = 'running'"


def upgrade() -> None:
    op.create_table(
        "retraining_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("candidates", sa.JSON(), nullable=False),
        sa.Column("model_name", sa.String(length=200), nullable=True),
        sa.Column("challenger_version", sa.String(length=32), nullable=True),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retraining_runs")),
    )
    op.create_index("ix_retraining_runs_status", "retraining_runs", ["status"], unique=False)
    op.create_index(
        "uq_retraining_runs_one_queued",
        "retraining_runs",
        ["status"],
        unique=True,
        postgresql_where=sa.text(QUEUED),
        sqlite_where=sa.text(QUEUED),
    )
    op.create_index(
        "uq_retraining_runs_one_running",
        "retraining_runs",
        ["status"],
        unique=True,
        postgresql_where=sa.text(RUNNING),
        sqlite_where=sa.text(RUNNING),
    )
    op.create_table(
        "retraining_triggers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("coalesced", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["retraining_runs.id"],
            name=op.f("fk_retraining_triggers_run_id_retraining_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retraining_triggers")),
    )
    op.create_index(
        "ix_retraining_triggers_run_id", "retraining_triggers", ["run_id"], unique=False
    )
    op.create_index(
        "ix_retraining_triggers_trigger_requested_at",
        "retraining_triggers",
        ["trigger", "requested_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_retraining_triggers_trigger_requested_at", table_name="retraining_triggers")
    op.drop_index("ix_retraining_triggers_run_id", table_name="retraining_triggers")
    op.drop_table("retraining_triggers")
    op.drop_index("uq_retraining_runs_one_running", table_name="retraining_runs")
    op.drop_index("uq_retraining_runs_one_queued", table_name="retraining_runs")
    op.drop_index("ix_retraining_runs_status", table_name="retraining_runs")
    op.drop_table("retraining_runs")
