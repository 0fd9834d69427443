"""return reminders: an operator reminds a provider that a quarter's return is due or late

The hub is the mailbox (no email): the partner reads its reminders through the partner API.
A fixed wording, so the table holds ids, a quarter, dates and who sent it; nothing personal.

Revision ID: 0010_return_reminders
Revises: 0009_incident_routes
Create Date: 2026-12-01 15:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010_return_reminders'
down_revision: str | None = '0009_incident_routes'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'return_reminders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('agreement_id', sa.String(length=64), nullable=False),
        sa.Column('org_id', sa.String(length=64), nullable=False),
        sa.Column('quarter', sa.String(length=7), nullable=False),
        sa.Column('due', sa.Date(), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_by', sa.String(length=160), nullable=False),
        sa.ForeignKeyConstraint(['org_id'], ['organisations.id'], name=op.f('fk_return_reminders_org_id_organisations')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_return_reminders')),
    )
    op.create_index(op.f('ix_return_reminders_org_id'), 'return_reminders', ['org_id'], unique=False)

def downgrade() -> None:
    op.drop_index(op.f('ix_return_reminders_org_id'), table_name='return_reminders')
    op.drop_table('return_reminders')
