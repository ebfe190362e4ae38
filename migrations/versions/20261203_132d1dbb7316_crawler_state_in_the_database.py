"""crawler state in the database: HTTP validators for conditional GET, scheduler heartbeats

Revision ID: 132d1dbb7316
Revises: 9f302c49c2be
Create Date: 2026-12-03 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '132d1dbb7316'
down_revision: str | None = '9f302c49c2be'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('http_validators',
    sa.Column('url_sha256', sa.String(length=64), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('etag', sa.Text(), nullable=True),
    sa.Column('last_modified', sa.Text(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('url_sha256', name=op.f('pk_http_validators'))
    )
    op.create_table('crawler_heartbeats',
    sa.Column('instance', sa.String(length=255), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('beat_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('instance', name=op.f('pk_crawler_heartbeats'))
    )


def downgrade() -> None:
    op.drop_table('crawler_heartbeats')
    op.drop_table('http_validators')
