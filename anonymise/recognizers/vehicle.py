"""UK vehicle registrations: current (AB12 CDE), prefix (A123 BCD) and suffix (ABC 123D) styles."""

import re

from anonymise.recognizers.base import Pattern, RecognizerSpec

RECOGNIZER = RecognizerSpec(
    entity="VEHICLE",
    patterns=(
        Pattern("current", r"\b[A-Z]{2}[0-9]{2} ?[A-Z]{3}\b", 0.8),
        Pattern("prefix", r"\b[A-Z][0-9]{1,3} ?[A-Z]{3}\b", 0.6),
        Pattern("suffix", r"\b[A-Z]{3} ?[0-9]{1,3}[A-Z]\b", 0.6),
        Pattern("after keyword", r"\b(?:reg(?:istration)?|vrm|plate)\b\.?(?:\s+(?:no|number))?\.?\s*[:#]?\s*([A-Z0-9]{2,4} ?[A-Z0-9]{2,4})\b", 0.7, group=1, flags=re.IGNORECASE),
    ),
    validate=lambda s: any(c.isdigit() for c in s) and any(c.isalpha() for c in s),
    normalise=lambda s: re.sub(r"\s", "", s.upper()),
    gate=r"\d",
    priority=62,
    presidio_entities=("UK_VEHICLE_REGISTRATION",),
)
