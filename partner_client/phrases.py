"""Caseworkers' phrases for coded fields: key words that decide a code before any fuzzy matching.

Fuzzy matching alone reads "family home" as ``care_home`` (the strings look alike) and "forced to
work in car wash" as nothing at all. These rules look for words that mean one thing, in order, and
the first that matches wins; a value no rule covers falls through to the fuzzy match in
``coding.suggest_code``. Codes come from ``anonymise.vocab`` only.
"""

import re
from enum import StrEnum
from typing import Final

from anonymise.vocab import ExploitationType, LabourSector, PremisesType

Rule = tuple[re.Pattern[str], str]


def _rules(*pairs: tuple[str, str]) -> tuple[Rule, ...]:
    return tuple((re.compile(rf"\b(?:{words})", re.IGNORECASE), code) for words, code in pairs)


_HOME = r"(?:family|her|his|their|my|own|private|someone'?s|a|the)\s+(?:home|house|flat)|household|home\b|house\b"

RULES: Final[dict[type[StrEnum], tuple[Rule, ...]]] = {
    ExploitationType: _rules(
        (r"organ", "organ_harvesting"),
        (r"marri|wedding", "forced_marriage"),
        (r"begg", "forced_begging"),
        (r"cannabis|county lines|drug|dealing|shoplift|theft|steal|pickpocket|criminal|cuckoo", "criminal"),
        (r"sex|brothel|prostitut|escort|massage parlour|pimp|cse\b", "sexual"),
        (r"servitude|domestic|nanny|childcare|cleaning (?:the|her|his)|" + _HOME, "domestic_servitude"),
        (r"car ?wash|nail|factory|warehouse|construction|building site|farm|field|fruit|picking|restaurant|"
         r"takeaway|kitchen|hotel|laundry|labou?r|work|job|employ", "labour"),
    ),
    PremisesType: _rules(
        (r"car ?wash", "hand_car_wash"),
        (r"nail", "nail_bar"),
        (r"take ?away|chicken shop|fast food|kebab", "hot_food_takeaway"),
        (r"restaurant|caf[eé]", "restaurant"),
        (r"convenience|corner shop|off licen[cs]e|newsagent|mini ?market|shop\b", "convenience_store"),
        (r"brothel|massage parlour|sauna", "brothel_residential"),
        (r"care home|nursing home|residential care", "care_home"),
        (r"building site|construction", "construction_site"),
        (r"factory|warehouse|packing", "factory_warehouse"),
        (r"cannabis|hotel|b ?& ?b|hostel|airbnb", "other"),
        (r"farm|field|agricultur", "agricultural_site"),
        (r"online|internet|website|social media|app\b", "online_only"),
        (r"street|park|station|outdoors", "street"),
        (_HOME, "private_household"),
    ),
    LabourSector: _rules(
        (r"cannabis|drug|illicit|county lines", "illicit_activities"),
        (r"car ?wash", "car_wash"),
        (r"nail|beauty|salon", "nail_beauty"),
        (r"care home|nursing home|care work", "care_sector"),
        (r"building site|construction", "construction"),
        (r"farm|field|agricultur|fruit|picking", "agriculture"),
        (r"restaurant|hotel|takeaway|kitchen|caf[eé]|hospitality", "hospitality"),
        (r"factory|manufactur", "manufacturing"),
        (r"warehouse|packing", "warehousing"),
        (r"begg", "begging"),
        (r"domestic|cleaning|nanny|childcare|" + _HOME, "domestic_work"),
    ),
}


def phrase_code(value: str, vocab: type[StrEnum]) -> str | None:
    """The code a caseworker's phrase means, when a key word decides it.

    >>> from anonymise.vocab import ExploitationType, PremisesType
    >>> phrase_code("forced to work in car wash", ExploitationType), phrase_code("family home", PremisesType)
    ('labour', 'private_household')
    >>> phrase_code("cannabis farm", ExploitationType), phrase_code("hotel", PremisesType)
    ('criminal', 'other')
    """
    for pattern, code in RULES.get(vocab, ()):
        if pattern.search(value):
            return code
    return None
