"""`prepare`'s anonymise-row step: one mapped row → only what may leave, and the figures the report counts.

What may leave: pseudonyms, codes, month, age band, nationality code, borough, H3 cell, scrubbed note.
"""

import functools
from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from pydantic import TypeAdapter, ValidationError

from anonymise import countries, generalise
from anonymise.matchkeys import KeyKind
from anonymise.pseudonymise import Pseudonymiser
from anonymise.schema import Nationality
from anonymise.vocab import SelectorKind
from partner_client.prepare import locate
from partner_client.profile import TARGETS, IdentifierKind
from partner_client.rows import ParsedRow

_SELECTOR_KINDS: Final = {
    IdentifierKind.phone: SelectorKind.phone,
    IdentifierKind.email: SelectorKind.email,
    IdentifierKind.vehicle: SelectorKind.vehicle,
    IdentifierKind.bank_account: SelectorKind.bank_account,
    IdentifierKind.business: SelectorKind.business,
    IdentifierKind.social_handle: SelectorKind.social_handle,
}
_NAMES: Final = (IdentifierKind.full_name, IdentifierKind.given_name, IdentifierKind.family_name)
PERSON_KEYS: Final = "_linkage_keys"
"""Where a spilled person dict carries its linkage keys until `tables` splits them into ``person_keys``."""
_NATIONALITY: Final = TypeAdapter(Nationality)
_NARRATIVE_AT: Final = 8
"""Position of ``narrative`` in a spilled row."""


@dataclass(slots=True)
class AnonymisedRow:
    """One row after anonymisation: only values that may leave, plus the cell for coarsening."""

    row: int
    incident_pid: str
    month: str | None
    incident: dict[str, Any]
    person: dict[str, Any] | None
    referral: dict[str, Any] | None
    selectors: list[tuple[str, str]]
    cell: str | None
    narrative: str | None

    def to_spill(self) -> list[Any]:
        """The JSON list the spill keeps (:meth:`from_spill` reads it back)."""
        return [
            self.row, self.incident_pid, self.month, self.incident, self.person, self.referral, self.selectors,
            self.cell, self.narrative,
        ]

    @classmethod
    def from_spill(cls, item: list[Any]) -> "AnonymisedRow":
        return cls(*item)

    @staticmethod
    def spilled_narrative(item: list[Any]) -> str | None:
        """A spilled row's note, without making the row again."""
        narrative: str | None = item[_NARRATIVE_AT]
        return narrative


@functools.lru_cache(maxsize=4096)
def nationality_code(text: str) -> str:
    """An ISO 3166-1 alpha-2 code for what the export wrote, or ``unknown`` (cached: exports repeat them)."""
    code = countries.nationality_code(text)
    if code is None:
        return "unknown"
    try:
        return str(_NATIONALITY.validate_python(code))
    except ValidationError:
        return "unknown"


@dataclass(frozen=True)
class RowSettings:
    """What anonymising a row depends on besides the row."""

    partner_id: str
    resolution: int
    """H3 resolution of the cells uploaded (the agreement's)."""
    maps_persons: bool
    """The profile maps person fields: every row has a person."""
    quarter_end: date
    """The day ages are taken on when a row has no date."""


@dataclass(frozen=True)
class _Location:
    gss: str | None
    pfa: str | None
    cell: str | None


class RowAnonymiser:
    """Anonymises rows one at a time; ``counts`` gathers what the privacy report counts."""

    def __init__(
        self,
        settings: RowSettings,
        pseudo: Pseudonymiser,
        lookup: locate.PostcodeLookupLike | None,
        counts: Counter[str],
    ) -> None:
        self.settings = settings
        self.pseudo = pseudo
        self.lookup = lookup
        self.counts = counts
        self.case_refs: dict[str, str] = {}
        """incident pid → the case reference it was made from, for the local case index (never sent)."""

    def anonymise(self, p: ParsedRow, narrative: str | None) -> AnonymisedRow:
        local_id = p.local_id or f"row-{p.row}"
        if p.local_id is None:
            self.counts["rows_without_case_id"] += 1
        incident_pid = self.pseudo.incident(self.settings.partner_id, local_id)
        self.case_refs.setdefault(incident_pid, local_id.strip())
        incident = _codes(p.codes, "incident.")
        where = self._location(p)
        if where.gss is not None:
            incident["la_gss_code"] = where.gss
        if where.pfa is not None:
            incident["police_force_area"] = where.pfa
        month = p.event_date.strftime("%Y-%m") if p.event_date else None
        person = self._person(p)
        referral = self._referral(p)
        selectors = self._selectors(p)
        if p.event_date is not None:
            self.counts["dates_to_month"] += 1
        return AnonymisedRow(p.row, incident_pid, month, incident, person, referral, selectors, where.cell, narrative)

    def _location(self, p: ParsedRow) -> _Location:
        """Borough, police force and H3 cell: from coordinates, else the place's postcode, else the borough column."""
        gss, pfa, cell = p.borough, None, None
        lat, lon = p.first(IdentifierKind.latitude), p.first(IdentifierKind.longitude)
        place_code = p.first(IdentifierKind.location_postcode)
        point = locate.parse_point(lat, lon) if lat and lon else None
        if place_code and self.lookup is not None:
            found = self.lookup.find(place_code)
            if found is None:
                self.counts["postcodes_not_found"] += 1
            else:
                if point is None:
                    point = (found.lat, found.lon)
                gss = gss or found.la_code
                pfa = found.pfa_code
        if point is not None:
            cell = locate.cell_of(point[0], point[1], self.settings.resolution)
            gss = gss or locate.borough_for_point(point[0], point[1])
            self.counts["locations_to_cells"] += 1
        if gss is not None:
            pfa = pfa or locate.police_force(gss)
        return _Location(gss, pfa, cell)

    def _person(self, p: ParsedRow) -> dict[str, Any] | None:
        """The row's person: match keys, codes, age band and group, nationality code; None if the row has none."""
        if not (self.settings.maps_persons or any(k in p.ids for k in _NAMES) or p.dob is not None):
            return None
        codes = p.codes
        person: dict[str, Any] = {name.split(".", 1)[1]: values[0] for name, values in codes.items() if name.startswith("person.")}
        gender = codes.get("person.gender", ["unknown"])[0]
        sex = gender if gender in ("male", "female") else p.first(IdentifierKind.sex)
        keys = self.pseudo.person_keys(
            full_name=p.first(IdentifierKind.full_name),
            given=p.first(IdentifierKind.given_name),
            family=p.first(IdentifierKind.family_name),
            dob=p.dob,
            sex=sex,
        )
        for key, value in keys.items():
            if value is not None:
                person[f"mk_{key.value}"] = value
        person[PERSON_KEYS] = self._linkage_keys(p)
        on = p.event_date or self.settings.quarter_end
        if p.dob is not None:
            age: int | None = generalise.age_at(p.dob, on)
            self.counts["dob_to_age_band"] += 1
        else:
            age = p.age
        if age is not None:
            person["age_band"] = generalise.age_band(age).value
            person["age_group"] = generalise.age_group(age).value
        if p.nationality:
            person["nationality"] = nationality_code(p.nationality)
            if person["nationality"] == "unknown":
                self.counts["nationality_unrecognised"] += 1
        return person

    def _linkage_keys(self, p: ParsedRow) -> list[tuple[str, str]]:
        """The person's linkage keys (anonymise.matchkeys) as (kind, pseudonym), for the person_keys table."""
        postcode = p.first(IdentifierKind.postcode)
        addresses = [f"{value}, {postcode}" if postcode else value for value in p.ids.get(IdentifierKind.address, [])]
        keys = self.pseudo.linkage_keys(
            full_name=p.first(IdentifierKind.full_name),
            given=p.first(IdentifierKind.given_name),
            family=p.first(IdentifierKind.family_name),
            dob=p.dob,
            ids=p.id_numbers,
            contacts={
                KeyKind.phone: p.ids.get(IdentifierKind.phone, []),
                KeyKind.email: p.ids.get(IdentifierKind.email, []),
                KeyKind.address: addresses,
            },
        )
        return [(kind.value, pid) for kind, pid in keys]

    @staticmethod
    def _referral(p: ParsedRow) -> dict[str, Any] | None:
        referral = _codes(p.codes, "referral.")
        if not referral and p.decision_date is None:
            return None
        if p.decision_date is not None:
            referral["decision_month"] = p.decision_date.strftime("%Y-%m")
        return referral

    def _selectors(self, p: ParsedRow) -> list[tuple[str, str]]:
        """(kind, pseudonym) of each phone, email, vehicle, bank account, business, social handle and address of the row."""
        selectors: list[tuple[str, str]] = []
        for kind, skind in _SELECTOR_KINDS.items():
            for value in p.ids.get(kind, []):
                pid = self.pseudo.selector(skind, value)
                if pid is not None:
                    selectors.append((skind.value, pid))
        postcode = p.first(IdentifierKind.postcode)
        for value in p.ids.get(IdentifierKind.address, []):
            pid = self.pseudo.selector(SelectorKind.address, f"{value}, {postcode}" if postcode else value)
            if pid is not None:
                selectors.append((SelectorKind.address.value, pid))
        return selectors


def _codes(codes: dict[str, list[str]], prefix: str) -> dict[str, Any]:
    """The codes of one table (``incident.``, ``referral.``): a tuple for a multi-code field, else the code."""
    return {
        name.split(".", 1)[1]: tuple(values) if TARGETS[name].kind in ("codes", "countries") else values[0]
        for name, values in codes.items() if name.startswith(prefix)
    }
