"""Give seeded incidents realistic routes (country of recruitment, transit, exploitation, UK areas) and re-summarise."""

import random
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.models import Incident
from hub.records import summaries

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
