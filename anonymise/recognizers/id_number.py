"""Catch-all for other identifying numbers: any run of six or more digits, and long digit groups.

Mirrors the narrative guard of :mod:`anonymise.schema`, so a number no other recognizer
claims is still replaced rather than making the whole text fail.
"""

import re

from anonymise.recognizers.base import Pattern, RecognizerSpec

RECOGNIZER = RecognizerSpec(
    entity="ID_NUMBER",
    patterns=(
        Pattern("long number", r"\b\d{6,}\b", 0.5),
        Pattern("digit groups", r"(?<!\w)\+?\d[\d ()-]{8,}\d(?!\w)", 0.4),
        Pattern("reference", r"\b(?=[A-Z]*\d)(?=\d*[A-Z])[A-Z0-9]{2,}(?:[/-][A-Z0-9]+)*[/-]\d{3,}\b", 0.5),
    ),
    normalise=lambda s: re.sub(r"\W", "", s.upper()),
    gate=r"\d",
    priority=20,
)
