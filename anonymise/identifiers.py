"""Reading the ID numbers partners hold (NHS, NI, passport, Home Office/UKVI, PNC) into one canonical form each.

Each reader returns the canonical text that is hashed into a match key, or None when the value
is not a well-formed number of its kind; the caller then drops only the keys that need it (the
upload goes on, the row and column are named in the review report, never the value).
"""

import re
import unicodedata
from collections.abc import Callable
from enum import StrEnum
from typing import Final

__all__ = [
    "ID_READERS",
    "IdKind",
    "normalise_id",
    "normalise_nhs_number",
    "normalise_ni_number",
    "normalise_passport",
    "normalise_pnc_id",
    "normalise_ukvi_reference",
]


class IdKind(StrEnum):
    """The ID numbers a partner may hold for a person, each its own match-key purpose."""

    nhs_number = "nhs_number"
    ni_number = "ni_number"
    passport = "passport"
    ukvi_reference = "ukvi_reference"
    pnc_id = "pnc_id"


_SEPARATORS: Final = re.compile(r"[\s\-./]+")


def _compact(value: str) -> str:
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", value)).upper()


def normalise_nhs_number(value: str) -> str | None:
    """Ten digits whose modulus-11 check digit is right (NHS Data Dictionary), or None.

    :param value: as written, spaces or dashes anywhere (``943 476 5919``).

    >>> normalise_nhs_number("943 476 5919"), normalise_nhs_number("943-476-5918")
    ('9434765919', None)
    """
    digits = _compact(value)
    if not re.fullmatch(r"[0-9]{10}", digits):
        return None
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    check = 11 - total % 11
    check = 0 if check == 11 else check
    return digits if check != 10 and check == int(digits[9]) else None


_NINO: Final = re.compile(r"(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]?")


def normalise_ni_number(value: str) -> str | None:
    """The two prefix letters and six digits of a National Insurance number, or None.

    The suffix letter (A–D) is dropped: systems often omit it or write a placeholder.

    :param value: as written, spaces anywhere, any case.

    >>> normalise_ni_number("ab 12 34 56 c"), normalise_ni_number("AB123456"), normalise_ni_number("GB123456A")
    ('AB123456', 'AB123456', None)
    """
    compact = _compact(value)
    return compact[:8] if _NINO.fullmatch(compact) else None


def normalise_passport(value: str) -> str | None:
    """A passport number: 6 to 9 capital letters and digits with at least 5 digits, or None.

    The issuing country is not part of the key (partners seldom record it); two countries'
    passports with the same number can only add weight to a pair that other keys propose.

    >>> normalise_passport("5 3 2 4 1 0 9 8 7"), normalise_passport("n/a")
    ('532410987', None)
    """
    compact = _compact(value)
    if not re.fullmatch(r"[A-Z0-9]{6,9}", compact) or sum(c.isdigit() for c in compact) < 5:
        return None
    return compact


def normalise_ukvi_reference(value: str) -> str | None:
    """A Home Office or UKVI reference (a letter then 7 digits, or a 16-digit UAN), or None.

    A trailing ``/n`` dependant number is kept out of the key, so a family's references stay
    apart only by the other keys.

    >>> normalise_ukvi_reference("b1234567/2"), normalise_ukvi_reference("1234-5678-9012-3456")
    ('B1234567', '1234567890123456')
    """
    text = unicodedata.normalize("NFKC", value).strip().upper()
    text = re.sub(r"/\d{1,2}$", "", text)
    compact = _compact(text)
    if re.fullmatch(r"[A-Z][0-9]{7}|[0-9]{16}|[A-Z]{1,2}[0-9]{6,10}", compact):
        return compact
    return None


_PNC: Final = re.compile(r"(?:19|20)?([0-9]{2})/?([0-9]{1,7})([A-Z])")


def normalise_pnc_id(value: str) -> str | None:
    """A Police National Computer id as ``YY/NNNNNNNL`` (year, serial padded to 7 digits, check letter), or None.

    The check letter is kept as written, not verified: forces' exports vary.

    >>> normalise_pnc_id("2019/123456X"), normalise_pnc_id("19/0123456x"), normalise_pnc_id("123")
    ('19/0123456X', '19/0123456X', None)
    """
    compact = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).upper()
    match = _PNC.fullmatch(compact)
    if match is None:
        return None
    return f"{match[1]}/{int(match[2]):07d}{match[3]}"


ID_READERS: Final[dict[IdKind, Callable[[str], str | None]]] = {
    IdKind.nhs_number: normalise_nhs_number,
    IdKind.ni_number: normalise_ni_number,
    IdKind.passport: normalise_passport,
    IdKind.ukvi_reference: normalise_ukvi_reference,
    IdKind.pnc_id: normalise_pnc_id,
}


def normalise_id(kind: IdKind, value: str) -> str | None:
    """The canonical form of an ID number of one kind; None when blank or not well formed.

    :param kind: which ID number it is.
    :param value: the raw value.

    >>> normalise_id(IdKind.nhs_number, " 9434765919 ")
    '9434765919'
    """
    if not value or not value.strip():
        return None
    return ID_READERS[kind](value)
