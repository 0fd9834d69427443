"""Bulk storage of a checked bundle's records, re-keyed, with provenance; and their deletion.

Rows go in with SQLAlchemy Core ``insert()`` executemany (batched multi-row VALUES on both
SQLite and PostgreSQL); incident ids come back in parameter order from the same statement, so
child rows are linked without a query per row. Nothing here commits.
"""

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final, cast

from sqlalchemy import Table, delete, func, insert, select, text
from sqlalchemy.orm import Session

from anonymise.schema import MATCH_KEY_FIELDS
from hub.models import Incident, IncidentCode, Person, PersonKey, Referral, Selector
from hub.records import clusters, summaries
from hub.submissions.rekey import INCIDENT, Rekeyer, person_purpose, selector_purpose
from hub.submissions.validate import ValidTables

CODE_FIELDS: Final = ("exploitation_types", "labour_sectors", "methods_of_control", "recruitment_methods")
"""Multi-valued incident fields, stored one row per code in ``incident_codes``."""

_BATCH: Final = 5000

INCIDENTS = cast(Table, Incident.__table__)
CODES = cast(Table, IncidentCode.__table__)
PERSONS = cast(Table, Person.__table__)
SELECTORS = cast(Table, Selector.__table__)
REFERRALS = cast(Table, Referral.__table__)
PERSON_KEYS = cast(Table, PersonKey.__table__)


@dataclass(frozen=True)
class Provenance:
    submission_id: str
    org_id: str
    agreement_id: str
    quarter: str


def _batches(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    return [rows[i : i + _BATCH] for i in range(0, len(rows), _BATCH)]


def prepare_rows(tables: ValidTables, origin: Provenance, rekey: Rekeyer) -> dict[str, list[dict[str, Any]]]:
    """The database rows of a bundle, every pseudonym re-keyed; children still keyed by incident."""
    sid, org, agreement, quarter = origin.submission_id, origin.org_id, origin.agreement_id, origin.quarter
    i = tables.columns["incidents"]
    incidents = [
        {
            "submission_id": sid,
            "org_id": org,
            "agreement_id": agreement,
            "quarter": quarter,
            "incident_key": rekey(INCIDENT, pid),
            "first_known_month": month,
            "source_channel": channel,
            "county_lines": county_lines,
            "premises_type": premises,
            "exploitation_scope": scope,
            "la_gss_code": gss,
            "police_force_area": pfa,
            "h3_cell": cell,
            "h3_resolution": resolution,
            "narrative": narrative,
        }
        for pid, month, channel, county_lines, premises, scope, gss, pfa, cell, resolution, narrative in zip(
            i["incident_pid"], i["first_known_month"], i["source_channel"], i["county_lines"], i["premises_type"],
            i["exploitation_scope"], i["la_gss_code"], i["police_force_area"], i["h3_cell"], i["h3_resolution"],
            i["narrative"], strict=True,
        )
    ]
    codes = [
        {"incident_pid": pid, "field": name, "code": code}
        for name in CODE_FIELDS
        for pid, values in zip(i["incident_pid"], i[name], strict=True)
        for code in dict.fromkeys(values)  # each code once per incident: the summaries count rows
    ]
    p = tables.columns["persons"]
    keys = {
        name: [rekey.optional(person_purpose(name), v) for v in p[name]] for name in MATCH_KEY_FIELDS.values()
    }
    persons = [
        {
            "incident_pid": pid,
            "submission_id": sid,
            "org_id": org,
            "person_seq": seq,
            "mk_name_dob": k1,
            "mk_initial_surname_dob": k2,
            "mk_sorted_tokens_yob": k3,
            "mk_surname_dob_sex": k4,
            "role": role,
            "gender": gender,
            "age_band": band,
            "age_group": group,
            "nationality": nationality,
            "relationship": relationship,
        }
        for pid, seq, k1, k2, k3, k4, role, gender, band, group, nationality, relationship in zip(
            p["incident_pid"], p["person_seq"], keys["mk_name_dob"], keys["mk_initial_surname_dob"],
            keys["mk_sorted_tokens_yob"], keys["mk_surname_dob_sex"], p["role"], p["gender"], p["age_band"],
            p["age_group"], p["nationality"], p["relationship"], strict=True,
        )
    ]
    person_keys = [
        {"incident_pid": pid, "submission_id": sid, "person_seq": seq, "kind": name.removeprefix("mk_"), "key": clusters.key_int(value)}
        for name, values in keys.items()
        for pid, seq, value in zip(p["incident_pid"], p["person_seq"], values, strict=True)
        if value is not None
    ]
    k = tables.columns["person_keys"]
    person_keys += [
        {"incident_pid": pid, "submission_id": sid, "person_seq": seq, "kind": kind,
         "key": clusters.key_int(rekey(clusters.key_purpose(kind), value))}
        for pid, seq, kind, value in zip(k["incident_pid"], k["person_seq"], k["kind"], k["key_pid"], strict=True)
    ]
    s = tables.columns["selectors"]
    selectors = [
        {
            "incident_pid": pid,
            "submission_id": sid,
            "org_id": org,
            "kind": kind,
            "selector_key": rekey(selector_purpose(kind), selector),
        }
        for pid, kind, selector in zip(s["incident_pid"], s["kind"], s["selector_pid"], strict=True)
    ]
    r = tables.columns["referrals"]
    referrals = [
        {
            "incident_pid": pid,
            "submission_id": sid,
            "org_id": org,
            "person_seq": seq,
            "referral_type": kind,
            "first_responder_type": responder,
            "reasonable_grounds": rg,
            "conclusive_grounds": cg,
            "decision_month": month,
            "police_outcome": outcome,
            "victim_engaged_with_police": engaged,
            "support_provided": "|".join(support),
        }
        for pid, seq, kind, responder, rg, cg, month, outcome, engaged, support in zip(
            r["incident_pid"], r["person_seq"], r["referral_type"], r["first_responder_type"],
            r["reasonable_grounds"], r["conclusive_grounds"], r["decision_month"], r["police_outcome"],
            r["victim_engaged_with_police"], r["support_provided"], strict=True,
        )
    ]
    return {"incidents": incidents, "incident_codes": codes, "persons": persons, "selectors": selectors, "referrals": referrals,
            "person_keys": person_keys}


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


def _copy(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """PostgreSQL COPY FROM STDIN, in the session's transaction."""
    from psycopg import sql

    if not rows:
        return
    columns = list(rows[0])
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    )
    driver = session.connection().connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row([row[c] for c in columns])


def _executemany(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """The driver's own executemany with positional rows, in the session's transaction (SQLite)."""
    if not rows:
        return
    columns = list(rows[0])
    names = [table.c[column].name for column in columns]  # KeyError for a column the table lacks
    statement = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608 - table and column names come from the models
    driver = session.connection().connection.driver_connection
    driver.executemany(statement, [tuple(row[c] for c in columns) for row in rows])  # type: ignore[union-attr]


def insert_rows(session: Session, rows: dict[str, list[dict[str, Any]]], incident_pids: list[str]) -> None:
    """Insert prepared rows; ``incident_pids`` gives the partner key of each incident row, in order.

    PostgreSQL: ids from the sequence in one query, then COPY. SQLite: ids counted on from the
    current maximum under the write lock, then the driver's executemany. Elsewhere: Core
    executemany, incident ids by RETURNING in parameter order.
    """
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
    for name, _ in tables:
        for child in rows[name]:
            child["incident_id"] = id_of[child.pop("incident_pid")]
    dialect = session.get_bind().dialect.name
    for name, table in (("incidents", INCIDENTS), *tables):
        if dialect == "postgresql":
            _copy(session, table, rows[name])
        elif dialect == "sqlite":
            _executemany(session, table, rows[name])
        elif name != "incidents":
            for batch in _batches(rows[name]):
                session.execute(insert(table), batch)


def store(session: Session, tables: ValidTables, origin: Provenance, rekey: Rekeyer) -> dict[str, int]:
    """Re-key and insert every record of a checked bundle; returns rows stored per table."""
    rows = prepare_rows(tables, origin, rekey)
    insert_rows(session, rows, tables.columns["incidents"]["incident_pid"])
    clusters.relink(session, origin.agreement_id)
    summaries.refresh(session, [origin.submission_id])
    return {name: len(batch) for name, batch in rows.items()}


def delete_records(session: Session, submission_ids: Collection[str]) -> int:
    """Delete every record of these submissions; returns the number of incidents removed."""
    if not submission_ids:
        return 0
    ids = list(submission_ids)
    summaries.forget(session, ids)
    agreements = clusters.forget(session, ids)
    incident_ids = select(INCIDENTS.c.id).where(INCIDENTS.c.submission_id.in_(ids))
    session.execute(delete(CODES).where(CODES.c.incident_id.in_(incident_ids)))
    for table in (PERSONS, SELECTORS, REFERRALS):
        session.execute(delete(table).where(table.c.submission_id.in_(ids)))
    result = session.execute(delete(INCIDENTS).where(INCIDENTS.c.submission_id.in_(ids)))
    for agreement_id in agreements:
        clusters.relink(session, agreement_id)
    return int(getattr(result, "rowcount", 0) or 0)
