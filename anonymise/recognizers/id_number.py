"""Catch-all for other identifying numbers: six or more digits, long digit groups, and references mixing letters and digits.

Fail closed: a token such as ``3417/14MAR``, ``21/448213K``, ``T1098237``, ``YOUNG703180G99LK``
or ``2HG7XK9PL`` (at least three digits and a letter, or five digits) is somebody's reference,
whatever its format; ordinals, times and units (``3rd``, ``1990s``, ``10am``, ``500mg``) are not.

>>> [t for t in ("3417/14MAR", "O1234987", "2HG7XK9PL", "the 1990s", "500mg", "x3/7", "A406") if any(RECOGNIZER.find(t))]
['3417/14MAR', 'O1234987', '2HG7XK9PL', 'A406']

Mirrors the narrative guard of :mod:`anonymise.schema`, so a number no other recognizer
claims is still replaced rather than making the whole text fail.
"""

import re

from anonymise.recognizers.base import Pattern, RecognizerSpec

_NON_WORD = re.compile(r"\W")
_LETTER_FIRST = re.compile(r"[A-Za-z]")
_SIX_DIGITS = re.compile(r"\d{6,}")
_LETTERS_TWO_DIGITS = re.compile(r"[A-Za-z]+\d{2}")

_LABEL_WORDS = "NHS|NI|NO|TEL|MOB|REF|CAD|PNC|DOB|ACC|URN|CRN|NRM|ARC|HO|PP|A/C"
"""Words before a number that label it and are no part of it ("NHS 450 227 9163")."""
_COUNTRY_CODES = (
    "ALB|VNM|ERI|SDN|SSD|NGA|POL|CHN|IND|PAK|BGD|BGR|LTU|LVA|EST|AFG|IRN|IRQ|SYR|GHA|PHL|ROU|UKR|GBR|ETH|SOM|EGY|TUR|"
    "MDA|SVK|CZE|HUN|BRA|KWT|LBY|SLE|CMR|COD|ZWE|KEN|UGA|GMB|SEN|MAR|DZA|TUN|LKA|NPL|MMR|THA|IDN|MYS|RUS|BLR|GEO|ARM"
)
"""ISO 3166 alpha-3 codes written before an identity-card or passport number ("ARC number UKR 0092184")."""

RECOGNIZER = RecognizerSpec(
    entity="ID_NUMBER",
    patterns=(
        Pattern("long number", rf"(?:\b(?-i:{_COUNTRY_CODES})\s?)?\b\d{{6,}}\b", 0.5),
        Pattern("digit groups", r"(?<!\w)\+?\d[\d ()-]{8,}\d(?!\w)", 0.4),
        Pattern("reference", r"\b(?=[A-Z]*\d)(?=\d*[A-Z])[A-Z0-9]{2,}(?:[/-][A-Z0-9]+)*[/-]\d{3,}\b", 0.5),
        Pattern("spaced groups", rf"(?<![\w+])(?:(?!(?:{_LABEL_WORDS})\s)[A-Z]{{1,3}}\s)?\d{{3,5}}(?:\s\d{{3,5}})+(?:\s[A-Z]{{1,3}})?(?![\w])", 0.45),
        Pattern(
            "system prefix after ref",
            r"\b(?i:ref|reference|no|number)\.?:?\s+((?:CAD|CRIS|MPS|BTP|PNC|STORM|URN|NRM|GMP|WMP)\s?(?=[\w/-]*\d[\w/-]*\d[\w/-]*\d)\d[\w/-]*\w)",
            0.5,
            group=1,
            checked=False,  # "police ref CAD 2231/14NOV": the system's prefix is part of the reference
        ),
        Pattern(
            "labelled reference",
            r"\b(?:CAD|MPS|BTP|REF|Ref|ref|CRN|URN|PNC|NRM|CRIS|Log|LOG|log|STORM|Storm|Incident|INCIDENT|incident)\s?(?:no\.?\s?|#\s?)?((?=[\w/-]*\d[\w/-]*\d[\w/-]*\d)\d[\w/-]*\w)",
            0.5,
            group=1,
            checked=False,  # the label says it is a reference, however short ("Log 311", "Incident 0417")
        ),
        Pattern(
            "driving licence",
            r"(?<!\w)[A-Z9]{5}\s?\d{6}\s?[A-Z9]{2}\d[A-Z]{2}(?:\s?\d{2})?(?!\w)",
            0.6,
            flags=re.IGNORECASE,
            checked=False,  # "MORGA 753116 SM9IJ": a DVLA licence number, spaced or not
        ),
        Pattern(
            "part of a number",
            r"\b(?i:passport|pp|number|no\.?|num|brp|arc|licen[cs]e|ref(?:erence)?|id|nhs|ni|phone|mobile|mob|tel|visa|permit|plate|reg)"
            r"\s+(?:\w+\s+)?(?i:ending|ends|starting|starts|begins|beginning)(?:\s+(?i:in|with))?\s*:?\s*(\d{3,}[A-Za-z]?)\b",
            0.5,
            group=1,
            checked=False,  # "passport number ending 4471": part of a number still narrows a person down
        ),
        Pattern(
            "last digits",
            r"\b(?i:last|first)\s+(?:\d|two|three|four|five|six)\s+(?i:digits|numbers)(?:\s+(?i:are|were|is))?\s*:?\s*(\d{3,6})\b",
            0.5,
            group=1,
            checked=False,
        ),
        Pattern("letters and digits", r"(?<![\w/.@£$€-])(?=[\w/-]*\d)[^\W_]+(?:[/-][^\W_]+)*(?![\w@]|[/-]\w)", 0.45),
    ),
    validate=lambda s: _reference_like(s),
    normalise=lambda s: _NON_WORD.sub("", s.upper()),
    gate=r"\d",
    priority=20,
)


_NOT_A_REFERENCE = re.compile(
    r"(?i)\d{1,4}(?:st|nd|rd|th|s|am|pm|hrs?|h|mins?|m|km|kg|g|mg|ml|l|mph|yo|yrs?|y|wks?|k|p|x|cm|mm|ft|gb|mb|ish)"
)


_DURATION = re.compile(
    r"(?i)\d{1,3}-(?:years?|yrs?|months?|weeks?|days?|hours?|hrs?|minutes?|mins?)(?:-olds?)?"
    r"|\d{1,5}/(?:months?|mths?|weeks?|wks?|days?|hours?|hrs?|h|nights?|years?|yrs?|pw|pcm|shift)"
)
"""Durations and rates, not references ("3-month", "150/month", "90/wk")."""


def _reference_like(text: str) -> bool:
    if _DURATION.fullmatch(text):
        return False
    digits = sum(c.isdigit() for c in text)
    if " " in text:
        return digits >= 7 or (digits >= 4 and bool(_LETTER_FIRST.match(text)))
    letters = sum(c.isalpha() for c in text)
    if _NOT_A_REFERENCE.fullmatch(text):
        return False
    if letters == 0:
        return digits >= 6 or (digits >= 5 and "/" not in text) or bool(_SIX_DIGITS.search(text))
    return digits >= 3 or (digits >= 2 and letters >= 4 and not _LETTERS_TWO_DIGITS.fullmatch(text))
