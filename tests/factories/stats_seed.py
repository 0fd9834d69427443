"""Seed a migrated hub database with the demo agreement and synthetic pooled records, straight through the models.

Deterministic for a given seed. Pseudonyms are random hex strings in the hub's stored format
(nothing here was ever an identity). A few people appear in several incidents and at several
partners, so repeat-people figures have something to find.
"""

import random
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import h3
from sqlalchemy import select
from sqlalchemy.orm import Session

from anonymise.disclosure import publish
from anonymise.london import BY_GSS
from anonymise.perturb import KeyedCount, record_key
from hub.agreements import service as agreements
from hub.models import (
    Incident,
    IncidentCode,
    Organisation,
    Person,
    PersonKey,
    Referral,
    Selector,
    Submission,
)
from hub.records import clusters, networks, summaries

REPO: Final = Path(__file__).resolve().parents[2]
DEMO_AGREEMENT: Final = REPO / "policies" / "demo.yaml"
AGREEMENT_ID: Final = "demo-london"
NEWHAM, TOWER_HAMLETS, CAMDEN = "E09000025", "E09000030", "E09000007"
ORGS: Final[dict[str, tuple[str, str | None]]] = {
    "demo-ngo": ("NGO", None),
    "lb-newham": ("LocalGovernmentOrganisation", NEWHAM),
    "demo-hospital": ("HealthServiceOrganisation", None),
    "demo-police": ("LawEnforcement", None),
    "lb-tower-hamlets": ("LocalGovernmentOrganisation", TOWER_HAMLETS),
    "lb-camden": ("LocalGovernmentOrganisation", CAMDEN),
    "hub-operator": ("CentralGovernmentOrganisation", None),
}
DISPLAY_NAMES: Final = {
    "demo-ngo": "Demo NGO", "lb-newham": "London Borough of Newham", "demo-hospital": "Demo Hospital Trust",
    "demo-police": "Demo Police", "lb-tower-hamlets": "London Borough of Tower Hamlets",
    "lb-camden": "London Borough of Camden", "hub-operator": "Hub operator",
}
PROVIDERS: Final = ("demo-ngo", "lb-newham", "demo-hospital", "demo-police")
QUARTERS: Final = ("2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3")

EXPLOITATION = ["criminal", "labour", "sexual", "domestic_servitude", "unknown"]
PREMISES = ["hand_car_wash", "nail_bar", "private_household", "street", "brothel_residential", "hot_food_takeaway", "unknown"]
CONTROL = ["debt_bondage", "threats", "withholds_documents", "restricts_movement", "physical_abuse"]
NATIONALITY = ["GB", "AL", "VN", "RO", "ER", "SD", "NG", "IN", "PL", "unknown"]
BANDS = ["9-17", "18-20", "21-23", "24-26", "27-29", "30-38", "39-47", "48+", "unknown"]


def pseudonym(rng: random.Random) -> str:
    return f"v1.{rng.getrandbits(256):064x}"


@dataclass
class Seeded:
    incidents: int
    persons: int
    submissions: list[str]


def add_orgs(session: Session) -> None:
    for org_id, (kind, gss) in ORGS.items():
        if session.get(Organisation, org_id) is None:
            session.add(Organisation(id=org_id, name=DISPLAY_NAMES[org_id], kind=kind, gss_code=gss, status="active", created_at=datetime.now(UTC)))
    session.flush()


def demo_agreement_text() -> str:
    """``policies/demo.yaml`` without the analyst's every-borough grants: the analyst sees pooled
    London (and networks), so a test's first London question audits London alone. The demo's own
    agreement is in tests that need it (``tests/hub/pages/test_routes_browser.py``)."""
    source = DEMO_AGREEMENT.read_text(encoding="utf-8")
    opened = re.findall(r"^ *- \{role: analyst, level: borough_detail[^\n]*\n", source, flags=re.MULTILINE)
    assert opened, "the demo agreement opens every borough to the analyst"
    for line in opened:
        source = source.replace(line, "")
    return source


OFFICER_DETAIL: Final = "{kind: LocalGovernmentOrganisation, level: borough_detail}"


def officers_see_boroughs(text: str, boroughs: tuple[str, ...]) -> str:
    """``text`` with every borough officer also seeing the detail of ``boroughs``."""
    assert OFFICER_DETAIL in text, "the agreement gives borough officers their own borough's detail"
    return text.replace(OFFICER_DETAIL, f"{OFFICER_DETAIL[:-1]}, boroughs: [{', '.join(boroughs)}]}}")


def load_agreement(session: Session, text: str | None = None) -> None:
    agreements.load_version(session, text or demo_agreement_text(), actor="test")


def seed(
    session: Session,
    *,
    seed_: int = 7,
    per_quarter: int = 40,
    boroughs: tuple[str, ...] = (NEWHAM, TOWER_HAMLETS, CAMDEN),
    quarters: tuple[str, ...] = QUARTERS,
    providers: tuple[str, ...] = PROVIDERS,
    with_agreement: bool = True,
) -> Seeded:
    """Organisations, the demo agreement, and ``per_quarter`` incidents per provider and quarter."""
    rng = random.Random(seed_)
    add_orgs(session)
    if with_agreement:
        load_agreement(session)
    repeaters = [[pseudonym(rng) for _ in range(4)] for _ in range(12)]
    shared = random.Random(seed_ + 1000)  # its own stream: the records' draws stay as they were
    phones = [("phone", f"h1.{shared.getrandbits(256):064x}") for _ in range(8)] + [("vehicle", f"h1.{shared.getrandbits(256):064x}") for _ in range(4)]
    n_inc = n_per = 0
    subs: list[str] = []
    for provider in providers:
        for quarter in quarters:
            sub_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            subs.append(sub_id)
            session.add(
                Submission(
                    id=sub_id, org_id=provider, agreement_id=AGREEMENT_ID, agreement_version=1, quarter=quarter,
                    status="active", bundle_sha256=f"{rng.getrandbits(256):064x}", signing_kid="test-kid",
                    manifest={}, receipt={}, record_counts={}, received_at=datetime.now(UTC),
                )
            )
            session.flush()
            year, q = int(quarter[:4]), int(quarter[-1])
            for _ in range(per_quarter):
                gss = rng.choice(boroughs)
                b = BY_GSS[gss]
                cell = h3.latlng_to_cell(b.lat + rng.gauss(0, 0.006), b.lon + rng.gauss(0, 0.01), 8)
                incident = Incident(
                    submission_id=sub_id, org_id=provider, agreement_id=AGREEMENT_ID, quarter=quarter,
                    incident_key=pseudonym(rng), first_known_month=f"{year}-{3 * q - 2:02d}",
                    source_channel=rng.choice(["outreach", "helpline", "police_operation", "unknown"]),
                    county_lines=rng.choice(["yes", "no", "no", "unknown"]),
                    premises_type=rng.choice(PREMISES), exploitation_scope="uk_only", la_gss_code=gss,
                    police_force_area="E23000001", h3_cell=cell if rng.random() > 0.1 else None,
                    h3_resolution=8,
                )
                incident.record_key = record_key(incident.incident_key, provider, "incident")
                session.add(incident)
                session.flush()
                n_inc += 1
                if shared.random() < 0.12:  # a few phones and vehicles recur across incidents and partners: networks
                    kind, key = shared.choice(phones)
                    session.add(Selector(incident_id=incident.id, submission_id=sub_id, org_id=provider, kind=kind, selector_key=key))
                for code in sorted(set(rng.sample(EXPLOITATION, rng.choice([1, 1, 2])))):
                    session.add(IncidentCode(incident_id=incident.id, field="exploitation_types", code=code))
                for code in sorted(set(rng.sample(CONTROL, rng.choice([0, 1, 2])))):
                    session.add(IncidentCode(incident_id=incident.id, field="methods_of_control", code=code))
                for seq in range(1, rng.choice([2, 2, 3, 4]) + 1):
                    role = "potential_victim" if seq <= 2 else rng.choice(["suspect", "potential_victim"])
                    keys = rng.choice(repeaters) if rng.random() < 0.08 else [pseudonym(rng) for _ in range(4)]
                    band = rng.choice(BANDS)
                    session.add(
                        Person(
                            incident_id=incident.id, submission_id=sub_id, org_id=provider, person_seq=seq,
                            mk_name_dob=keys[0], mk_initial_surname_dob=keys[1], mk_sorted_tokens_yob=keys[2],
                            mk_surname_dob_sex=keys[3], role=role, gender=rng.choice(["female", "male", "male", "unknown"]),
                            age_band=band, age_group="child" if band == "9-17" else ("unknown" if band == "unknown" else "adult"),
                            nationality=rng.choice(NATIONALITY), relationship="unknown",
                            record_key=record_key(incident.incident_key, provider, "person", str(seq)),
                        )
                    )
                    n_per += 1
                    for kind, value in _linkage_keys(keys):  # as ingest stores them
                        session.add(PersonKey(incident_id=incident.id, submission_id=sub_id, person_seq=seq, kind=kind, key=value))
                    if role == "potential_victim":
                        session.add(
                            Referral(
                                incident_id=incident.id, submission_id=sub_id, org_id=provider, person_seq=seq,
                                referral_type=rng.choice(["nrm", "nrm", "duty_to_notify", "none", "unknown"]),
                                first_responder_type="police", reasonable_grounds=rng.choice(["positive", "negative", "pending"]),
                                conclusive_grounds=rng.choice(["positive", "pending", "unknown"]), decision_month=None,
                                police_outcome=rng.choice(["crime_recorded", "arrest", "no_further_action", "unknown"]),
                                victim_engaged_with_police="unknown", support_provided="",
                                record_key=rng.randrange(256),
                            )
                        )
    session.flush()
    clusters.relink(session, AGREEMENT_ID)  # as ingest does, before the summaries
    networks.rebuild(session, AGREEMENT_ID)
    summaries.refresh(session, subs)
    return Seeded(incidents=n_inc, persons=n_per, submissions=subs)


_KINDS = ("name_dob", "initial_surname_dob", "sorted_tokens_yob", "surname_dob_sex")


def _linkage_keys(keys: list[str]) -> list[tuple[str, int]]:
    """The four match keys and two error-tolerant keys derived from them (one person: one set)."""
    out = [(kind, clusters.key_int(value)) for kind, value in zip(_KINDS, keys, strict=True)]
    out += [(kind, clusters.key_int(value) ^ salt) for kind, value, salt in (("canon_sorted_dob", keys[0], 1), ("metaphone_dob", keys[0], 2))]
    return out


def add_incidents(
    session: Session, *, provider: str, quarter: str, gss: str, n: int, premises: str = "nail_bar", seed_: int = 1
) -> None:
    """``n`` plain incidents (one potential victim each) for one provider, quarter and borough,
    in the provider's active submission for that quarter: for tests that need exact counts."""
    rng = random.Random(f"{provider}{quarter}{gss}{seed_}")
    existing = session.scalar(
        select(Submission.id).where(Submission.org_id == provider, Submission.quarter == quarter, Submission.status == "active")
    )
    sub_id = existing or str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if existing is None:
        session.add(
            Submission(
                id=sub_id, org_id=provider, agreement_id=AGREEMENT_ID, agreement_version=1, quarter=quarter, status="active",
                bundle_sha256=f"{rng.getrandbits(256):064x}", signing_kid="test-kid", manifest={}, receipt={},
                record_counts={}, received_at=datetime.now(UTC),
            )
        )
        session.flush()
    for _ in range(n):
        incident = Incident(
            submission_id=sub_id, org_id=provider, agreement_id=AGREEMENT_ID, quarter=quarter, incident_key=pseudonym(rng),
            first_known_month=f"{quarter[:4]}-{3 * int(quarter[-1]) - 2:02d}", source_channel="outreach", county_lines="no",
            premises_type=premises, exploitation_scope="uk_only", la_gss_code=gss, police_force_area="E23000001",
            h3_cell=None, h3_resolution=None,
        )
        incident.record_key = record_key(incident.incident_key, provider, "incident")
        session.add(incident)
        session.flush()
        session.add(IncidentCode(incident_id=incident.id, field="exploitation_types", code="labour"))
        session.add(
            Person(
                incident_id=incident.id, submission_id=sub_id, org_id=provider, person_seq=1, role="potential_victim",
                gender="female", age_band="30-38", age_group="adult", nationality="RO", relationship="unknown",
                record_key=record_key(incident.incident_key, provider, "person", "1"),
            )
        )
    session.flush()
    summaries.refresh(session, [sub_id])


def published_incidents(session: Session, providers: tuple[str, ...] | list[str], area: str, quarter: str) -> int:
    """What the hub must publish for the incidents of ``providers`` in ``area`` (a GSS code or
    "london") and ``quarter``, computed from the records: their count perturbed by the sum of
    their record keys under the demo agreement's rules (every count in these tests is >= 5)."""
    from sqlalchemy import func

    from anonymise.agreement import DisclosureRules

    stmt = select(func.count(Incident.id), func.coalesce(func.sum(Incident.record_key), 0)).join(
        Submission, Submission.id == Incident.submission_id
    ).where(Submission.status == "active", Incident.org_id.in_(list(providers)), Incident.quarter == quarter)
    if area != "london":
        stmt = stmt.where(Incident.la_gss_code == area)
    n, key_sum = session.execute(stmt).one()
    return publish(KeyedCount(int(n), int(key_sum)), DisclosureRules()) if n else 0
