"""who acts on whom: sentence source/target countries, relation index rows per direction

Revision ID: c7d1e4a2b9f0
Revises: 132d1dbb7316
Create Date: 2026-12-03 05:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'c7d1e4a2b9f0'
down_revision: str | None = '132d1dbb7316'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_COLUMNS = ['country_a', 'country_b', 'day', 'model_name', 'model_version']
_NEW_UNIQUE = 'uq_relation_index_pair_direction_day_version'  # <= 63 characters (Postgres)


def _old_unique_name() -> str:
    """The first migration's unique constraint, as the database named it (Postgres truncates)."""
    for constraint in sa.inspect(op.get_bind()).get_unique_constraints('relation_index'):
        if list(constraint['column_names']) == _OLD_COLUMNS and constraint['name']:
            return str(constraint['name'])
    raise RuntimeError('relation_index has no unique constraint on (pair, day, model): schema drifted')


def upgrade() -> None:
    # batch mode: SQLite (the demo's corpus) cannot alter tables in place everywhere.
    with op.batch_alter_table('sentences') as batch:
        batch.add_column(sa.Column('source_country', sa.String(length=3), nullable=True))
        batch.add_column(sa.Column('target_country', sa.String(length=3), nullable=True))
        batch.add_column(sa.Column('direction_confidence', sa.Float(), nullable=True))
    old_unique = _old_unique_name()
    with op.batch_alter_table('relation_index') as batch:
        # existing rows are the unordered pair's: direction ""
        batch.add_column(sa.Column('direction', sa.String(length=1), nullable=False, server_default=''))
        batch.drop_constraint(old_unique, type_='unique')
        batch.create_unique_constraint(
            _NEW_UNIQUE, ['country_a', 'country_b', 'direction', 'day', 'model_name', 'model_version']
        )


def downgrade() -> None:
    with op.batch_alter_table('relation_index') as batch:
        batch.drop_constraint(_NEW_UNIQUE, type_='unique')
    op.execute("DELETE FROM relation_index WHERE direction <> ''")
    with op.batch_alter_table('relation_index') as batch:
        batch.create_unique_constraint('uq_relation_index_pair_day_version', _OLD_COLUMNS)
        batch.drop_column('direction')
    with op.batch_alter_table('sentences') as batch:
        batch.drop_column('direction_confidence')
        batch.drop_column('target_country')
        batch.drop_column('source_country')
