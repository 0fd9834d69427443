"""incident routes: country of recruitment, countries of transit, country of exploitation, UK areas

The route fields of schema 1.2 (issue 15): ISO country codes and GSS area codes only. Incidents
stored before have an unknown route; their route summaries (measures ``routes_in``,
``routes_out``, ``citizenship_routes``) appear after ``msht-hub stats rebuild``.

Revision ID: 0009_incident_routes
Revises: 0008_alerts
Create Date: 2026-12-01 12:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009_incident_routes'
down_revision: str | None = '0008_alerts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('incidents') as batch:
        batch.add_column(sa.Column('recruitment_country', sa.String(length=24), server_default='unknown', nullable=False))
        batch.add_column(sa.Column('transit_countries', sa.String(length=24), server_default=sa.text("''"), nullable=False))
        batch.add_column(sa.Column('exploitation_country', sa.String(length=24), server_default='unknown', nullable=False))
        batch.add_column(sa.Column('recruitment_area', sa.String(length=9), nullable=True))
        batch.add_column(sa.Column('exploitation_area', sa.String(length=9), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('incidents') as batch:
        for name in ('exploitation_area', 'recruitment_area', 'exploitation_country', 'transit_countries', 'recruitment_country'):
            batch.drop_column(name)
