"""The client's errors reworded for the page: no command lines, no profile keys, field names in words."""

import re
from typing import Any, Final

from partner_client.ui.labels import FIELD_LABELS

PAGE_HINTS: Final[tuple[tuple[str, str], ...]] = (
    ("msht-client init", "Enrol this computer under “Set up this computer” (reload the page to see it)."),
    ("msht-client key import", "Import the linkage key under “Set up this computer” (reload the page to see it)."),
    ("msht-client prepare", "Press “Check and prepare” again."),
    ("msht-client map", "Choose the export again in step 1: the page proposes a fresh mapping for it."),
    ("`values:`", "Choose the code it is sent as in the table of values in step 2."),
    ("`default:`", "Choose the code it is sent as in the table of values in step 2."),
    ("`formats:`", "Check this is the right column; for an unusual date layout, add its format under Advanced in step 2."),
    ("`ignore:`", "Choose what it holds in step 2, or leave it as “Not sent”."),
    ("`postcode_lookup:`", "Add the postcode lookup file in step 1."),
)
_FIELD_KEY: Final = re.compile(r"\b(?:incident|person|referral)\.[a-z_]+\b")


def page_text(text: str | None) -> str | None:
    """Field keys in words.

    >>> page_text("unmapped value for incident.exploitation_types")
    'unmapped value for “Type of exploitation”'
    """
    if text is None:
        return None
    return _FIELD_KEY.sub(lambda m: f"“{FIELD_LABELS[m[0]]}”" if m[0] in FIELD_LABELS else m[0], text)


def page_hint(hint: str | None) -> str | None:
    """A hint written for the command line, as the page's own step.

    >>> page_hint("Run `msht-client init --hub URL --token TOKEN` first.")
    'Enrol this computer under “Set up this computer” (reload the page to see it).'
    """
    if hint is None:
        return None
    for needle, instead in PAGE_HINTS:
        if needle in hint:
            return instead
    return page_text(hint.replace("`", ""))


def page_problem(problem: dict[str, Any]) -> dict[str, Any]:
    return problem | {"message": page_text(problem.get("message")), "hint": page_hint(problem.get("hint"))}
