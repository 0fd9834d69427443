"""Passport numbers: UK (nine digits) and foreign (letters and digits) when the word passport is near."""

import re

from anonymise.recognizers.base import Pattern, RecognizerSpec

RECOGNIZER = RecognizerSpec(
    entity="PASSPORT",
    patterns=(
        Pattern(
            "after the word passport",
            r"\bpassports?\b(?:\s+(?:no|number|num|nr)\b\.?)?(?:\s+(?:is|was))?\s*[:#]?\s*([A-Z0-9]{6,10})\b",
            0.85,
            group=1,
            flags=re.IGNORECASE,
        ),
        Pattern("uk passport", r"\b\d{9}\b", 0.4),
    ),
    validate=lambda s: any(c.isdigit() for c in s),
    normalise=lambda s: s.upper(),
    gate=r"(?i)passport|\d{9}",
    priority=68,
    presidio_entities=("UK_PASSPORT", "US_PASSPORT"),
)
