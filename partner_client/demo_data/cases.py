"""Who the demo partners met this quarter: fictional people, incidents and the repeats between partners.

Distributions follow the shape of the UK NRM statistics (2023-24): criminal and labour
exploitation largest, then sexual, then domestic servitude; UK, Albanian, Eritrean, Sudanese and
Vietnamese nationals most referred; children the majority of criminal exploitation, many of
them in county lines.
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from anonymise.london import BOROUGHS, BY_GSS
from partner_client.demo_data.people import (
    STREETS,
    Identifiers,
    TruePerson,
    birth_date,
    pick_name,
    spelling_variant,
    weighted,
)
from partner_client.demo_data.places import Postcode
from partner_client.demo_data.routes import exploited_in

PARTNERS: Final = ("ngo", "borough", "hospital", "police")
HOME_BOROUGH: Final = "E09000025"
"""The borough whose safeguarding log is generated (Newham)."""

EXPLOITATION: Final = {"criminal": 34, "labour": 30, "sexual": 19, "domestic_servitude": 6, "unknown": 11}
NATIONALITY_BY_TYPE: Final[dict[str, dict[str, float]]] = {
    "criminal": {"GB": 55, "AL": 14, "VN": 10, "ER": 4, "SD": 4, "RO": 3, "PL": 2, "AF": 3, "IR": 2, "NG": 3},
    "labour": {"AL": 18, "RO": 10, "VN": 9, "IN": 10, "ER": 8, "SD": 8, "GB": 8, "PL": 6, "CN": 4, "BG": 4, "LT": 3, "PK": 4, "PH": 3, "ET": 3, "AF": 2},
    "sexual": {"GB": 32, "AL": 16, "RO": 12, "NG": 8, "CN": 6, "VN": 5, "BG": 4, "ER": 4, "LT": 3, "PL": 3, "IN": 2, "ET": 2, "PH": 3},
    "domestic_servitude": {"NG": 18, "PH": 16, "IN": 14, "PK": 10, "ER": 8, "ET": 8, "SD": 6, "GB": 6, "AF": 6, "VN": 4, "CN": 4},
    "unknown": {"GB": 20, "AL": 20, "ER": 12, "SD": 12, "VN": 8, "IR": 6, "AF": 6, "RO": 4, "NG": 4, "IN": 4, "ET": 4},
}
FEMALE_SHARE: Final = {"criminal": 0.12, "labour": 0.25, "sexual": 0.88, "domestic_servitude": 0.8, "unknown": 0.35}
PREMISES_BY_TYPE: Final[dict[str, dict[str, float]]] = {
    "criminal": {"street": 40, "private_household": 20, "hot_food_takeaway": 10, "other": 20, "online_only": 10},
    "labour": {"hand_car_wash": 25, "nail_bar": 15, "construction_site": 15, "hot_food_takeaway": 10, "restaurant": 10, "factory_warehouse": 10, "convenience_store": 5, "care_home": 5, "agricultural_site": 5},
    "sexual": {"brothel_residential": 60, "online_only": 15, "private_household": 10, "nail_bar": 5, "other": 10},
    "domestic_servitude": {"private_household": 95, "other": 5},
    "unknown": {"other": 40, "street": 20, "private_household": 20, "hand_car_wash": 10, "nail_bar": 10},
}
BOROUGH_WEIGHTS: Final[dict[str, float]] = {b.gss: 1.0 for b in BOROUGHS} | {
    "E09000025": 4, "E09000030": 3, "E09000008": 3, "E09000028": 3, "E09000022": 3,
    "E09000009": 2, "E09000005": 2, "E09000014": 2, "E09000033": 2, "E09000002": 2,
    "E09000012": 2, "E09000023": 2, "E09000001": 0.2,
}


LABOUR_PROVIDERS: Final = ("Swift Staffing Services Ltd", "Eastgate Labour Solutions", "Premier Hand Car Wash Group")
"""Fictional labour providers a few victims in several boroughs worked through: a shared business
selector (mostly the first, the one that crosses boroughs)."""
SHARED_PHONES: Final = ("07700 900990", "07700 900991", "020 7946 0990", "020 7946 0991")
"""Controllers' numbers (Ofcom drama ranges) that several victims give as their contact."""
SHARED_VEHICLES: Final = ("LC19 XKE", "YT68 BNW")
"""Vans several suspects are seen driving (fictional registrations)."""
SHARED_HOUSES: Final = (("14", "Ashdown Road", "E09000025"), ("3", "Millbrook Street", "E09000030"), ("27", "Canal Row", "E09000007"))
"""Houses of multiple occupation where victims met in different boroughs live."""


@dataclass
class Case:
    """One row's worth of facts: a person as this partner recorded them, at one incident."""

    partner: str
    person: TruePerson
    given: str
    surname: str
    spelling: str
    event: date
    incident: str
    site: Postcode
    role: str
    exploitation: str
    county_lines: bool
    premises: str


class World:
    """The fictional people and incidents behind all four exports, deterministic for a seed."""

    def __init__(self, rng: random.Random, ids: Identifiers, postcodes: dict[str, list[Postcode]],
                 first: date, last: date) -> None:
        self.rng, self.ids, self.postcodes = rng, ids, postcodes
        self.first, self.last = first, last
        self.people: list[TruePerson] = []
        self.suspects: list[TruePerson] = []
        self._incidents = 0
        self.shared = random.Random(rng.getstate()[1][0])  # noqa: S311 - fictional data; its own stream, so the other draws stay as they were

    def event_date(self) -> date:
        return self.first + timedelta(days=self.rng.randrange((self.last - self.first).days + 1))

    def incident_id(self) -> str:
        self._incidents += 1
        return f"I{self._incidents:05d}"

    def site(self, borough: str) -> Postcode:
        return self.rng.choice(self.postcodes[borough])

    def new_person(self, role: str, home: str | None = None) -> TruePerson:
        rng, ids = self.rng, self.ids
        kind = "unknown" if role == "suspect" else weighted(rng, EXPLOITATION)
        if role == "suspect":
            nationality = weighted(rng, {"AL": 30, "GB": 30, "RO": 10, "VN": 8, "NG": 5, "CN": 5, "PL": 4, "IN": 4, "PK": 4})
            sex = "female" if rng.random() < 0.2 else "male"
            age = rng.randrange(19, 56)
        else:
            nationality = weighted(rng, NATIONALITY_BY_TYPE[kind])
            sex = "female" if rng.random() < FEMALE_SHARE[kind] else "male"
            if rng.random() < 0.01:
                sex = "non_conforming"
            age = self._victim_age(kind, nationality)
        given, surname = pick_name(rng, nationality, sex)
        borough = home or weighted(rng, BOROUGH_WEIGHTS)
        home_code = rng.choice(self.postcodes[borough])
        adult = age >= 18
        person = TruePerson(
            pid=f"P{len(self.people) + len(self.suspects) + 1:05d}", given=given, surname=surname,
            sex=sex, dob=birth_date(rng, age, self.first + timedelta(days=45)),
            nationality=nationality, role=role,
            phone=ids.mobile() if rng.random() < 0.75 else (ids.landline() if rng.random() < 0.3 else None),
            email=ids.email(given, surname) if adult and rng.random() < 0.5 else None,
            house=(f"Flat {rng.randrange(1, 30)}, " if rng.random() < 0.25 else "") + str(rng.randrange(1, 220)), street=rng.choice(STREETS), postcode=home_code.pcds,
            borough=borough, nhs=ids.nhs(),
            ni=ids.ni() if adult and (nationality == "GB" or rng.random() < 0.3) else None,
            vehicle=ids.vehicle() if role == "suspect" and rng.random() < 0.6 else None,
            passport=ids.passport() if nationality != "GB" and rng.random() < 0.3 else None,
            exploitation=kind,
            county_lines=kind == "criminal" and age < 25 and rng.random() < 0.7,
        )
        self._share(person)
        (self.suspects if role == "suspect" else self.people).append(person)
        return person

    def _share(self, person: TruePerson) -> None:
        """Now and then a labour provider, a controller's phone, a van or a house a few people share:
        what joins incidents into networks across partners and boroughs. Rare on purpose: in each
        quarter's exports (four partners, 300 to 400 rows each) a shared value is held by a handful of
        incidents, so networks have the sizes casework sees (tens of incidents, not thousands)."""
        shared = self.shared
        if person.role == "suspect":
            if shared.random() < 0.04:
                person.vehicle = shared.choice(SHARED_VEHICLES)
            if shared.random() < 0.02:
                person.phone = shared.choice(SHARED_PHONES)
            return
        if person.exploitation == "labour" and shared.random() < 0.08:
            person.employer = LABOUR_PROVIDERS[0] if shared.random() < 0.7 else shared.choice(LABOUR_PROVIDERS[1:])
        if shared.random() < 0.004:
            person.phone = shared.choice(SHARED_PHONES)
        house, street, borough = shared.choice(SHARED_HOUSES)
        if shared.random() < 0.005 and self.postcodes.get(borough):
            person.house, person.street, person.borough = house, street, borough
            person.postcode = self.postcodes[borough][0].pcds

    def _victim_age(self, kind: str, nationality: str) -> int:
        rng = self.rng
        child_share = {"criminal": 0.72 if nationality == "GB" else 0.45, "sexual": 0.35,
                       "labour": 0.08, "domestic_servitude": 0.05, "unknown": 0.3}[kind]
        if rng.random() < child_share:
            return rng.choices(range(8, 18), weights=[1, 1, 1, 2, 3, 6, 10, 14, 16, 14])[0]
        return min(70, 18 + int(rng.expovariate(1 / 11)))

    def case(self, partner: str, person: TruePerson, *, like: "Case | None" = None) -> Case:
        """``person`` as ``partner`` records them, at a new incident or at ``like``'s incident."""
        rng = self.rng
        given, surname, spelling = person.given, person.surname, "exact"
        if person.partners and rng.random() < 0.55:
            given, surname, spelling = spelling_variant(rng, given, surname)
        person.partners.append(partner)
        if like is not None:
            return Case(partner, person, given, surname, spelling, like.event, like.incident, like.site,
                        person.role, like.exploitation, like.county_lines, like.premises)
        borough = person.borough if rng.random() < 0.55 else weighted(rng, BOROUGH_WEIGHTS)
        borough = exploited_in(person) or borough  # a corridor's people are met where they are exploited (drawn above all the same: later draws stay as they were)
        premises = weighted(rng, PREMISES_BY_TYPE[person.exploitation])
        return Case(partner, person, given, surname, spelling, self.event_date(), self.incident_id(),
                    self.site(borough), person.role, person.exploitation, person.county_lines, premises)

    def victim_for(self, partner: str, seen_here: list[TruePerson], home: str | None = None) -> TruePerson:
        """A new person, or one met by another partner (about one in five), or a repeat here."""
        rng = self.rng
        if rng.random() < 0.22:
            for _ in range(8):
                met = rng.choice(self.people) if self.people else None
                if met is not None and met.partners and partner not in met.partners:
                    return met
        if seen_here and rng.random() < 0.03:
            return rng.choice(seen_here)
        return self.new_person("potential_victim", home)


def borough_name(gss: str) -> str:
    return BY_GSS[gss].name
