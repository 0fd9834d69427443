"""Give seeded incidents realistic routes (country of recruitment, transit, exploitation, UK areas) and re-summarise; or add victims with exact routes."""

import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from anonymise.london import BOROUGHS
from anonymise.perturb import record_key
from hub.models import Incident, IncidentCode, Person, Submission
from hub.records import summaries
from partner_client.demo_data.routes import (
    CORRIDOR_SHARE,
    COUNTY_LINES_FROM,
    LONDON_CORRIDORS,
    TRANSIT,
)
from tests.factories.stats_seed import AGREEMENT_ID, DEMO_AGREEMENT, pseudonym

ROUTES: Final = (
    ("AL", "IT>FR", "GB", None, None, 20),
    ("AL", "", "GB", None, None, 10),
    ("VN", "RU>PL>DE>FR", "GB", None, None, 12),
    ("RO", "", "GB", None, None, 10),
    ("ER", "SD>LY>IT>FR", "GB", None, None, 8),
    ("SD", "LY>IT>FR", "GB", None, None, 8),
    ("NG", "", "GB", None, None, 5),
    ("NG", "NE>LY>IT>FR", "GB", None, None, 2),
    ("GB", "", "GB", "E09000025", None, 12),  # recruited in Newham
    ("GB", "", "GB", "E09000025", "E10000016", 8),  # county line Newham -> Kent
    ("GB", "", "GB", "E09000030", None, 6),  # recruited in Tower Hamlets
    ("GB", "", "GB", "E09000007", "E10000012", 3),  # county line Camden -> Essex
    ("PH", "", "GB", None, None, 1),
    ("ET", "SD>LY>IT>FR", "GB", None, None, 1),
    ("unknown", "", "unknown", None, None, 6),
)
"""(recruitment country, transit, exploitation country, recruitment area, exploitation area, weight)."""


def add_routes(session: Session, seed_: int = 3) -> int:
    """Every incident a route drawn from ``ROUTES``; summaries rebuilt. Returns incidents given a route."""
    rng = random.Random(seed_)
    incidents = session.scalars(select(Incident).order_by(Incident.id)).all()
    for incident in incidents:
        country, transit, exploited, area, exploited_in, _ = rng.choices(ROUTES, weights=[r[5] for r in ROUTES])[0]
        incident.recruitment_country, incident.transit_countries, incident.exploitation_country = country, transit, exploited
        incident.recruitment_area, incident.exploitation_area = area, exploited_in
    session.flush()
    summaries.rebuild(session)
    return len(incidents)


def add_victims(
    session: Session, groups: Sequence[tuple[str, str, int]], *, provider: str = "demo-ngo", quarter: str = "2026-Q1",
    gss: str = "E09000025", seed_: int = 1,
) -> None:
    """One incident and potential victim per person of ``groups`` ((nationality, country of
    exploitation, people)), recruited in their own country, all alike otherwise (female, 30-38,
    labour) so no other breakdown has a small cell: for tests that need exact route counts."""
    rng = random.Random(f"{provider}{quarter}{gss}{seed_}")
    sub_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    session.add(
        Submission(
            id=sub_id, org_id=provider, agreement_id=AGREEMENT_ID, agreement_version=1, quarter=quarter, status="active",
            bundle_sha256=f"{rng.getrandbits(256):064x}", signing_kid="test-kid", manifest={}, receipt={},
            record_counts={}, received_at=datetime.now(UTC),
        )
    )
    session.flush()
    for nationality, exploited, n in groups:
        for _ in range(n):
            incident = Incident(
                submission_id=sub_id, org_id=provider, agreement_id=AGREEMENT_ID, quarter=quarter, incident_key=pseudonym(rng),
                first_known_month=f"{quarter[:4]}-{3 * int(quarter[-1]) - 2:02d}", source_channel="outreach",
                county_lines="no", premises_type="nail_bar", exploitation_scope="uk_only", la_gss_code=gss,
                police_force_area="E23000001", h3_cell=None, h3_resolution=None, recruitment_country=nationality,
                transit_countries="", exploitation_country=exploited,
            )
            incident.record_key = record_key(incident.incident_key, provider, "incident")
            session.add(incident)
            session.flush()
            session.add(IncidentCode(incident_id=incident.id, field="exploitation_types", code="labour"))
            session.add(
                Person(
                    incident_id=incident.id, submission_id=sub_id, org_id=provider, person_seq=1, role="potential_victim",
                    gender="female", age_band="30-38", age_group="adult", nationality=nationality, relationship="unknown",
                    record_key=record_key(incident.incident_key, provider, "person", "1"),
                )
            )
    session.flush()
    summaries.refresh(session, [sub_id])


LONDON_RECRUITED: Final = 0.35
"""Share of the seeded incidents whose victim was recruited in London: higher than the demo's, so
that its corridors publish on a few hundred incidents as they do on the demo's thousands."""


def add_demo_routes(session: Session, seed_: int = 11) -> int:
    """Routes shaped like the demo's (partner_client.demo_data.routes): most London-recruited
    people travel one of ``LONDON_CORRIDORS`` (Newham → Tower Hamlets, Croydon → Lambeth, …),
    British children on county lines along ``COUNTY_LINES_FROM``, the rest from the demo's source
    countries along its transit routes. A corridor's incident is recorded in the borough it
    ends in, as the demo's are. Summaries rebuilt; returns incidents given a route. Cheap:
    no bundles are generated, signed or uploaded, unlike ``make demo``."""
    rng = random.Random(seed_)
    corridors = list(LONDON_CORRIDORS)
    lines = list(COUNTY_LINES_FROM)
    countries = list(TRANSIT)
    incidents = session.scalars(select(Incident).order_by(Incident.id)).all()
    for incident in incidents:
        incident.transit_countries, incident.exploitation_country = "", "GB"
        draw = rng.random()
        if draw < LONDON_RECRUITED:
            recruited: str | None
            exploited: str | None
            if rng.random() < CORRIDOR_SHARE:
                recruited, exploited = rng.choices(corridors, weights=[LONDON_CORRIDORS[c] for c in corridors])[0]
                if exploited != incident.la_gss_code:  # as in the demo, recorded where they were exploited
                    incident.la_gss_code, incident.h3_cell, incident.h3_resolution = exploited, None, None
            else:
                recruited, exploited = incident.la_gss_code, None
            incident.recruitment_country, incident.recruitment_area, incident.exploitation_area = "GB", recruited, exploited
        elif draw < LONDON_RECRUITED + 0.1:
            home, county = rng.choices(lines, weights=[COUNTY_LINES_FROM[c] for c in lines])[0]
            incident.recruitment_country, incident.recruitment_area, incident.exploitation_area = "GB", home, county
        else:
            country = rng.choice(countries)
            routes = TRANSIT[country]
            transit = rng.choices(list(routes), weights=list(routes.values()))[0]
            incident.recruitment_country, incident.transit_countries = country, ">".join(transit)
            incident.recruitment_area = incident.exploitation_area = None
    session.flush()
    summaries.rebuild(session)
    return len(incidents)


def every_borough_agreement() -> str:
    """The demo agreement itself: the analyst sees every borough's detail from the NGO, Newham and
    the police (the hospital shares pooled London only)."""
    source = DEMO_AGREEMENT.read_text(encoding="utf-8")
    every = ", ".join(b.gss for b in BOROUGHS)
    assert source.count(f"{{role: analyst, level: borough_detail, boroughs: [{every}]}}") == 3
    return source
