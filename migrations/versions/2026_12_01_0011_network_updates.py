"""network updates: the person-cluster snapshot and build marker incremental network updates read; network record keys

``network_persons`` holds the cluster each active person had at the last network update, so the
next one recomputes only the components whose persons linkage moved; ``network_builds`` marks the
agreements whose networks are current. Both are empty after the upgrade: each agreement's next
ingest, withdrawal or purge rebuilds its networks once in full and fills them (and the networks'
new ``record_key``, the sum of their incidents' record keys, that perturbs counts of networks).
``ix_network_facets_member`` makes each of the network list's per-network filters (borough, type,
providers seen) one index probe.

Revision ID: 0011_network_updates
Revises: 0010_return_reminders
Create Date: 2026-12-01 16:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011_network_updates'
down_revision: str | None = '0010_return_reminders'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('networks') as batch:
        batch.add_column(sa.Column('record_key', sa.Integer(), server_default='0', nullable=False))
    op.create_index('ix_network_facets_member', 'network_facets', ['network_id', 'facet', 'value'])
    op.create_table(
        'network_persons',
        sa.Column('person_id', sa.Integer(), nullable=False),
        sa.Column('agreement_id', sa.String(length=64), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('cluster_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('person_id', name=op.f('pk_network_persons')),
    )
    op.create_index('ix_network_persons_cluster', 'network_persons', ['agreement_id', 'cluster_id'])
    op.create_index(op.f('ix_network_persons_incident_id'), 'network_persons', ['incident_id'])
    op.create_table(
        'network_builds',
        sa.Column('agreement_id', sa.String(length=64), nullable=False),
        sa.Column('last_quarter', sa.String(length=7), nullable=False),
        sa.PrimaryKeyConstraint('agreement_id', name=op.f('pk_network_builds')),
    )


def downgrade() -> None:
    op.drop_index('ix_network_facets_member', table_name='network_facets')
    with op.batch_alter_table('networks') as batch:
        batch.drop_column('record_key')
    op.drop_table('network_builds')
    op.drop_index(op.f('ix_network_persons_incident_id'), table_name='network_persons')
    op.drop_index('ix_network_persons_cluster', table_name='network_persons')
    op.drop_table('network_persons')
