"""Fellegi–Sunter scoring of candidate pairs over which keys agree, m estimated by EM, u from key frequencies.

Input: for one agreement, rows (person index, key kind, key value) of hub re-keyed keys, values
as integers. Steps, each with its own input and output:

1. :func:`block`: candidate pairs are the pairs of persons sharing a value of a *strong* key
   (a value shared by more than ``max_group`` persons proposes nothing: it is not an identifier);
   weak keys never propose, they only add weight.
2. :func:`compare`: each candidate's level in each comparison — the name and date-of-birth
   comparison takes the first of :data:`anonymise.matchkeys.NAME_DOB_LEVELS` the pair agrees on,
   else "disagree" when both have such keys, else null; each ID kind is agree / disagree / null.
3. :func:`estimate`: u of an agreeing level is the chance that two random persons holding that
   key share its value (exact, from the value counts); m and the share of matches by
   expectation–maximisation over the distinct agreement patterns (a few hundred rows).
4. :func:`score` then :func:`components`: each pair's match weight (log2 Bayes factor with the
   prior) and probability; pairs at or above the agreement's threshold are linked and their
   connected components become persons.

No key value leaves this module; a pair's explanation is the list of key kinds it agrees on.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from anonymise import KEY_SPECS, NAME_DOB_LEVELS, KeyKind, MatchKey
from hub.linkage import frequency
from hub.linkage.chains import clusters, components

__all__ = [
    "COMPARISONS",
    "KINDS",
    "Candidates",
    "Keys",
    "Model",
    "block",
    "compare",
    "components",
    "estimate",
    "link",
    "link_new",
    "name_values",
    "score",
]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

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

_NULL: Final = -1
_MISRECORDED: Final = 0.02
"""Least share of true matches whose gender, age band or nationality disagree (recording errors)."""


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
class _Kind:
    has: BoolArray
    pairs: IntArray  # sorted unique pair codes a * n + b (a < b) sharing a value


@dataclass
class Candidates:
    """Candidate pairs (``a`` < ``b``), which kinds each agrees on, and each comparison's level."""

    a: IntArray
    b: IntArray
    agree: dict[str, BoolArray]
    levels: npt.NDArray[np.int8]  # (pairs, comparisons): level index, len(levels) disagree, -1 null


@dataclass
class Model:
    """Fitted parameters per comparison (:data:`COMPARISONS`): m and u of each level (last: disagree), and the prior."""

    m: list[FloatArray]
    u: list[FloatArray]
    prior: float
    iterations: int

    def parameters(self) -> dict[str, object]:
        """Plain numbers to store (``person_link_models``): m, u, prior, iterations."""
        return {"comparisons": list(COMPARISONS), "m": [x.tolist() for x in self.m], "u": [x.tolist() for x in self.u],
                "prior": self.prior, "iterations": self.iterations}

    @classmethod
    def from_parameters(cls, stored: Mapping[str, object]) -> "Model | None":
        """The stored model, or None when it was fitted over other comparisons (the keys changed: refit)."""
        if stored.get("comparisons") != list(COMPARISONS):
            return None
        m, u = stored["m"], stored["u"]
        prior, iterations = stored["prior"], stored["iterations"]
        if not (isinstance(m, list) and isinstance(u, list) and isinstance(prior, float) and isinstance(iterations, int)):
            return None
        return cls([np.array(x, dtype=np.float64) for x in m], [np.array(x, dtype=np.float64) for x in u], prior, iterations)

    def weights(self) -> list[FloatArray]:
        """log2 Bayes factor of each level of each comparison."""
        return [np.log2(m / u) for m, u in zip(self.m, self.u, strict=True)]


def _kind_pairs(keys: Keys, max_group: int) -> dict[str, _Kind]:
    n = keys.n_persons
    out: dict[str, _Kind] = {}
    for index, name in enumerate(KINDS):
        mask = keys.kind == index
        person, value = keys.person[mask], keys.value[mask]
        has = np.zeros(n, dtype=np.bool_)
        has[person] = True
        if person.size == 0:
            out[name] = _Kind(has, np.empty(0, dtype=np.int64))
            continue
        order = np.lexsort((person, value))
        person, value = person[order], value[order]
        keep = np.ones(person.size, dtype=np.bool_)
        keep[1:] = (value[1:] != value[:-1]) | (person[1:] != person[:-1])
        person, value = person[keep], value[keep]
        _, counts = np.unique(value, return_counts=True)
        group_size = np.repeat(counts, counts)
        chunks: list[IntArray] = []
        for offset in range(1, min(int(counts.max()), max_group)):
            left = np.arange(person.size - offset)
            same = (value[left] == value[left + offset]) & (group_size[left] <= max_group)
            a, b = person[left[same]], person[left[same] + offset]
            lo, hi = np.minimum(a, b), np.maximum(a, b)
            chunks.append(lo * n + hi)
        pairs = np.unique(np.concatenate(chunks)) if chunks else np.empty(0, dtype=np.int64)
        out[name] = _Kind(has, pairs)
    return out


def block(keys: Keys, *, max_group: int = 50) -> tuple[Candidates, dict[str, _Kind]]:
    """Candidate pairs: persons sharing a value of a strong key; and each kind's agreeing pairs."""
    kinds = _kind_pairs(keys, max_group)
    strong = [kinds[k].pairs for k in STRONG if kinds[k].pairs.size]
    codes = np.unique(np.concatenate(strong)) if strong else np.empty(0, dtype=np.int64)
    agree = {name: np.isin(codes, kind.pairs, assume_unique=True) for name, kind in kinds.items()}
    n = keys.n_persons
    candidates = Candidates(codes // n, codes % n, agree, np.empty((codes.size, 0), dtype=np.int8))
    return candidates, kinds


def _levels_of(comparison: str) -> tuple[str, ...]:
    return NAME_DOB_LEVELS if comparison == "name_dob" else (comparison,)


def compare(candidates: Candidates, kinds: Mapping[str, _Kind], attributes: Mapping[str, IntArray]) -> Candidates:
    """Each candidate's level in each comparison: the first of its levels it agrees on, else
    ``len(levels)`` (disagree: both hold a key of the comparison), else -1 (null)."""
    a, b = candidates.a, candidates.b
    levels = np.full((a.size, len(COMPARISONS)), _NULL, dtype=np.int8)
    for c, comparison in enumerate(COMPARISONS):
        if comparison in ATTRIBUTES:
            codes = attributes.get(comparison)
            if codes is not None:
                both = (codes[a] >= 0) & (codes[b] >= 0)
                levels[both, c] = np.where(codes[a][both] == codes[b][both], 0, 1)
            continue
        names = _levels_of(comparison)
        column = np.full(a.size, _NULL, dtype=np.int8)
        for level in reversed(range(len(names))):
            column[candidates.agree[names[level]]] = level
        column[(column == _NULL) & _holders(kinds, names)[a] & _holders(kinds, names)[b]] = len(names)
        levels[:, c] = column
    name = levels[:, COMPARISONS.index("name_dob")]
    names_agree = (name >= 0) & (name < len(NAME_DOB_LEVELS))
    without_year = np.isin(name, [NAME_DOB_LEVELS.index(k) for k in YEARLESS if k in NAME_DOB_LEVELS])
    for implied in IMPLIED_BY_NAME_DOB:
        levels[names_agree & ~(without_year & (implied == "age_band")), COMPARISONS.index(implied)] = _NULL
    candidates.levels = levels
    return candidates


def _holders(kinds: Mapping[str, _Kind], names: Sequence[str]) -> BoolArray:
    held = kinds[names[0]].has.copy()
    for name in names[1:]:
        held |= kinds[name].has
    return held


def _outside(
    candidates: Candidates, kinds: Mapping[str, _Kind], attributes: Mapping[str, IntArray], counts_known: list[FloatArray]
) -> list[FloatArray]:
    """Per comparison and level, how many pairs that are not candidates fall there (all non-matches)."""
    out = []
    for c, comparison in enumerate(COMPARISONS):
        if comparison in ATTRIBUTES:
            codes = attributes.get(comparison)
            if codes is None:
                out.append(np.zeros(2))
                continue
            _, n_v = np.unique(codes[codes >= 0], return_counts=True)
            n_v = n_v.astype(np.float64)
            same = float((n_v * (n_v - 1) / 2).sum()) - float(counts_known[c][0])
            total = n_v.sum() * (n_v.sum() - 1) / 2 - float(counts_known[c].sum())
            out.append(np.array([max(same, 0.0), max(total - max(same, 0.0), 0.0)]))
            continue
        names = _levels_of(comparison)
        held = float(_holders(kinds, names).sum())
        extra = np.zeros(len(names) + 1)
        for level, name in enumerate(names):
            extra[level] = max(0.0, kinds[name].pairs.size - float(candidates.agree[name].sum()))
        both = held * (held - 1) / 2
        extra[len(names)] = max(0.0, both - float(counts_known[c].sum()) - float(extra[:-1].sum()))
        out.append(extra)
    return out


CHANCE_BITS: Final[dict[str, float]] = {
    "name_dob": 26, "canon_sorted_dob": 26, "nickname_surname_dob": 24, "initial_surname_dob": 22,
    "metaphone_dob": 24, "nysiis_dob": 24, "match_rating_dob": 24, "canon_deletion_dob": 22, "canon_sorted_dob_dm": 25, "canon_sorted_near_dob": 24,
    "canon_sorted_ym": 20, "canon_sorted_md": 18, "given_surname_initial_dob": 20, "sorted_tokens_yob": 16,
    "surname_dob_sex": 16, "given_dob": 14, "metaphone_surname_yob": 10,
    "nhs_number": 30, "ni_number": 28, "passport": 28, "ukvi_reference": 27, "pnc_id": 28,
    "phone": 24, "email": 28, "address": 14,
}
"""At most 2^-bits of pairs of *different* people agree on a key by chance (the input entropies of
docs/privacy.md, less a margin): an upper bound on u, so that little data (few candidates, EM
unsure) cannot make an exact full name and date of birth weak evidence."""


_FLOOR_BITS: Final = 6
"""Nor is u ever below 2^-(bits + 6): where EM sees no non-match at a level (every candidate
there a match) it would drive u to zero and the level's weight to 60 bits, enough to outvote a
disagreeing NHS number."""


DATE_PART_CHANCE: Final[dict[str, float]] = {"canon_sorted_ym": 1 / (12 * 40), "canon_sorted_md": 1 / 365.25}
"""The chance that two different people's dates of birth agree on a key's date part (year and month,
dates of birth spread over about 40 years; a birthday): u of such a level is at least the chance
that two different people share a full name (the agreement's own name counts,
:mod:`hub.linkage.frequency`) times this, as names and dates of birth of different people are
independent. EM alone drove u of these levels to its floor whenever every pair sharing the key was
a candidate, taking namesakes born the same month (or sharing a birthday) for matches."""


def _cap_chance(comparison: str, u: FloatArray, name_chance: float = 0.0) -> FloatArray:
    if comparison in ATTRIBUTES:
        return u
    capped = u.copy()
    for level, name in enumerate(_levels_of(comparison)):
        least = max(2.0 ** -(CHANCE_BITS[name] + _FLOOR_BITS), name_chance * DATE_PART_CHANCE.get(name, 0.0))
        capped[level] = min(max(float(capped[level]), least), max(2.0 ** -CHANCE_BITS[name], least))
    capped[-1] = max(0.0, 1.0 - float(capped[:-1].sum()))
    return capped


def estimate(candidates: Candidates, kinds: Mapping[str, _Kind], keys: "Keys", *, iterations: int = 100, tolerance: float = 1e-9) -> Model:
    """m, u and the prior by EM over all pairs, with blocking as a hard constraint.

    Fellegi–Sunter over :data:`COMPARISONS` (names and date of birth as one comparison of many
    levels, so its correlated keys are counted once; each ID kind agree/disagree), nulls ignored.
    A pair that shares no strong key is taken as a non-match, so only the candidates' distinct
    agreement patterns are iterated; the other pairs enter u through counts (pairs holding a
    comparison on both sides; pairs sharing a weak key). So u is the chance that two *different*
    people agree, not inflated by the duplicates themselves, and the prior is the match share
    among all pairs.
    """
    patterns, counts = np.unique(candidates.levels, axis=0, return_counts=True)
    counts = counts.astype(np.float64)
    n_persons = keys.n_persons
    sizes = [2 if c in ATTRIBUTES else len(_levels_of(c)) + 1 for c in COMPARISONS]
    onehot = [
        np.stack([(patterns[:, c] == level) for level in range(size)], axis=1).astype(np.float64)
        for c, size in enumerate(sizes)
    ]
    known_counts = [(h * counts[:, None]).sum(axis=0) for h in onehot]
    extra = _outside(candidates, kinds, keys.attributes, known_counts)
    # the prior is over pairs that could be linked at all: both records hold some strong key
    keyed = float(_holders(kinds, STRONG).sum()) if n_persons else 0.0
    all_pairs = max(1.0, keyed * (keyed - 1) / 2)
    m = [np.append(np.linspace(0.9, 0.3, size - 1), 0.05 if size > 2 else 0.1) for size in sizes]
    m = [x / x.sum() for x in m]
    # start from "candidates are mostly matches": agreeing by chance is rare
    u = [np.clip((k * 0.01 + e) / max(float((k * 0.01 + e).sum()), 1.0), 1e-12, None) for k, e in zip(known_counts, extra, strict=True)]
    prior = min(0.5, max(float(counts.sum()) * 0.5 / all_pairs, 1e-12))
    name_chance = frequency.Frequencies.of(name_values(keys)).mean
    done = 0
    while done < iterations:
        done += 1
        log_bf = np.full(len(patterns), np.log(prior / (1 - prior)))
        for c in range(len(COMPARISONS)):
            log_bf += onehot[c] @ np.log(m[c] / u[c])
        post = 1.0 / (1.0 + np.exp(-np.clip(log_bf, -700, 700)))
        match_w, non_w = post * counts, (1 - post) * counts
        new_prior = float(match_w.sum() / all_pairs)
        new_m, new_u = [], []
        for c, comparison in enumerate(COMPARISONS):
            mm = np.clip(onehot[c].T @ match_w, 1e-6, None)
            if comparison in ATTRIBUTES:  # a coded field is mis-recorded now and then: never near-certain evidence
                mm[1] = max(float(mm[1]), _MISRECORDED * float(mm.sum()))
            uu = np.clip(onehot[c].T @ non_w + extra[c], 1e-12, None)
            new_m.append(mm / mm.sum())
            new_u.append(uu / uu.sum())
        shift = max(
            abs(np.log(max(new_prior, 1e-300) / prior)),
            *(float(np.abs(x - y).max()) for x, y in zip(new_m, m, strict=True)),
            *(float(np.abs(np.log(x / y)).max()) for x, y in zip(new_u, u, strict=True)),
        )
        new_u = [_cap_chance(c, x, name_chance) for c, x in zip(COMPARISONS, new_u, strict=True)]
        prior, m, u = min(max(new_prior, 1e-15), 0.5), new_m, new_u
        if shift < tolerance:
            break
    return Model(m=m, u=u, prior=prior, iterations=done)


FREQUENCY: Final = KeyKind.canon_sorted.value
"""The name-only key counted for term-frequency weights (:mod:`hub.linkage.frequency`)."""


def score(candidates: Candidates, model: Model, adjustment: FloatArray | None = None) -> FloatArray:
    """Each candidate's match probability under the model, less its term-frequency ``adjustment`` (bits)."""
    weight = np.full(candidates.a.size, np.log2(model.prior / (1 - model.prior)))
    if adjustment is not None:
        name_level = candidates.levels[:, COMPARISONS.index("name_dob")]
        agrees = (name_level >= 0) & (name_level < len(NAME_DOB_LEVELS))
        weight -= np.where(agrees, adjustment, 0.0)
    for c, w in enumerate(model.weights()):
        level = candidates.levels[:, c].astype(np.int64)
        known = level != _NULL
        weight[known] += w[level[known]]
    probability: FloatArray = 1.0 / (1.0 + np.exp2(-np.clip(weight, -1000, 1000)))
    return probability


@dataclass
class Linked:
    """The outcome for one agreement: linked pairs with their probability and agreeing kinds, and clusters."""

    a: IntArray
    b: IntArray
    probability: FloatArray
    kinds: list[tuple[str, ...]]
    cluster: IntArray
    model: Model
    candidates: int


BRIDGE: Final = 0.95
"""A link that alone holds three or more records together is kept only at this probability or above
(:mod:`hub.linkage.chains`)."""


def link(keys: Keys, *, threshold: float, max_group: int = 50, term_frequency: bool = True, model: Model | None = None,
         bridge: float = BRIDGE) -> Linked:
    """Block, compare, estimate, score and cluster one agreement's persons.

    >>> rows = [(0, "nhs_number", 7), (1, "nhs_number", 7), (0, "canon_sorted_dob", 1), (1, "canon_sorted_dob", 1),
    ...         (2, "given_dob", 2), (3, "given_dob", 2), (2, "nhs_number", 8), (3, "nhs_number", 9)]
    >>> result = link(Keys.from_rows(4, rows), threshold=0.9)
    >>> result.cluster.tolist(), result.kinds  # 2 and 3 share only a weak key: no candidate
    ([0, 0, 2, 3], [('canon_sorted_dob', 'nhs_number')])
    """
    candidates, kinds = block(keys, max_group=max_group)
    candidates = compare(candidates, kinds, keys.attributes)
    model = estimate(candidates, kinds, keys)
    names = name_values(keys)
    adjustment = frequency.adjustment(names[candidates.a], names[candidates.b], frequency.Frequencies.of(names)) if term_frequency else None
    return _chosen(keys, candidates, model, threshold, adjustment, bridge)


def link_new(
    keys: Keys, new: BoolArray, model: Model, *, threshold: float, frequencies: "frequency.Frequencies | None",
    max_group: int = 50, bridge: float = BRIDGE,
) -> Linked:
    """Score with a fitted ``model`` only the candidate pairs that involve a ``new`` person (incremental linkage).

    ``keys`` holds the new persons and every existing person sharing a strong key value with one
    of them (so each such value's count is its count in the whole agreement); ``frequencies``
    counts the name values over the whole agreement. Pairs of two existing persons were scored
    when the later of them arrived, with the same model: so the links are those a full
    :func:`link` with this model would make. ``cluster`` is over these persons' new links only.
    """
    candidates, kinds = block(keys, max_group=max_group)
    touches = new[candidates.a] | new[candidates.b]
    candidates = Candidates(candidates.a[touches], candidates.b[touches],
                            {k: v[touches] for k, v in candidates.agree.items()}, candidates.levels)
    candidates = compare(candidates, kinds, keys.attributes)
    names = name_values(keys)
    adjustment = frequency.adjustment(names[candidates.a], names[candidates.b], frequencies) if frequencies is not None else None
    return _chosen(keys, candidates, model, threshold, adjustment, bridge)


def name_values(keys: Keys) -> IntArray:
    """Each person's name-only key value (:data:`FREQUENCY`), -1 where it has none."""
    mask = keys.kind == KINDS.index(FREQUENCY)
    return frequency.per_person(keys.n_persons, keys.person[mask], keys.value[mask])


def _chosen(keys: Keys, candidates: Candidates, model: Model, threshold: float, adjustment: FloatArray | None,
            bridge: float) -> Linked:
    probability = score(candidates, model, adjustment)
    chosen = probability >= threshold
    a, b = candidates.a[chosen], candidates.b[chosen]
    agree = np.stack([candidates.agree[k][chosen] for k in KINDS], axis=1) if a.size else np.zeros((0, len(KINDS)), dtype=np.bool_)
    names = [tuple(KINDS[i] for i in np.flatnonzero(row)) for row in agree]
    return Linked(a, b, probability[chosen], [tuple(sorted(n)) for n in names],
                  clusters(keys.n_persons, a, b, probability[chosen], bridge=bridge), model, int(candidates.a.size))
