"""record keys for cell-key perturbation, and their sums in the summaries

Each incident, person and referral gets ``record_key`` (anonymise.perturb; derived as
hub.records.keys does at ingest), ``stat_counts`` and ``linked_persons`` the key sums. Existing
summaries are dropped: ``msht-hub migrate`` then recomputes them with their key sums.

Revision ID: 0003_record_keys
Revises: 0002
Create Date: 2026-12-01 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from anonymise.perturb import record_key

revision: str = '0003_record_keys'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFERRAL_FIELDS = (
    "person_seq", "referral_type", "first_responder_type", "reasonable_grounds", "conclusive_grounds",
    "decision_month", "police_outcome",
)


def _fill(bind: sa.engine.Connection) -> None:
    """Keys for records stored before this revision, exactly as hub.records.keys derives them."""
    keys = {i: (k, o) for i, k, o in bind.execute(sa.text("SELECT id, incident_key, org_id FROM incidents"))}
    for i, (k, o) in keys.items():
        bind.execute(sa.text("UPDATE incidents SET record_key = :r WHERE id = :i"), {"r": record_key(k, o, "incident"), "i": i})
    for pid, iid, seq in bind.execute(sa.text("SELECT id, incident_id, person_seq FROM persons")).all():
        k, o = keys[iid]
        bind.execute(sa.text("UPDATE persons SET record_key = :r WHERE id = :i"),
                     {"r": record_key(k, o, "person", str(seq)), "i": pid})
    seen: dict[tuple[str, ...], int] = {}
    rows = bind.execute(sa.text(f"SELECT id, incident_id, {', '.join(REFERRAL_FIELDS)} FROM referrals ORDER BY id")).all()  # noqa: S608 - fixed column names
    for rid, iid, *values in rows:
        k, o = keys[iid]
        content = (k, o, "referral", *(str(v) for v in values))
        occurrence = seen.get(content, 0)
        seen[content] = occurrence + 1
        bind.execute(sa.text("UPDATE referrals SET record_key = :r WHERE id = :i"),
                     {"r": record_key(*content, str(occurrence)), "i": rid})


def upgrade() -> None:
    for table in ("incidents", "persons", "referrals", "linked_persons"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('record_key', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('stat_counts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('key_sum', sa.BigInteger(), nullable=False, server_default='0'))
    _fill(op.get_bind())
    op.execute("DELETE FROM stat_counts")
    op.execute("DELETE FROM linked_persons")


def downgrade() -> None:
    with op.batch_alter_table('stat_counts', schema=None) as batch_op:
        batch_op.drop_column('key_sum')
    for table in ("linked_persons", "referrals", "persons", "incidents"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('record_key')
