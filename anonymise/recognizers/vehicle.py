"""UK vehicle registrations: current (AB12 CDE), prefix (A123 BCD) and suffix (ABC 123D) styles."""

import re

from anonymise.recognizers.base import Pattern, RecognizerSpec

RECOGNIZER = RecognizerSpec(
    entity="VEHICLE",
    patterns=(
        Pattern("current", r"\b[A-Z]{2}[ -]?[0-9]{2}[ -]?[A-Z]{3}\b", 0.8),
        Pattern("current, lower case", r"\b[a-z]{2}[0-9]{2} ?[a-z]{3}\b", 0.6),
        Pattern("prefix", r"\b[A-Z] ?[0-9]{1,3} ?[A-Z]{3}\b", 0.6),
        Pattern("foreign", r"\b[A-Z]{1,2}[ -]?[0-9]{3,4}[ -]?[A-Z]{2}\b", 0.5),
        Pattern("foreign, lower case", r"\b[a-z]{1,2} [0-9]{3,4} [a-z]{2}\b", 0.45),
        Pattern("letters-digits", r"\b[A-Z]{3}-[0-9]{3,4}\b", 0.5),
        Pattern("suffix", r"\b[A-Z]{3} ?[0-9]{1,3}[A-Z]\b", 0.6),
        Pattern("after keyword", r"\b(?:reg(?:istration)?|vrm|plate)\b\.?(?:\s+(?:no|number))?\.?\s*[:#]?\s*[\"“']?([A-Z0-9]{2,4}(?: ?[A-Z0-9]{2,4})?)\b", 0.7, group=1, flags=re.IGNORECASE),
    ),
    validate=lambda s: any(c.isdigit() for c in s) and any(c.isalpha() for c in s),
    normalise=lambda s: re.sub(r"\s", "", s.upper()),
    gate=r"\d(?:(?<=[^\W\d_]\d)|(?<=[^\W\d_][ -]\d)|[ -]?[^\W\d_])",
    # A letter then a digit, or a digit then a letter, at most a space or hyphen apart; found from
    # the digit, which the engine skips to (test_gates.py: the same answer as the plain form).
    # Every pattern puts a letter and a digit side by side, or one space or hyphen apart; so does
    # any registration after a keyword that validates (letters and digits, at most one space).
    priority=62,
    presidio_entities=("UK_VEHICLE_REGISTRATION",),
)
