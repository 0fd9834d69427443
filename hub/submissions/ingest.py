"""Bulk storage of a checked bundle's records, re-keyed, with provenance; and their deletion.

Rows go in with SQLAlchemy Core ``insert()`` executemany (batched multi-row VALUES on both
SQLite and PostgreSQL); incident ids come back in parameter order from the same statement, so
child rows are linked without a query per row. Nothing here commits.
"""

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final, cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from anonymise.schema import MATCH_KEY_FIELDS
from hub.models import Incident, IncidentCode, Person, Referral, Selector
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
    sid, org = origin.submission_id, origin.org_id
    incidents = [
        {
            "submission_id": sid,
            "org_id": org,
            "agreement_id": origin.agreement_id,
            "quarter": origin.quarter,
            "incident_key": rekey(INCIDENT, r.incident_pid),
            "first_known_month": r.first_known_month,
            "source_channel": r.source_channel.value,
            "county_lines": r.county_lines.value,
            "premises_type": r.premises_type.value,
            "exploitation_scope": r.exploitation_scope.value,
            "la_gss_code": r.la_gss_code,
            "police_force_area": r.police_force_area,
            "h3_cell": r.h3_cell,
            "h3_resolution": r.h3_resolution,
            "narrative": r.narrative,
        }
        for r in tables.incidents
    ]
    codes = [
        {"incident_pid": r.incident_pid, "field": name, "code": code.value}
        for r in tables.incidents
        for name in CODE_FIELDS
        for code in getattr(r, name)
    ]
    mk = {name: person_purpose(name) for name in MATCH_KEY_FIELDS.values()}
    persons = [
        {
            "incident_pid": r.incident_pid,
            "submission_id": sid,
            "org_id": org,
            "person_seq": r.person_seq,
            "mk_name_dob": rekey.optional(mk["mk_name_dob"], r.mk_name_dob),
            "mk_initial_surname_dob": rekey.optional(mk["mk_initial_surname_dob"], r.mk_initial_surname_dob),
            "mk_sorted_tokens_yob": rekey.optional(mk["mk_sorted_tokens_yob"], r.mk_sorted_tokens_yob),
            "mk_surname_dob_sex": rekey.optional(mk["mk_surname_dob_sex"], r.mk_surname_dob_sex),
            "role": r.role.value,
            "gender": r.gender.value,
            "age_band": r.age_band.value,
            "age_group": r.age_group.value,
            "nationality": r.nationality,
            "relationship": r.relationship.value,
        }
        for r in tables.persons
    ]
    selectors = [
        {
            "incident_pid": r.incident_pid,
            "submission_id": sid,
            "org_id": org,
            "kind": r.kind.value,
            "selector_key": rekey(selector_purpose(r.kind.value), r.selector_pid),
        }
        for r in tables.selectors
    ]
    referrals = [
        {
            "incident_pid": r.incident_pid,
            "submission_id": sid,
            "org_id": org,
            "person_seq": r.person_seq,
            "referral_type": r.referral_type.value,
            "first_responder_type": r.first_responder_type.value,
            "reasonable_grounds": r.reasonable_grounds.value,
            "conclusive_grounds": r.conclusive_grounds.value,
            "decision_month": r.decision_month,
            "police_outcome": r.police_outcome.value,
            "victim_engaged_with_police": r.victim_engaged_with_police.value,
            "support_provided": "|".join(s.value for s in r.support_provided),
        }
        for r in tables.referrals
    ]
    return {"incidents": incidents, "incident_codes": codes, "persons": persons, "selectors": selectors, "referrals": referrals}


def insert_rows(session: Session, rows: dict[str, list[dict[str, Any]]], incident_pids: list[str]) -> None:
    """Insert prepared rows; ``incident_pids`` gives the partner key of each incident row, in order."""
    ids: list[int] = []
    statement = insert(INCIDENTS).returning(INCIDENTS.c.id, sort_by_parameter_order=True)
    for batch in _batches(rows["incidents"]):
        ids.extend(session.execute(statement, batch).scalars().all())
    id_of = dict(zip(incident_pids, ids, strict=True))
    for name, table in (("incident_codes", CODES), ("persons", PERSONS), ("selectors", SELECTORS), ("referrals", REFERRALS)):
        children = rows[name]
        for child in children:
            child["incident_id"] = id_of[child.pop("incident_pid")]
        for batch in _batches(children):
            session.execute(insert(table), batch)


def store(session: Session, tables: ValidTables, origin: Provenance, rekey: Rekeyer) -> dict[str, int]:
    """Re-key and insert every record of a checked bundle; returns rows stored per table."""
    rows = prepare_rows(tables, origin, rekey)
    insert_rows(session, rows, [r.incident_pid for r in tables.incidents])
    return {name: len(batch) for name, batch in rows.items()}


def delete_records(session: Session, submission_ids: Collection[str]) -> int:
    """Delete every record of these submissions; returns the number of incidents removed."""
    if not submission_ids:
        return 0
    ids = list(submission_ids)
    incident_ids = select(INCIDENTS.c.id).where(INCIDENTS.c.submission_id.in_(ids))
    session.execute(delete(CODES).where(CODES.c.incident_id.in_(incident_ids)))
    for table in (PERSONS, SELECTORS, REFERRALS):
        session.execute(delete(table).where(table.c.submission_id.in_(ids)))
    result = session.execute(delete(INCIDENTS).where(INCIDENTS.c.submission_id.in_(ids)))
    return int(getattr(result, "rowcount", 0) or 0)
