"""Word gates: the lower-case words one of which any match of a pattern must contain (speed only).

A pattern such as "a capitalised name, then a business word" cannot match a note that holds no
business word, so the scrubber skips it on such notes. The gate is derived from the very regular
expression the pattern uses (:func:`first_words`), never written by hand beside it, so the two
cannot drift apart; a part of the expression it cannot enumerate gives no gate (``None``), and the
pattern always runs.
"""

import re
from functools import cache
from typing import Final

__all__ = ["last_words", "required_last_words", "text_words"]

_TOKEN: Final = re.compile(r"[^\W\d_]+|&")
_ESCAPES: Final = {r"\s": " ", r"\.": ".", r"\-": "-", r"\'": "'", r"\&": "&"}
_LIMIT: Final = 5000


def text_words(text: str) -> frozenset[str]:
    """The case-folded words of ``text``, as gates compare them.

    >>> sorted(text_words("Sparkle NAILS & Spa, 12b"))
    ['&', 'b', 'nails', 'spa', 'sparkle']
    """
    return frozenset(_TOKEN.findall(text.casefold()))


def _alternatives(regex: str, i: int) -> tuple[list[str], int] | None:
    """Every string ``regex[i:]`` matches up to the ``)`` closing its group, and where that is."""
    branches: list[list[str]] = [[""]]
    while i < len(regex):
        char = regex[i]
        if char == "|":
            branches.append([""])
            i += 1
            continue
        if char == ")":
            break
        if regex.startswith("(?:", i):
            inner = _alternatives(regex, i + 3)
            if inner is None:
                return None
            piece, i = inner[0], inner[1] + 1
        elif regex.startswith("\\s+", i):  # any run of white space: the words are the same
            piece, i = [" "], i + 3
        elif char == "\\":
            literal = _ESCAPES.get(regex[i : i + 2])
            if literal is None:
                return None
            piece, i = [literal], i + 2
        elif char == "[":  # a class of plain letters, such as [Ff]
            close = regex.find("]", i)
            letters = regex[i + 1 : close]
            if close < 0 or not letters.isalpha():
                return None
            piece, i = list(letters), close + 1
        elif char in "([]{}*+^$.":
            return None
        else:
            piece, i = [char], i + 1
        if i < len(regex) and regex[i] == "?":
            piece, i = [*piece, ""], i + 1
        current = branches[-1]
        branches[-1] = [a + b for a in current for b in piece]
        if len(branches[-1]) > _LIMIT:
            return None
    return [s for b in branches for s in b], i


@cache
def last_words(regex: str) -> frozenset[str] | None:
    """For a finite alternation (literals, ``(?:…|…)``, ``?``, ``\\s``, ``\\s+``, letter classes
    such as ``[Ff]``): the last word of each string it matches, case-folded; None when the
    expression is not of that kind, or one of its strings holds no word.

    Where the pattern puts the expression after a non-letter (a space, ``\\b``) and before a
    non-letter, a match holds one of these as a whole word of the text (:func:`text_words`):
    the caller must only use it so.

    >>> sorted(last_words(r"(?:barbers?|mini ?market|food(?:s| store)?|& sons)"))
    ['barber', 'barbers', 'food', 'foods', 'market', 'minimarket', 'sons', 'store']
    >>> sorted(last_words(r"(?:[Mm]r|a\\.k\\.a\\.?|known\\s+as)"))
    ['a', 'as', 'mr']
    >>> last_words(r"(?:\\d+ road)") is None
    True
    """
    found = _alternatives(regex, 0)
    if found is None or found[1] != len(regex):
        return None
    words = set()
    for string in found[0]:
        folded = string.casefold()
        tokens = _TOKEN.findall(folded)
        if not tokens:
            return None
        words.add(tokens[-1])
    return frozenset(words)


def required_last_words(regex: str) -> frozenset[str]:
    """:func:`last_words`, for an expression written to have them (a recognizer's own alternation).

    >>> required_last_words(r"(?:road|street)") == {"road", "street"}
    True
    """
    words = last_words(regex)
    if words is None:
        raise ValueError("the expression is not a finite alternation of words: it can have no word gate")
    return words
