"""Street addresses: house number and street name with a street-type word, flats, and named streets."""

import re

from anonymise.recognizers.base import Pattern, RecognizerSpec

_STREET = (
    r"(?:road|rd|street|st|avenue|ave|lane|ln|close|cl|way|drive|dr|court|ct|place|pl|gardens|gdns|"
    r"crescent|cres|terrace|grove|hill|park|square|sq|mews|row|walk|parade|rise|vale|green|"
    r"broadway|estate|industrial estate|trading estate|business park|retail park|house|towers?|heights|wharf|yard|passage|gate|approach)"
)
_NAME = r"(?:[A-Z][\w'’-]+\s+){1,3}"

RECOGNIZER = RecognizerSpec(
    entity="ADDRESS",
    patterns=(
        Pattern(
            "premises, number and street",
            rf"\b(?:flat|apartment|apt|unit|room|plot|block|studio|bedsit)\s+(?:\d+[A-Za-z]?|[A-Za-z])\b,?\s+(?:\d{{1,4}}[A-Za-z]?,?\s+)?{_NAME}{_STREET}\b\.?(?:\s+(?:north|south|east|west)\b)?",
            0.8,
            flags=re.IGNORECASE,
        ),
        Pattern(
            "number and street",
            rf"(?:\b(?:flat|apartment|apt|unit|room)\s+\d+[A-Za-z]?,?\s+)?\b\d{{1,4}}[A-Za-z]?,?\s+{_NAME}{_STREET}\b\.?(?:\s+(?:north|south|east|west)\b)?",
            0.8,
            flags=re.IGNORECASE,
        ),
        Pattern("named street", rf"\b(?-i:{_NAME}){_STREET}\b(?!\s+(?:station|police|market))", 0.55, flags=re.IGNORECASE),
        Pattern("flat", r"\b(?:flat|apartment|apt|unit|plot)\s+\d+[A-Za-z]?\b", 0.6, flags=re.IGNORECASE),
    ),
    validate=lambda s: not re.fullmatch(r"(?:the|a|an|high)\s+\w+", s.strip(), re.IGNORECASE),
    priority=64,
    presidio_entities=("LOCATION", "ADDRESS"),
)
