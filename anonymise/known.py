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
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import phonenumbers

from anonymise.normalise import POSTCODE_RE, fold, normalise_email, normalise_phone, parse_dob
from anonymise.recognizers import REGISTRY
from anonymise.recognizers.base import PRIORITY_KNOWN, Span
from anonymise.recognizers.keep import is_kept, kept_words
from anonymise.recognizers.nhs_number import nhs_checksum_ok

__all__ = ["FoldedText", "KnownIdentifiers", "classify", "within_one_edit"]

_FUZZY_MIN: Final = 5
_NON_ASCII: Final = re.compile(r"[^\x00-\x7f]")
_DATE_SHAPE: Final = re.compile(r"\d{1,4}[/. -]\d{1,2}[/. -]\d{2,4}|\d{5}|\d{8}")


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
        table = {ord(c): _fold_char(c) for c in set(_NON_ASCII.findall(text))}
        if all(len(v) == 1 for v in table.values()):
            folded = text.translate(table).lower()
            if len(folded) == len(text):  # one character for one: offsets are unchanged
                self.folded = folded
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


_TOKEN: Final = re.compile(r"[^\W_]+")
_DIGIT_RUN: Final = re.compile(r"(?<![\w+])(?:\+|00)?\d[\d\s().\-/]{4,}\d(?!\w)")
_PART_SPLIT: Final = re.compile(r"[\s,;/()\[\]\"]+|(?<=\w)-(?=\w)")

Phrase = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Target:
    entity: str
    key: str


def _tokens(text: str) -> Phrase:
    return tuple(_TOKEN.findall(fold(text)))


def within_one_edit(a: str, b: str) -> bool:
    """Whether two words differ by at most one inserted, deleted or substituted character.

    >>> within_one_edit("kovacs", "kovac"), within_one_edit("hassan", "hasan"), within_one_edit("anna", "emma")
    (True, True, False)
    """
    if a == b:
        return True
    if len(a) > len(b):
        a, b = b, a
    if len(b) - len(a) > 1:
        return False
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return a[i + 1 :] == b[i + 1 :]
    return a[i:] == b[i + 1 :]


@functools.lru_cache(maxsize=65536)
def classify(value: str) -> str:
    """What kind of identifier a column value is: EMAIL, PHONE, POSTCODE, ADDRESS, a recognizer's type, ID_NUMBER or PERSON.

    :param value: one value from a structured column.

    >>> classify("Kovács, Anna"), classify("07700 900123"), classify("12 Acacia Road, E1 6AN")
    ('PERSON', 'PHONE', 'ADDRESS')
    >>> classify("943 476 5919"), classify("21/07/1987"), classify("AB12 CDE")
    ('NHS_NUMBER', 'DATE', 'VEHICLE')
    """
    value = value.strip()
    if "@" in value and normalise_email(value) is not None:
        return "EMAIL"
    digits = sum(c.isdigit() for c in value)
    if digits == 0:
        return "PERSON"
    if POSTCODE_RE.fullmatch(value):
        return "POSTCODE"
    if not re.search(r"[^\d\s().+/-]", value):
        if digits == 10 and nhs_checksum_ok(value):
            return "NHS_NUMBER"
        if digits <= 8 and _DATE_SHAPE.fullmatch(value) and parse_dob(value) is not None:
            return "DATE"
        if digits >= 9 and _split_phone(value) is not None:
            return "PHONE"
        if _whole_match("bank_account", value):
            return "BANK_ACCOUNT"
        return "ID_NUMBER"
    for name in ("iban", "ni_number", "vehicle", "ip_address", "url", "bank_account", "passport", "date"):
        if _whole_match(name, value):
            return REGISTRY[name].entity
    if _looks_like_address(value):
        return "ADDRESS"
    return "ID_NUMBER"


class KnownIdentifiers:
    """The identifiers of one record, prepared for searching its free text.

    :param known: every identifier value from the record's structured columns — names of all
        persons (one string per person), phones, emails, addresses, postcodes, case numbers…

    >>> known = KnownIdentifiers(["Kovács, Anna", "07700 900123"])
    >>> text = "ANNA's phone +44 7700-900-123; Kovacs left."
    >>> [(text[s.start:s.end], s.entity) for s in known.find(text)]
    [('ANNA', 'PERSON'), ('Kovacs', 'PERSON'), ('+44 7700-900-123', 'PHONE')]
    """

    def __init__(self, known: Iterable[str]) -> None:
        self._phrases: dict[str, list[tuple[Phrase, _Target]]] = {}
        self._numbers: dict[str, _Target] = {}
        self._phones: dict[str, tuple[str, _Target]] = {}
        self.name_tokens: dict[str, str] = {}
        self._fuzzy: dict[str, list[tuple[str, str]]] = {}
        for index, value in enumerate(v.strip() for v in known if isinstance(v, str) and v.strip()):
            self._add(index, value)
        for phrases in self._phrases.values():
            phrases.sort(key=lambda item: -len(item[0]))

    def _phrase(self, phrase: Phrase, entity: str, key: str) -> None:
        if phrase and (len(phrase) > 1 or len(phrase[0]) >= 2):
            self._phrases.setdefault(phrase[0], []).append((phrase, _Target(entity, key)))

    def _number(self, digits: str, entity: str, key: str) -> None:
        if len(digits) >= 5:
            self._numbers.setdefault(digits, _Target(entity, key))

    def _add(self, index: int, value: str) -> None:
        kind = classify(value)
        if kind == "PERSON":
            self._add_name(index, value)
            return
        key = re.sub(r"\W", "", fold(value))
        if kind == "EMAIL":
            email = normalise_email(value) or value
            self._phrase(_tokens(email), "EMAIL", email)
            local = email.split("@")[0]
            if len(re.sub(r"\W", "", local)) >= 4:
                self._phrase(_tokens(local), "EMAIL", email)
            return
        if kind == "PHONE":
            country, national = _split_phone(value) or ("", re.sub(r"\D", "", value))
            e164 = f"+{country}{national}"
            self._phones[national] = (country, _Target("PHONE", e164))
            self._phrase(_tokens(value), "PHONE", e164)
            return
        if kind == "ADDRESS":
            self._add_address(value, key)
            return
        tokens = _tokens(value)
        self._phrase(tokens, kind, key)
        self._phrase(("".join(tokens),), kind, key)
        self._number("".join(c for c in value if c.isdigit()), kind, key)
        for group in re.findall(r"\d{6,}", value):
            self._number(group, kind, key)

    def _add_name(self, index: int, value: str) -> None:
        key = f"known-person-{index}"
        for part in _PART_SPLIT.split(fold(value)):
            tokens = tuple(_TOKEN.findall(part))
            if not tokens:
                continue
            joined = "".join(tokens)
            candidates = {tokens, (joined,)} | {(t,) for t in tokens if len(t) >= 3}
            for phrase in candidates:
                self._phrase(phrase, "PERSON", key)
            for token in {joined, *(t for t in tokens if len(t) >= 3)}:
                if len(token) < 2:
                    continue
                self.name_tokens.setdefault(token, key)
                if len(token) >= _FUZZY_MIN and token not in kept_words():
                    # Indexed by first letter: typos rarely hit it, and it keeps "crown" from "Brown".
                    self._fuzzy.setdefault(token[0], []).append((token, key))

    def _add_address(self, value: str, key: str) -> None:
        self._phrase(_tokens(value), "ADDRESS", key)
        for part in value.split(","):
            part = part.strip()
            if not part or is_kept(part):
                continue
            postcode = POSTCODE_RE.fullmatch(part)
            if postcode:
                self._add_postcode(part)
                continue
            self._phrase(_tokens(part), "ADDRESS", key)
            street = re.sub(r"^(?:flat|apartment|unit)?\s*\d+[a-z]?\s*", "", fold(part))
            if street != fold(part) and len(street) > 3 and not is_kept(street):
                self._phrase(_tokens(street), "ADDRESS", key)
        for match in POSTCODE_RE.finditer(value):
            self._add_postcode(match[0])

    def _add_postcode(self, value: str) -> None:
        match = POSTCODE_RE.search(value)
        if match is None:
            return
        key = f"{match[1]}{match[2]}".upper()
        self._phrase((match[1].lower(), match[2].lower()), "POSTCODE", key)
        self._phrase((key.lower(),), "POSTCODE", key)

    def find(self, text: str, folded: FoldedText | None = None, *, fuzzy: bool = True) -> list[Span]:
        """Every occurrence of a known identifier in ``text``, with offsets into ``text``.

        :param fuzzy: also match words one edit away from a known name token (five letters or more).
        """
        if not (self._phrases or self._numbers or self._phones):
            return []
        view = folded or FoldedText(text)
        spans: list[Span] = []
        tokens = [(m.start(), m.end(), m[0]) for m in _TOKEN.finditer(view.folded)]
        i = 0
        while i < len(tokens):
            word = tokens[i][2]
            step = 1
            for phrase, target in self._phrases.get(word, ()):
                n = len(phrase)
                if n == 1 or tuple(t[2] for t in tokens[i : i + n]) == phrase:
                    start, end = view.original_span(tokens[i][0], tokens[i + n - 1][1])
                    spans.append(Span(start, end, target.entity, 1.0, PRIORITY_KNOWN, target.key))
                    step = n
                    break
            else:
                key = self._fuzzy_key(word) if fuzzy and self._fuzzy and len(word) >= _FUZZY_MIN - 1 else None
                if key is not None:
                    start, end = view.original_span(tokens[i][0], tokens[i][1])
                    spans.append(Span(start, end, "PERSON", 0.8, PRIORITY_KNOWN, key))
            i += step
        if self._numbers or self._phones:
            spans.extend(self._number_spans(view))
        return spans

    def _number_spans(self, view: FoldedText) -> Iterable[Span]:
        for match in _DIGIT_RUN.finditer(view.folded):
            digits = "".join(c for c in match[0] if c.isdigit())
            target = self._numbers.get(digits)
            if target is None:
                for national, (country, phone) in self._phones.items():
                    if digits.endswith(national) and digits[: -len(national)] in {"", "0", country, country + "0", "00" + country, "00" + country + "0"}:
                        target = phone
                        break
            if target is not None:
                start, end = view.original_span(*match.span())
                yield Span(start, end, target.entity, 1.0, PRIORITY_KNOWN, target.key)

    def _fuzzy_key(self, word: str) -> str | None:
        candidates = self._fuzzy.get(word[0])
        if not candidates or word in self.name_tokens or word.isdigit() or word in kept_words():
            return None
        for token, key in candidates:
            if abs(len(token) - len(word)) <= 1 and within_one_edit(token, word):
                return key
        return None

    def survivors(self, text: str) -> list[str]:
        """Kinds of known identifiers still present in ``text`` (for the fail-closed check)."""
        return sorted({s.entity for s in self.find(text, fuzzy=False)})


def _split_phone(value: str) -> tuple[str, str] | None:
    """(country code, national number) of a possible phone number; UK national numbers without a full parse.

    >>> _split_phone("07700 900123"), _split_phone("+40 721 234 567"), _split_phone("12")
    (('44', '7700900123'), ('40', '721234567'), None)
    """
    digits = re.sub(r"\D", "", value)
    if not value.lstrip().startswith("+") and digits.startswith("0") and not digits.startswith("00"):
        return ("44", digits[1:]) if len(digits) in (10, 11) and digits[1] != "0" else None
    e164 = normalise_phone(value)
    if e164 is None:
        return None
    number = phonenumbers.parse(e164)
    return str(number.country_code), str(number.national_number)


def _whole_match(recognizer: str, value: str) -> bool:
    """Whether one recognizer matches (nearly) the whole value."""
    return any(span.end - span.start >= 0.8 * len(value) for span in REGISTRY[recognizer].find(value))


def _looks_like_address(value: str) -> bool:
    has_alpha = any(c.isalpha() for c in value)
    return has_alpha and ("," in value or POSTCODE_RE.search(value) is not None or len(value.split()) >= 3)
