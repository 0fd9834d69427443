"""Where the demo's fictional people were recruited, moved through and exploited.

The routes follow the shape of published accounts (NRM statistics, CTDC, the Home Office's
modern slavery typologies): Albanians through Italy and France, or direct; Vietnamese overland
through Russia and Europe; Eritreans and Sudanese across the Sahara, Libya and the
Mediterranean; Nigerians through Niger and Libya, or by air; Romanians mostly direct. British
children on county lines are recruited in their home borough and exploited in the home counties;
most people recruited in London travel one of a few corridors between neighbouring boroughs
(``LONDON_CORRIDORS``), and their incidents are recorded where they were exploited.

Each route is drawn from a generator seeded by the person's id, so adding routes left every
other generated value (names, dates, notes) as it was.
"""

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, TypeVar

from anonymise.london import BY_GSS
from partner_client.demo_data.people import TruePerson, weighted

TRANSIT: Final[dict[str, dict[tuple[str, ...], float]]] = {
    "AL": {("IT", "FR"): 35, ("GR", "IT", "FR"): 20, ("FR",): 25, (): 20},
    "VN": {("RU", "PL", "DE", "FR"): 30, ("CN", "RU", "FR"): 15, ("FR",): 35, (): 20},
    "RO": {(): 60, ("HU", "AT", "DE", "FR"): 15, ("FR",): 25},
    "ER": {("SD", "LY", "IT", "FR"): 50, ("ET", "SD", "LY", "IT", "FR"): 20, ("LY", "IT", "FR"): 30},
    "SD": {("LY", "IT", "FR"): 50, ("EG", "LY", "IT", "FR"): 20, ("TD", "LY", "IT", "FR"): 30},
    "NG": {("NE", "LY", "IT", "FR"): 35, (): 45, ("ES", "FR"): 20},
}
OTHER_TRANSIT: Final[dict[tuple[str, ...], float]] = {(): 60, ("FR",): 40}
RECRUITED_EN_ROUTE: Final = {"ER": "LY", "SD": "LY", "VN": "RU"}
"""Some are recruited on the way, not at home (a debt taken on in Libya or Russia)."""
COUNTY_LINES_TO: Final[dict[str, float]] = {
    "E10000016": 25,  # Kent
    "E10000012": 20,  # Essex
    "E10000015": 15,  # Hertfordshire
    "E10000030": 10,  # Surrey
    "E06000034": 8,  # Thurrock
    "E06000033": 8,  # Southend-on-Sea
    "E06000043": 7,  # Brighton and Hove
    "E06000044": 7,  # Portsmouth
}
"""Local authorities (GSS codes) the demo's county lines run to from London."""
COUNTY_LINES_FROM: Final[dict[tuple[str, str], float]] = {
    ("E09000025", "E10000016"): 40,  # Newham -> Kent
    ("E09000008", "E10000030"): 25,  # Croydon -> Surrey
    ("E09000030", "E10000012"): 20,  # Tower Hamlets -> Essex
    ("E09000012", "E10000015"): 15,  # Hackney -> Hertfordshire
}
"""The lines most of the demo's county-lines children are run on (the rest from their home borough to ``COUNTY_LINES_TO``)."""
LONDON_CORRIDORS: Final[dict[tuple[str, str], float]] = {
    ("E09000025", "E09000030"): 35,  # Newham -> Tower Hamlets
    ("E09000008", "E09000022"): 25,  # Croydon -> Lambeth
    ("E09000012", "E09000019"): 20,  # Hackney -> Islington
    ("E09000022", "E09000028"): 20,  # Lambeth -> Southwark
}
"""Concentrated routes within London (recruitment borough, exploitation borough): a child
groomed near home and run in the next borough, a worker recruited in one borough and put to work
in a car wash or a brothel in its neighbour. Most London-recruited people in the demo travel one
of these, so borough-to-borough flows are large enough to publish, as in real east and south
London casework; the rest are exploited where their incident was recorded."""
CORRIDOR_SHARE: Final = 0.8
RECRUITED_OUTSIDE_LONDON: Final[dict[str, float]] = {
    "E08000025": 40,  # Birmingham
    "E08000003": 30,  # Manchester
    "E06000032": 30,  # Luton
}


K = TypeVar("K")


def _pick(rng: random.Random, weights: Mapping[K, float]) -> K:
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


@dataclass(frozen=True)
class Route:
    recruitment_country: str | None  # None: not recorded
    transit: tuple[str, ...]
    exploitation_country: str
    recruitment_area: str | None  # a GSS code within the UK
    exploitation_area: str | None  # a GSS code: outside London (county lines) or a corridor's borough, where the incident is then recorded; None: the incident's borough


def route_of(person: TruePerson) -> Route | None:
    """The person's route, or None for a suspect (no route is recorded for them)."""
    if person.role == "suspect":
        return None
    rng = random.Random(f"route:{person.pid}")  # noqa: S311 - synthetic demo data, not a secret
    if rng.random() < 0.12:  # not recorded
        return Route(None, (), "GB", None, None)
    if person.nationality == "GB":
        if person.county_lines:
            if rng.random() < 0.65:
                home, county = _pick(rng, COUNTY_LINES_FROM)
                return Route("GB", (), "GB", home, county)
            return Route("GB", (), "GB", person.borough, weighted(rng, COUNTY_LINES_TO))
        if rng.random() < 0.1:
            return Route("GB", (), "GB", weighted(rng, RECRUITED_OUTSIDE_LONDON), None)
        return _in_london(rng, person)
    transit = _pick(rng, TRANSIT.get(person.nationality, OTHER_TRANSIT))
    recruited = person.nationality
    en_route = RECRUITED_EN_ROUTE.get(person.nationality)
    if en_route in transit and rng.random() < 0.25:
        recruited, transit = en_route, transit[transit.index(en_route) + 1:]
    if rng.random() < 0.08:  # recruited after arriving, in London (a car wash, a nail bar)
        return _in_london(rng, person)
    return Route(recruited, transit, "GB", None, None)


def _in_london(rng: random.Random, person: TruePerson) -> Route:
    """Recruited in London: along one of the corridors, or at home and exploited where the incident is recorded."""
    if rng.random() < CORRIDOR_SHARE:
        recruited, exploited = _pick(rng, LONDON_CORRIDORS)
        return Route("GB", (), "GB", recruited, exploited)
    return Route("GB", (), "GB", person.borough, None)


def exploited_in(person: TruePerson) -> str | None:
    """The London borough the person's route says they were exploited in (a corridor's), if any:
    where their incidents are recorded."""
    route = route_of(person)
    return route.exploitation_area if route is not None and route.exploitation_area in BY_GSS else None
