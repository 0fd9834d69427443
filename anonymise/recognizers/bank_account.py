"""UK bank details: a sort code (12-34-56) with or without its eight-digit account number."""

import re

from anonymise.recognizers.base import Pattern, RecognizerSpec

RECOGNIZER = RecognizerSpec(
    entity="BANK_ACCOUNT",
    patterns=(
        Pattern("sort code and account", r"(?<![\w-])\d{2}[- ]\d{2}[- ]\d{2}(?:[^\w\n]{1,3}(?:(?:a/?c|acc(?:oun)?t?)(?:\s*(?:no|number))?\.?:?\s*)?\d{8})?(?![\w-])", 0.8, flags=re.IGNORECASE),
        Pattern("account after keyword", r"\b(?:a/c|acc(?:oun)?t?)\.?(?:\s*(?:no|number))?\.?:?\s*(\d{8})\b", 0.8, group=1, flags=re.IGNORECASE),
        Pattern("sort code after keyword", r"\bsort\s*code:?\s*(\d{6}|\d{2}[- ]\d{2}[- ]\d{2})\b", 0.8, group=1, flags=re.IGNORECASE),
    ),
    normalise=lambda s: re.sub(r"\D", "", s),
    gate=r"\d\d",
    priority=72,
    presidio_entities=("UK_BANK_ACCOUNT",),
)
