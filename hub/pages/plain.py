"""Pages: plain English for the schema's field names ("persons.mk_name_dob" → "Name and date of birth (for matching)")."""

from typing import Final

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
