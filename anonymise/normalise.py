"""Normalising names, dates of birth and selectors so that one identity hashes to one pseudonym.

Names: Unicode NFKC, accents stripped, case folded, punctuation and whitespace collapsed,
"Surname, Given" and police-style "SURNAME Given" turned into "given surname". Dates of birth:
the formats UK partners' systems really export, day first. Selectors: phones to E.164, emails
lower-cased, vehicle registrations without spaces, bank accounts as sort code + account number,
addresses as postcode + house number.
"""

import re
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Final

import phonenumbers

from anonymise.vocab import SelectorKind

__all__ = [
    "DOB_FORMATS",
    "fold",
    "name_tokens",
    "normalise_address",
    "normalise_bank_account",
    "normalise_email",
    "normalise_name",
    "normalise_phone",
    "normalise_postcode",
    "normalise_selector",
    "normalise_sex",
    "normalise_vehicle",
    "parse_dob",
    "phonetic",
]

# Letters NFKD does not decompose into base + accent.
_EXTRA_FOLDS: Final = str.maketrans(
    {"ø": "o", "Ø": "o", "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ð": "d", "þ": "th",
     "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ı": "i", "ħ": "h", "ŧ": "t", "ß": "ss"}
)
_APOSTROPHES: Final = re.compile(r"['’‘`´ʼ]")
_NON_ALNUM: Final = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a string: NFKC, accents stripped, case folded.

    :param text: any text; its length may change (``ß`` → ``ss``).

    >>> fold("Zoë ÅSTRÖM-Łukasz")
    'zoe astrom-lukasz'
    """
    if text.isascii():
        return text.lower()
    text = unicodedata.normalize("NFKC", text).casefold().translate(_EXTRA_FOLDS)
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return stripped.casefold()


def _reorder(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).strip()
    if "," in text:
        surname, _, given = text.partition(",")
        return f"{given} {surname}".split()
    raw = text.split()
    letters = [t for t in raw if any(c.isalpha() for c in t)]
    upper = [t for t in letters if len(t) > 1 and t.isupper()]
    rest = [t for t in letters if t not in upper]
    if upper and rest and letters[0] in upper and all(t[0].isupper() for t in rest):
        # Police and hospital systems write the surname first, in capitals: "KOVACS Anna".
        raw = [t for t in raw if t not in upper] + upper
    return raw


def name_tokens(text: str) -> list[str]:
    """The normalised tokens of a name, given names first, surname last.

    :param text: a name as a partner recorded it, in any order or case; apostrophes are dropped
        and hyphens split double-barrelled names.

    >>> name_tokens("O'Neill-Smith, Zoë")
    ['zoe', 'oneill', 'smith']
    >>> name_tokens("KOVACS Anna Maria")
    ['anna', 'maria', 'kovacs']
    """
    tokens: list[str] = []
    for part in _reorder(text):
        folded = _APOSTROPHES.sub("", fold(part))
        tokens.extend(t for t in _NON_ALNUM.split(folded) if t)
    return tokens


def normalise_name(text: str) -> str:
    """A name as one normalised string, "given … surname".

    :param text: the name in any recorded form.

    >>> normalise_name("  smith ,  JOHN  ") == normalise_name("John Smith")
    True
    """
    return " ".join(name_tokens(text))


_SOUNDEX: Final = {
    c: d
    for letters, d in (("bfpv", "1"), ("cgjkqsxz", "2"), ("dt", "3"), ("l", "4"), ("mn", "5"), ("r", "6"))
    for c in letters
}


def phonetic(token: str) -> str:
    """The Soundex code of a normalised name token, so that small spelling slips still match.

    :param token: one normalised token (see :func:`name_tokens`).

    >>> phonetic("kovacs") == phonetic("kovac"), phonetic("smith") == phonetic("smyth")
    (True, True)
    >>> phonetic("ashcraft")
    'a261'
    """
    letters = [c for c in token if "a" <= c <= "z"]
    if not letters:
        return token
    out = letters[0]
    previous = _SOUNDEX.get(letters[0], "")
    for c in letters[1:]:
        code = _SOUNDEX.get(c, "")
        if code and code != previous:
            out += code
        if c not in "hw":
            previous = code
    return (out + "000")[:4]


DOB_FORMATS: Final = (
    "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%Y/%m/%d", "%d/%m/%y", "%d-%m-%y",
    "%d.%m.%y", "%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%d-%b-%y", "%d %b %y", "%b %d %Y",
    "%B %d %Y", "%d%m%Y", "%Y%m%d",
)
"""Day-first formats tried in order; ISO and month-name forms are unambiguous."""

_ORDINAL: Final = re.compile(r"(?<=\d)(st|nd|rd|th)\b", re.IGNORECASE)
_TIME_PART: Final = re.compile(r"[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_EXCEL_EPOCH: Final = date(1899, 12, 30)


MAX_AGE: Final = 130
"""A date of birth more than this many years ago is refused: an impossible date such as ``20020653``
(day 53) would otherwise read as 20 Feb 653 under ``%d%m%Y`` and make keys of a wrong date."""


def parse_dob(text: str, formats: Sequence[str] | None = None, *, today: date | None = None) -> date | None:
    """Parse a date of birth as UK partners export it, day first; None if it cannot be read.

    :param text: e.g. ``12/03/1990``, ``12-03-1990``, ``1990-03-12``, ``12.03.90``,
        ``12 Mar 1990``, ``March 12, 1990``, ``12th March 1990``, or an Excel serial day
        number such as ``32944``.
    :param formats: strptime formats to try instead of :data:`DOB_FORMATS`.
    :param today: reference date; two-digit years that would fall after it go back a century,
        and dates after it are refused.

    >>> parse_dob("12.03.90"), parse_dob("March 12, 1990"), parse_dob("32944")
    (datetime.date(1990, 3, 12), datetime.date(1990, 3, 12), datetime.date(1990, 3, 12))
    >>> parse_dob("31/02/1990") is None, parse_dob("20020653") is None  # not 20 Feb 653: day 53 of June 2002
    (True, True)
    """
    today = today or date.today()  # noqa: DTZ011 - a calendar date, not an instant
    cleaned = " ".join(text.replace(",", " ").split())
    cleaned = _TIME_PART.sub("", _ORDINAL.sub("", cleaned)).strip()
    cleaned = re.sub(r"\bof\b ?", "", cleaned, flags=re.IGNORECASE).strip()
    if not cleaned:
        return None
    if formats is None and re.fullmatch(r"\d{4,5}(\.0+)?", cleaned) and not re.fullmatch(r"(19|20)\d{2}", cleaned):
        serial = int(float(cleaned))
        if 1 <= serial <= 80000:
            # Excel's 1900 leap-year bug: serial 60 is the fictional 29 Feb 1900.
            parsed_serial = _EXCEL_EPOCH + timedelta(days=serial if serial > 60 else serial + 1)
            return parsed_serial if parsed_serial <= today else None
    for fmt in formats or DOB_FORMATS:
        try:
            parsed = datetime.strptime(cleaned, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
        if "%y" in fmt and parsed > today:
            parsed = parsed.replace(year=parsed.year - 100)
        return parsed if today.year - MAX_AGE <= parsed.year and parsed <= today else None
    return None


def normalise_sex(value: str | None) -> str | None:
    """``m``, ``f`` or ``x`` from the spellings partners use (NHS codes 1 and 2 too); None when unknown.

    >>> normalise_sex("Female"), normalise_sex(" M "), normalise_sex("2"), normalise_sex("not recorded")
    ('f', 'm', 'f', None)
    """
    if value is None:
        return None
    v = fold(value).strip()
    if v in {"m", "male", "man", "boy", "1"}:
        return "m"
    if v in {"f", "female", "woman", "girl", "2"}:
        return "f"
    if v in {"x", "non-binary", "nonbinary", "other"}:
        return "x"
    return None


def normalise_phone(value: str, region: str = "GB") -> str | None:
    """E.164 form of a phone number, or None if it is not a possible number.

    :param value: as written, e.g. ``07700 900123`` or ``+40 721 234 567``.
    :param region: the region assumed for numbers without an international prefix.

    >>> normalise_phone("07700 900 123"), normalise_phone("0044 7700-900123")
    ('+447700900123', '+447700900123')
    """
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(value: str) -> str | None:
    """An email address trimmed and lower-cased, or None if it is not one.

    >>> normalise_email("  Anna.K@Example.COM ")
    'anna.k@example.com'
    """
    v = unicodedata.normalize("NFKC", value).strip().lower()
    if v.startswith("mailto:"):
        v = v[7:]
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", v):
        return None
    return v


def normalise_vehicle(value: str) -> str | None:
    """A vehicle registration in capitals without spaces or dashes, or None.

    >>> normalise_vehicle("ab12 cde")
    'AB12CDE'
    """
    v = re.sub(r"[\s-]+", "", unicodedata.normalize("NFKC", value)).upper()
    if not re.fullmatch(r"[A-Z0-9]{2,8}", v) or not any(c.isdigit() for c in v):
        return None
    return v


_SORT_ACCOUNT: Final = re.compile(r"(?<!\d)(\d{2})[\s-]?(\d{2})[\s-]?(\d{2})\D{0,20}?(\d{8})(?!\d)")


def normalise_bank_account(value: str) -> str | None:
    """``SSSSSS:AAAAAAAA`` (sort code and account) from UK forms or a GB IBAN; other IBANs as ``IBAN:…``.

    >>> normalise_bank_account("sort code 12-34-56, acc 12345678")
    '123456:12345678'
    >>> normalise_bank_account("GB29 NWBK 6016 1331 9268 19")
    '601613:31926819'
    """
    v = unicodedata.normalize("NFKC", value).strip()
    compact = re.sub(r"\s+", "", v).upper()
    if re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", compact):
        if compact.startswith("GB") and len(compact) == 22:
            return f"{compact[8:14]}:{compact[14:22]}"
        return f"IBAN:{compact}"
    match = _SORT_ACCOUNT.search(v)
    if match is None:
        return None
    return f"{match[1]}{match[2]}{match[3]}:{match[4]}"


_LEGAL_SUFFIX: Final = re.compile(
    r"\b(ltd|limited|llp|plc|co|company|and co|t/a|trading as|services|recruitment|agency|uk)\b\.?", re.IGNORECASE
)


def normalise_business(value: str) -> str | None:
    """A business or labour provider's name: accents, case, punctuation and legal suffixes dropped, words sorted.

    >>> normalise_business("Swift Staffing Services Ltd.") == normalise_business("swift  staffing")
    True
    >>> normalise_business("Ltd") is None
    True
    """
    words = name_tokens(_LEGAL_SUFFIX.sub(" ", unicodedata.normalize("NFKC", value).replace("&", " ")))
    return " ".join(sorted(words)) if words else None


def normalise_handle(value: str) -> str | None:
    """A social-media handle: lower-cased, without a leading @ or a profile address's prefix.

    >>> normalise_handle("@Anna_K99"), normalise_handle("https://www.instagram.com/anna_k99/")
    ('anna_k99', 'anna_k99')
    """
    v = unicodedata.normalize("NFKC", value).strip().lower().rstrip("/")
    v = re.sub(r"^(https?://)?(www\.)?[a-z0-9.-]+\.[a-z]{2,}/", "", v).lstrip("@")
    return v if re.fullmatch(r"[a-z0-9._-]{2,64}", v) else None


POSTCODE_RE: Final = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})\b", re.IGNORECASE)


def normalise_postcode(value: str) -> str | None:
    """A UK postcode in capitals with one space, or None.

    >>> normalise_postcode("e16an")
    'E1 6AN'
    """
    match = POSTCODE_RE.fullmatch(re.sub(r"\s+", " ", value.strip()))
    return f"{match[1]} {match[2]}".upper() if match else None


def normalise_address(value: str) -> str | None:
    """``POSTCODE|house`` for an address holding a UK postcode; None without one.

    The house is the flat and house number (``3/12`` for "Flat 3, 12 …") or, lacking numbers,
    the first part of the address.

    >>> normalise_address("Flat 3, 12 Acacia Road, London e1 6an")
    'E1 6AN|3/12'
    >>> normalise_address("12, acacia rd, E1 6AN") == normalise_address("12 Acacia Road London E16AN")
    True
    """
    v = unicodedata.normalize("NFKC", value)
    matches = list(POSTCODE_RE.finditer(v))
    if not matches:
        return None
    last = matches[-1]
    postcode = f"{last[1]} {last[2]}".upper()
    rest = v[: last.start()] + " " + v[last.end() :]
    numbers = re.findall(r"(?<![A-Za-z0-9])(\d{1,5}[A-Za-z]?)(?![A-Za-z0-9])", rest)
    if numbers:
        house = "/".join(n.lower() for n in numbers[:2])
    else:
        first = rest.split(",")[0]
        house = " ".join(name_tokens(first)[:3]) if first.strip() else ""
    return f"{postcode}|{house}"


def normalise_selector(kind: SelectorKind, value: str, *, region: str = "GB") -> str | None:
    """Dispatch to the normaliser of a selector kind; None when the value cannot be normalised.

    :param kind: phone, email, vehicle, address, bank account, business or social handle.
    :param value: the raw value.
    :param region: region assumed for phone numbers without an international prefix.

    >>> normalise_selector(SelectorKind.vehicle, "AB12 CDE")
    'AB12CDE'
    """
    if not value or not value.strip():
        return None
    match kind:
        case SelectorKind.phone:
            return normalise_phone(value, region)
        case SelectorKind.email:
            return normalise_email(value)
        case SelectorKind.vehicle:
            return normalise_vehicle(value)
        case SelectorKind.address:
            return normalise_address(value)
        case SelectorKind.bank_account:
            return normalise_bank_account(value)
        case SelectorKind.business:
            return normalise_business(value)
        case SelectorKind.social_handle:
            return normalise_handle(value)
    raise ValueError(f"no normaliser for selector kind {kind}")
