"""Mapping profiles: which export column feeds which schema field, as versioned, validated YAML."""

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from anonymise.schema import Flag
from anonymise.vocab import (
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
    SourceChannel,
    SupportType,
)
from partner_client.errors import ClientError, Problem

PROFILE_FORMAT: Final = 1
SCHEMA_FILE: Final = Path(__file__).with_name("profile.schema.json")

Kind = Literal["id", "date", "code", "codes", "text", "borough", "nationality", "age", "country", "countries", "area"]


@dataclass(frozen=True)
class Target:
    kind: Kind
    vocab: type[StrEnum] | None = None
    help: str = ""


TARGETS: Final[dict[str, Target]] = {
    "incident.local_id": Target("id", help="Your case or incident reference (rows sharing it are one incident)."),
    "incident.first_known_date": Target("date", help="When the case first became known (sent as month only)."),
    "incident.source_channel": Target("code", SourceChannel),
    "incident.exploitation_types": Target("codes", ExploitationType),
    "incident.county_lines": Target("code", Flag),
    "incident.labour_sectors": Target("codes", LabourSector),
    "incident.premises_type": Target("code", PremisesType),
    "incident.methods_of_control": Target("codes", ControlMethod),
    "incident.recruitment_methods": Target("codes", RecruitmentMethod),
    "incident.exploitation_scope": Target("code", ExploitationScope),
    "incident.borough": Target("borough", help="Borough name or ONS GSS code (E09…)."),
    "incident.recruitment_country": Target("country", help="Country where the person was recruited (name or ISO code)."),
    "incident.transit_countries": Target(
        "countries", help="Countries passed through, in order, in one cell (set `split:`; default ';')."
    ),
    "incident.exploitation_country": Target("country", help="Country of exploitation (name or ISO code; UK → GB)."),
    "incident.recruitment_area": Target(
        "area", help="Within the UK, where the person was recruited: London borough name or a GSS code (E06…, E09…, E23…)."
    ),
    "incident.exploitation_area": Target(
        "area", help="Within the UK, where the exploitation took place when not the incident's borough (county lines)."
    ),
    "incident.narrative": Target("text", help="Free-text notes; scrubbed of identifying details before they leave."),
    "person.role": Target("code", Role),
    "person.gender": Target("code", Gender),
    "person.age": Target("age", help="Age in years, when there is no date of birth."),
    "person.nationality": Target("nationality", help="Nationality as written; sent as an ISO country code."),
    "person.relationship": Target("code", Relationship),
    "referral.referral_type": Target("code", ReferralType),
    "referral.first_responder_type": Target("code", FirstResponderType),
    "referral.reasonable_grounds": Target("code", GroundsDecision),
    "referral.conclusive_grounds": Target("code", GroundsDecision),
    "referral.decision_date": Target("date"),
    "referral.police_outcome": Target("code", PoliceOutcome),
    "referral.victim_engaged_with_police": Target("code", Flag),
    "referral.support_provided": Target("codes", SupportType),
}
"""Every schema field a profile can feed, with how its source text is read."""



def _known_target(name: str) -> str:
    if name not in TARGETS:
        raise ValueError("not a field a profile can feed (see `msht-client map --help` for the list)")
    return name


TargetName = Annotated[str, AfterValidator(_known_target)]


class IdentifierKind(StrEnum):
    """Columns holding direct identifiers: used only for pseudonyms, geocoding and scrubbing."""

    full_name = "full_name"
    given_name = "given_name"
    family_name = "family_name"
    dob = "dob"
    sex = "sex"
    phone = "phone"
    email = "email"
    vehicle = "vehicle"
    address = "address"
    bank_account = "bank_account"
    business = "business"  # an employer's, agency's or labour provider's name: a selector, never uploaded as text
    social_handle = "social_handle"
    nhs_number = "nhs_number"
    ni_number = "ni_number"
    passport = "passport"
    ukvi_reference = "ukvi_reference"
    pnc_id = "pnc_id"
    postcode = "postcode"
    location_postcode = "location_postcode"
    latitude = "latitude"
    longitude = "longitude"
    other = "other"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class ColumnMap(_Strict):
    """Which column(s) feed one field, and how their values are read."""

    columns: tuple[str, ...] = Field(
        default=(), description="Source column names, in order; none means every row gets `default`."
    )
    values: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description="Source value (case and spacing ignored) → vocabulary code(s).",
    )
    default: str | None = Field(
        default=None, description="Code for values not listed in `values`; without it they are errors."
    )
    split: str | None = Field(default=None, description="Separator of several values in one cell.")
    formats: tuple[str, ...] = Field(default=(), description="strptime formats for dates, tried in order.")

    @model_validator(mode="after")
    def _source(self) -> "ColumnMap":
        if not self.columns and self.default is None:
            raise ValueError("name at least one column, or give a `default` every row gets")
        return self

    @model_validator(mode="before")
    @classmethod
    def _column_shorthand(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"columns": [data]}
        if isinstance(data, dict) and "column" in data:
            data = dict(data)
            data["columns"] = [data.pop("column")]
        return data


class CsvOptions(_Strict):
    encoding: Literal["auto", "utf-8", "utf-8-sig", "cp1252", "latin-1"] = "auto"
    delimiter: Literal["auto", ",", ";", "\t"] = "auto"
    date_formats: tuple[str, ...] = Field(
        default=(), description="Date formats tried before the built-in ones (day first, UK style)."
    )


class Profile(_Strict):
    """A mapping profile. ``version`` is yours: raise it whenever you change the mapping."""

    profile_format: Literal[1] = PROFILE_FORMAT
    version: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9._-]+$")
    description: str = ""
    csv: CsvOptions = CsvOptions()
    postcode_lookup: str | None = Field(
        default=None, description="Postcode file in ONS Postcode Directory layout, relative to this profile."
    )
    fields: dict[TargetName, ColumnMap] = Field(
        default_factory=dict, json_schema_extra={"propertyNames": {"enum": list(sorted(TARGETS))}}
    )
    identifiers: dict[IdentifierKind, ColumnMap] = Field(default_factory=dict)
    ignore: tuple[str, ...] = Field(default=(), description="Columns deliberately left out.")

    def code_problems(self) -> list[tuple[tuple[str, ...], str]]:
        """Vocabulary codes in ``values``/``default`` that do not exist: (location, message)."""
        problems: list[tuple[tuple[str, ...], str]] = []
        for name, cmap in self.fields.items():
            target = TARGETS[name]
            if target.vocab is None:
                continue
            allowed = ", ".join(m.value for m in target.vocab)
            codes = {m.value for m in target.vocab}
            for source, mapped in cmap.values.items():
                for code in [mapped] if isinstance(mapped, str) else mapped:
                    if code not in codes:
                        problems.append(
                            (("fields", name, "values", source), f"'{code}' is not a code of {name}; use one of: {allowed}")
                        )
            if cmap.default is not None and cmap.default not in codes:
                problems.append((("fields", name, "default"), f"not a code of {name}; use one of: {allowed}"))
        return problems

    def target(self, name: str) -> ColumnMap | None:
        return self.fields.get(name)

    def identifier(self, kind: IdentifierKind) -> ColumnMap | None:
        return self.identifiers.get(kind)

    def columns_used(self) -> set[str]:
        used = {c for m in self.fields.values() for c in m.columns}
        return used | {c for m in self.identifiers.values() for c in m.columns}

    def identifier_columns(self) -> set[str]:
        return {c for m in self.identifiers.values() for c in m.columns}


def profile_json_schema() -> dict[str, Any]:
    schema = Profile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://msht-hub.example/schemas/mapping-profile-{PROFILE_FORMAT}.json"
    return schema


def write_schema(path: Path = SCHEMA_FILE) -> None:
    path.write_text(json.dumps(profile_json_schema(), indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _node_line(root: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based YAML line of the node a pydantic error location points at (or its nearest parent)."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            found = None
            for key, value in node.value:
                if str(key.value) == str(part):
                    found = value
                    line = key.start_mark.line + 1
                    break
            if found is None:
                break
            node = found
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def parse_profile(text: str, *, source: str = "profile") -> Profile:
    """Validate profile YAML; every problem names its line, field and rule."""
    try:
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ClientError(
            f"{source} is not valid YAML" + (f" (line {line})" if line else "") + ".",
            hint="Check indentation and quotes around values containing ':' or '#'.",
        ) from None
    if not isinstance(data, dict):
        raise ClientError(f"{source} must be a YAML mapping with at least `version:` and `fields:`.")
    located: list[tuple[tuple[int | str, ...], str, str]] = []
    profile: Profile | None = None
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        located = [(tuple(err["loc"]), err["type"], err["msg"]) for err in exc.errors()]
    else:
        located = [(loc, "unknown_code", msg) for loc, msg in profile.code_problems()]
    if profile is not None and not located:
        return profile
    problems = []
    for loc, rule, msg in located:
        line = _node_line(root, loc)
        where = ".".join(str(p) for p in loc if p != "[key]") or "(top level)"
        text_ = f"line {line}: {where}: {msg}" if line else f"{where}: {msg}"
        problems.append(Problem(rule=rule, message=text_))
    raise ClientError(
        f"{source} has {len(problems)} problem(s).",
        hint="Fix the lines named below; `msht-client map CSV` proposes a fresh profile.",
        problems=problems,
    )


def load_profile(path: Path) -> Profile:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise ClientError(f"The profile {path} cannot be read.", hint="Check the path.") from None
    return parse_profile(text, source=path.name)


def dump_profile(profile: Profile) -> str:
    data = profile.model_dump(mode="json", exclude_defaults=True)
    data = {"profile_format": PROFILE_FORMAT, **data}
    for section in ("fields", "identifiers"):
        for name, cmap in data.get(section, {}).items():
            if list(cmap) == ["columns"] and len(cmap["columns"]) == 1:
                data[section][name] = {"column": cmap["columns"][0]}
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
