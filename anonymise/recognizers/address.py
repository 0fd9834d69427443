"""Street addresses: house number and street name with a street-type word, flats, and named streets."""

import re

from anonymise.recognizers.base import Pattern, RecognizerSpec
from anonymise.recognizers.prefilters import alternation
from anonymise.recognizers.words_gate import required_last_words

_STREET_WORDS = ["road", "rd", "street", "st", "avenue", "ave", "lane", "ln", "close", "cl", "way", "drive", "dr", "court", "ct", "place", "pl", "gardens", "gdns", "crescent", "cres", "terrace", "grove", "hill", "park", "square", "sq", "mews", "row", "walk", "parade", "rise", "vale", "green", "broadway", "lanes", "villas", "cottages", "buildings", "estate", "industrial estate", "trading estate", "business park", "retail park", "house", "towers?", "heights", "wharf", "yard", "passage", "gate", "approach", "side", "quay", "pavement", "market", "circus", "boulevard", "embankment", "promenade", "esplanade", "croft", "chase", "dene", "wynd", "meadows?", "orchard", "view", "clse", "cls", "crt", "cresc", "grv", "trce", "pde", "gdn", "strt", "raod", "lne", "drv", "ind est", "trading est", "bldgs", "bldg", "blds"]
_STREET = alternation(_STREET_WORDS)
"""A street-type word, in this order; grouped by first letter (speed only: the same matches)."""
_PREMISES = r"(?:flat|apartment|apt|unit|room|plot|block|studio|bedsit|caravan|cabin|chalet|annexe|annex|pitch|berth|rm|flt|suite|ste|maisonette)"
"""Premises words, with the abbreviations notes use ("Rm 4", "Flt 2", "Ste 3"); a full stop may follow ("Apt. 5")."""
_UNIT = r"\d+(?:/\d+)?[A-Za-z]?"
"""A flat or room number: "4", "3b", Glasgow's "3/2"."""
_HOUSE = r"\d{1,4}(?:[-–]\d{1,4})?[A-Za-z]?"
"""A house number: "31", "45a", a range "12-14"."""
_NAME = r"(?:[A-Z][\w'’-]+\s+){1,3}"
_BUILDING = r"(?-i:(?:[A-Z][\w'’-]+\s+){0,2}[A-Z][\w'’-]+),\s+"
"""A building's name between the flat and the house number ("Flat 21, Tower View, 5 Cannon Street Road")."""

_NOT_A_STREET_NAME_TEXT = (
    "the a an high main this that same our their his her my your its back side front wrong other next last "
    "busy quiet long short private public a&e ring slip bus car"
)
_NOT_A_STREET_NAME = frozenset(_NOT_A_STREET_NAME_TEXT.split())


def _address_like(text: str) -> bool:
    """Not "the road", "a busy street", "main road": the first word must be a name."""
    first = text.strip().split()[0].lower()
    if first in _NOT_A_STREET_NAME:
        return False
    if not any(c.isdigit() for c in text):
        from anonymise.namewords import place_phrases
        from anonymise.normalise import fold

        words = fold(text).replace("-", " ").split()
        if len(words) >= 2 and tuple(words[1:]) in place_phrases().get(words[0], ()):
            return False  # "Cheetham Hill", "Forest Gate", "Canary Wharf": a district, not a street
    if not any(c.isdigit() for c in text) and (text[:1].islower() or text.isupper()):
        from anonymise.lexicon import lexicon

        return first not in lexicon().common
    return True


_ADDRESS_CUE = r"(?:address(?:\s+is)?|addr|lives\s+at|living\s+at|staying\s+at|stays\s+at|resides\s+at|residing\s+at|based\s+at|moved\s+to)"
"""Words that say a house number and a name follow ("address 9 Greenfield", "staying at 41 Moss")."""
_CAPS = r"(?-i:[A-Z][\w'’-]+)(?:[ ](?-i:[A-Z][\w'’-]+)){0,2}"

_street_words = required_last_words(_STREET)
_cue_words = frozenset({"address", "addr", "at", "to"})
_premises_words = required_last_words(_PREMISES)

RECOGNIZER = RecognizerSpec(
    entity="ADDRESS",
    patterns=(
        Pattern(
            "premises, number and street",
            rf"\b{_PREMISES}\.?\s+(?:{_UNIT}|[A-Za-z])\b,?\s+(?:{_BUILDING}{_HOUSE},?\s+|{_HOUSE},?\s+)?{_NAME}{_STREET}\b\.?(?:\s+(?:north|south|east|west)\b)?",
            0.8,
            flags=re.IGNORECASE,
            words=_street_words,
        ),
        Pattern(
            "number and street",
            rf"(?:\b(?:flat|apartment|apt|unit|room|rm|flt)\.?\s+{_UNIT},?\s+)?\b{_HOUSE},?\s+{_NAME}{_STREET}\b\.?(?:\s+(?:north|south|east|west)\b)?",
            0.8,
            flags=re.IGNORECASE,
            words=_street_words,
        ),
        Pattern(
            "number and a named close",
            r"(?<![\w/.,-])\d{1,4}[A-Za-z]?,?\s+(?-i:The\s+[A-Z][a-z]{3,})(?=\s*[,.\n]|\s+[A-Z]{1,2}\d)",
            0.6,
            flags=re.IGNORECASE,
            words=frozenset({"the"}),
        ),
        Pattern(
            "number and a name after an address word",
            rf"\b{_ADDRESS_CUE}\s*:?\s+(?:{_PREMISES}\.?\s+{_UNIT},?\s+)?({_HOUSE},?\s+{_CAPS})",
            0.6,
            group=1,
            flags=re.IGNORECASE,
            words=_cue_words,
        ),
        Pattern(
            "number and a name after at",
            r"(?<![\w'’])(?-i:at)[ ](\d{1,4}[a-z]?[ ](?!(?-i:Am|Pm|Hrs|Mins|Years|Weeks|Days|Months|Times|People|Men|Women)\b)"
            r"(?-i:[A-Z][a-z][\w'’-]*)(?:[ ](?-i:[A-Z][a-z][\w'’-]*)){0,2})(?![\w'’])",
            0.5,
            group=1,
            words=frozenset({"at"}),
        ),
        Pattern(
            "premises, number and a name",
            rf"\b{_PREMISES}\.?[ ]{_UNIT},?[ ]{_HOUSE},?[ ]{_CAPS}",
            0.6,
            flags=re.IGNORECASE,
            words=_premises_words,
        ),
        Pattern("named street", rf"\b(?-i:{_NAME}){_STREET}\b(?!\s+(?:station|police|market))", 0.55, flags=re.IGNORECASE,
                words=_street_words),
        Pattern("flat", rf"\b(?:flat|apartment|apt|unit|plot|room|bedsit|caravan|cabin|chalet|pitch|berth|rm|flt|suite)\.?\s+{_UNIT}\b", 0.6, flags=re.IGNORECASE,
                words=_premises_words),
        Pattern("lower-case street", r"\b(?<![\w'’-])[a-z]{3,}\s+(?:road|rd|street|lane|avenue|close|place|crescent|gardens|terrace|grove|parade|drive|mews)\b", 0.45,
                words=_street_words),
    ),
    validate=lambda s: _address_like(s),
    priority=64,
    presidio_entities=("LOCATION", "ADDRESS"),
)
