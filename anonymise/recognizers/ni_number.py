"""National Insurance number: two prefix letters, six digits, A–D; NI-shaped strings with invalid prefixes too.

Fail closed: ``ZZ159771T``, ``QQ123456C`` (prefixes HMRC never issues) and a typo'd suffix are
still somebody's number, so any two letters, six digits and an optional letter go.

>>> [t for t in ("AB 12 34 56 C", "zz159771t", "QQ123456C", "QQ 12 34 56") if any(RECOGNIZER.find(t))]
['AB 12 34 56 C', 'zz159771t', 'QQ123456C', 'QQ 12 34 56']
"""

import re

from anonymise.recognizers.base import Pattern, RecognizerSpec

RECOGNIZER = RecognizerSpec(
    entity="NI_NUMBER",
    patterns=(
        Pattern(
            "ni number",
            r"\b(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b",
            0.85,
            flags=re.IGNORECASE,
        ),
        Pattern("ni-shaped", r"\b[A-Z]{2}[ -]?\d{2}[ -]?\d{2}[ -]?\d{2}(?:[ -]?[A-Z])?\b", 0.6, flags=re.IGNORECASE),
    ),
    normalise=lambda s: re.sub(r"\s", "", s.upper()),
    gate=r"\d\d",
    priority=70,
    presidio_entities=("UK_NINO",),
)
