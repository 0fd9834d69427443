"""`prepare`, per row: pseudonymise, scrub, generalise and locate each row; the index the whole submission needs."""

import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Final

from anonymise.matchkeys import KeyKind
from anonymise.pseudonymise import Pseudonymiser
from anonymise.vocab import SelectorKind
from partner_client.errors import ClientError, Problem, Problems
from partner_client.prepare import locate as anon
from partner_client.profile import TARGETS, IdentifierKind, Profile
from partner_client.rows import ParsedRow

if TYPE_CHECKING:
    from partner_client.prepare.run import Party

PERSON_KEYS: Final = "_linkage_keys"
"""Where a spilled person dict carries its linkage keys until `tables` splits them into ``person_keys``."""

_SELECTOR_KINDS: Final = {
    IdentifierKind.phone: SelectorKind.phone,
    IdentifierKind.email: SelectorKind.email,
    IdentifierKind.vehicle: SelectorKind.vehicle,
    IdentifierKind.bank_account: SelectorKind.bank_account,
}


@dataclass(slots=True)
class _Row:
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


class RowSteps:
    """The per-row steps of `Pipeline`, which sets these attributes."""

    profile: Profile
    party: "Party"
    quarter: str
    problems: Problems
    narrative_allowed: bool
    resolution: int
    _maps_persons: bool
    _quarter_end: date

    def _scrub(
        self, scrubber: Any, parsed: list[ParsedRow], stats: Counter[str], entities: Counter[str]
    ) -> Callable[[], list[str | None]]:
        """Start scrubbing a chunk's notes; the answer waits for them (one per row, None if none leaves)."""
        out: list[str | None] = [None] * len(parsed)
        todo = [i for i, p in enumerate(parsed) if p.narrative]
        stats["narratives_in_export"] += len(todo)
        if not self.narrative_allowed:
            stats["narratives_not_allowed"] += len(todo)
            return lambda: out
        if not todo:
            return lambda: out
        wait = anon.submit_scrub(scrubber, [(parsed[i].narrative or "", parsed[i].known()) for i in todo])

        def results() -> list[str | None]:
            for i, (text, kinds, dropped) in zip(todo, wait(), strict=True):
                entities.update(kinds)
                if dropped or text is None:
                    stats["narratives_dropped"] += 1
                    continue
                out[i] = text
                stats["narratives_scrubbed"] += 1
            return out

        return results

    def _anonymise(
        self,
        p: ParsedRow,
        narrative: str | None,
        pseudo: Pseudonymiser,
        lookup: anon.PostcodeLookupLike | None,
        stats: Counter[str],
    ) -> _Row:
        local_id = p.local_id or f"row-{p.row}"
        if p.local_id is None:
            stats["rows_without_case_id"] += 1
        incident_pid = pseudo.incident(self.party.partner_id, local_id)
        codes = p.codes
        incident: dict[str, Any] = {}
        for name, values in codes.items():
            table, attr = name.split(".", 1)
            if table == "incident":
                multi = TARGETS[name].kind == "codes"
                incident[attr] = tuple(values) if multi else values[0]
        gss, pfa, cell = p.borough, None, None
        lat, lon = p.first(IdentifierKind.latitude), p.first(IdentifierKind.longitude)
        postcode = p.first(IdentifierKind.postcode)
        place_code = p.first(IdentifierKind.location_postcode)
        point = anon.parse_point(lat, lon) if lat and lon else None
        if place_code and lookup is not None:
            found = lookup.find(place_code)
            if found is None:
                stats["postcodes_not_found"] += 1
            else:
                if point is None:
                    point = (found.lat, found.lon)
                gss = gss or found.la_code
                pfa = found.pfa_code
        if point is not None:
            cell = anon.cell_of(point[0], point[1], self.resolution)
            gss = gss or anon.borough_for_point(point[0], point[1])
            stats["locations_to_cells"] += 1
        if gss is not None:
            incident["la_gss_code"] = gss
            pfa = pfa or anon.police_force(gss)
        if pfa is not None:
            incident["police_force_area"] = pfa
        person: dict[str, Any] | None = None
        has_person = self._maps_persons or any(
            k in p.ids for k in (IdentifierKind.full_name, IdentifierKind.given_name, IdentifierKind.family_name)
        ) or p.dob is not None
        if has_person:
            person = {attr: values[0] for name, values in codes.items() if name.startswith("person.") for attr in [name.split(".", 1)[1]]}
            gender = codes.get("person.gender", ["unknown"])[0]
            sex = gender if gender in ("male", "female") else p.first(IdentifierKind.sex)
            keys = pseudo.person_keys(
                full_name=p.first(IdentifierKind.full_name),
                given=p.first(IdentifierKind.given_name),
                family=p.first(IdentifierKind.family_name),
                dob=p.dob,
                sex=sex,
            )
            for key, value in keys.items():
                if value is not None:
                    person[f"mk_{key.value}"] = value
            person[PERSON_KEYS] = self._linkage_keys(p, pseudo, postcode)
            on = p.event_date or self._quarter_end
            if p.dob is not None:
                age: int | None = anon.age_at(p.dob, on)
                stats["dob_to_age_band"] += 1
            else:
                age = p.age
            if age is not None:
                person["age_band"] = anon.age_band(age)
                person["age_group"] = anon.age_group(age)
            if p.nationality:
                person["nationality"] = anon.nationality_code(p.nationality)
                if person["nationality"] == "unknown":
                    stats["nationality_unrecognised"] += 1
        referral: dict[str, Any] | None = None
        ref_codes = {n: v for n, v in codes.items() if n.startswith("referral.")}
        if ref_codes or p.decision_date is not None:
            referral = {}
            for name, values in ref_codes.items():
                attr = name.split(".", 1)[1]
                referral[attr] = tuple(values) if TARGETS[name].kind == "codes" else values[0]
            if p.decision_date is not None:
                referral["decision_month"] = p.decision_date.strftime("%Y-%m")
        selectors: list[tuple[str, str]] = []
        for kind, skind in _SELECTOR_KINDS.items():
            for value in p.ids.get(kind, []):
                pid = pseudo.selector(skind, value)
                if pid is not None:
                    selectors.append((skind.value, pid))
        for value in p.ids.get(IdentifierKind.address, []):
            pid = pseudo.selector(SelectorKind.address, f"{value}, {postcode}" if postcode else value)
            if pid is not None:
                selectors.append((SelectorKind.address.value, pid))
        month = p.event_date.strftime("%Y-%m") if p.event_date else None
        if p.event_date is not None:
            stats["dates_to_month"] += 1
        return _Row(p.row, incident_pid, month, incident, person, referral, selectors, cell, narrative)

    def _linkage_keys(self, p: ParsedRow, pseudo: Pseudonymiser, postcode: str | None) -> list[tuple[str, str]]:
        """The person's linkage keys (anonymise.matchkeys) as (kind, pseudonym), for the person_keys table."""
        addresses = [f"{value}, {postcode}" if postcode else value for value in p.ids.get(IdentifierKind.address, [])]
        keys = pseudo.linkage_keys(
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

    def _check_quarter(self, index: "_Index", stats: Counter[str]) -> None:
        months = index.months
        if months and not any(index.first_month <= m <= index.last_month for m in months):
            common = months.most_common(1)[0][0]
            year, month = int(common[:4]), int(common[5:])
            raise ClientError(
                f"None of the rows' dates falls in {self.quarter}; most are in {year}-Q{(month - 1) // 3 + 1}.",
                hint=f"Check --quarter: did you mean --quarter {year}Q{(month - 1) // 3 + 1}?",
            )
        for row in index.after_quarter:
            self.problems.add(
                Problem(
                    rule="after_quarter",
                    row=row,
                    column=self._column("incident.first_known_date"),
                    message=f"the date is after the end of {self.quarter}",
                    hint="Export only records known by the quarter's end, or choose the right quarter.",
                )
            )
        stats["rows_without_date"] += index.without_date
        if stats["rows_without_date"]:
            self.problems.add(
                Problem(
                    rule="missing_dates",
                    severity="warning",
                    column=self._column("incident.first_known_date"),
                    message=f"{stats['rows_without_date']} row(s) have no usable date; "
                    f"their incidents are dated to the first month of {self.quarter}",
                    hint="Fill in the dates in your case system for a more accurate picture.",
                )
            )

    def _column(self, target: str) -> str | None:
        cmap = self.profile.target(target)
        return cmap.columns[0] if cmap is not None and cmap.columns else None


_NARRATIVE_AT: Final = 8
"""Position of ``narrative`` in a spilled row."""


def _row_json(r: _Row) -> list[Any]:
    """A row as the JSON list the spill keeps (``_Row(*item)`` reads it back)."""
    return [r.row, r.incident_pid, r.month, r.incident, r.person, r.referral, r.selectors, r.cell, r.narrative]


class _Index:
    """What the whole submission needs from every row, kept compact while the rows go to disk."""

    def __init__(self, first_month: str, last_month: str) -> None:
        self.first_month = first_month
        self.last_month = last_month
        self.months: Counter[str] = Counter()
        self.after_quarter: list[int] = []
        self.without_date = 0
        self.cells: list[str | None] = []
        self.incidents: dict[str, str | int] = {}
        """incident pid → its first known month (the first row's, or the quarter's first, or any
        earlier month of a later row)."""

    def add(self, rows: list[_Row]) -> None:
        for r in rows:
            month = sys.intern(r.month) if r.month is not None else None
            if month is None:
                self.without_date += 1
            else:
                self.months[month] += 1
                if month > self.last_month:
                    self.after_quarter.append(r.row)
            self.cells.append(sys.intern(r.cell) if r.cell is not None else None)
            pid = sys.intern(r.incident_pid)
            known = self.incidents.get(pid)
            if known is None:
                self.incidents[pid] = month or self.first_month
            elif month is not None and isinstance(known, str) and month < known:
                self.incidents[pid] = month
