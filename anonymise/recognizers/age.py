"""Exact ages in text ("aged 16", "(15)", "16yo", "18 next year", "seventeen-year-old"), replaced by their age band.

The record's age is banded (:func:`anonymise.generalise.age_band`); an exact age left in the
note would undo that. The scrubber writes the band instead: ``aged <AGE_9_17>``.

The match is the number alone where a word introduces it (``aged 16`` → ``16``).

>>> [t for t in ("aged 16", "Precious (15)", "16yo", "she is 18 next year", "a seventeen-year-old", "room 16") if any(RECOGNIZER.find(t))]
['aged 16', 'Precious (15)', '16yo', 'she is 18 next year', 'a seventeen-year-old']
"""

import re
from typing import Final

from anonymise.recognizers.base import Pattern, RecognizerSpec
from anonymise.recognizers.prefilters import alternation


def _words(text: str) -> list[str]:
    return text.split()


_UNITS: Final = _words("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen")
_TENS: Final = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_TENS_WORDS: Final = _words("twenty thirty forty fifty sixty seventy eighty ninety")
_UNIT_SUFFIX: Final = "(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?"
_WORD_AGE: Final = alternation([*(f"{tens}{_UNIT_SUFFIX}" for tens in _TENS_WORDS), *_UNITS[1:]])
"""A number from one to ninety-nine in words: ``(?:twenty|…|ninety)(?:[- ]one…)?|one|…|nineteen``, grouped by
first letter (speed only: the same matches in the same order, :func:`~anonymise.recognizers.prefilters.alternation`)."""
_AGE: Final = rf"(?:\d{{1,2}}|{_WORD_AGE})"


def years(text: str) -> int | None:
    """The age a match states, in years.

    >>> years("aged 16"), years("forty-five years old"), years("(15)"), years("room")
    (16, 45, 15, None)
    """
    digits = re.search(r"\d{1,3}", text)
    if digits:
        return int(digits[0])
    words = re.findall(r"[a-z]+", text.lower())
    total, seen = 0, False
    for word in words:
        if word in _TENS:
            total, seen = total + _TENS[word], True
        elif word in _UNITS:
            total, seen = total + _UNITS.index(word), True
    return total if seen else None


RECOGNIZER = RecognizerSpec(
    entity="AGE",
    patterns=(
        Pattern("aged", rf"(?i)\b(?:aged?|age:|ages|aged about|aged approx\.?|approx\.? age)\s*(?:about\s+|approx\.?\s+|around\s+)?({_AGE})\b", 0.8, group=1),
        Pattern(
            "number then years old, yo, next year",
            rf"(?i)(?<!\w)(?=[\dotfsen])({_AGE})(?:\s+(?:years?|yrs?)\s+old\b|[- ]years?[- ]olds?\b|\s?(?:y/?o|yrs?o|yo)\b"
            r"|\s+(?:next\s+(?:year|month|week|birthday)|in\s+(?:january|february|march|april|may|june|july|august|september|october|november|december))\b)",
            0.8,
            group=1,
        ),
        Pattern("in brackets after a word", r"(?<=[A-Za-z] )\((\d{1,2})\)", 0.6, group=1),
        Pattern("in brackets after a word, with sex", r"\((\d{1,2})\s*(?:[MFmf]|yrs?|y)\)", 0.6, group=1),
        Pattern("is N", rf"(?i)\b(?:is|was|turn|turned|turns|turning|now|only)\s+(?:just\s+)?({_AGE})(?=\s*(?:[,.;)]|and\b|but\b|$))", 0.45, group=1),
    ),
    validate=lambda s: (lambda y: y is not None and y <= 110)(years(s)),
    normalise=lambda s: str(years(s)),
    priority=55,
)
