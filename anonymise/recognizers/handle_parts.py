"""Usernames the handle patterns leave: dotted with short parts (``jay.b``, ``KRISTI.D``), or lower case with one digit (``jobs4u``).

Fail closed like :mod:`~anonymise.recognizers.handle`, but a token of this shape is also what a
missing space makes ("home.she", "ARRESTED.TAKEN", "year7"), so those are left alone.

>>> [t for t in ("follows jay.b", "INSTA KRISTI.D", "by jobs4u on tiktok", "went home.she said", "in year7") if any(RECOGNIZER.find(t))]
['follows jay.b', 'INSTA KRISTI.D', 'by jobs4u on tiktok']
"""

import re
from typing import Final

from anonymise.recognizers.base import Pattern, RecognizerSpec
from anonymise.recognizers.handle import _SENTENCE_WORDS


def _words(text: str) -> list[str]:
    return text.split()


_ABBREVIATIONS = frozenset(_words(
    "approx etc ref refs tel mob no nos vs fig figs dept est max min ext inc ltd co uk com org net gov nhs www pls "
    "am pm mr mrs ms dr st rd ave"
))
"""Abbreviations a missing space glues to the next word ("approx.five", "ref.abc"): no handle."""
_NUMBERED_WORDS = frozenset(_words(
    "year yr level phase stage step tier grade page part room flat unit floor block zone line route platform gate "
    "terminal week month round section chapter class form group team ward bay covid"
))
"""Words a missing space glues to a number ("year7", "ward3", "covid19"): no username."""
_PART: Final = re.compile(r"[^\W\d_]+")


def _short_parts_handle(text: str) -> bool:
    """A username whose parts may be short ("jay.b", "lil.k.x", "KRISTI.D") or in lower case with one digit ("jobs4u").

    Written in one case (``Mr.Smith`` is a missing space); not a word glued to a number
    ("year7"); not two ordinary words or an abbreviation glued by a missing space ("home.she",
    "ARRESTED.TAKEN", "approx.five").
    """
    bare = text.lstrip("@")
    if not (bare.islower() or bare.isupper()):
        return False
    folded = bare.lower()
    parts = _PART.findall(folded)
    if sum(len(p) for p in parts) < 4 or not any(len(p) >= 3 for p in parts):
        return False
    if "." not in folded:
        return parts[0] not in _NUMBERED_WORDS
    pieces = folded.split(".")
    if any(p in _ABBREVIATIONS or p in _SENTENCE_WORDS for p in pieces):
        return False
    from anonymise.lexicon import lexicon  # the word model loads only when a dotted token is seen

    ordinary = lexicon().ordinary
    return not all(len(p) >= 2 and p.isalpha() and p in ordinary for p in pieces)


RECOGNIZER = RecognizerSpec(
    entity="HANDLE",
    patterns=(
        Pattern("dotted, short parts", r"(?<![\w@.])[A-Za-z][A-Za-z0-9]+(?:\.[A-Za-z0-9]+)+(?![\w@]|\.\w)", 0.5),
        Pattern("letters and one digit", r"(?<![\w@.])[a-z]{4,}\d[a-z0-9]*\b", 0.5),
    ),
    validate=lambda s: _short_parts_handle(s),
    gate=r"\.(?<=[^\W\d]\.)[^\W_]|\d(?<=[^\W\d_]\d)",
    priority=71,
)
"""Usernames the patterns above leave: dotted with short parts, or letters and a single digit (fail closed)."""
