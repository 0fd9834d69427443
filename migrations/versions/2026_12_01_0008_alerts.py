"""cross-partner alerts and contact requests; organisations' named contact

Alerts are derived from the records (same person cluster, shared selector pseudonym) between
providers that opted in (agreement ``sharing[].alerts``), and go with them (issue 14 item 3).

Revision ID: 0008_alerts
Revises: 0007_person_link_models
Create Date: 2026-12-01 11:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008_alerts'
down_revision: str | None = '0007_person_link_models'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('organisations') as batch:
        batch.add_column(sa.Column('contact', sa.String(length=300), nullable=True))
    op.create_table(
        'alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agreement_id', sa.String(length=64), nullable=False),
        sa.Column('org_id', sa.String(length=64), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=False),
        sa.Column('submission_id', sa.String(length=36), nullable=False),
        sa.Column('row', sa.Integer(), nullable=False),
        sa.Column('other_org_id', sa.String(length=64), nullable=False),
        sa.Column('other_incident_id', sa.Integer(), nullable=False),
        sa.Column('kinds', sa.String(length=200), nullable=False),
        sa.Column('found_month', sa.String(length=7), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_alerts_incident_id_incidents'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['other_incident_id'], ['incidents.id'], name=op.f('fk_alerts_other_incident_id_incidents'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
        sa.UniqueConstraint('incident_id', 'other_incident_id', name=op.f('uq_alerts_incident_id')),
    )
    op.create_index(op.f('ix_alerts_agreement_id'), 'alerts', ['agreement_id'], unique=False)
    op.create_index(op.f('ix_alerts_org_id'), 'alerts', ['org_id'], unique=False)
    op.create_index(op.f('ix_alerts_other_incident_id'), 'alerts', ['other_incident_id'], unique=False)
    op.create_table(
        'contact_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('alert_id', sa.Integer(), nullable=False),
        sa.Column('mirror_id', sa.Integer(), nullable=False),
        sa.Column('from_org', sa.String(length=64), nullable=False),
        sa.Column('to_org', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['alert_id'], ['alerts.id'], name=op.f('fk_contact_requests_alert_id_alerts'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['mirror_id'], ['alerts.id'], name=op.f('fk_contact_requests_mirror_id_alerts'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_requests')),
        sa.UniqueConstraint('alert_id', name=op.f('uq_contact_requests_alert_id')),
    )
    op.create_index(op.f('ix_contact_requests_mirror_id'), 'contact_requests', ['mirror_id'], unique=False)
    op.create_index(op.f('ix_contact_requests_from_org'), 'contact_requests', ['from_org'], unique=False)
    op.create_index(op.f('ix_contact_requests_to_org'), 'contact_requests', ['to_org'], unique=False)


def downgrade() -> None:
    op.drop_table('contact_requests')
    op.drop_table('alerts')
    with op.batch_alter_table('organisations') as batch:
        batch.drop_column('contact')
