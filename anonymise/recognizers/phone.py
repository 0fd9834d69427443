"""Phone numbers: UK numbers (region GB) and foreign numbers written with an international prefix."""

from anonymise.normalise import normalise_phone
from anonymise.recognizers.base import Pattern, RecognizerSpec


def _phone_ok(text: str) -> bool:
    digits = sum(c.isdigit() for c in text)
    return 9 <= digits <= 15 and normalise_phone(text, "GB") is not None


RECOGNIZER = RecognizerSpec(
    entity="PHONE",
    patterns=(
        Pattern("international", r"(?<![\w+])(?:\+|00)\d(?:[ ().-]{0,2}\d){7,15}(?!\w)", 0.8),
        Pattern("uk national", r"(?<![\w+])\(?0\d(?:[ ().-]{0,2}\d){8,10}(?!\w)", 0.75),
    ),
    validate=_phone_ok,
    normalise=lambda s: normalise_phone(s, "GB") or s,
    priority=60,
    presidio_entities=("PHONE_NUMBER",),
)
