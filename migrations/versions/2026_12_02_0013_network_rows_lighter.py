"""networks: member and facet rows without a foreign key to ``networks``, facets without the redundant index

An incremental update writes most of its time into ``network_members`` and ``network_facets``
(about 250,000 rows after a 100,000-incident upload at 1,000,000). Their foreign keys to
``networks`` checked every row and cascaded nothing the owner (``hub.records.networks``) does not
delete itself, members and facets first; ``ix_network_facets_network_id`` is a prefix of
``ix_network_facets_member``. A trial insert of 150,000 facet rows took 3.7 s with both, 1.9 s
without. ``network_members.incident_id`` keeps its key to ``incidents`` (a deleted incident takes
its row with it).

Revision ID: 0013_network_rows_lighter
Revises: 0012_network_own_quarter
Create Date: 2026-12-02 02:00:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0013_network_rows_lighter'
down_revision: str | None = '0012_network_own_quarter'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('network_members') as batch:
        batch.drop_constraint('fk_network_members_network_id_networks', type_='foreignkey')
    with op.batch_alter_table('network_facets') as batch:
        batch.drop_index('ix_network_facets_network_id')
        batch.drop_constraint('fk_network_facets_network_id_networks', type_='foreignkey')


def downgrade() -> None:
    with op.batch_alter_table('network_facets') as batch:
        batch.create_foreign_key('fk_network_facets_network_id_networks', 'networks', ['network_id'], ['id'], ondelete='CASCADE')
        batch.create_index('ix_network_facets_network_id', ['network_id'])
    with op.batch_alter_table('network_members') as batch:
        batch.create_foreign_key('fk_network_members_network_id_networks', 'networks', ['network_id'], ['id'], ondelete='CASCADE')
