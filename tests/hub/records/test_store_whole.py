"""A bulk load that fails part-way stores nothing: PostgreSQL's COPY and SQLite's executemany run in the upload's one transaction."""

from typing import Any

import pytest
from sqlalchemy import Table
from sqlalchemy.orm import Session

from hub.models import (
    AuditEntry,
    Incident,
    IncidentCode,
    LinkedPerson,
    Person,
    PersonCluster,
    PersonKey,
    Referral,
    Selector,
    StatCount,
    Submission,
)
from hub.records import bulk
from hub.submissions import ingest
from tests.factories import FakePartner, make_tables
from tests.hubs import HubUnderTest

STORED = (Submission, Incident, IncidentCode, Person, Selector, Referral, PersonKey, StatCount, LinkedPerson, PersonCluster)


def test_an_upload_whose_bulk_load_fails_in_a_later_chunk_stores_nothing(
    hub: HubUnderTest, partner: FakePartner, monkeypatch: pytest.MonkeyPatch
) -> None:
    chunks = ingest.chunks
    monkeypatch.setattr(ingest, "chunks", lambda tables: chunks(tables, size=2))  # 5 incidents: 3 chunks
    written: list[str] = []

    def failing(load: Any) -> Any:
        def run(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
            written.append(table.name)
            if table.name == "person_keys" and written.count("person_keys") == 2:
                # the database itself refuses the last row, after the rest of this load went in
                rows = [*rows, rows[0] | {"key": 2**70}]  # past BIGINT
            load(session, table, rows)
        return run

    monkeypatch.setattr(bulk, "copy", failing(bulk.copy))
    monkeypatch.setattr(bulk, "executemany", failing(bulk.executemany))
    bundle = partner.bundle(make_tables(5, seed=4))
    with pytest.raises(Exception) as refused:
        hub.upload(partner, bundle)
    assert "out of range" in str(refused.value) or isinstance(refused.value, OverflowError)
    assert written.count("incidents") == 2  # the first chunk was wholly loaded and the second begun
    assert written.count("person_keys") == 2

    assert not any(hub.counts(*STORED).values()), hub.counts(*STORED)
    assert "submission.accepted" not in hub.audit_actions()
    with hub.session() as session:
        assert session.query(AuditEntry).filter(AuditEntry.target.like("submission:%")).count() == 0

    monkeypatch.undo()
    again = hub.upload(partner, bundle)  # nothing half-stored holds its submission id or quarter
    assert again.status_code == 201, again.text
    counts = hub.counts(Incident, PersonKey)
    assert counts["incidents"] == 5
    assert counts["person_keys"] > 0
