"""UK postcode in full (outward and inward code); outward codes alone (district level) are kept."""

import re

from anonymise.recognizers.base import Pattern, RecognizerSpec

RECOGNIZER = RecognizerSpec(
    entity="POSTCODE",
    patterns=(
        Pattern("uk postcode", r"\b(?:[A-Z]{1,2}[0-9][A-Z0-9]?|GIR)[ \t]{0,3}[0-9][A-Z]{2}\b", 0.8, flags=re.IGNORECASE),
    ),
    normalise=lambda s: re.sub(r"\s", "", s.upper()),
    gate=r"\d[A-Za-z]{2}\b",
    priority=65,
    presidio_entities=("UK_POSTCODE",),
)
