"""The linkage keys of a person beyond the four classic match keys: error-tolerant name and date keys, and ID keys.

Each key is the text that :meth:`anonymise.pseudonymise.Pseudonymiser.linkage_keys` turns
into an HMAC under its own sub-key (``person:<kind>``), so a key of one kind never compares
with another kind's. This module decides only *what* is hashed; nothing here is secret.

Each kind has a :class:`KeySpec`: whether it may propose a pair on its own (``strong``) or only
add weight to a pair another key proposed (``weak``: too common to link alone, such as a
phonetic surname with a year of birth, or an address many people share), and which comparison
of the hub's Fellegi–Sunter model it feeds. Entropy and dictionary-attack cost of each kind:
``docs/privacy.md``.
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final, Literal

import jellyfish

from anonymise.identifiers import IdKind
from anonymise.names import canonical_token, given_name_forms

__all__ = ["KEY_SPECS", "NAME_DOB_LEVELS", "KeyKind", "KeySpec", "key_texts"]


class KeyKind(StrEnum):
    """A kind of linkage key; the value names its HKDF purpose (``person:<value>``)."""

    canon_sorted = "canon_sorted"
    canon_sorted_dob = "canon_sorted_dob"
    nickname_surname_dob = "nickname_surname_dob"
    metaphone_dob = "metaphone_dob"
    nysiis_dob = "nysiis_dob"
    match_rating_dob = "match_rating_dob"
    canon_deletion_dob = "canon_deletion_dob"
    canon_sorted_dob_dm = "canon_sorted_dob_dm"
    canon_sorted_near_dob = "canon_sorted_near_dob"
    canon_sorted_dob_digit = "canon_sorted_dob_digit"
    prefix_sorted_dob = "prefix_sorted_dob"
    token_deletion_dob = "token_deletion_dob"  # noqa: S105 - the name of a key kind, not a secret
    canon_sorted_ym = "canon_sorted_ym"
    canon_sorted_md = "canon_sorted_md"
    given_surname_initial_dob = "given_surname_initial_dob"
    given_dob = "given_dob"
    metaphone_surname_yob = "metaphone_surname_yob"
    nhs_number = "nhs_number"
    ni_number = "ni_number"
    passport = "passport"
    ukvi_reference = "ukvi_reference"
    pnc_id = "pnc_id"
    phone = "phone"
    email = "email"
    address = "address"


Strength = Literal["strong", "weak"]


@dataclass(frozen=True)
class KeySpec:
    strength: Strength
    comparison: str
    """The hub model's comparison this key is a level of (``name_dob`` or its own kind; ``frequency``: none, only counted)."""
    what: str


KEY_SPECS: Final[dict[KeyKind, KeySpec]] = {
    KeyKind.canon_sorted: KeySpec("weak", "frequency", "every name token (transliterations folded), sorted, without the date of birth: never compared, only counted, so a common name's agreement weighs less (term frequency)"),
    KeyKind.canon_sorted_dob: KeySpec("strong", "name_dob", "every name token (transliterations folded), sorted + date of birth: swapped given and family names"),
    KeyKind.nickname_surname_dob: KeySpec("strong", "name_dob", "each formal name the first given name may be a nickname of + surname + date of birth (several values)"),
    KeyKind.metaphone_dob: KeySpec("strong", "name_dob", "Metaphone of every token, sorted + date of birth: spelling slips"),
    KeyKind.nysiis_dob: KeySpec("strong", "name_dob", "NYSIIS of every token, sorted + date of birth"),
    KeyKind.match_rating_dob: KeySpec("strong", "name_dob", "Match Rating codex of every token, sorted + date of birth"),
    KeyKind.canon_deletion_dob: KeySpec("strong", "name_dob", "the sorted tokens with one letter deleted (each letter in turn, and none) + date of birth: one typo, inserted, dropped, changed or two letters swapped (several values)"),
    KeyKind.canon_sorted_dob_dm: KeySpec("strong", "name_dob", "sorted tokens + year and the day and month in either order: day and month transposed"),
    KeyKind.canon_sorted_near_dob: KeySpec("strong", "name_dob", "sorted tokens + the date of birth in two-day steps, both phases (two values): a day off by one, across a month end too"),
    KeyKind.canon_sorted_dob_digit: KeySpec("strong", "name_dob", "sorted tokens + the eight digits of the date of birth with one digit deleted (each in turn, eight values): one digit mistyped, or two neighbours swapped"),
    KeyKind.prefix_sorted_dob: KeySpec("strong", "name_dob", "the first three letters of every name token (transliterations folded), sorted + date of birth: a nickname that shortens the name (Abi/Abigail, Klodi/Klodian), a slip after the third letter of any token, both"),
    KeyKind.token_deletion_dob: KeySpec("weak", "name_dob", "any one name token, with one letter deleted or none (each token and letter in turn, several values) + date of birth: the other name replaced, blank or misspelt too"),
    KeyKind.canon_sorted_ym: KeySpec("weak", "name_dob", "sorted tokens + year and month of birth: a wrong day; joins namesakes born the same month"),
    KeyKind.canon_sorted_md: KeySpec("weak", "name_dob", "sorted tokens + day and month of birth: a wrong year; joins namesakes sharing a birthday"),
    KeyKind.given_surname_initial_dob: KeySpec("strong", "name_dob", "first given name + first letter of the surname + date of birth: a slip in the surname"),
    KeyKind.given_dob: KeySpec("weak", "name_dob", "first given name + date of birth: a changed surname"),
    KeyKind.metaphone_surname_yob: KeySpec("weak", "name_dob", "Metaphone of the surname + year of birth"),
    KeyKind.nhs_number: KeySpec("strong", "nhs_number", "NHS number"),
    KeyKind.ni_number: KeySpec("strong", "ni_number", "National Insurance number without its suffix"),
    KeyKind.passport: KeySpec("strong", "passport", "passport number"),
    KeyKind.ukvi_reference: KeySpec("strong", "ukvi_reference", "Home Office / UKVI reference"),
    KeyKind.pnc_id: KeySpec("strong", "pnc_id", "Police National Computer id"),
    KeyKind.phone: KeySpec("strong", "phone", "phone number in E.164"),
    KeyKind.email: KeySpec("strong", "email", "email address, lower case"),
    KeyKind.address: KeySpec("weak", "address", "postcode + house number: many people share one"),
}

NAME_DOB_LEVELS: Final[tuple[str, ...]] = (
    "name_dob",
    "canon_sorted_dob",
    "nickname_surname_dob",
    "metaphone_dob",
    "nysiis_dob",
    "match_rating_dob",
    "canon_deletion_dob",
    "canon_sorted_dob_dm",
    "canon_sorted_near_dob",
    "prefix_sorted_dob",
    "canon_sorted_dob_digit",
    "given_surname_initial_dob",
    "initial_surname_dob",
    "canon_sorted_ym",
    "canon_sorted_md",
    "surname_dob_sex",
    "given_dob",
    "token_deletion_dob",
    "sorted_tokens_yob",
    "metaphone_surname_yob",
)
"""The levels of the hub's name and date-of-birth comparison, best first (by how rarely two different
people share it: full names before one-letter slips, before keys an initial or a twin shares): a pair's level is the
first key it agrees on (the four classic match keys of :class:`anonymise.schema.MatchKey` are
levels too)."""

_ID_KEYS: Final = {
    IdKind.nhs_number: KeyKind.nhs_number,
    IdKind.ni_number: KeyKind.ni_number,
    IdKind.passport: KeyKind.passport,
    IdKind.ukvi_reference: KeyKind.ukvi_reference,
    IdKind.pnc_id: KeyKind.pnc_id,
}


_MAX_DELETION_LENGTH: Final = 40


def _deletions(text: str) -> list[str]:
    """The text and each text with one letter (never a space) deleted, without repeats: two texts
    within one typo of each other (one letter inserted, dropped, changed, or two neighbours
    swapped) share at least one.

    >>> sorted(set(_deletions("ana"))) == ["aa", "an", "ana", "na"], bool(set(_deletions("jonida")) & set(_deletions("ojnida")))
    (True, True)
    """
    if len(text) > _MAX_DELETION_LENGTH:
        return [text]
    return list(dict.fromkeys([text, *(text[:i] + text[i + 1:] for i, c in enumerate(text) if c != " ")]))


def _sorted_deletions(joined: str) -> list[str]:
    """:func:`_deletions` of sorted tokens, and each deletion's tokens sorted again where a deleted or
    swapped first letter changed their order (*Arben Gashi* / *Raben Gashi*: ``aben gashi``).

    >>> "aben gashi" in _sorted_deletions("gashi raben"), _sorted_deletions("al bo")[:3]
    (True, ['al bo', 'l bo', 'a bo'])
    """
    out = _deletions(joined)
    return list(dict.fromkeys([*out, *(" ".join(sorted(text.split())) for text in out)]))


_PREFIX: Final = 3
"""Letters of each token kept by ``prefix_sorted_dob``."""


def _near(day: date) -> list[str]:
    """Two-day steps of the date in both phases: dates one day apart share a step."""
    n = day.toordinal()
    return [f"a{n // 2}", f"b{(n + 1) // 2}"]


def _codes(tokens: Iterable[str], code: Callable[[str], str]) -> str:
    return " ".join(sorted(code(t) for t in tokens))


def key_texts(
    given: list[str],
    family: list[str],
    dob: date | None,
    *,
    ids: Mapping[IdKind, Iterable[str]] | None = None,
    contacts: Mapping[KeyKind, Iterable[str]] | None = None,
) -> dict[KeyKind, list[tuple[str, ...]]]:
    """The parts hashed into each linkage key of one person; a kind is absent when an input is missing.

    :param given: normalised given-name tokens (:func:`anonymise.normalise.name_tokens`).
    :param family: normalised surname tokens.
    :param dob: the date of birth, or None (then no name-and-date key is made).
    :param ids: canonical ID numbers by kind (:func:`anonymise.identifiers.normalise_id`).
    :param contacts: normalised phone numbers, emails and addresses under their key kind.

    >>> keys = key_texts(["bob"], ["smith"], date(1990, 3, 12))
    >>> keys[KeyKind.canon_sorted_dob], keys[KeyKind.canon_sorted_dob_dm]
    ([('bob smith', '1990-03-12')], [('bob smith', '1990', '03', '12')])
    >>> ("robert", "smith", "1990-03-12") in keys[KeyKind.nickname_surname_dob]
    True
    >>> key_texts(["jan"], ["kowalski"], date(1990, 12, 3))[KeyKind.canon_sorted_dob_dm]
    [('jan kowalski', '1990', '03', '12')]
    """
    out: dict[KeyKind, list[tuple[str, ...]]] = {}
    canon_given = [canonical_token(t) for t in given]
    canon_family = [canonical_token(t) for t in family]
    tokens = canon_given + canon_family
    surname = "".join(canon_family)
    if dob is not None and len(tokens) >= 2:
        iso = dob.isoformat()
        year, month, day = f"{dob.year:04d}", f"{dob.month:02d}", f"{dob.day:02d}"
        joined = " ".join(sorted(tokens))
        out[KeyKind.canon_sorted] = [(joined,)]
        out[KeyKind.canon_sorted_dob] = [(joined, iso)]
        out[KeyKind.metaphone_dob] = [(_codes(tokens, jellyfish.metaphone), iso)]
        out[KeyKind.nysiis_dob] = [(_codes(tokens, jellyfish.nysiis), iso)]
        out[KeyKind.match_rating_dob] = [(_codes(tokens, jellyfish.match_rating_codex), iso)]
        out[KeyKind.canon_deletion_dob] = [(text, iso) for text in _sorted_deletions(joined)]
        out[KeyKind.canon_sorted_dob_dm] = [(joined, year, *sorted((month, day)))]
        out[KeyKind.canon_sorted_near_dob] = [(joined, step) for step in _near(dob)]
        digits = f"{year}{month}{day}"
        out[KeyKind.canon_sorted_dob_digit] = [(joined, d) for d in dict.fromkeys(digits[:i] + digits[i + 1:] for i in range(8))]
        out[KeyKind.prefix_sorted_dob] = [(" ".join(sorted(t[:_PREFIX] for t in tokens)), iso)]
        out[KeyKind.canon_sorted_ym] = [(joined, f"{year}-{month}")]
        out[KeyKind.canon_sorted_md] = [(joined, f"{month}-{day}")]
        if canon_given and surname:
            out[KeyKind.nickname_surname_dob] = [(form, surname, iso) for form in given_name_forms(given[0])]
            out[KeyKind.given_dob] = [(canon_given[0], iso)]
            out[KeyKind.given_surname_initial_dob] = [(canon_given[0], surname[0], iso)]
    if dob is not None and tokens:
        out[KeyKind.token_deletion_dob] = [(text, dob.isoformat()) for text in dict.fromkeys(v for t in tokens for v in _deletions(t))]
    if dob is not None and surname:
        out[KeyKind.metaphone_surname_yob] = [(jellyfish.metaphone(surname), f"{dob.year:04d}")]
    for kind, values in (ids or {}).items():
        found: list[tuple[str, ...]] = sorted({(v,) for v in values if v})
        if found:
            out[_ID_KEYS[kind]] = found
    for key_kind, values in (contacts or {}).items():
        contact: list[tuple[str, ...]] = sorted({(v,) for v in values if v})
        if contact:
            out[key_kind] = contact
    return out
