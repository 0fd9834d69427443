"""networks: each network's own latest quarter; the facet index covers the network id

``networks.last_quarter`` and ``added_last_quarter`` were the agreement's latest quarter and the
network's incidents of it, so every network was rewritten when the agreement's latest quarter
moved (135,888 rows for one upload at 1,000,000 incidents). They are now the network's own latest
quarter and its incidents of that quarter; a reader counts growth only where that is the
agreement's latest (``hub.records.networks.added_in``). Recomputed here from the members.
``ix_network_facets_lookup`` gains ``network_id``, so a list filtered by borough or type reads the
matching networks' ids from the index alone.

Revision ID: 0012_network_own_quarter
Revises: 0011_network_updates
Create Date: 2026-12-01 19:00:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0012_network_own_quarter'
down_revision: str | None = '0011_network_updates'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OWN_QUARTER = """
UPDATE networks SET last_quarter = COALESCE((
    SELECT max(i.quarter) FROM network_members m JOIN incidents i ON i.id = m.incident_id WHERE m.network_id = networks.id
), last_quarter)
"""
_ADDED = """
UPDATE networks SET added_last_quarter = (
    SELECT count(*) FROM network_members m JOIN incidents i ON i.id = m.incident_id
    WHERE m.network_id = networks.id AND i.quarter = networks.last_quarter
)
"""


def upgrade() -> None:
    op.execute(_OWN_QUARTER)
    op.execute(_ADDED)
    op.drop_index('ix_network_facets_lookup', table_name='network_facets')
    op.create_index('ix_network_facets_lookup', 'network_facets', ['facet', 'value', 'network_id'])


def downgrade() -> None:
    op.drop_index('ix_network_facets_lookup', table_name='network_facets')
    op.create_index('ix_network_facets_lookup', 'network_facets', ['facet', 'value'])
    op.execute("""
UPDATE networks SET last_quarter = (SELECT max(last_quarter) FROM network_builds b WHERE b.agreement_id = networks.agreement_id)
WHERE agreement_id IN (SELECT agreement_id FROM network_builds)
""")
    op.execute(_ADDED)
