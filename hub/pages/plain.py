"""Pages: plain English for the schema's field names ("persons.mk_name_dob" → "Name and date of birth (for matching)")."""

from collections.abc import Mapping
from typing import Any, Final

from anonymise import BY_GSS

FIELD_NAMES: Final = {
    "incidents.county_lines": "County lines flag",
    "incidents.exploitation_scope": "Where the exploitation happened (UK or abroad)",
    "incidents.exploitation_types": "Type of exploitation",
    "incidents.h3_cell": "Location (map area)",
    "incidents.la_gss_code": "Borough",
    "incidents.methods_of_control": "Methods of control",
    "incidents.premises_type": "Type of premises",
    "incidents.source_channel": "How the case came in",
    "persons.age_band": "Age band",
    "persons.gender": "Gender",
    "persons.nationality": "Nationality",
    "persons.relationship": "Relationship to the suspect",
    "persons.role": "Role (victim, suspect...)",
    "persons.mk_name_dob": "Name and date of birth (for matching people)",
    "persons.mk_phone": "Phone number (for matching people)",
    "persons.mk_email": "Email address (for matching people)",
    "persons.mk_id_number": "ID number (for matching people)",
}


def field_name(key: str) -> str:
    """The plain name of a schema field, or the key made readable when it has none here.

    >>> field_name("persons.mk_name_dob")
    'Name and date of birth (for matching people)'
    >>> field_name("referrals.referral_type")
    'Referral type'
    """
    if key in FIELD_NAMES:
        return FIELD_NAMES[key]
    name = key.rpartition(".")[2].removeprefix("mk_")
    return name.replace("_", " ").capitalize()


MONTHS: Final = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December")


def period(quarter: str | None) -> str:
    """A quarter in words, with its code: what every figure's heading says it covers.

    >>> period("2026-Q3")
    'July to September 2026 (2026-Q3)'
    >>> period(None)
    'no quarter with data yet'
    """
    if not quarter or len(quarter) != 7 or quarter[4:6] != "-Q" or quarter[-1] not in "1234":
        return quarter or "no quarter with data yet"
    q = int(quarter[-1])
    return f"{MONTHS[3 * q - 3]} to {MONTHS[3 * q - 1]} {quarter[:4]} ({quarter})"


EXCLUDED_WHY: Final = {
    "borough": "shares London-wide figures only, not borough detail, with your organisation",
    "none": "does not share with your organisation",
}


def excluded_why(reason: str) -> str:
    """Why a partner's records are left out of a figure, in words."""
    return EXCLUDED_WHY.get(reason, "is not included")


KIND_NAMES: Final = {
    "NGO": "NGO", "LawEnforcement": "Police", "HealthServiceOrganisation": "Health service",
    "LocalGovernmentOrganisation": "Borough council", "CentralGovernmentOrganisation": "Central government",
    "ImmigrationService": "Immigration service", "LegalService": "Legal service", "CorporateBusiness": "Business",
    "SchoolOrCollege": "School or college",
}
KIND_WORDS: Final = {
    "NGO": "every NGO", "LawEnforcement": "every police force", "HealthServiceOrganisation": "every health service",
    "LocalGovernmentOrganisation": "every borough council", "CentralGovernmentOrganisation": "every central government body",
    "ImmigrationService": "every immigration service", "LegalService": "every legal service",
    "CorporateBusiness": "every business", "SchoolOrCollege": "every school or college",
}
ROLE_NAMES: Final = {
    "operator": "Operator", "borough_officer": "Borough officer", "analyst": "Analyst", "partner_uploader": "Partner uploader",
}
GRANT_ROLES: Final = {"operator": "operators", "borough_officer": "borough officers", "analyst": "analysts", "partner_uploader": "partner uploaders"}
LEVEL_WORDS: Final = {"borough_detail": "borough detail", "pooled_london": "pooled London", "networks": "networks"}


def kind_name(kind: str) -> str:
    """An organisation kind (HTCDS ``org_Type``) in words: "Borough council"."""
    return KIND_NAMES.get(kind, kind)


def role_name(role: str) -> str:
    """A signed-in user's role in words: "Borough officer"."""
    return ROLE_NAMES.get(role, role.replace("_", " ").capitalize())


def grant_text(grant: Any, names: Mapping[str, str] | None = None) -> str:
    """One sharing grant in words: "every borough council: borough detail", "analysts: networks"."""
    if grant.org:
        who = (names or {}).get(grant.org, grant.org)
    elif grant.kind:
        who = KIND_WORDS.get(grant.kind.value, f"every {grant.kind.value}")
    else:
        who = GRANT_ROLES.get(grant.role.value, grant.role.value.replace("_", " "))
    level = LEVEL_WORDS.get(grant.level.value, grant.level.value.replace("_", " "))
    boroughs = [BY_GSS[g].name if g in BY_GSS else g for g in grant.boroughs]
    return f"{who}: {level}" + (f" ({', '.join(boroughs)})" if boroughs else "")
