"""UK recognizers, one per module, and the explicit registry the scrubber runs (no discovery)."""

from typing import Final

from anonymise.recognizers import (
    address,
    age,
    bank_account,
    business,
    coordinate,
    date,
    display_name,
    email,
    handle,
    handle_parts,
    iban,
    id_number,
    ip_address,
    nhs_number,
    ni_number,
    passport,
    phone,
    postcode,
    social_name,
    titled_person,
    url,
    vehicle,
)
from anonymise.recognizers.base import Pattern, RecognizerSpec, Span

__all__ = ["REGISTRY", "Pattern", "RecognizerSpec", "Span"]

REGISTRY: Final[dict[str, RecognizerSpec]] = {
    "email": email.RECOGNIZER,
    "handle": handle.RECOGNIZER,
    "handle_parts": handle_parts.RECOGNIZER,
    "social_name": social_name.RECOGNIZER,
    "display_name": display_name.RECOGNIZER,
    "url": url.RECOGNIZER,
    "ip_address": ip_address.RECOGNIZER,
    "coordinate": coordinate.RECOGNIZER,
    "iban": iban.RECOGNIZER,
    "bank_account": bank_account.RECOGNIZER,
    "nhs_number": nhs_number.RECOGNIZER,
    "ni_number": ni_number.RECOGNIZER,
    "passport": passport.RECOGNIZER,
    "date": date.RECOGNIZER,
    "postcode": postcode.RECOGNIZER,
    "address": address.RECOGNIZER,
    "vehicle": vehicle.RECOGNIZER,
    "phone": phone.RECOGNIZER,
    "titled_person": titled_person.RECOGNIZER,
    "business": business.RECOGNIZER,
    "age": age.RECOGNIZER,
    "id_number": id_number.RECOGNIZER,
}
"""Recognizer name → specification. Add a recognizer by adding a module and a line here."""
