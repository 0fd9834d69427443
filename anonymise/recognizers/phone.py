"""Phone numbers: UK numbers (region GB) and foreign numbers written with an international prefix."""

from anonymise.normalise import normalise_phone
from anonymise.recognizers.base import Pattern, RecognizerSpec


def _phone_ok(text: str) -> bool:
    digits = "".join(c for c in text if c.isdigit())
    if not 9 <= len(digits) <= 15:
        return False
    if text.lstrip("(").startswith("0") and not text.startswith("00"):
        # UK national format: a trunk 0 and 9 or 10 more digits is a possible number.
        return len(digits) in (10, 11) and digits[1] != "0"
    return normalise_phone(text, "GB") is not None


def phone_key(text: str) -> str:
    """The same key for every way of writing one number, without a full parse.

    >>> phone_key("07700 900123") == phone_key("+44 (0)7700-900-123") == phone_key("0044 7700900123")
    True
    """
    digits = "".join(c for c in text if c.isdigit())
    if text.startswith("+"):
        pass
    elif digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = "44" + digits[1:]
    if digits.startswith("440"):
        digits = "44" + digits[3:]
    return digits


RECOGNIZER = RecognizerSpec(
    entity="PHONE",
    patterns=(
        Pattern("international", r"(?<![\w+])(?:\+|00)\d(?:[ ().-]{0,2}\d){7,15}(?!\w)", 0.8),
        Pattern("uk national", r"(?<![\w+])\(?0\d(?:[ ().-]{0,2}\d){8,10}(?!\w)", 0.75),
    ),
    validate=_phone_ok,
    normalise=phone_key,
    gate=r"\d(?:[ ().-]{0,2}\d){2}",  # both patterns: eight digits or more, at most two separators apart
    priority=60,
    presidio_entities=("PHONE_NUMBER",),
)
