"""IBAN with its ISO 7064 mod-97 check."""

import re

from anonymise.recognizers.base import Pattern, RecognizerSpec


def iban_ok(text: str) -> bool:
    """ISO 13616 check digits.

    >>> iban_ok("GB29 NWBK 6016 1331 9268 19"), iban_ok("GB28 NWBK 6016 1331 9268 19")
    (True, False)
    """
    compact = re.sub(r"\s", "", text).upper()
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


RECOGNIZER = RecognizerSpec(
    entity="IBAN",
    patterns=(Pattern("iban", r"\b[A-Z]{2}\d{2} ?(?:[A-Z0-9]{4} ?){2,7}[A-Z0-9]{1,4}\b", 0.9),),
    validate=iban_ok,
    normalise=lambda s: re.sub(r"\s", "", s.upper()),
    gate=r"[A-Z]{2}\d\d",
    priority=75,
    presidio_entities=("IBAN_CODE",),
)
