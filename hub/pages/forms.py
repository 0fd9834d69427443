"""Pages: form problems shown in the form itself (GOV.UK error summary pattern), the input kept.

A form that fails is drawn again with what the user typed, an error summary at the top linking
to each field, and the message beside the field: nothing is lost on a separate error page.
"""

import re
from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session

from anonymise import PartnerType
from hub.errors import HubError
from hub.pages.errors import attempt
from hub.partners import service as partners

REASON_MIN: Final = 10
REASON_MAX: Final = 200  # an audit detail holds at most 200 characters
ORG_ID: Final = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
GSS_CODE: Final = re.compile(r"^[ENSW][0-9]{8}$")


@dataclass(frozen=True)
class FieldError:
    field: str
    """The id of the input the problem belongs to (the summary links to it)."""
    message: str


def reason_errors(reason: str) -> list[FieldError]:
    """The typed reason a change that cannot be undone needs before it is done.

    >>> reason_errors("  ")[0].message
    'Say why (at least 10 characters): it is kept in the audit log'
    >>> reason_errors("Sent under the wrong agreement")
    []
    """
    text = reason.strip()
    if len(text) < REASON_MIN:
        return [FieldError("reason", f"Say why (at least {REASON_MIN} characters): it is kept in the audit log")]
    if len(text) > REASON_MAX:
        return [FieldError("reason", f"Keep the reason to {REASON_MAX} characters or fewer")]
    return []


def org_errors(org_id: str, name: str, kind: str, gss_code: str) -> list[FieldError]:
    """Every problem of the add-organisation form at once, each named by its field.

    >>> [e.field for e in org_errors("Bad Id", "", "NGO", "E0900")]
    ['org_id', 'org_name', 'gss_code']
    """
    errors: list[FieldError] = []
    if not ORG_ID.match(org_id):
        errors.append(
            FieldError("org_id", "Enter an id of 2 to 63 lower-case letters, digits and hyphens, e.g. ngo-newham-support")
        )
    if not name.strip():
        errors.append(FieldError("org_name", "Enter the organisation's name as people know it"))
    if kind not in {k.value for k in PartnerType}:
        errors.append(FieldError("org_kind", "Choose the kind of organisation"))
    if gss_code and not GSS_CODE.match(gss_code):
        errors.append(FieldError("gss_code", "A GSS code is a letter and 8 digits, e.g. E09000025 for Newham"))
    elif not gss_code and kind == PartnerType.LocalGovernmentOrganisation.value:
        errors.append(FieldError("gss_code", "A borough needs its GSS code, e.g. E09000025 for Newham"))
    return errors


def add_org(session: Session, actor: str, *, org_id: str, name: str, kind: str, gss_code: str) -> list[FieldError]:
    """Check the add-organisation form and, if it holds, add the organisation; the problems otherwise."""
    errors = org_errors(org_id, name, kind, gss_code)
    if errors:
        return errors
    try:
        with attempt(session):
            partners.add_org(session, org_id=org_id, name=name.strip(), kind=PartnerType(kind), gss_code=gss_code or None,
                             actor=actor)
    except HubError as exc:
        return [FieldError("org_id", exc.detail)]
    return []


CONTACT_MAX: Final = 300


def contact_errors(org_id: str, contact: str) -> list[FieldError]:
    """The alerts contact form's problem, on the organisation's own input.

    >>> contact_errors("demo-ngo", "x" * 301)[0].field, contact_errors("demo-ngo", "Sam Reyes, 020 7946 0000")
    ('contact-demo-ngo', [])
    """
    if len(contact.strip()) > CONTACT_MAX:
        return [FieldError(f"contact-{org_id}", f"Keep the named contact to {CONTACT_MAX} characters or fewer")]
    return []


def user_errors(username: str, display_name: str, password: str) -> list[FieldError]:
    """Every problem of the add-user form at once.

    >>> [e.field for e in user_errors("", "Nina", "short")]
    ['username', 'password']
    """
    errors: list[FieldError] = []
    if not username.strip():
        errors.append(FieldError("username", "Enter a username"))
    if not display_name.strip():
        errors.append(FieldError("display_name", "Enter the person's name"))
    if password and len(password) < 12:
        errors.append(FieldError("password", "A password needs at least 12 characters (leave it empty for single sign-on)"))
    return errors
