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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
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
    answers = _PRECOMPUTED.get()
    if answers is not None:
        answer = answers.get(text)
        if answer is not None:
            return list(answer)
    return leaks_many([text])[0]


def leaks_many(texts: Sequence[str]) -> list[list[str]]:
    """:func:`leaks` of each text, each recognizer run over all of them before the next (the same
    answers; faster for many texts, as a recognizer's patterns stay in the processor's caches).

    :param texts: narratives after scrubbing; never logged or returned.

    >>> leaks_many(["call 07700 900123", "<PERSON_1> went home."])
    [['id_number', 'phone'], []]
    """
    seen = [normalise(_PLACEHOLDER.sub(" ", text)) for text in texts]
    words = [text_words(text) for text in seen]
    found: list[set[str]] = [set() for _ in texts]
    for name, spec in REGISTRY.items():
        if name in _AGREEMENT_MAY_KEEP:
            continue
        for kinds, found_in in zip(found, spec.found_any(seen, words), strict=True):
            if found_in:
                kinds.add(name)
    for kinds, text in zip(found, seen, strict=True):
        if (not text.isascii() or "dot" in text.lower()) and _SPELLED_EMAIL.search(text):  # every match holds "dot", in any case
            kinds.add("email_spelled_out")
        if next(_full_names(text), None) is not None:
            kinds.add("full_name")
    return [sorted(kinds) for kinds in found]


_PRECOMPUTED: Final[ContextVar[dict[str, list[str]] | None]] = ContextVar("narrative_leaks_precomputed", default=None)


@contextmanager
def precomputed(texts: Sequence[str]) -> Iterator[None]:
    """Within the block :func:`leaks` answers for these texts from one :func:`leaks_many` call (speed only).

    The scrubber checks a batch of notes so; the answers are the same as one :func:`leaks` call each.

    >>> with precomputed(["call 07700 900123"]):
    ...     leaks("call 07700 900123")
    ['id_number', 'phone']
    """
    token = _PRECOMPUTED.set(dict(zip(texts, leaks_many(texts), strict=True)))
    try:
        yield
    finally:
        _PRECOMPUTED.reset(token)
