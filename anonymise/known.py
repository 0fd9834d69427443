"""Record-aware removal: every identifier from a record's own columns, found in free text in any surface form.

Matching runs on a folded copy of the text (NFKC, accents stripped, case folded) whose offsets
map back to the original, so "KOVÁCS", "kovacs" and "Kovacs's" all match the column value
"Kovács". Names are matched token by token (any order, possessives, hyphenated parts), and name
tokens of five letters or more also match one-letter typos ("Kovac"). Phones match whatever
their separators and national/international prefix, postcodes with or without their space,
addresses as a whole, by comma part and by street.
"""

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import phonenumbers

from anonymise.normalise import POSTCODE_RE, fold, normalise_email, normalise_phone
from anonymise.recognizers import REGISTRY
from anonymise.recognizers.base import PRIORITY_KNOWN, Span
from anonymise.recognizers.keep import is_kept, kept_words

__all__ = ["FoldedText", "KnownIdentifiers"]

_TOKEN_SPLIT: Final = re.compile(r"[\s,;/()\[\]\"]+|(?<=\w)[-.](?=\w)")
_APOSTROPHE: Final = "['’‘`´ʼ]"
_FUZZY_MIN: Final = 5
_SEPARATORS: Final = r"[\s./-]?"
_STRUCTURED: Final = ("EMAIL", "URL", "IP_ADDRESS", "IBAN", "BANK_ACCOUNT", "NHS_NUMBER", "NI_NUMBER", "PASSPORT", "VEHICLE", "POSTCODE", "PHONE", "DATE")


@functools.lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    return fold(char)


class FoldedText:
    """Text folded for matching, with a map from folded offsets back to the original.

    >>> f = FoldedText("Zoë KOVÁCS")
    >>> f.folded, f.original_span(4, 10)
    ('zoe kovacs', (4, 10))
    """

    __slots__ = ("_starts", "folded", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: list[int] | None
        if text.isascii():
            self.folded = text.lower()
            self._starts = None
            return
        pieces: list[str] = []
        starts: list[int] = []
        for index, char in enumerate(text):
            folded = _fold_char(char) if not char.isascii() else char.lower()
            pieces.append(folded)
            starts.extend([index] * len(folded))
        self.folded = "".join(pieces)
        starts.append(len(text))
        self._starts = starts

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        if self._starts is None:
            return start, end
        original_start = self._starts[start]
        original_end = self._starts[end - 1] + 1 if end > start else original_start
        # Swallow combining marks that folded to nothing after the last matched character.
        while original_end < len(self.text) and _fold_char(self.text[original_end]) == "":
            original_end += 1
        return original_start, original_end


@dataclass(frozen=True, slots=True)
class _Alternative:
    regex: str
    entity: str
    key: str


def _flexible(text: str, separators: str = _SEPARATORS) -> str:
    """A literal that tolerates different separators between its letters and digits."""
    chars = [c for c in text if c.isalnum()]
    return separators.join(re.escape(c) for c in chars)


def _phrase(text: str) -> str:
    words = [w for w in re.split(r"[\s,]+", fold(text)) if w]
    return r"[\s,]+".join(re.escape(w) for w in words)


def _phone_regex(value: str) -> str | None:
    e164 = normalise_phone(value)
    if e164 is None:
        return None
    number = phonenumbers.parse(e164)
    national = str(number.national_number)
    digits = r"[\s().-]{0,2}".join(national)
    cc = str(number.country_code)
    return rf"(?:(?:\+|00)\s?{cc}[\s().-]{{0,3}}(?:0[\s)]{{0,2}})?|0[\s().-]{{0,2}})?{digits}"


def _name_token_regex(token: str) -> str:
    parts = [p for p in re.split(_APOSTROPHE, token) if p]
    return f"{_APOSTROPHE}?".join(re.escape(p) for p in parts)


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class KnownIdentifiers:
    """The identifiers of one record, compiled for searching its free text.

    :param known: every identifier value from the record's structured columns — names of all
        persons (one string per person), phones, emails, addresses, postcodes, case numbers…

    >>> known = KnownIdentifiers(["Kovács, Anna", "07700 900123"])
    >>> text = "ANNA's phone +44 7700-900-123; Kovacs left."
    >>> [(text[s.start:s.end], s.entity) for s in known.find(text)]
    [('ANNA', 'PERSON'), ('+44 7700-900-123', 'PHONE'), ('Kovacs', 'PERSON')]
    """

    def __init__(self, known: Iterable[str]) -> None:
        alternatives: list[_Alternative] = []
        self.name_tokens: dict[str, str] = {}
        self._fuzzy: dict[str, str] = {}
        for index, value in enumerate(v.strip() for v in known if v and v.strip()):
            alternatives.extend(self._alternatives(index, value))
        alternatives = [a for a in alternatives if a.regex]
        self._groups = alternatives
        self._regex: re.Pattern[str] | None = None
        if alternatives:
            ordered = sorted(range(len(alternatives)), key=lambda i: -len(alternatives[i].regex))
            source = "|".join(f"(?P<g{i}>{alternatives[i].regex})" for i in ordered)
            self._regex = re.compile(rf"(?<!\w)(?:{source})(?!\w)")

    def _alternatives(self, index: int, value: str) -> list[_Alternative]:
        email = normalise_email(value) if "@" in value else None
        if email is not None:
            local = email.split("@")[0]
            out = [_Alternative(re.escape(fold(email)), "EMAIL", email)]
            if len(local) >= 4:
                out.append(_Alternative(re.escape(fold(local)), "EMAIL", email))
            return out
        entity = _structured_entity(value)
        if entity == "PHONE":
            phone = _phone_regex(value)
            return [_Alternative(phone or _flexible(value), "PHONE", normalise_phone(value) or value)]
        if entity == "POSTCODE":
            return [_Alternative(_postcode_regex(value), "POSTCODE", value.upper().replace(" ", ""))]
        if entity is not None:
            return [_Alternative(_flexible(fold(value)), entity, re.sub(r"\W", "", value.upper()))]
        if _looks_like_address(value):
            return self._address_alternatives(value)
        if not any(c.isalpha() for c in value):
            return [_Alternative(_flexible(value), "ID_NUMBER", re.sub(r"\W", "", value))]
        return self._name_alternatives(index, value)

    def _name_alternatives(self, index: int, value: str) -> list[_Alternative]:
        key = f"known-person-{index}"
        out: list[_Alternative] = []
        for token in _TOKEN_SPLIT.split(fold(value)):
            token = token.strip("'’.")
            bare = re.sub(_APOSTROPHE, "", token)
            if len(bare) < 2 or not any(c.isalpha() for c in bare):
                continue
            out.append(_Alternative(_name_token_regex(token), "PERSON", key))
            if bare != token:
                out.append(_Alternative(re.escape(bare), "PERSON", key))
            self.name_tokens.setdefault(bare, key)
            if len(bare) >= _FUZZY_MIN and bare not in kept_words():
                self._fuzzy.setdefault(bare, key)
                for deletion in _deletions(bare):
                    self._fuzzy.setdefault(deletion, key)
        return out

    def _address_alternatives(self, value: str) -> list[_Alternative]:
        key = re.sub(r"\W", "", fold(value))
        out = [_Alternative(_phrase(value), "ADDRESS", key)]
        for part in value.split(","):
            part = part.strip()
            if not part or is_kept(part):
                continue
            if POSTCODE_RE.fullmatch(part):
                out.append(_Alternative(_postcode_regex(part), "POSTCODE", part.upper().replace(" ", "")))
                continue
            out.append(_Alternative(_phrase(part), "ADDRESS", key))
            street = re.sub(r"^(?:flat|apartment|unit)?\s*\d+[a-z]?\s*", "", fold(part))
            if street and street != fold(part) and len(street) > 3 and not is_kept(street):
                out.append(_Alternative(_phrase(street), "ADDRESS", key))
        for match in POSTCODE_RE.finditer(value):
            out.append(_Alternative(_postcode_regex(match[0]), "POSTCODE", match[0].upper().replace(" ", "")))
        return out

    def find(self, text: str, folded: FoldedText | None = None) -> list[Span]:
        """Every occurrence of a known identifier in ``text``, with offsets into ``text``."""
        if self._regex is None:
            return []
        view = folded or FoldedText(text)
        spans: list[Span] = []
        for match in self._regex.finditer(view.folded):
            group = match.lastgroup
            if group is None:  # pragma: no cover - every alternative is a named group
                continue
            alternative = self._groups[int(group[1:])]
            start, end = view.original_span(*match.span())
            spans.append(Span(start, end, alternative.entity, 1.0, PRIORITY_KNOWN, alternative.key))
        if self._fuzzy:
            spans.extend(self._fuzzy_spans(view, spans))
        return spans

    def _fuzzy_spans(self, view: FoldedText, exact: Sequence[Span]) -> Iterable[Span]:
        taken = {(s.start, s.end) for s in exact}
        for match in re.finditer(r"\w{4,}", view.folded):
            word = match[0]
            if word in self.name_tokens or word in kept_words():
                continue
            candidates = [word, *_deletions(word)]
            key = next((self._fuzzy[c] for c in candidates if c in self._fuzzy), None)
            if key is None:
                continue
            # Same first letter: typos rarely hit it, and it keeps "crown" apart from "Brown".
            if not any(t[0] == word[0] and abs(len(t) - len(word)) <= 1 for t, k in self.name_tokens.items() if k == key):
                continue
            start, end = view.original_span(*match.span())
            if (start, end) not in taken:
                yield Span(start, end, "PERSON", 0.8, PRIORITY_KNOWN, key)

    def survivors(self, text: str) -> list[str]:
        """Kinds of known identifiers still present in ``text`` (for the fail-closed check)."""
        return sorted({s.entity for s in self.find(text) if s.score >= 1.0})


def _postcode_regex(value: str) -> str:
    match = POSTCODE_RE.search(value)
    if match is None:
        return _flexible(fold(value))
    return rf"{re.escape(match[1].lower())}\s*{re.escape(match[2].lower())}"


def _structured_entity(value: str) -> str | None:
    """The type of a value that one structured recognizer matches as a whole."""
    for name in _STRUCTURED_RECOGNIZERS:
        spec = REGISTRY[name]
        for span in spec.find(value):
            if span.end - span.start >= 0.8 * len(value.strip()):
                return spec.entity
    return None


_STRUCTURED_RECOGNIZERS: Final = tuple(
    name for name, spec in REGISTRY.items() if spec.entity in _STRUCTURED
)


def _looks_like_address(value: str) -> bool:
    has_digit = any(c.isdigit() for c in value)
    has_alpha = any(c.isalpha() for c in value)
    return has_digit and has_alpha and ("," in value or POSTCODE_RE.search(value) is not None or len(value.split()) >= 3)
