"""A checked bundle's records as database rows, every pseudonym re-keyed, with provenance;
stored through :mod:`hub.records.store`. Nothing here commits."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session

from anonymise import MATCH_KEY_FIELDS
from hub.records import clusters
from hub.records import store as records
from hub.records.store import Rows
from hub.records.summaries import CODE_FIELDS
from hub.submissions import memory
from hub.submissions.rekey import INCIDENT, Rekeyer, person_purpose, selector_purpose
from hub.submissions.validate import ValidTables


@dataclass(frozen=True)
class Provenance:
    submission_id: str
    org_id: str
    agreement_id: str
    quarter: str


def prepare_rows(tables: ValidTables, origin: Provenance, rekey: Rekeyer) -> Rows:
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
            "recruitment_country": recruited,
            "transit_countries": ">".join(transit),
            "exploitation_country": exploited,
            "recruitment_area": recruited_in,
            "exploitation_area": exploited_in,
        }
        for (pid, month, channel, county_lines, premises, scope, gss, pfa, cell, resolution, narrative,
             recruited, transit, exploited, recruited_in, exploited_in) in zip(
            i["incident_pid"], i["first_known_month"], i["source_channel"], i["county_lines"], i["premises_type"],
            i["exploitation_scope"], i["la_gss_code"], i["police_force_area"], i["h3_cell"], i["h3_resolution"],
            i["narrative"], i["recruitment_country"], i["transit_countries"], i["exploitation_country"],
            i["recruitment_area"], i["exploitation_area"], strict=True,
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


CHUNK_INCIDENTS: Final = 10_000
"""Incidents whose database rows are prepared and inserted together (with all their children)."""


def chunks(tables: ValidTables, size: int = CHUNK_INCIDENTS) -> Iterator[ValidTables]:
    """The bundle's tables in groups of ``size`` whole incidents, each with its own child rows in file order."""
    pids = tables.columns["incidents"]["incident_pid"]
    if len(pids) <= size:
        yield tables
        return
    count = (len(pids) + size - 1) // size
    chunk_of = {pid: i // size for i, pid in enumerate(pids)}
    members: dict[str, list[list[int]]] = {}
    for table, columns in tables.columns.items():
        groups: list[list[int]] = [[] for _ in range(count)]
        for i, pid in enumerate(columns["incident_pid"]):
            groups[chunk_of[pid]].append(i)
        members[table] = groups
    for c in range(count):
        part = {table: {name: [values[i] for i in members[table][c]] for name, values in cols.items()}
                for table, cols in tables.columns.items()}
        yield ValidTables(columns=part, rows={table: len(members[table][c]) for table in tables.columns})


def store(session: Session, tables: ValidTables, origin: Provenance, rekey: Rekeyer) -> dict[str, int]:
    """Re-key every record of a checked bundle and store it, ``CHUNK_INCIDENTS`` incidents at a time
    (a 100,000-incident upload holds a tenth of its database rows at once); returns rows stored per table.

    ``tables`` is consumed: its columns are emptied once every row is inserted, so linking,
    networks and summaries run without the bundle's decoded values in memory."""
    stored = _insert(session, tables, origin, rekey)  # its chunks go with its frame
    tables.columns.clear()
    memory.give_back()
    records.finish(session, origin.submission_id, agreement_id=origin.agreement_id)
    return stored


def _insert(session: Session, tables: ValidTables, origin: Provenance, rekey: Rekeyer) -> dict[str, int]:
    stored: dict[str, int] = {}
    for part in chunks(tables):
        rows = prepare_rows(part, origin, rekey)
        records.insert_rows(session, rows, part.columns["incidents"]["incident_pid"])
        for name, batch in rows.items():
            stored[name] = stored.get(name, 0) + len(batch)
        del rows
    return stored
