"""Turning a cell's text into vocabulary codes: the profile's own mapping first, then exact codes."""

import functools
import re
import unicodedata
from collections.abc import Iterable
from difflib import SequenceMatcher
from enum import StrEnum
from typing import Final

from partner_client.phrases import phrase_code
from partner_client.profile import ColumnMap

MARKERS: Final = ("unknown", "not_asked", "not_applicable")
MAX_LISTED_VALUES: Final = 60
"""A coded column with more distinct unmapped values than this is not a code list: values are not listed."""
_BLANKS: Final = frozenset({"", "-", "n/a", "na", "none recorded", "null", "?", "not known", "unknown", "unk"})

# Common ways exports spell codes; used by `map` to propose value mappings (never silently at prepare).
CODE_SYNONYMS: Final[dict[str, tuple[str, ...]]] = {
    "sexual": ("sexual exploitation", "sex", "cse", "sexual abuse", "prostitution"),
    "labour": ("labour exploitation", "labor", "forced labour", "forced labor", "work"),
    "criminal": ("criminal exploitation", "county lines", "drugs", "cannabis cultivation", "cce"),
    "domestic_servitude": ("domestic servitude", "servitude", "domestic"),
    "forced_marriage": ("forced marriage",),
    "forced_begging": ("begging", "forced begging"),
    "organ_harvesting": ("organ harvesting", "organ removal"),
    "female": ("f", "woman", "girl", "w"),
    "male": ("m", "man", "boy"),
    "transgender_female": ("trans woman", "trans female"),
    "transgender_male": ("trans man", "trans male"),
    "non_conforming": ("non-binary", "nonbinary", "other gender"),
    "potential_victim": ("victim", "pv", "potential victim", "survivor", "client", "service user"),
    "suspect": ("suspect", "perpetrator", "offender", "exploiter", "nominal"),
    "nrm": ("national referral mechanism", "nrm referral"),
    "duty_to_notify": ("dtn", "duty to notify", "ms1"),
    "la_safeguarding": ("safeguarding", "la safeguarding", "section 42", "s42", "section 47", "s47"),
    "positive": ("yes", "positive", "pos", "accepted"),
    "negative": ("no", "negative", "neg", "rejected"),
    "pending": ("pending", "awaiting", "in progress"),
    "yes": ("y", "true", "1"),
    "no": ("n", "false", "0"),
    "police": ("police", "met", "mps", "officer"),
    "ngo": ("charity", "ngo", "voluntary"),
    "health": ("nhs", "hospital", "a&e", "gp", "health"),
    "local_authority": ("council", "la", "local authority", "borough"),
    "hand_car_wash": ("car wash", "hand car wash"),
    "nail_bar": ("nail bar", "nail salon", "nails"),
    "hot_food_takeaway": ("takeaway", "take away", "fast food"),
    "brothel_residential": ("brothel", "residential brothel", "pop-up brothel"),
    "private_household": ("house", "household", "private home", "private house"),
    "construction_site": ("building site", "construction"),
    "factory_warehouse": ("factory", "warehouse"),
}


@functools.lru_cache(maxsize=1 << 16)
def norm(text: str) -> str:
    """Case, accents, punctuation and spacing ignored.

    >>> norm("  Sexual  Exploitation ")
    'sexual exploitation'
    """
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    text = re.sub(r"[_\-/]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def is_blank(text: str) -> bool:
    return norm(text) in _BLANKS


class Unmapped(Exception):
    """A source value that neither the profile nor the vocabulary knows."""

    def __init__(self, value: str) -> None:
        super().__init__("unmapped value")
        self.value = value


def resolve(cmap: ColumnMap, vocab: type[StrEnum], raw: str, *, multi: bool) -> list[str]:
    """Codes for one cell; raises ``Unmapped`` naming the part that no rule covers."""
    if not cmap.columns and cmap.default is not None:
        return [cmap.default]
    if is_blank(raw):
        mapped = lookup(cmap, raw)
        return mapped if mapped is not None else ["unknown"]
    parts = _split(raw, cmap.split) if multi else [raw]
    codes: list[str] = []
    codes_set = _codes(vocab)
    for part in parts:
        if not part.strip():
            continue
        found = lookup(cmap, part)
        if found is None:
            candidate = norm(part).replace(" ", "_")
            if candidate in codes_set:
                found = [candidate]
            elif cmap.default is not None:
                found = [cmap.default]
            else:
                raise Unmapped(part.strip())
        for code in found:
            if code not in codes:
                codes.append(code)
    if len(codes) > 1:
        codes = [c for c in codes if c not in MARKERS] or codes[:1]
    return codes or ["unknown"]


_TABLES: dict[int, tuple[ColumnMap, dict[str, list[str]]]] = {}


def _table(cmap: ColumnMap) -> dict[str, list[str]]:
    entry = _TABLES.get(id(cmap))
    if entry is None or entry[0] is not cmap:
        table = {norm(k): [v] if isinstance(v, str) else list(v) for k, v in cmap.values.items()}
        entry = _TABLES[id(cmap)] = (cmap, table)
    return entry[1]


@functools.cache
def _codes(vocab: type[StrEnum]) -> frozenset[str]:
    return frozenset(m.value for m in vocab)


def lookup(cmap: ColumnMap, value: str) -> list[str] | None:
    """The codes the profile maps this value to (case, accents and spacing ignored), if any."""
    found = _table(cmap).get(norm(value))
    return list(found) if found is not None else None


def _split(raw: str, separator: str | None) -> list[str]:
    if separator:
        return raw.split(separator)
    return re.split(r"\s*[;|,/]\s*|\s+and\s+|\s*\+\s*", raw)


def suggest_code(value: str, vocab: type[StrEnum]) -> tuple[str, float]:
    """The vocabulary code a source value most resembles, and how sure the match is (0–1).

    >>> from anonymise.vocab import ExploitationType, PremisesType
    >>> suggest_code("Sexual Exploitation", ExploitationType)
    ('sexual', 1.0)
    >>> suggest_code("her home", PremisesType)  # key words first: not "care home", which looks alike
    ('private_household', 0.9)
    """
    key = norm(value)
    best, score = "unknown", 0.0
    for member in vocab:
        names = (norm(member.value), *CODE_SYNONYMS.get(member.value, ()))
        for name in names:
            ratio = 1.0 if key == name else SequenceMatcher(None, key, name).ratio()
            if key and name and (key.startswith(name + " ") or key.endswith(" " + name)):
                ratio = max(ratio, 0.85)
            if ratio > score:
                best, score = member.value, ratio
    if score < 1.0 and (phrased := phrase_code(value, vocab)) is not None:
        return phrased, 0.9
    return best, round(score, 2)


def distinct_parts(values: Iterable[str], separator: str | None, multi: bool) -> list[str]:
    seen: dict[str, str] = {}
    for raw in values:
        if is_blank(raw):
            continue
        for part in _split(raw, separator) if multi else [raw]:
            part = part.strip()
            if part and norm(part) not in seen:
                seen[norm(part)] = part
    return list(seen.values())
