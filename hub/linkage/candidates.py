"""Candidate pairs of one agreement's persons, and the level each pair reaches in each comparison.

Input: rows (person index, key kind, key value) of hub re-keyed keys, values as integers
(:class:`Keys`). Two steps:

1. :func:`block`: candidate pairs are the pairs of persons sharing a value of a *strong* key
   (a value shared by more than ``max_group`` persons proposes nothing: it is not an identifier);
   weak keys never propose, they only add weight.
2. :func:`compare`: each candidate's level in each comparison — the name and date-of-birth
   comparison takes the first of :data:`anonymise.matchkeys.NAME_DOB_LEVELS` the pair agrees on,
   else "disagree" when both have such keys, else null; each ID kind is agree / disagree / null.

Output: :class:`Candidates`, and per key kind the pairs sharing a value (:class:`KindPairs`),
which :mod:`hub.linkage.estimate` counts.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from anonymise import KEY_SPECS, NAME_DOB_LEVELS, KeyKind, MatchKey
from hub.linkage import frequency

__all__ = [
    "ATTRIBUTES",
    "COMPARISONS",
    "FREQUENCY",
    "KINDS",
    "LEVELS",
    "NULL",
    "ONE_TOKEN",
    "ONE_TOKEN_LEVEL",
    "STRONG",
    "Candidates",
    "Keys",
    "KindPairs",
    "block",
    "compare",
    "holders",
    "levels_of",
    "name_values",
]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

KINDS: Final[tuple[str, ...]] = (*(k.value for k in MatchKey), *(k.value for k in KeyKind))
"""Every key kind the hub links on: the four classic match keys, then :class:`KeyKind`."""

WEAK_CLASSIC: Final = frozenset({MatchKey.sorted_tokens_yob.value, MatchKey.surname_dob_sex.value})
"""Classic match keys too common to propose a pair alone (twins share a surname, birthday and sex;
name tokens with a year of birth join namesakes): they only add weight."""
_WEAK: Final = WEAK_CLASSIC | {k.value for k, spec in KEY_SPECS.items() if spec.strength == "weak"}
STRONG: Final[tuple[str, ...]] = tuple(k for k in KINDS if k not in _WEAK)


ATTRIBUTES: Final[tuple[str, ...]] = ("gender", "age_band", "nationality")
"""Coded person fields the hub already holds, compared for equality: independent evidence beside the keys."""

COMPARISONS: Final[tuple[str, ...]] = (
    "name_dob", *(k.value for k, spec in KEY_SPECS.items() if spec.comparison not in ("name_dob", "frequency")), *ATTRIBUTES,
)
"""The model's comparisons: names and date of birth (the levels of ``NAME_DOB_LEVELS``), each ID
kind, and each attribute."""

IMPLIED_BY_NAME_DOB: Final = ("age_band", "nationality")
"""Attributes not independent of an agreeing name and date of birth: the age band follows from the
date; names run by nationality, so namesakes (and twins) share it far more often than two random
people. Counting them again beside an agreeing name-and-date level overstated the evidence and
linked twins; they count only where names and dates do not agree."""

YEARLESS: Final = frozenset({"canon_sorted_md"})
"""Name-and-date levels whose key holds no year: the age band is independent evidence beside them (a
wrong year of birth by one mostly keeps the band; a namesake sharing a birthday mostly does not)."""

NULL: Final = -1
"""A comparison level of a pair where either side holds no key of it."""


@dataclass
class Keys:
    """One agreement's keys: ``person``, ``kind`` (index into :data:`KINDS`) and ``value`` per row."""

    n_persons: int
    person: IntArray
    kind: IntArray
    value: IntArray
    attributes: dict[str, IntArray] = field(default_factory=dict)
    """Per attribute of :data:`ATTRIBUTES`, a code per person (-1 unknown)."""

    @classmethod
    def from_rows(
        cls, n_persons: int, rows: Sequence[tuple[int, str, int]], attributes: Mapping[str, IntArray] | None = None
    ) -> "Keys":
        index = {k: i for i, k in enumerate(KINDS)}
        person = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        kind = np.fromiter((index[r[1]] for r in rows), dtype=np.int64, count=len(rows))
        value = np.fromiter((r[2] for r in rows), dtype=np.int64, count=len(rows))
        return cls(n_persons, person, kind, value, dict(attributes or {}))


@dataclass
class KindPairs:
    """Which persons hold a key of one kind, and the pairs of them sharing a value."""

    has: BoolArray
    pairs: IntArray  # sorted unique pair codes a * n + b (a < b) sharing a value


@dataclass
class Candidates:
    """Candidate pairs (``a`` < ``b``), which kinds each agrees on, and each comparison's level."""

    a: IntArray
    b: IntArray
    agree: dict[str, BoolArray]
    levels: npt.NDArray[np.int8]  # (pairs, comparisons): level index, len(levels) disagree, -1 null
    ambiguous: BoolArray = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))
    """Per person: no full name, and it shares the one-token key with two full-name persons who share
    no strong key with each other, so the one-token key proposes none of its pairs (:func:`block`)."""


def _kind_pairs(keys: Keys, max_group: int) -> dict[str, KindPairs]:
    n = keys.n_persons
    out: dict[str, KindPairs] = {}
    for index, name in enumerate(KINDS):
        mask = keys.kind == index
        person, value = keys.person[mask], keys.value[mask]
        has = np.zeros(n, dtype=np.bool_)
        has[person] = True
        if person.size == 0:
            out[name] = KindPairs(has, np.empty(0, dtype=np.int64))
            continue
        order = np.lexsort((person, value))
        person, value = person[order], value[order]
        keep = np.ones(person.size, dtype=np.bool_)
        keep[1:] = (value[1:] != value[:-1]) | (person[1:] != person[:-1])
        person, value = person[keep], value[keep]
        starts = np.flatnonzero(np.concatenate(([True], value[1:] != value[:-1])))  # value is sorted: its groups are runs
        counts = np.diff(np.append(starts, value.size))
        group_size = np.repeat(counts, counts)
        shared = (group_size >= 2) & (group_size <= max_group)  # only whole groups that can make pairs: most values are held once
        person, value, group_size = person[shared], value[shared], group_size[shared]
        chunks: list[IntArray] = []
        for offset in range(1, min(int(group_size.max(initial=1)), max_group)):
            left = np.arange(person.size - offset)
            same = (value[left] == value[left + offset]) & (group_size[left] <= max_group)
            a, b = person[left[same]], person[left[same] + offset]
            lo, hi = np.minimum(a, b), np.maximum(a, b)
            chunks.append(lo * n + hi)
        pairs = np.unique(np.concatenate(chunks)) if chunks else np.empty(0, dtype=np.int64)
        out[name] = KindPairs(has, pairs)
    return out


ONE_TOKEN: Final = KeyKind.token_deletion_dob.value
"""The one-token key: it proposes a pair only where a side holds no full name (:func:`_one_token_pairs`)."""

ONE_TOKEN_LEVEL: Final = "one_token_dob"  # noqa: S105 - the name of a level, not a secret
"""The name-and-date level of a pair the one-token key proposed (hub-side, no key of its own): placed
before the weak levels, so its u is learnt from these pairs alone, not from every pair of namesakes or
twins that share one token."""

DIGIT: Final = KeyKind.canon_sorted_dob_digit.value
DIGIT_LEVELS: Final[dict[str, str]] = {"dob_digit_ym": KeyKind.canon_sorted_ym.value, "dob_digit_md": KeyKind.canon_sorted_md.value}
"""Hub-side levels (no key of their own) splitting the one-digit level by the date part the pair also
shares: one digit apart within the same year and month (a day off by ten or by a units digit), or on the
same birthday (a year one digit off). Two different people's dates are that near far more rarely than
any two dates one digit apart, which also join across fields (``19740430`` / ``19470430``); on the dev
population the one-digit level held 724 true and 348 false pairs, of them same year-month 370 / 58,
same birthday 338 / 114, neither 16 / 176 (``bench/linkage.py --split dev``, names and DOB alone)."""

LEVELS: Final[tuple[str, ...]] = (
    *NAME_DOB_LEVELS[: NAME_DOB_LEVELS.index(DIGIT)], *DIGIT_LEVELS,
    *NAME_DOB_LEVELS[NAME_DOB_LEVELS.index(DIGIT): NAME_DOB_LEVELS.index("surname_dob_sex")], ONE_TOKEN_LEVEL,
    *NAME_DOB_LEVELS[NAME_DOB_LEVELS.index("surname_dob_sex"):],
)
"""The hub's name-and-date levels: :data:`anonymise.matchkeys.NAME_DOB_LEVELS`, :data:`DIGIT_LEVELS` and
:data:`ONE_TOKEN_LEVEL`."""


def _one_token_pairs(kinds: Mapping[str, KindPairs], strong: IntArray, n: int) -> tuple[IntArray, BoolArray]:
    """Pairs sharing the one-token key where either side has no full name (a blank given name or
    surname), unless that side is ambiguous: it shares the key with two full-name persons who share
    no strong key with each other (a twin's and its sibling's records), so it could be either.
    ``strong``: the sorted unique codes of the pairs sharing a strong key. Returns the pairs and which
    persons are ambiguous.

    >>> has = np.array([True] * 4)
    >>> full = KindPairs(np.array([False, True, True, True]), np.empty(0, dtype=np.int64))
    >>> token = KindPairs(has, np.array([0 * 4 + 1, 0 * 4 + 2], dtype=np.int64))
    >>> pairs, ambiguous = _one_token_pairs({ONE_TOKEN: token, FREQUENCY: full}, np.empty(0, dtype=np.int64), 4)
    >>> pairs.tolist(), ambiguous.tolist()  # 1 and 2 disagree: 0 could be either
    ([], [True, False, False, False])
    >>> _one_token_pairs({ONE_TOKEN: token, FREQUENCY: full}, np.array([1 * 4 + 2]), 4)[0].tolist()  # 1 and 2 are one person
    [1, 2]
    """
    pairs = kinds[ONE_TOKEN].pairs
    full = kinds[FREQUENCY].has
    ambiguous = np.zeros(n, dtype=np.bool_)
    a, b = pairs // n, pairs % n
    part = ~full[a] | ~full[b]
    pairs, a, b = pairs[part], a[part], b[part]
    if not pairs.size:
        return pairs, ambiguous
    side = np.concatenate([a[~full[a]], b[~full[b]]])
    other = np.concatenate([b[~full[a]], a[~full[b]]])
    named = full[other]
    side, other = side[named], other[named]
    order = np.lexsort((other, side))
    side, other = side[order], other[order]
    starts = np.flatnonzero(np.concatenate(([True], side[1:] != side[:-1]))) if side.size else np.empty(0, dtype=np.int64)
    ends = np.append(starts[1:], side.size)
    for start, end in zip(starts[ends - starts >= 2].tolist(), ends[ends - starts >= 2].tolist(), strict=True):
        members = other[start:end]
        lo, hi = np.meshgrid(members, members, indexing="ij")
        upper = lo < hi
        codes = lo[upper] * n + hi[upper]
        at = np.minimum(np.searchsorted(strong, codes), max(strong.size - 1, 0))
        if not strong.size or not (strong[at] == codes).all():  # strong is sorted: a search, not np.isin's sort of it per person
            ambiguous[side[start]] = True
    keep = ~ambiguous[a] & ~ambiguous[b]
    return pairs[keep], ambiguous


def block(keys: Keys, *, max_group: int = 50) -> tuple[Candidates, dict[str, KindPairs]]:
    """Candidate pairs: persons sharing a value of a strong key, or of the one-token key where a side
    has no full name and is not ambiguous (:func:`_one_token_pairs`); and each kind's agreeing pairs."""
    kinds = _kind_pairs(keys, max_group)
    strong = [kinds[k].pairs for k in STRONG if kinds[k].pairs.size]
    codes = np.unique(np.concatenate(strong)) if strong else np.empty(0, dtype=np.int64)
    one, ambiguous = _one_token_pairs(kinds, codes, keys.n_persons)
    kinds[ONE_TOKEN_LEVEL] = KindPairs(kinds[ONE_TOKEN].has, one)
    for level, part in DIGIT_LEVELS.items():
        kinds[level] = KindPairs(kinds[DIGIT].has, np.intersect1d(kinds[DIGIT].pairs, kinds[part].pairs, assume_unique=True))
    codes = np.union1d(codes, one)
    agree = {name: np.isin(codes, kind.pairs, assume_unique=True) for name, kind in kinds.items()}
    n = keys.n_persons
    candidates = Candidates(codes // n, codes % n, agree, np.empty((codes.size, 0), dtype=np.int8), ambiguous)
    return candidates, kinds


def levels_of(comparison: str) -> tuple[str, ...]:
    return LEVELS if comparison == "name_dob" else (comparison,)


def compare(candidates: Candidates, kinds: Mapping[str, KindPairs], attributes: Mapping[str, IntArray]) -> Candidates:
    """Each candidate's level in each comparison: the first of its levels it agrees on, else
    ``len(levels)`` (disagree: both hold a key of the comparison), else -1 (null)."""
    a, b = candidates.a, candidates.b
    levels = np.full((a.size, len(COMPARISONS)), NULL, dtype=np.int8)
    for c, comparison in enumerate(COMPARISONS):
        if comparison in ATTRIBUTES:
            codes = attributes.get(comparison)
            if codes is not None:
                both = (codes[a] >= 0) & (codes[b] >= 0)
                levels[both, c] = np.where(codes[a][both] == codes[b][both], 0, 1)
            continue
        names = levels_of(comparison)
        column = np.full(a.size, NULL, dtype=np.int8)
        for level in reversed(range(len(names))):
            column[candidates.agree[names[level]]] = level
        column[(column == NULL) & holders(kinds, names)[a] & holders(kinds, names)[b]] = len(names)
        levels[:, c] = column
    name = levels[:, COMPARISONS.index("name_dob")]
    names_agree = (name >= 0) & (name < len(LEVELS))
    without_year = np.isin(name, [LEVELS.index(k) for k in YEARLESS if k in LEVELS])
    for implied in IMPLIED_BY_NAME_DOB:
        levels[names_agree & ~(without_year & (implied == "age_band")), COMPARISONS.index(implied)] = NULL
    candidates.levels = levels
    return candidates


def holders(kinds: Mapping[str, KindPairs], names: Sequence[str]) -> BoolArray:
    held = kinds[names[0]].has.copy()
    for name in names[1:]:
        held |= kinds[name].has
    return held


FREQUENCY: Final = KeyKind.canon_sorted.value
"""The name-only key counted for term-frequency weights (:mod:`hub.linkage.frequency`)."""


def name_values(keys: Keys) -> IntArray:
    """Each person's name-only key value (:data:`FREQUENCY`), -1 where it has none."""
    mask = keys.kind == KINDS.index(FREQUENCY)
    return frequency.per_person(keys.n_persons, keys.person[mask], keys.value[mask])
