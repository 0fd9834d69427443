"""NHS number: ten digits, optionally grouped 3-3-4, with the modulus 11 check digit."""

from anonymise.recognizers.base import Pattern, RecognizerSpec


def nhs_checksum_ok(text: str) -> bool:
    """Modulus 11 check of an NHS number.

    >>> nhs_checksum_ok("943 476 5919"), nhs_checksum_ok("943 476 5918")
    (True, False)
    """
    digits = [int(c) for c in text if c.isdigit()]
    if len(digits) != 10:
        return False
    check = 11 - sum(d * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    check = 0 if check == 11 else check
    return check != 10 and check == digits[9]


RECOGNIZER = RecognizerSpec(
    entity="NHS_NUMBER",
    patterns=(Pattern("nhs number", r"(?<![\w+])\d{3}[- ]?\d{3}[- ]?\d{4}(?!\w)", 0.9),),
    validate=nhs_checksum_ok,
    normalise=lambda s: "".join(c for c in s if c.isdigit()),
    gate=r"\d\d\d",
    priority=70,
    presidio_entities=("UK_NHS",),
    context=("nhs", "national health service"),
)
