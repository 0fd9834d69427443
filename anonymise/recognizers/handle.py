"""Social media handles and usernames: @names, names joined with underscores or dots, letters with digits.

``@bossman_kay``, ``dani_b1993``, ``marek.h_2011``, ``b0ssy.e16``. Fail closed: a token that
joins letters with ``_`` or mixes letters and digits like a username is removed. Handles made
of letters only (``insta kristidervishi``) are left to the word pass, which removes every word
that is not an ordinary one.

>>> [text for text in ("@bossman_kay", "dani_b1993", "b0ssy.e16", "e.g. this", "5pm", "incl klodi.london.", "home.she said") if any(RECOGNIZER.find(text))]
['@bossman_kay', 'dani_b1993', 'b0ssy.e16', 'incl klodi.london.']
"""

import re

from anonymise.recognizers.base import Pattern, RecognizerSpec


def _words(text: str) -> list[str]:
    return text.split()


RECOGNIZER = RecognizerSpec(
    entity="HANDLE",
    patterns=(
        Pattern("at-name", r"(?<![\w.])@[\w.]{2,}[\w]", 0.9),
        Pattern("underscore", r"(?<![\w@.])[\w.]*_[\w.]*\w", 0.8),
        Pattern("letters dot letters", r"(?<![\w@.])[A-Za-z][A-Za-z0-9]+(?:\.[A-Za-z0-9]+)*\.[A-Za-z]*\d[A-Za-z0-9]*\b", 0.7),
        Pattern("camel case", r"(?<![\w@.])[A-Z][a-z]+[A-Z][a-z]+[\w]*_\w*", 0.7),
        Pattern("dotted name", r"(?<![\w@.])[a-z][a-z0-9]{2,}(?:\.[a-z][a-z0-9]{1,})*\.[a-z][a-z0-9]{2,}(?![\w@]|\.\w)", 0.5),
        Pattern("letters and digits", r"(?<![\w@.])(?=[a-z]*\d)[a-z]{3,}\d{2,}[a-z0-9]*\b", 0.6),
    ),
    validate=lambda s: _looks_like_handle(s),
    gate=r"@|_|\.(?<=[^\W\d]\.)[^\W\d]|\d(?<=[a-z]\d)",
    # "@", "_", a letter-dot-letter or a lower-case letter then a digit somewhere; each part starts
    # on the rarer character (the dot, the digit) and looks back at the letter, so the engine
    # skips to those (test_gates.py: the same answer as the plain form on every text).
    priority=72,
)

def _looks_like_handle(text: str) -> bool:
    bare = text.lstrip("@")
    if len(bare) < 3 or re.fullmatch(r"\d+(?:[.:]\d+)*|(?:[a-z]\.){2,}[a-z]?\.?", bare, re.IGNORECASE):
        return False
    if re.fullmatch(r"\d+(?:am|pm|st|nd|rd|th|yo|s|mg|kg|ml|km|mph|hrs?|mins?)", bare, re.IGNORECASE):
        return False
    if text.startswith("@") or "_" in bare or any(c.isdigit() for c in bare):
        return True
    return not any(part in _SENTENCE_WORDS for part in bare.lower().split("."))


_SENTENCE_WORDS = frozenset(_words("she he they we i it the and but so then was is her his him them this that there com org net co uk"))
"""A missing space after a full stop ("home.she said") is not a handle."""

