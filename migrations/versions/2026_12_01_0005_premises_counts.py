"""premises counts: how many premises of each type a public register lists per borough

Counts only (the denominators of the premises indicators, issue 15); no name or address of any
business is stored.

Revision ID: 0005_premises_counts
Revises: 0004_person_linkage
Create Date: 2026-12-01 09:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005_premises_counts'
down_revision: str | None = '0004_person_linkage'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'premises_counts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('area', sa.String(length=9), nullable=False),
        sa.Column('premises_type', sa.String(length=32), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=64), nullable=False),
        sa.Column('extract_date', sa.String(length=10), nullable=True),
        sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_premises_counts')),
        sa.UniqueConstraint('area', 'premises_type', name=op.f('uq_premises_counts_area')),
    )


def downgrade() -> None:
    op.drop_table('premises_counts')
