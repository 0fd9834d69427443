"""Where the demo's fictional people were recruited, moved through and exploited.

The routes follow the shape of published accounts (NRM statistics, CTDC, the Home Office's
modern slavery typologies): Albanians through Italy and France, or direct; Vietnamese overland
through Russia and Europe; Eritreans and Sudanese across the Sahara, Libya and the
Mediterranean; Nigerians through Niger and Libya, or by air; Romanians mostly direct. British
children on county lines are recruited in their home borough and exploited in the home counties.

Each route is drawn from a generator seeded by the person's id, so adding routes left every
other generated value (names, dates, notes) as it was.
"""

import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, TypeVar

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
    exploitation_area: str | None  # a GSS code, where it is not the incident's borough


def route_of(person: TruePerson) -> Route | None:
    """The person's route, or None for a suspect (no route is recorded for them)."""
    if person.role == "suspect":
        return None
    rng = random.Random(f"route:{person.pid}")  # noqa: S311 - synthetic demo data, not a secret
    if rng.random() < 0.12:  # not recorded
        return Route(None, (), "GB", None, None)
    if person.nationality == "GB":
        if person.county_lines:
            return Route("GB", (), "GB", person.borough, weighted(rng, COUNTY_LINES_TO))
        home = weighted(rng, RECRUITED_OUTSIDE_LONDON) if rng.random() < 0.1 else person.borough
        return Route("GB", (), "GB", home, None)
    transit = _pick(rng, TRANSIT.get(person.nationality, OTHER_TRANSIT))
    recruited = person.nationality
    en_route = RECRUITED_EN_ROUTE.get(person.nationality)
    if en_route in transit and rng.random() < 0.25:
        recruited, transit = en_route, transit[transit.index(en_route) + 1:]
    if rng.random() < 0.08:  # recruited after arriving, in London (a car wash, a nail bar)
        return Route("GB", (), "GB", person.borough, None)
    return Route(recruited, transit, "GB", None, None)
