"""networks: connected components of the link graph (incidents joined by shared people or selectors)

Derived tables, owned by hub/records/ (issue 14): counts and codes per network, which network an
incident is in, and filterable facets. No pseudonym is copied into them.

Revision ID: 0006_networks
Revises: 0005_premises_counts
Create Date: 2026-12-01 11:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006_networks'
down_revision: str | None = '0005_premises_counts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'networks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agreement_id', sa.String(length=64), nullable=False),
        sa.Column('provider', sa.String(length=64), nullable=False),
        sa.Column('incidents', sa.Integer(), nullable=False),
        sa.Column('people', sa.Integer(), nullable=False),
        sa.Column('selectors', sa.JSON(), nullable=False),
        sa.Column('providers', sa.JSON(), nullable=False),
        sa.Column('boroughs', sa.JSON(), nullable=False),
        sa.Column('exploitation_types', sa.JSON(), nullable=False),
        sa.Column('first_month', sa.String(length=7), nullable=False),
        sa.Column('last_month', sa.String(length=7), nullable=False),
        sa.Column('last_quarter', sa.String(length=7), nullable=False),
        sa.Column('added_last_quarter', sa.Integer(), nullable=False),
        sa.Column('county_lines', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_networks')),
    )
    op.create_index('ix_networks_partition', 'networks', ['agreement_id', 'provider'])
    op.create_index(op.f('ix_networks_incidents'), 'networks', ['incidents'])
    op.create_index(op.f('ix_networks_last_month'), 'networks', ['last_month'])
    op.create_table(
        'network_members',
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('network_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_network_members_incident_id_incidents'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_network_members_network_id_networks'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('incident_id', name=op.f('pk_network_members')),
    )
    op.create_index(op.f('ix_network_members_network_id'), 'network_members', ['network_id'])
    op.create_table(
        'network_facets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('network_id', sa.Integer(), nullable=False),
        sa.Column('facet', sa.String(length=16), nullable=False),
        sa.Column('value', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['network_id'], ['networks.id'], name=op.f('fk_network_facets_network_id_networks'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_network_facets')),
    )
    op.create_index('ix_network_facets_lookup', 'network_facets', ['facet', 'value'])
    op.create_index(op.f('ix_network_facets_network_id'), 'network_facets', ['network_id'])


def downgrade() -> None:
    op.drop_table('network_facets')
    op.drop_table('network_members')
    op.drop_table('networks')
