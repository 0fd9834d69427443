"""UK bank details: a sort code (12-34-56) with or without its eight-digit account number.

The last digits of an account or card ("account ending 4417", "card ending in 0931") narrow a
person down with a bank's help, so they go too.

>>> [m.group(1) for m in RECOGNIZER.compiled()[3][0].finditer("paid from the account ending in 4417, card ends with 093")]
['4417', '093']
"""

import re

from anonymise.recognizers.base import Pattern, RecognizerSpec

RECOGNIZER = RecognizerSpec(
    entity="BANK_ACCOUNT",
    patterns=(
        Pattern(
            "sort code and account",
            r"(?<![\w-])\d{2}[- ]\d{2}[- ]\d{2}(?:[^\w\n]{1,3}(?:(?:a/?c|acc(?:oun)?t?)(?:\s*(?:no|number))?\.?:?\s*)?\d{8})?(?![\w-])",
            0.8,
            flags=re.IGNORECASE,
        ),
        Pattern(
            "account after keyword",
            r"\b(?:a/c|acc(?:oun)?t?)\.?(?:\s*(?:no|number))?\.?:?\s*(\d{8})\b",
            0.8,
            group=1,
            flags=re.IGNORECASE,
        ),
        Pattern(
            "sort code after keyword",
            r"\bsort\s*code:?\s*(\d{6}|\d{2}[- ]\d{2}[- ]\d{2})\b",
            0.8,
            group=1,
            flags=re.IGNORECASE,
        ),
        Pattern(
            "last digits of an account or card",
            r"\b(?:a/c|acc(?:oun)?t?|card)\s+(?:no\.?\s+|number\s+)?(?:ending|ends)(?:\s+(?:in|with))?\s*:?\s*(\d{3,4})\b",
            0.7,
            group=1,
            flags=re.IGNORECASE,
        ),
    ),
    normalise=lambda s: re.sub(r"\D", "", s),
    gate=r"\d\d",
    priority=72,
    presidio_entities=("UK_BANK_ACCOUNT",),
)
