"""`map`: propose a mapping profile from an export's headers and values, and check one against a file."""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path
from typing import Final

from anonymise.vocab import Gender
from partner_client import coding
from partner_client.coding import MAX_LISTED_VALUES
from partner_client.csvread import ROW_KEY, read_chunks, sniff
from partner_client.errors import ClientError, Problem, Problems
from partner_client.profile import TARGETS, ColumnMap, IdentifierKind, Profile
from partner_client.rows import RowReader

SAMPLE_ROWS: Final = 5_000

# Header words partners' systems use. Identifier columns come first: a column that could be a
# name is always treated as an identifier, never as a field that leaves.
HEADER_SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    "id:full_name": ("name", "full name", "client name", "patient name", "person name", "subject name", "nominal name", "victim name", "client", "service user"),
    "id:given_name": ("first name", "forename", "forenames", "given name", "given names", "christian name"),
    "id:family_name": ("surname", "last name", "family name"),
    "id:dob": ("dob", "date of birth", "birth date", "d o b", "birthdate"),
    "id:sex": ("sex",),
    "id:phone": ("phone", "tel no", "telephone number", "phone no", "telephone", "mobile", "tel", "contact number", "phone number", "mobile number", "contact no", "contact tel", "contact"),
    "id:email": ("email", "e mail", "email address"),
    "id:vehicle": ("vehicle", "vrm", "registration", "vehicle reg", "reg no", "number plate"),
    "id:address": ("address", "home address", "street", "address line 1", "location address"),
    "id:bank_account": ("bank account", "account number", "sort code"),
    "id:postcode": ("postcode", "post code", "postal code", "zip", "home postcode"),
    "id:location_postcode": ("location postcode", "location post code", "exploitation postcode", "incident postcode", "premises postcode", "postcode where exploited", "postcode of exploitation", "where exploited postcode"),
    "id:latitude": ("lat", "latitude", "y coord"),
    "id:longitude": ("lon", "long", "longitude", "lng", "x coord"),
    "id:nhs_number": ("nhs number", "nhs no", "nhs num", "nhs id"),
    "id:ni_number": ("ni number", "nino", "ni no", "national insurance number", "national insurance no"),
    "id:passport": ("passport", "passport number", "passport no"),
    "id:ukvi_reference": ("home office reference", "ho reference", "ho ref", "ukvi reference", "ukvi ref", "uan"),
    "id:pnc_id": ("pnc id", "pnc number", "pnc no", "pncid"),
    "id:other": ("mrn", "hospital number", "crn"),
    "incident.local_id": ("case ref", "client ref", "client reference", "ref no", "reference number", "occurrence no", "attendance id", "case id", "case reference", "reference", "incident id", "incident ref", "log id", "log ref", "occurrence", "crime ref", "case number", "ref", "attendance id"),
    "incident.first_known_date": ("date referred", "date received", "arrival datetime", "report date", "arrival date", "referral date", "date reported", "reported date", "date opened", "opened", "date", "incident date", "attendance date", "date of concern", "log date", "first contact"),
    "incident.source_channel": ("source", "referral source", "referred by", "channel", "how referred", "source of referral"),
    "incident.exploitation_types": ("exploitation", "crime type", "flag type", "msht type", "exploitation type", "exploitation types", "type of exploitation", "concern type", "abuse type", "category", "type", "type of abuse", "kind of exploitation"),
    "incident.county_lines": ("county lines", "cl flag", "county lines flag"),
    "incident.labour_sectors": ("sector", "labour sector", "industry", "work sector"),
    "incident.premises_type": ("premises", "place of exploitation", "location type", "premises type", "location type", "venue", "business type", "place type", "where exploited", "place exploited", "exploited at"),
    "incident.methods_of_control": ("control", "methods of control", "means of control", "control methods", "indicators"),
    "incident.recruitment_methods": ("recruitment", "recruitment method", "how recruited"),
    "incident.exploitation_scope": ("scope", "exploited where", "uk overseas", "exploitation location"),
    "incident.borough": ("borough", "borough of exploitation", "la of residence", "local authority", "la", "council", "area", "lsoa borough", "gss code"),
    "incident.narrative": ("notes", "narrative", "summary", "details", "comments", "case notes", "description", "free text", "circumstances", "intel text"),
    "person.role": ("role", "person role", "subject type", "nominal type", "involvement"),
    "person.gender": ("gender", "sex gender", "gender identity"),
    "person.age": ("age", "age years", "age at referral", "approx age"),
    "person.nationality": ("nationality", "country of origin", "citizenship", "nationality country"),
    "person.relationship": ("relationship", "relationship to exploiter", "relation to suspect"),
    "referral.referral_type": ("referral type", "nrm submitted", "nrm referral", "referral", "referred to", "onward referral", "nrm dtn"),
    "referral.first_responder_type": ("first responder", "first responder type", "fro"),
    "referral.reasonable_grounds": ("reasonable grounds", "rg decision", "rg"),
    "referral.conclusive_grounds": ("conclusive grounds", "cg decision", "cg"),
    "referral.decision_date": ("decision date", "rg date", "date of decision"),
    "referral.police_outcome": ("police outcome", "outcome", "crime outcome", "result"),
    "referral.victim_engaged_with_police": ("engaged with police", "police engagement", "supports prosecution"),
    "referral.support_provided": ("support", "support provided", "services", "support type"),
}


@dataclass
class Proposal:
    profile: Profile
    columns: dict[str, tuple[str, float]] = field(default_factory=dict)
    """Source column → (field or identifier it was matched to, confidence)."""
    unmatched: list[str] = field(default_factory=list)
    value_guesses: dict[str, dict[str, tuple[str, float]]] = field(default_factory=dict)
    """Field → source value → (proposed code, confidence); values of coded columns only."""


def _header_key(header: str) -> str:
    return re.sub(r"[^a-z0-9&]+", " ", coding.norm(header)).strip()


def _score(header: str, synonyms: tuple[str, ...]) -> float:
    key = _header_key(header)
    best = 0.0
    for synonym in synonyms:
        if key == synonym:
            return 1.0
        ratio = SequenceMatcher(None, key, synonym).ratio()
        if len(synonym) > 3 and (key.startswith(synonym + " ") or key.endswith(" " + synonym)):
            ratio = max(ratio, 0.86)
        best = max(best, ratio)
    return best


def match_headers(headers: tuple[str, ...], threshold: float = 0.78) -> dict[str, tuple[str, float]]:
    """Each header's best target (``id:<kind>`` or a field), greedily by confidence, one header per target.

    >>> match_headers(("Client Name", "D.O.B", "Nationality"))["D.O.B"]
    ('id:dob', 1.0)
    """
    candidates = sorted(
        ((_score(h, syn), h, target) for h in headers if h for target, syn in HEADER_SYNONYMS.items()),
        key=lambda item: -item[0],
    )
    chosen: dict[str, tuple[str, float]] = {}
    taken: set[str] = set()
    multi_ok = {"id:phone", "id:email", "id:other", "id:address", "incident.narrative"}
    for score, header, target in candidates:
        if score < threshold or header in chosen or (target in taken and target not in multi_ok):
            continue
        chosen[header] = (target, round(score, 2))
        taken.add(target)
    return chosen


def propose(path: Path, *, version: str = "1") -> Proposal:
    """A first mapping profile for an export: headers matched fuzzily, values mapped to codes."""
    fmt = sniff(path)
    sample: list[dict[str, str]] = []
    for chunk in read_chunks(path, fmt, chunk_rows=SAMPLE_ROWS):
        sample = chunk.rows
        break
    matches = match_headers(fmt.headers)
    if not any(not t.startswith("id:") for t, _ in matches.values()):
        raise ClientError(
            f"No column of {path.name} looks like a field of the common schema.",
            hint="Is this the right export? Otherwise write the profile by hand from an example in "
            "partner_client/profiles/, naming your columns under `fields:`.",
        )
    grouped: dict[str, list[str]] = defaultdict(list)
    for header in fmt.headers:
        if header in matches:
            grouped[matches[header][0]].append(header)
    fields: dict[str, ColumnMap] = {}
    identifiers: dict[IdentifierKind, ColumnMap] = {}
    guesses: dict[str, dict[str, tuple[str, float]]] = {}
    for target, columns in grouped.items():
        if target.startswith("id:"):
            identifiers[IdentifierKind(target[3:])] = ColumnMap(columns=tuple(columns))
            continue
        spec = TARGETS[target]
        if spec.vocab is None:
            fields[target] = ColumnMap(columns=tuple(columns))
            continue
        multi = spec.kind == "codes"
        values = coding.distinct_parts((row[columns[0]] for row in sample), None, multi)
        value_map: dict[str, str | list[str]] = {}
        guesses[target] = {}
        if len(values) <= MAX_LISTED_VALUES:
            for value in values:
                code, confidence = coding.suggest_code(value, spec.vocab)
                if confidence < 0.6:
                    code = "other" if "other" in {m.value for m in spec.vocab} else "unknown"
                guesses[target][value] = (code, confidence)
                value_map[value] = code
        default = "unknown" if len(values) > MAX_LISTED_VALUES else None
        fields[target] = ColumnMap(columns=tuple(columns[:1]), values=value_map, default=default)
    if IdentifierKind.sex not in identifiers and "person.gender" in fields:
        identifiers[IdentifierKind.sex] = ColumnMap(columns=fields["person.gender"].columns)
    if IdentifierKind.sex in identifiers and "person.gender" not in fields:
        column = identifiers[IdentifierKind.sex].columns[0]
        values = coding.distinct_parts((row[column] for row in sample), None, False)
        guesses["person.gender"] = {v: coding.suggest_code(v, Gender) for v in values[:MAX_LISTED_VALUES]}
        fields["person.gender"] = ColumnMap(
            columns=(column,), values={v: g[0] if g[1] >= 0.6 else "unknown" for v, g in guesses["person.gender"].items()}
        )
    unmatched = [h for h in fmt.headers if h and h not in matches]
    profile = Profile(
        version=version,
        description=f"Proposed by `msht-client map` from {path.name}; check every line.",
        fields=fields,
        identifiers=identifiers,
        ignore=tuple(unmatched),
    )
    return Proposal(profile=profile, columns=matches, unmatched=unmatched, value_guesses=guesses)


def check(profile: Profile, path: Path) -> Problems:
    """Everything a profile gets wrong about a file: missing columns, unmapped codes, unread dates."""
    fmt = sniff(path)
    problems = Problems()
    missing = sorted(c for c in profile.columns_used() if c not in fmt.headers)
    for column in missing:
        problems.add(
            Problem(
                rule="missing_column",
                column=column,
                message="the profile names this column but the file has no such header",
                hint="Correct the name in the profile (spelling, spaces and case count) or re-export with it.",
            )
        )
    if missing:
        return problems
    unmentioned = [h for h in fmt.headers if h and h not in profile.columns_used() and h not in profile.ignore]
    for column in unmentioned:
        problems.add(
            Problem(
                rule="unmapped_column",
                severity="warning",
                column=column,
                message="this column is neither mapped nor listed under `ignore:`; it will not be sent",
                hint="Map it if it holds a schema field, or list it under `ignore:` to silence this.",
            )
        )
    reader = RowReader(profile, problems)  # the same reader `prepare` uses
    for chunk in read_chunks(path, fmt):
        for row in chunk.rows:
            reader.read(row, int(row[ROW_KEY]))
    reader.finish()
    return problems
