"""One export row read through a profile into typed values, with every problem named by row and column."""

import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Final

from anonymise import countries
from anonymise.identifiers import IdKind, normalise_id
from anonymise.london import BOROUGHS
from anonymise.schema import MAX_TRANSIT
from partner_client import coding
from partner_client.coding import MAX_LISTED_VALUES, Unmapped
from partner_client.csvread import DEFAULT_DATE_FORMATS, cached_parse_date
from partner_client.errors import Problem, Problems
from partner_client.profile import TARGETS, ColumnMap, IdentifierKind, Profile


def _borough_key(text: str) -> str:
    key = coding.norm(text.replace("&", " and "))
    for prefix in ("london borough of ", "royal borough of ", "lb ", "rb "):
        key = key.removeprefix(prefix)
    return key


_BOROUGH_NAMES: Final = {_borough_key(b.name): b.gss for b in BOROUGHS}


def borough_code(text: str) -> str | None:
    """The GSS code of a London borough written by name, with common abbreviations.

    >>> borough_code("Barking & Dagenham"), borough_code("Richmond"), borough_code("Narnia")
    ('E09000002', 'E09000027', None)
    """
    key = _borough_key(text)
    if key in _BOROUGH_NAMES:
        return _BOROUGH_NAMES[key]
    starts = [gss for name, gss in _BOROUGH_NAMES.items() if name.startswith(key + " ")]
    return starts[0] if len(starts) == 1 else None

_GSS: Final = re.compile(r"^[ENSW][0-9]{8}$")
_MAX_LISTED_ROWS: Final = 10

ID_KINDS: Final = {
    IdentifierKind.nhs_number: IdKind.nhs_number,
    IdentifierKind.ni_number: IdKind.ni_number,
    IdentifierKind.passport: IdKind.passport,
    IdentifierKind.ukvi_reference: IdKind.ukvi_reference,
    IdentifierKind.pnc_id: IdKind.pnc_id,
}
"""Identifier columns read as ID numbers: a value that is not one is dropped from that row only."""

_ID_WORDS: Final = {
    IdentifierKind.dob: "date of birth",
    IdentifierKind.nhs_number: "NHS number",
    IdentifierKind.ni_number: "National Insurance number",
    IdentifierKind.passport: "passport number",
    IdentifierKind.ukvi_reference: "Home Office / UKVI reference",
    IdentifierKind.pnc_id: "PNC id",
}


@dataclass
class ParsedRow:
    row: int
    local_id: str | None = None
    event_date: date | None = None
    codes: dict[str, list[str]] = field(default_factory=dict)
    borough: str | None = None
    narrative: str | None = None
    age: int | None = None
    nationality: str | None = None
    decision_date: date | None = None
    ids: dict[IdentifierKind, list[str]] = field(default_factory=dict)
    dob: date | None = None
    id_numbers: dict[IdKind, list[str]] = field(default_factory=dict)
    """Well-formed ID numbers in canonical form (what match keys are made of)."""

    def first(self, kind: IdentifierKind) -> str | None:
        values = self.ids.get(kind)
        return values[0] if values else None

    def known(self) -> list[str]:
        """Every identifier of this row: what the scrubber removes from its free text."""
        return [v for kind, values in self.ids.items() if kind not in _NOT_TEXT for v in values if v]


_NOT_TEXT: Final = frozenset({IdentifierKind.latitude, IdentifierKind.longitude, IdentifierKind.sex})


class RowReader:
    """Reads rows through a profile. Unmapped codes are gathered and reported once per value."""

    def __init__(self, profile: Profile, problems: Problems, *, today: date | None = None) -> None:
        self.profile = profile
        self.problems = problems
        self.today = today or date.today()  # noqa: DTZ011 - the partner's local calendar day
        self.formats = tuple(profile.csv.date_formats) + DEFAULT_DATE_FORMATS
        self._unmapped: dict[tuple[str, str], dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        self._unmapped_counts: dict[tuple[str, str], int] = defaultdict(int)
        self._resolved: dict[tuple[str, str], tuple[str, ...]] = {}
        self._identifier_seen: Counter[tuple[IdentifierKind, str]] = Counter()
        self._identifier_failed: Counter[tuple[IdentifierKind, str]] = Counter()

    def _cell(self, raw: dict[str, str], cmap: ColumnMap) -> str:
        return " ".join(raw.get(c, "") for c in cmap.columns if raw.get(c, "")).strip()

    def _date(self, raw: dict[str, str], cmap: ColumnMap, row: int, what: str) -> date | None:
        text = self._cell(raw, cmap)
        if coding.is_blank(text):
            return None
        value = cached_parse_date(text, tuple(cmap.formats) + self.formats)
        column = cmap.columns[0]
        if value is None:
            self.problems.add(
                Problem(
                    rule="unreadable_date",
                    row=row,
                    column=column,
                    message=f"the {what} is not a date in any known format",
                    hint="Add its format under `formats:` for this column in the profile (e.g. '%d/%m/%Y').",
                )
            )
            return None
        if value > self.today:
            self.problems.add(
                Problem(
                    rule="future_date",
                    row=row,
                    column=column,
                    message=f"the {what} is in the future",
                    hint="Correct the date in your case system and export again.",
                )
            )
            return None
        return value

    def read(self, raw: dict[str, str], row: int) -> ParsedRow:
        parsed = ParsedRow(row=row)
        p = self.profile
        for kind, cmap in p.identifiers.items():
            if kind == IdentifierKind.dob:
                parsed.dob = self._dob(raw, cmap, row)
                continue
            values = [raw.get(c, "").strip() for c in cmap.columns]
            values = [v for v in values if v and not coding.is_blank(v)]
            id_kind = ID_KINDS.get(kind)
            if id_kind is not None:
                parsed.id_numbers[id_kind] = self._id_numbers(kind, id_kind, values, row, cmap.columns[0])
            parsed.ids[kind] = values  # raw, malformed ones too: the scrubber removes them from notes
        for name, cmap in p.fields.items():
            spec = TARGETS[name]
            if spec.kind == "id":
                parsed.local_id = self._cell(raw, cmap) or None
            elif spec.kind == "date":
                value = self._date(raw, cmap, row, "date")
                if name == "incident.first_known_date":
                    parsed.event_date = value
                else:
                    parsed.decision_date = value
            elif spec.kind == "text":
                texts = [raw.get(c, "").strip() for c in cmap.columns]
                parsed.narrative = "\n".join(t for t in texts if t) or None
            elif spec.kind == "age":
                parsed.age = self._age(self._cell(raw, cmap), row, cmap.columns[0])
            elif spec.kind == "nationality":
                parsed.nationality = self._cell(raw, cmap) or None
                if parsed.nationality is not None and cmap.values:
                    mapped = coding.lookup(cmap, parsed.nationality)
                    parsed.nationality = mapped[0] if mapped else parsed.nationality
            elif spec.kind == "borough":
                parsed.borough = self._borough(raw, cmap, row)
            elif spec.kind == "area":
                area = self._borough(raw, cmap, row)
                if area is not None:
                    parsed.codes[name] = [area]
            elif spec.kind in ("country", "countries"):
                parsed.codes[name] = self._countries(self._cell(raw, cmap), cmap, many=spec.kind == "countries")
            elif spec.vocab is not None:
                text = self._cell(raw, cmap)
                cached = self._resolved.get((name, text))
                if cached is not None:
                    parsed.codes[name] = list(cached)
                    continue
                try:
                    parsed.codes[name] = coding.resolve(cmap, spec.vocab, text, multi=spec.kind == "codes")
                    if len(self._resolved) < 100_000:
                        self._resolved[(name, text)] = tuple(parsed.codes[name])
                except Unmapped as exc:
                    key = (name, cmap.columns[0])
                    self._unmapped_counts[key] += 1
                    bucket = self._unmapped[key]
                    if len(bucket) <= MAX_LISTED_VALUES or exc.value in bucket:
                        bucket[exc.value].append(row)
        return parsed

    def _dob(self, raw: dict[str, str], cmap: ColumnMap, row: int) -> date | None:
        """A date of birth, or None: an unreadable or future one only drops the keys that need it."""
        text = self._cell(raw, cmap)
        if coding.is_blank(text):
            return None
        column = cmap.columns[0]
        self._identifier_seen[(IdentifierKind.dob, column)] += 1
        value = cached_parse_date(text, tuple(cmap.formats) + self.formats)
        if value is not None and value <= self.today:
            return value
        self._identifier_failed[(IdentifierKind.dob, column)] += 1
        what = "not a date in any known format" if value is None else "in the future"
        self.problems.add(
            Problem(
                rule="unusable_dob",
                severity="warning",
                row=row,
                column=column,
                message=f"the date of birth is {what}; this row is sent without the match keys that need it",
                hint="Correct it in your case system; if many rows fail, add the column's format under `formats:`.",
            )
        )
        return None

    def _id_numbers(
        self, kind: IdentifierKind, id_kind: IdKind, values: list[str], row: int, column: str
    ) -> list[str]:
        """The well-formed ID numbers of a cell, canonical; each other one is named by row and column."""
        out: list[str] = []
        for value in values:
            self._identifier_seen[(kind, column)] += 1
            canonical = normalise_id(id_kind, value)
            if canonical is not None:
                out.append(canonical)
                continue
            self._identifier_failed[(kind, column)] += 1
            self.problems.add(
                Problem(
                    rule="unusable_id_number",
                    severity="warning",
                    row=row,
                    column=column,
                    message=f"the {_ID_WORDS[kind]} is not well formed; this row is sent without its match key",
                    hint="Correct it in your case system, or map the column to another identifier kind.",
                )
            )
        return out

    def _check_identifier_columns(self) -> None:
        """A column where most values cannot be read is a wrong mapping or format: an error."""
        for (kind, column), seen in self._identifier_seen.items():
            failed = self._identifier_failed[(kind, column)]
            if failed * 2 > seen:
                self.problems.add(
                    Problem(
                        rule="identifier_format",
                        column=column,
                        message=f"{failed} of {seen} values in this column are not a usable {_ID_WORDS[kind]}",
                        hint="Check the profile: is this the right column for it, and (for dates) its format under `formats:`?",
                    )
                )

    def _age(self, text: str, row: int, column: str) -> int | None:
        if coding.is_blank(text):
            return None
        match = re.match(r"^\s*(\d{1,3})(\.\d+)?\s*(y|yrs|years)?\s*$", text, re.I)
        if match is None or int(match.group(1)) > 120:
            self.problems.add(
                Problem(
                    rule="unreadable_age",
                    row=row,
                    column=column,
                    message="the age is not a whole number of years between 0 and 120",
                    hint="Leave it empty when unknown.",
                )
            )
            return None
        return int(match.group(1))

    def _borough(self, raw: dict[str, str], cmap: ColumnMap, row: int) -> str | None:
        text = self._cell(raw, cmap)
        if coding.is_blank(text):
            return None
        mapped = coding.lookup(cmap, text)
        candidate = mapped[0] if mapped else text.strip().upper()
        if _GSS.match(candidate):
            return candidate
        gss = borough_code(text)
        if gss is None and cmap.default is not None and _GSS.match(cmap.default):
            return cmap.default
        if gss is None:
            self.problems.add(
                Problem(
                    rule="unknown_borough",
                    row=row,
                    column=cmap.columns[0],
                    message="the borough is neither a London borough name nor an ONS GSS code",
                    hint="Map it under `values:` for incident.borough (name → E09… code) or leave it empty.",
                )
            )
        return gss

    @staticmethod
    def _countries(text: str, cmap: ColumnMap, *, many: bool) -> list[str]:
        """ISO codes of a country cell (names, demonyms, alpha-3 or codes; ``values:`` first).
        One country: its code or ``unknown``. A route: the countries recognised, in order,
        a country repeated next to itself once, at most ``MAX_TRANSIT``."""
        if coding.is_blank(text):
            return [] if many else ["unknown"]
        parts = [t.strip() for t in text.split(cmap.split or ";")] if many else [text]
        out: list[str] = []
        for part in parts:
            mapped = coding.lookup(cmap, part) if part else None
            code = mapped[0] if mapped else countries.nationality_code(part)
            if many:
                if code is not None and len(code) == 2 and (not out or out[-1] != code):
                    out.append(code)
            else:
                out.append(code or "unknown")
        return out[:MAX_TRANSIT] if many else out[:1]

    def _identifying_columns(self) -> set[str]:
        """Columns whose values may identify someone: never listed in a message (sex is not one)."""
        return {
            c for kind, m in self.profile.identifiers.items() if kind != IdentifierKind.sex for c in m.columns
        }

    def finish(self) -> None:
        """Report each unmapped code value once, with the rows that hold it; and unreadable identifier columns."""
        self._check_identifier_columns()
        for (name, column), bucket in self._unmapped.items():
            too_many = len(bucket) > MAX_LISTED_VALUES or column in self._identifying_columns()
            if too_many:
                self.problems.add(
                    Problem(
                        rule="unmapped_values",
                        column=column,
                        message=f"{self._unmapped_counts[(name, column)]} rows hold values with no code for {name}; "
                        "the column has too many different values to list (is it really a coded list?)",
                        hint="Check the column mapping, or set `default:` for this field in the profile.",
                    )
                )
                continue
            for value, rows in bucket.items():
                shown = ", ".join(str(r) for r in rows[:_MAX_LISTED_ROWS])
                more = f" and {len(rows) - _MAX_LISTED_ROWS} more" if len(rows) > _MAX_LISTED_ROWS else ""
                self.problems.add(
                    Problem(
                        rule="unmapped_value",
                        column=column,
                        message=f"the code list value '{value}' has no code for {name} (rows {shown}{more})",
                        hint=f"Add it under `values:` of {name} in the profile, or set `default:` for values not listed.",
                    )
                )
