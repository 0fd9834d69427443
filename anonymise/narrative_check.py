"""A second look at a scrubbed narrative: the scrubber's own detectors, on text normalised first.

The schema's narrative guard calls :func:`leaks`, so the partner client (whose scrubber output
must pass the guard, or the note is dropped) and the hub (which re-validates every row) apply the
very same check. The text is normalised before it is looked at — NFKC (fullwidth digits and
letters become ASCII), every Unicode space becomes a plain space, invisible format characters
go — so ``E15\\u00a01AA`` or a postcode in fullwidth digits is seen as what it is. Placeholders
the scrubber wrote (``<PERSON_1>``) are set aside first.

This module is the one stable entry point to the detectors: it reads the recognizer registry
and calls each recognizer's ``find``; how the recognizers work may change behind it.
"""

import re
import unicodedata
from collections.abc import Iterator
from functools import cache
from typing import Final

from anonymise.recognizers import REGISTRY
from anonymise.recognizers.prefilters import compile_prefiltered
from anonymise.recognizers.words_gate import text_words

_PLACEHOLDER: Final = re.compile(r"<[A-Z][A-Z0-9_]*>")  # <PERSON_1>, <AGE_9_17>
_AGREEMENT_MAY_KEEP: Final = frozenset({"business"})
"""Recognizers whose finds an agreement may let through (``business_names``): not re-checked."""
_VISIBLE_SPACE_CATEGORIES: Final = frozenset({"Zs", "Zl", "Zp"})
_ASCII_SPACES: Final = str.maketrans("\t\n\r\x0b\x0c", "     ")
_SPELLED_EMAIL: Final = compile_prefiltered(
    r"\b[\w.+-]+\s*(?:\(|\[)?\s*(?:at|@)\s*(?:\)|\])?\s*[\w-]+\s*(?:\(|\[)?\s*dot\s*(?:\)|\])?\s*(?:com|org|net|uk|co|gov|io)\b",
    re.IGNORECASE,
)
_CAPITALISED_PAIR: Final = compile_prefiltered(r"\b([A-Z][a-z]+(?:-[A-Z][a-z]+)?)\s+([A-Z][a-z]+(?:-[A-Z][a-z]+)?)\b")
_NOT_SURNAMES: Final = frozenset({
    "street", "road", "lane", "avenue", "close", "court", "park", "square", "hill", "way", "house", "hall",
    "centre", "center", "school", "college", "church", "station", "hospital", "council", "police", "borough",
    "day", "night", "week", "month", "year",
})
_MONTHS: Final = frozenset({
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december",
})


def normalise(text: str) -> str:
    """The text as the detectors see it.

    >>> normalise("E15\\u00a01AA, \\uff25\\uff11\\uff15 call\\u200b me")
    'E15 1AA, E15 call me'
    """
    if text.isascii():  # NFKC leaves ASCII alone; its only spaces are these, and it has no format characters
        return text.translate(_ASCII_SPACES)
    folded = unicodedata.normalize("NFKC", text)
    # One translation for the characters this text holds (the same per-character rule, looked up once each).
    table = {ord(char): _SPACE_OR_GONE[char] for char in set(_NON_ASCII.findall(folded))}
    return folded.translate(_ASCII_SPACES).translate(table)


class _SpaceOrGone(dict[str, str | None]):
    """A non-ASCII character as :func:`normalise` writes it: a space, nothing (``None``), or itself."""

    def __missing__(self, char: str) -> str | None:
        category = unicodedata.category(char)
        answer = " " if category in _VISIBLE_SPACE_CATEGORIES else None if category == "Cf" else char
        self[char] = answer
        return answer


_SPACE_OR_GONE: Final = _SpaceOrGone()
_NON_ASCII: Final = re.compile(r"[^\x00-\x7f]")


@cache
def _first_names() -> frozenset[str]:
    """Common given names (zxcvbn's offline lists: US census female and male names)."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["female_names"]) | frozenset(FREQUENCY_LISTS["male_names"])


def _full_names(text: str) -> Iterator[str]:
    for match in _CAPITALISED_PAIR.finditer(text):
        first, second = match.group(1).casefold(), match.group(2).casefold()
        if first in _first_names() and first not in _MONTHS and second not in _NOT_SURNAMES and not _place(first, second):
            yield match.group(0)


def _place(first: str, second: str) -> bool:
    """Whether two words are a place's name ("Milton Keynes"), which the scrubber keeps."""
    # Imported here: the word model loads on the first capitalised pair only.
    from anonymise.namewords import place_phrases

    return (second,) in place_phrases().get(first, ())


def leaks(text: str) -> list[str]:
    """The kinds of identifier still found in ``text`` (empty when none): recognizer names, plus
    ``email_spelled_out`` and ``full_name`` (a common given name and a capitalised word after it).

    :param text: a narrative after scrubbing; never logged or returned.

    >>> leaks("Seen near E15\\u00a01AA; call 07700\\u00a0900\\u00a0123.")
    ['id_number', 'phone', 'postcode']
    >>> leaks("<PERSON_1> was moved to a car wash in Newham.")
    []
    """
    seen = normalise(_PLACEHOLDER.sub(" ", text))
    words = text_words(seen)
    found = {
        name for name, spec in REGISTRY.items()
        if name not in _AGREEMENT_MAY_KEEP and next(iter(spec.find(seen, words)), None) is not None
    }
    if _SPELLED_EMAIL.search(seen):
        found.add("email_spelled_out")
    if next(_full_names(seen), None) is not None:
        found.add("full_name")
    return sorted(found)
