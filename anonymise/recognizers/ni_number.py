"""National Insurance number: two prefix letters (not BG, GB, NK, KN, TN, NT, ZZ), six digits, A–D."""

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
    ),
    normalise=lambda s: re.sub(r"\s", "", s.upper()),
    gate=r"\d\d ?[A-Da-d]\b",
    priority=70,
    presidio_entities=("UK_NINO",),
)
