"""person link models: each agreement's fitted linkage model, and person keys indexed by value

Incremental linkage (issue 13): an ingest scores only the new records' candidate pairs with the
model fitted at the agreement's last full relink (m, u and prior per comparison: numbers, no key
values), and finds the existing records sharing a key through the (kind, key) index.

Revision ID: 0007_person_link_models
Revises: 0006_networks
Create Date: 2026-12-01 12:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007_person_link_models'
down_revision: str | None = '0006_networks'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'person_link_models',
        sa.Column('agreement_id', sa.String(length=64), nullable=False),
        sa.Column('persons', sa.Integer(), nullable=False),
        sa.Column('parameters', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('agreement_id', name=op.f('pk_person_link_models')),
    )
    op.create_index('ix_person_keys_kind_key', 'person_keys', ['kind', 'key'])


def downgrade() -> None:
    op.drop_index('ix_person_keys_kind_key', table_name='person_keys')
    op.drop_table('person_link_models')
