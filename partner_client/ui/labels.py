"""Plain English for the caseworker's page: field names, identifier kinds, codes and sent columns in words."""

from typing import Any, Final

from anonymise import country_name
from anonymise.london import BY_GSS
from partner_client.profile import TARGETS, IdentifierKind

IGNORE_LABEL: Final = "Not sent (left out)"

FIELD_LABELS: Final[dict[str, str]] = {
    "incident.local_id": "Your case reference",
    "incident.first_known_date": "Date the case became known",
    "incident.source_channel": "How the case came to you",
    "incident.exploitation_types": "Type of exploitation",
    "incident.county_lines": "County lines (yes or no)",
    "incident.labour_sectors": "Work sector (labour exploitation)",
    "incident.premises_type": "Kind of place where exploited",
    "incident.methods_of_control": "How the person was controlled",
    "incident.recruitment_methods": "How the person was recruited",
    "incident.exploitation_scope": "In the UK or abroad",
    "incident.borough": "Borough",
    "incident.recruitment_country": "Country where recruited",
    "incident.transit_countries": "Countries passed through",
    "incident.exploitation_country": "Country where exploited",
    "incident.recruitment_area": "Area where recruited",
    "incident.exploitation_area": "Area where exploited",
    "incident.narrative": "Case notes (scrubbed before they leave)",
    "person.role": "Person's role (victim, suspect…)",
    "person.gender": "Gender",
    "person.age": "Age in years",
    "person.nationality": "Nationality",
    "person.relationship": "Relationship to the exploiter",
    "referral.referral_type": "Kind of referral made",
    "referral.first_responder_type": "First responder",
    "referral.reasonable_grounds": "Reasonable grounds decision",
    "referral.conclusive_grounds": "Conclusive grounds decision",
    "referral.decision_date": "Date of the decision",
    "referral.police_outcome": "Police outcome",
    "referral.victim_engaged_with_police": "Engaged with the police (yes or no)",
    "referral.support_provided": "Support provided",
}

IDENTIFIER_LABELS: Final[dict[IdentifierKind, str]] = {
    IdentifierKind.full_name: "Full name",
    IdentifierKind.given_name: "First name",
    IdentifierKind.family_name: "Surname",
    IdentifierKind.dob: "Date of birth",
    IdentifierKind.sex: "Sex",
    IdentifierKind.phone: "Phone number",
    IdentifierKind.email: "Email address",
    IdentifierKind.vehicle: "Vehicle registration",
    IdentifierKind.address: "Home address",
    IdentifierKind.bank_account: "Bank account",
    IdentifierKind.business: "Employer, agency or labour provider",
    IdentifierKind.social_handle: "Social media handle",
    IdentifierKind.nhs_number: "NHS number",
    IdentifierKind.ni_number: "National Insurance number",
    IdentifierKind.passport: "Passport number",
    IdentifierKind.ukvi_reference: "Home Office reference",
    IdentifierKind.pnc_id: "Police National Computer ID",
    IdentifierKind.postcode: "Home postcode",
    IdentifierKind.location_postcode: "Postcode of the place of exploitation",
    IdentifierKind.latitude: "Latitude of the place",
    IdentifierKind.longitude: "Longitude of the place",
    IdentifierKind.other: "Other reference number",
}

SENT_COLUMNS: Final[dict[str, str]] = {
    "incident_pid": "Case",
    "first_known_month": "Month known",
    "reporting_quarter": "Quarter",
    "la_gss_code": "Borough",
    "police_force_area": "Police force area",
    "h3_cell": "Map cell",
    "h3_resolution": "Map cell size",
    "narrative": "Notes",
    "person_seq": "Person",
    "mk_name_dob": "Match key: name and date of birth",
    "mk_initial_surname_dob": "Match key: initial, surname and date of birth",
    "mk_sorted_tokens_yob": "Match key: name parts and year of birth",
    "mk_surname_dob_sex": "Match key: surname, date of birth and sex",
    "selector_pid": "Phone, email or vehicle",
    "key_pid": "Other identifier",
    "decision_month": "Decision month",
}
TABLE_LABELS: Final = {
    "incidents": "Cases", "persons": "People", "selectors": "Phones, emails and vehicles (as pseudonyms)",
    "referrals": "Referrals", "person_keys": "Other identifiers (as pseudonyms)",
}


def code_label(code: str) -> str:
    """A vocabulary code in words.

    >>> code_label("private_household"), code_label("potential_victim")
    ('Private household', 'Potential victim')
    """
    return code.replace("_", " ").capitalize()


_NOT_CODED: Final = frozenset({"first_known_month", "reporting_quarter", "decision_month", "h3_cell", "h3_resolution", "person_seq"})


def value_label(column: str, value: str) -> tuple[str, str | None]:
    """A sent value in words, and the code it is sent as (None when the words are the value).

    >>> value_label("role", "potential_victim"), value_label("nationality", "AL"), value_label("la_gss_code", "E09000025")
    (('Potential victim', 'potential_victim'), ('Albania', 'AL'), ('Newham', 'E09000025'))
    >>> value_label("nationality", "region:eastern_europe"), value_label("reporting_quarter", "2026Q3")
    (('Region: eastern europe', 'region:eastern_europe'), ('2026Q3', None))
    """
    if column in _NOT_CODED or not value:
        return value, None
    if len(value) == 2 and value.isupper():
        try:
            return country_name(value), value
        except KeyError:
            return value, None
    if value in BY_GSS:
        return BY_GSS[value].name, value
    if value.startswith("region:"):
        return "Region: " + value.removeprefix("region:").replace("_", " "), value
    words = code_label(value)
    return words, (value if words != value else None)


def table_words(counts: dict[str, int]) -> str:
    """Record counts per table in words.

    >>> table_words({"persons": 26, "person_keys": 704})
    '26 people; 704 other identifiers (as pseudonyms)'
    """
    return "; ".join(f"{n} {TABLE_LABELS.get(t, code_label(t)).lower()}" for t, n in counts.items())


def column_label(name: str) -> str:
    """A sent column's name in words.

    >>> column_label("incident_pid"), column_label("premises_type")
    ('Case', 'Premises type')
    """
    return SENT_COLUMNS.get(name, code_label(name))


def is_pseudonym(column: str) -> bool:
    """Columns whose values are keyed hashes: shown as a badge, never as 64 characters.

    >>> is_pseudonym("incident_pid"), is_pseudonym("mk_name_dob"), is_pseudonym("role")
    (True, True, False)
    """
    return column.endswith("_pid") or column.startswith("mk_")


def field_options() -> list[dict[str, Any]]:
    """Everything a column can be, in words, grouped as the page's dropdown shows them."""
    options: list[dict[str, Any]] = [{"value": "ignore", "label": IGNORE_LABEL, "group": "Left out"}]
    for kind in IdentifierKind:
        options.append({
            "value": f"id:{kind.value}", "label": IDENTIFIER_LABELS.get(kind, code_label(kind.value)),
            "group": "Identifiers: never sent, used only for pseudonyms and to scrub notes",
        })
    for name, target in TARGETS.items():
        group = {"incident": "About the case", "person": "About the person", "referral": "About the referral"}
        options.append({
            "value": name, "label": FIELD_LABELS.get(name, code_label(name.split(".", 1)[1])),
            "group": group.get(name.split(".", 1)[0], "Other"), "help": target.help, "coded": target.vocab is not None,
        })
    return options
