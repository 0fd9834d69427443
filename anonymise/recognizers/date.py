"""Dates precise to the day (dates of birth and events): numeric, ISO and with month names.

Month and year alone ("March 2024") are kept: the schema keeps event months anyway.
"""

import re

from anonymise.recognizers.base import Pattern, RecognizerSpec
from anonymise.recognizers.words_gate import required_last_words

_MONTH = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_DAY = r"(?:[12][0-9]|3[01]|0?[1-9])(?:st|nd|rd|th)?"

_DOB = r"(?:dob|d\.o\.b\.?|born(?:\s+in)?)"
_MONTH_WORDS = required_last_words(_MONTH)

RECOGNIZER = RecognizerSpec(
    entity="DATE",
    patterns=(
        Pattern("numeric", r"(?<![\w/.-])\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}(?![\w/-]|\.\d)", 0.8),
        Pattern("iso", r"\b(?:1[89]|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}\b", 0.8),
        Pattern("day month year", rf"\b{_DAY}(?:\s+of)?[\s-]+{_MONTH}(?:,?[\s-]+(?:\d{{4}}|'?\d{{2}}))?\b", 0.7, flags=re.IGNORECASE,
                words=_MONTH_WORDS),
        Pattern("month day year", rf"\b{_MONTH}\s+{_DAY}(?:,?\s+\d{{4}})?\b(?!:)", 0.6, flags=re.IGNORECASE, words=_MONTH_WORDS),
        Pattern("dob keyword year", rf"\b{_DOB}\s*:?\s*((?:19|20)\d{{2}})\b", 0.6, group=1, flags=re.IGNORECASE,
                words=required_last_words(_DOB)),
    ),
    validate=lambda s: not re.fullmatch(r"may", s.strip(), re.IGNORECASE),
    priority=66,
    presidio_entities=("DATE_TIME",),
)
