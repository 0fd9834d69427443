"""Business and premises names: a name followed by a business or premises word ("Sparkle Nails", "Sunrise Care Home").

A named nail bar, car wash or care home in a small town identifies the people who worked there,
so names of businesses go (``<BUSINESS_n>``) unless the agreement allows them
(``sharing[].business_names``; the scrubber's ``business_names=True`` drops this recognizer).
The generic premises word alone ("a nail bar", "the car wash") is kept vocabulary.

>>> [m for m in ("Sparkle Nails Stratford", "SUPREME HAND CAR WASH", "worked at a nail bar") if any(RECOGNIZER.find(m))]
['Sparkle Nails Stratford', 'SUPREME HAND CAR WASH']
"""

import re

from anonymise.recognizers.base import Pattern, RecognizerSpec
from anonymise.recognizers.keep import PLACES, kept_words
from anonymise.recognizers.prefilters import alternation
from anonymise.recognizers.words_gate import required_last_words


def _words(text: str) -> list[str]:
    return text.split()


TYPE_WORDS = (
    "nails", "nail bar", "nail spa", "nail salon", "beauty", "spa", "salon", "barbers?", "hair", "hairdressers?",
    "hand car wash", "car wash", "car valeting", "valeting", "motors", "garage", "tyres",
    "takeaway", "kebabs?", "pizza", "chicken", "fried chicken", "grill", "restaurant", "cafe", "café", "kitchen",
    "bakery", "butchers", "supermarket", "mini ?market", "food(?:s| store)?", "off licence", "convenience store",
    "stores?", "shop", "mart", "express", "wines?",
    "care home", "nursing home", "care services?", "care", "homecare", "home care", "healthcare", "medical centre",
    "surgery", "clinic", "pharmacy", "dental",
    "hotel", "guest ?house", "lodge", "inn", "hostel", "massage(?: parlour)?", "parlour", "sauna", "therapies",
    "cleaning(?: services| company)?", "cleaners", "laundry", "launderette", "dry cleaners",
    "recruitment", "staffing", "employment agency", "agency", "logistics", "transport", "haulage", "couriers?",
    "construction", "builders", "building services", "build services", "roofing", "scaffolding", "developments?",
    "packaging", "textiles?", "garments", "clothing", "fashion", "fresh produce", "produce", "farms?", "nurseries",
    "factory", "warehouse", "distribution", "trading", "imports?", "exports?", "wholesale", "enterprises",
    "holdings", "solutions", "services", "group", "partners", "associates", "& sons", "and sons", "brothers",
    "ltd", "limited", "plc", "llp", "llc", "inc", "co", "gmbh", "srl",
    "academy", "community school", "school", "college", "university", "nursery", "church", "mosque", "temple",
    "gym", "fitness", "studios?", "lounge", "bar", "club", "pub", "arts", "music", "media", "guardians",
    "reflexology", "valet", "valeting", "workforce", "supplies", "apparel", "garden", "grill", "packhouse", "recovery",
    "management", "facilities", "makers", "mill", "crew", "hands", "touch", "palace", "house of beauty",
    "lets", "lettings", "property", "properties", "estates", "packing", "packers", "vegetables", "veg", "salads",
    "growers", "cars", "taxis", "minicabs", "private hire",
)
"""Words that end a business or premises name (lower case; regular expressions)."""

TYPE_TOKENS = frozenset(w for t in TYPE_WORDS for w in re.findall(r"[a-z]+", t))
"""Every word of :data:`TYPE_WORDS`: what a business name has in common with others, never its own part."""

_WORKPLACE_TYPE = (
    "(?:nails|car wash|takeaway|farm|recruitment|cafe|restaurant|hotel|salon|barbers|kitchen|cottage|garden|trim|spa|wash"
    "|grill|packhouse|agency|logistics|motors|textiles|foods)"
)
_TYPE = alternation(sorted(TYPE_WORDS, key=len, reverse=True))
"""Longest first; grouped by first letter (speed only: the same matches, :func:`~anonymise.recognizers.prefilters.alternation`)."""
_NAME_WORD = r"(?:[A-Z][\w'’&-]*|&)"
_FIRST_WORD = r"(?!(?:The|A|An|At|In|On|Of|To|For|By|From|And|Or|THE|AT|IN|ON|OF|TO|FOR|BY|FROM|AND)\s)[A-Z][\w'’&-]*"
_LOWER_NAME = r"(?:[a-z][\w'’-]+)"

_STOP = frozenset(
    _words(
        "the a an at in on to for of her his their my our this that not no is was are were has had be been by from as "
        "with and or but she he they we i you it its when where who which what all some any"
    )
)


def _business_like(text: str) -> bool:
    """Not a sentence that ends in a premises word ("CHILDREN NOT IN SCHOOL", "the nail bar").

    Kept words alone ("Car Wash", "Albanian Takeaway") are no name, except a place and a business
    word written as a name ("Kings Barbers", "Newham Nails"): that is how such businesses are named.
    """
    words = re.findall(r"[^\W\d_]+", text.lower())
    if not words or words[0] in _STOP:
        return False
    if all(w in kept_words() for w in words) and not _place_named(text):
        return False
    return sum(w in _STOP and w not in ("and", "of") for w in words) == 0


_PLACE_WORDS = frozenset(PLACES.split())


def _place_named(text: str) -> bool:
    """A place's name then a business word, each capitalised as a name is (not ALL CAPS)."""
    words = re.findall(r"[^\W\d_]+", text)
    return (
        len(words) >= 2
        and words[0].lower() in _PLACE_WORDS
        and all(w[:1].isupper() and not w.isupper() for w in words)
    )


RECOGNIZER = RecognizerSpec(
    entity="BUSINESS",
    patterns=(
        Pattern(
            "capitalised name and business word",
            rf"\b(?<![\w'’-]){_FIRST_WORD}\s+(?:{_NAME_WORD}\s+){{0,3}}(?i:{_TYPE})\b(?:\s+(?i:ltd|limited|plc|llp|uk))?\b",
            0.6,
            words=required_last_words(_TYPE),
        ),
        Pattern("name, name and name", r"\b[A-Z][\w'’-]+(?:,\s+[A-Z][\w'’-]+)*,?\s+(?:and|&)\s+[A-Z][\w'’-]+\s+(?:Ltd|LLP|PLC|Limited|Solicitors|Associates|Partners)\b", 0.6),
        Pattern("law-firm style", r"\b[A-Z][\w'’-]+,\s+[A-Z][\w'’-]+\s+(?:and|&)\s+[A-Z][\w'’-]+\b", 0.45),
        Pattern("sons", r"\b[A-Z][\w'’-]+\s+(?:and|&)\s+Sons\b", 0.6),
        Pattern("hyphenated firm", r"\b[A-Z][a-z]+-[A-Z][a-z]+\b(?=\s+(?:is|was|has|ltd|Ltd|LLP|plc)\b)", 0.4),
        Pattern(
            "lower-case name after a workplace word",
            rf"\b(?i:worked|works|working|employed|job|shift|shifts|at|in|through|via|from|for)\s+(?:at\s+|in\s+|for\s+)?((?:{_LOWER_NAME}\s+){{1,2}}{_WORKPLACE_TYPE})\b",
            0.45,
            group=1,
            words=required_last_words(_WORKPLACE_TYPE),
        ),
    ),
    validate=lambda s: _business_like(s),
    priority=45,
    presidio_entities=("ORGANIZATION",),
)
