"""IBANs in any case and spacing; ISO 7064 mod-97 raises the score, a failed check does not save it.

>>> [t for t in ("GB29 NWBK 6016 1331 9268 19", "gb71 ltvc 4224 7010 5948 40", "ro18 btrl ronc rt08 3848 3726") if any(RECOGNIZER.find(t))]
['GB29 NWBK 6016 1331 9268 19', 'gb71 ltvc 4224 7010 5948 40', 'ro18 btrl ronc rt08 3848 3726']
"""

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
    patterns=(Pattern("iban", r"\b[A-Z]{2}\d{2}[ -]?(?:[A-Z0-9]{4}[ -]?){2,7}[A-Z0-9]{1,4}\b", 0.9, flags=re.IGNORECASE),),
    validate=lambda s: sum(c.isdigit() for c in s) >= 8,
    rescore=lambda s: 0.9 if iban_ok(s) else 0.6,
    normalise=lambda s: re.sub(r"\s", "", s.upper()),
    gate=r"\d(?<=[A-Za-z]{2}\d)\d",  # two letters then two digits, found from the digits (test_gates.py)
    priority=75,
    presidio_entities=("IBAN_CODE",),
)
