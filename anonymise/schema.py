"""The common schema: exactly what may leave a partner, and the contract the hub ingests.

Four record kinds (incident, person in incident, selector, referral) whose every field is a
controlled code, a coarsened date, a location code or a keyed pseudonym. No field can hold a
name, date of birth, address, postcode, phone number, email, coordinate or free identifier:
models forbid unknown fields, every string is patterned, and the one free-text field
(``narrative``, scrubbed on the partner's machine) is refused if it still looks like it holds a
contact detail, postcode, date or coordinate.
"""

import re
from enum import StrEnum
from typing import Annotated, Final, Literal

import h3
import phonenumbers
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from anonymise import narrative_check
from anonymise.matchkeys import KeyKind
from anonymise.recognizers.prefilters import searcher
from anonymise.vocab import (
    AgeBand,
    AgeGroup,
    ControlMethod,
    ExploitationScope,
    ExploitationType,
    FirstResponderType,
    Gender,
    GroundsDecision,
    LabourSector,
    PoliceOutcome,
    PremisesType,
    RecruitmentMethod,
    ReferralType,
    Relationship,
    Role,
    SelectorKind,
    SourceChannel,
    SupportType,
)

SCHEMA_VERSION: Final = "1.2.0"
MAX_UPLOAD_H3_RESOLUTION: Final = 8
MARKER_CODES: Final = frozenset({"unknown", "not_asked", "not_applicable"})
MAX_TRANSIT: Final = 6
"""Countries of transit kept per incident, in order (HTCDS ``hte_Type`` = Transit events)."""

PSEUDONYM_PATTERN: Final = r"^v[0-9]{1,4}\.[0-9a-f]{64}$"
"""``v<key version>.<64 hex digits of HMAC-SHA256>``: the key version lets keys rotate."""

Pseudonym = Annotated[str, StringConstraints(pattern=PSEUDONYM_PATTERN)]
Month = Annotated[str, StringConstraints(pattern=r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$")]
Quarter = Annotated[str, StringConstraints(pattern=r"^(19|20)[0-9]{2}-Q[1-4]$")]
GssCode = Annotated[str, StringConstraints(pattern=r"^[ENSW][0-9]{8}$")]


class Flag(StrEnum):
    yes = "yes"
    no = "no"
    unknown = "unknown"
    not_asked = "not_asked"
    not_applicable = "not_applicable"


class MatchKey(StrEnum):
    """The person match keys, each its own pseudonym (after the ONS census linkage match keys)."""

    name_dob = "name_dob"
    initial_surname_dob = "initial_surname_dob"
    sorted_tokens_yob = "sorted_tokens_yob"
    surname_dob_sex = "surname_dob_sex"


def _check_h3_cell(value: str) -> str:
    if not h3.is_valid_cell(value):
        raise ValueError("not a valid H3 cell index")
    if h3.get_resolution(value) > MAX_UPLOAD_H3_RESOLUTION:
        raise ValueError(f"H3 resolution above {MAX_UPLOAD_H3_RESOLUTION} may not leave a partner")
    return value


def _check_nationality(value: str) -> str:
    if value in MARKER_CODES or value.startswith("region:") or value == "other":
        return value
    if value not in phonenumbers.SUPPORTED_REGIONS and value not in {"XK"}:
        raise ValueError("not an ISO 3166-1 alpha-2 code, a region code or a marker")
    return value


def _check_transit(value: str) -> str:
    if value not in phonenumbers.SUPPORTED_REGIONS and value not in {"XK"}:
        raise ValueError("not an ISO 3166-1 alpha-2 code")
    return value


H3Cell = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{15}$"), AfterValidator(_check_h3_cell)]
Nationality = Annotated[
    str,
    StringConstraints(pattern=r"^([A-Z]{2}|region:[a-z_]+|other|unknown|not_asked|not_applicable)$"),
    AfterValidator(_check_nationality),
]

Country = Nationality
"""A country of recruitment or exploitation: ISO 3166-1 alpha-2 (HTCDS ``hte_Country``, CTDC
``CountryOfExploitation``), a world region code when the source only knows the region, or a marker."""
TransitCountry = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$"), AfterValidator(_check_transit)]

# A last line of defence behind the scrubber: what a narrative that still carries a contact
# detail, postcode, date, coordinate or long number looks like. Placeholders (<PERSON_1>) pass.
_NARRATIVE_LEAKS: Final = {
    "email": searcher(r"[\w.+-]+@[\w-]+\.[\w.-]+"),
    "phone": searcher(r"(?<!\w)(?:\+?\d[\d ()-]{8,}\d)(?!\w)"),
    "postcode": searcher(r"\b[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}\b", re.IGNORECASE),
    "date": searcher(r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|\b(19|20)\d{2}-\d{2}-\d{2}\b"),
    "coordinate": searcher(r"-?\d{1,3}\.\d{4,}"),
    "long_number": searcher(r"\b\d{6,}\b"),
    "url": searcher(r"https?://|www\.", re.IGNORECASE),
}
"""Each a ``search`` of its expression (:func:`~anonymise.recognizers.prefilters.searcher`: the same answer, faster)."""
_NEED_A_DIGIT: Final = frozenset({"phone", "postcode", "date", "coordinate", "long_number"})
"""The expressions above that every match of holds a digit (``\\d``, or ``[0-9]``): not run on a text without one (speed only)."""
_DIGIT: Final = re.compile(r"\d")


def _check_narrative(value: str) -> str:
    """Refuse a narrative that still looks like it holds an identifier: the patterns above, then
    the scrubber's own detectors on the text normalised (``anonymise.narrative_check``). The error
    type names the rule (``narrative_postcode``); the message never holds the text."""
    digits = _DIGIT.search(value) is not None
    for kind, search in _NARRATIVE_LEAKS.items():
        if (digits or kind not in _NEED_A_DIGIT) and search(value):
            raise PydanticCustomError(f"narrative_{kind}", f"narrative still contains what looks like a {kind}; scrub it first")
    found = narrative_check.leaks(value)
    if found:
        raise PydanticCustomError(
            f"narrative_{found[0]}", f"narrative still contains what looks like a {found[0].replace('_', ' ')}; scrub it first"
        )
    return value


Narrative = Annotated[str, StringConstraints(max_length=4000), AfterValidator(_check_narrative)]


class Record(BaseModel):
    """Base of every record that leaves a partner: closed, immutable, never echoes input."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        hide_input_in_errors=True,
        use_enum_values=False,
        validate_default=True,
    )


class Incident(Record):
    incident_pid: Pseudonym
    first_known_month: Month
    reporting_quarter: Quarter
    source_channel: SourceChannel = SourceChannel.unknown
    exploitation_types: tuple[ExploitationType, ...] = Field(
        default=(ExploitationType.unknown,), min_length=1, max_length=len(ExploitationType)
    )
    county_lines: Flag = Flag.unknown
    labour_sectors: tuple[LabourSector, ...] = Field(default=(), max_length=len(LabourSector))
    premises_type: PremisesType = PremisesType.unknown
    methods_of_control: tuple[ControlMethod, ...] = Field(default=(), max_length=len(ControlMethod))
    recruitment_methods: tuple[RecruitmentMethod, ...] = Field(
        default=(), max_length=len(RecruitmentMethod)
    )
    exploitation_scope: ExploitationScope = ExploitationScope.unknown
    la_gss_code: GssCode | None = None
    police_force_area: GssCode | None = None
    recruitment_country: Country = "unknown"
    transit_countries: tuple[TransitCountry, ...] = Field(default=(), max_length=MAX_TRANSIT)
    exploitation_country: Country = "unknown"
    recruitment_area: GssCode | None = None
    exploitation_area: GssCode | None = None
    h3_cell: H3Cell | None = None
    h3_resolution: int | None = Field(default=None, ge=0, le=MAX_UPLOAD_H3_RESOLUTION)
    narrative: Narrative | None = None


class Person(Record):
    incident_pid: Pseudonym
    person_seq: int = Field(ge=1, le=999)
    mk_name_dob: Pseudonym | None = None
    mk_initial_surname_dob: Pseudonym | None = None
    mk_sorted_tokens_yob: Pseudonym | None = None
    mk_surname_dob_sex: Pseudonym | None = None
    role: Role = Role.unknown
    gender: Gender = Gender.unknown
    age_band: AgeBand = AgeBand.unknown
    age_group: AgeGroup = AgeGroup.unknown
    nationality: Nationality = "unknown"
    relationship: Relationship = Relationship.unknown


class PersonKey(Record):
    """One linkage key of a person (:mod:`anonymise.matchkeys`): a kind may hold several values."""

    incident_pid: Pseudonym
    person_seq: int = Field(ge=1, le=999)
    kind: KeyKind
    key_pid: Pseudonym


class Selector(Record):
    incident_pid: Pseudonym
    kind: SelectorKind
    selector_pid: Pseudonym


class Referral(Record):
    incident_pid: Pseudonym
    person_seq: int | None = Field(default=None, ge=1, le=999)
    referral_type: ReferralType = ReferralType.unknown
    first_responder_type: FirstResponderType = FirstResponderType.unknown
    reasonable_grounds: GroundsDecision = GroundsDecision.unknown
    conclusive_grounds: GroundsDecision = GroundsDecision.unknown
    decision_month: Month | None = None
    police_outcome: PoliceOutcome = PoliceOutcome.unknown
    victim_engaged_with_police: Flag = Flag.unknown
    support_provided: tuple[SupportType, ...] = Field(default=(), max_length=len(SupportType))


TableName = Literal["incidents", "persons", "selectors", "referrals", "person_keys"]

TABLES: Final[dict[TableName, type[Record]]] = {
    "incidents": Incident,
    "persons": Person,
    "selectors": Selector,
    "referrals": Referral,
    "person_keys": PersonKey,
}
"""Bundle table name → the record model of its rows, in ingest order."""

PSEUDONYM_FIELDS: Final[dict[TableName, tuple[str, ...]]] = {
    "incidents": ("incident_pid",),
    "persons": (
        "incident_pid",
        "mk_name_dob",
        "mk_initial_surname_dob",
        "mk_sorted_tokens_yob",
        "mk_surname_dob_sex",
    ),
    "selectors": ("incident_pid", "selector_pid"),
    "referrals": ("incident_pid",),
    "person_keys": ("incident_pid", "key_pid"),
}
"""Fields holding keyed pseudonyms; the hub re-keys each with its own secret."""

MATCH_KEY_FIELDS: Final[dict[MatchKey, str]] = {key: f"mk_{key.value}" for key in MatchKey}

FORBIDDEN_FIELD_WORDS: Final = (
    "name", "dob", "birth", "address", "street", "postcode", "zip", "phone", "mobile",
    "email", "lat", "lon", "coordinate", "passport", "nino", "nhs", "identity",
)
"""No schema field may be named after a direct identifier (checked by the test suite)."""


def field_names(table: TableName) -> tuple[str, ...]:
    """The field names of a table, in schema order.

    >>> field_names("selectors")
    ('incident_pid', 'kind', 'selector_pid')
    """
    return tuple(TABLES[table].model_fields)


def json_schema() -> dict[str, object]:
    """The JSON Schema of every record kind, as published in ``docs/schema.json``."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "msht-hub common schema",
        "version": SCHEMA_VERSION,
        "tables": {name: model.model_json_schema() for name, model in TABLES.items()},
    }
