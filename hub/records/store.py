"""The records' only writer: bulk insert of a submission's prepared rows, and deletion by submission.

Rows go in with the fastest path each database has (PostgreSQL COPY, SQLite's executemany,
elsewhere Core ``insert()`` executemany); incident ids are allocated up front (or come back in
parameter order), so child rows are linked without a query per row. The submission's summaries
(:mod:`hub.records.summaries`) are written and dropped in the same transaction. Nothing here commits.
"""

from collections import defaultdict
from collections.abc import Collection
from typing import Any, Final, cast

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy import delete as sql_delete
from sqlalchemy.orm import Session

from hub.models import Incident, IncidentCode, Person, PersonKey, Referral, Selector, Submission
from hub.records import bulk, increments, keys, networks, summaries

Rows = dict[str, list[dict[str, Any]]]
"""Database rows per table (``incidents``, ``incident_codes``, ``persons``, ``selectors``,
``referrals``, ``person_keys`` — optional); children carry ``incident_pid``, the partner's key of their incident row."""

_BATCH: Final = 5000

INCIDENTS = cast(Table, Incident.__table__)
CODES = cast(Table, IncidentCode.__table__)
PERSONS = cast(Table, Person.__table__)
SELECTORS = cast(Table, Selector.__table__)
REFERRALS = cast(Table, Referral.__table__)
PERSON_KEYS = cast(Table, PersonKey.__table__)
RECORD_TABLES: Final = (INCIDENTS, CODES, PERSONS, SELECTORS, REFERRALS, PERSON_KEYS)


def _batches(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [rows[i : i + _BATCH] for i in range(0, len(rows), _BATCH)]


def _allocate_incident_ids(session: Session, count: int) -> list[int] | None:
    """Ids for ``count`` new incidents, or None where the database must hand them out on insert."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        query = text("SELECT nextval(pg_get_serial_sequence('incidents', 'id')) FROM generate_series(1, :n)")
        return [int(v) for v in session.execute(query, {"n": count}).scalars()]
    if dialect == "sqlite":  # BEGIN IMMEDIATE holds the only write lock: max(id) cannot move under us
        start = session.scalar(select(func.max(INCIDENTS.c.id))) or 0
        return list(range(start + 1, start + 1 + count))
    return None


def insert_rows(session: Session, rows: Rows, incident_pids: list[str]) -> None:
    """Insert prepared rows; ``incident_pids`` gives the partner key of each incident row, in order.

    PostgreSQL: ids from the sequence in one query, then COPY. SQLite: ids counted on from the
    current maximum under the write lock, then the driver's executemany. Elsewhere: Core
    executemany, incident ids by RETURNING in parameter order.
    """
    keys.assign(
        rows["incidents"], rows["persons"], rows["referrals"],
        dict(zip(incident_pids, (row["incident_key"] for row in rows["incidents"]), strict=True)),
    )
    ids = _allocate_incident_ids(session, len(rows["incidents"]))
    if ids is not None:
        for row, new_id in zip(rows["incidents"], ids, strict=True):
            row["id"] = new_id
    else:
        ids = []
        statement = insert(INCIDENTS).returning(INCIDENTS.c.id, sort_by_parameter_order=True)
        for batch in _batches(rows["incidents"]):
            ids.extend(session.execute(statement, batch).scalars().all())
    id_of = dict(zip(incident_pids, ids, strict=True))
    tables = (("incident_codes", CODES), ("persons", PERSONS), ("selectors", SELECTORS), ("referrals", REFERRALS),
              ("person_keys", PERSON_KEYS))
    rows.setdefault("person_keys", [])
    for name, _ in tables:
        for child in rows[name]:
            child["incident_id"] = id_of[child.pop("incident_pid")]
    dialect = session.get_bind().dialect.name
    for name, table in (("incidents", INCIDENTS), *tables):
        if dialect == "postgresql":
            bulk.copy(session, table, rows[name])
        elif dialect == "sqlite":
            bulk.executemany(session, table, rows[name])
        elif name != "incidents":
            for batch in _batches(rows[name]):
                session.execute(insert(table), batch)


def store(session: Session, submission_id: str, rows: Rows, incident_pids: list[str], *, agreement_id: str) -> dict[str, int]:
    """Insert a submission's rows, link its persons into the agreement's clusters (incrementally) and write its summaries; returns rows stored per table."""
    insert_rows(session, rows, incident_pids)
    finish(session, submission_id, agreement_id=agreement_id)
    return {name: len(batch) for name, batch in rows.items()}


def analyze(session: Session) -> None:
    """PostgreSQL: fresh planner statistics for the record tables after a bulk load, before the
    statements that read them (linking, summaries). Without them the first upload's summary
    ``GROUP BY``s were planned on never-analysed tables and took 53 of 77 s (``bench/ingest.py
    --repeat``; autovacuum may be off or not have run yet). ANALYZE samples a bounded number of
    rows per table and sees this transaction's own rows; it takes no lock that blocks writers."""
    if session.get_bind().dialect.name == "postgresql":
        # with the tables the network update joins: never analysed, its network_persons x
        # person_clusters join ran 44-55 s per upload from the third on (bench/ingest.py --repeat)
        session.execute(text(f"ANALYZE {', '.join(table.name for table in RECORD_TABLES)}, person_clusters, network_persons"))


def finish(session: Session, submission_id: str, *, agreement_id: str) -> None:
    """Link and summarise a submission whose rows are all inserted (by one ``insert_rows`` or several,
    one per group of whole incidents, so a large upload never holds all its database rows at once)."""
    superseded = list(session.scalars(select(Submission.id).where(Submission.superseded_by == submission_id)))
    analyze(session)
    increments.ingest(session, agreement_id, submission_id)
    networks.update(session, agreement_id, added=[submission_id],
                    gone=networks.removing(session, agreement_id, superseded))
    summaries.refresh(session, [submission_id])


def delete(session: Session, submission_ids: Collection[str]) -> dict[str, int]:
    """Delete every record and summary of these submissions (withdrawal, retention purge);
    returns rows deleted per table."""
    counts = {"incidents": 0, "incident_codes": 0, "persons": 0, "selectors": 0, "referrals": 0}
    if not submission_ids:
        return counts
    ids = list(submission_ids)
    by_agreement: dict[str, list[str]] = defaultdict(list)
    for sid, agreement_id in session.execute(select(Submission.id, Submission.agreement_id).where(Submission.id.in_(ids))):
        by_agreement[agreement_id].append(sid)
    gone = {a: networks.removing(session, a, subs) for a, subs in sorted(by_agreement.items())}  # before the records go
    summaries.forget(session, ids)
    increments.forget_and_recluster(session, ids)  # out of their clusters, the rest reclustered, before the persons go
    incident_ids = select(INCIDENTS.c.id).where(INCIDENTS.c.submission_id.in_(ids))
    counts["incident_codes"] = _rowcount(session.execute(sql_delete(CODES).where(CODES.c.incident_id.in_(incident_ids))))
    for table in (PERSONS, SELECTORS, REFERRALS):
        counts[table.name] = _rowcount(session.execute(sql_delete(table).where(table.c.submission_id.in_(ids))))
    counts["incidents"] = _rowcount(session.execute(sql_delete(INCIDENTS).where(INCIDENTS.c.submission_id.in_(ids))))
    for agreement_id, removed in gone.items():  # the networks they were in recomputed without them, in the same transaction
        networks.update(session, agreement_id, gone=removed)
    return counts


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
