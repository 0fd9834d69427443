"""The Fellegi–Sunter model of one agreement: m and u of each comparison level and the match share, fitted by EM.

Input: the :class:`hub.linkage.candidates.Candidates` with their levels, the per-kind pairs and
the keys. u of an agreeing level is the chance that two *different* persons agree there: pairs
sharing no strong key are non-matches and enter through counts; m and the share of matches by
expectation–maximisation over the distinct agreement patterns (a few hundred rows). Output:
:class:`Model`, plain numbers that are stored (``person_link_models``) and score later ingests.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt

from hub.linkage import frequency
from hub.linkage.candidates import (
    ATTRIBUTES,
    COMPARISONS,
    STRONG,
    Candidates,
    Keys,
    KindPairs,
    holders,
    levels_of,
    name_values,
)

__all__ = ["CHANCE_BITS", "DATE_PART_CHANCE", "Model", "estimate"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_MISRECORDED: Final = 0.02
"""Least share of true matches whose gender, age band or nationality disagree (recording errors)."""


@dataclass
class Model:
    """Fitted parameters per comparison (:data:`COMPARISONS`): m and u of each level (last: disagree), and the prior."""

    m: list[FloatArray]
    u: list[FloatArray]
    prior: float
    iterations: int

    def parameters(self) -> dict[str, object]:
        """Plain numbers to store (``person_link_models``): m, u, prior, iterations."""
        return {"comparisons": list(COMPARISONS), "name_dob_levels": list(levels_of("name_dob")),
                "m": [x.tolist() for x in self.m], "u": [x.tolist() for x in self.u],
                "prior": self.prior, "iterations": self.iterations}

    @classmethod
    def from_parameters(cls, stored: Mapping[str, object]) -> "Model | None":
        """The stored model, or None when it was fitted over other comparisons or other name-and-date
        levels (the keys changed: refit; a model stored before a level was added would index the wrong level)."""
        if stored.get("comparisons") != list(COMPARISONS) or stored.get("name_dob_levels") != list(levels_of("name_dob")):
            return None
        m, u = stored["m"], stored["u"]
        prior, iterations = stored["prior"], stored["iterations"]
        if not (isinstance(m, list) and isinstance(u, list) and isinstance(prior, float) and isinstance(iterations, int)):
            return None
        return cls([np.array(x, dtype=np.float64) for x in m], [np.array(x, dtype=np.float64) for x in u], prior, iterations)

    def weights(self) -> list[FloatArray]:
        """log2 Bayes factor of each level of each comparison."""
        return [np.log2(m / u) for m, u in zip(self.m, self.u, strict=True)]


def _outside(
    candidates: Candidates, kinds: Mapping[str, KindPairs], attributes: Mapping[str, IntArray], counts_known: list[FloatArray]
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
        names = levels_of(comparison)
        held = float(holders(kinds, names).sum())
        extra = np.zeros(len(names) + 1)
        for level, name in enumerate(names):
            extra[level] = max(0.0, kinds[name].pairs.size - float(candidates.agree[name].sum()))
        both = held * (held - 1) / 2
        extra[len(names)] = max(0.0, both - float(counts_known[c].sum()) - float(extra[:-1].sum()))
        out.append(extra)
    return out


CHANCE_BITS: Final[dict[str, float]] = {
    "name_dob": 26, "canon_sorted_dob": 26, "nickname_surname_dob": 24, "initial_surname_dob": 22,
    "metaphone_dob": 24, "nysiis_dob": 24, "match_rating_dob": 24, "canon_deletion_dob": 22, "canon_sorted_dob_dm": 25, "canon_sorted_near_dob": 24, "canon_sorted_dob_digit": 23, "dob_digit_ym": 23, "dob_digit_md": 23, "prefix_sorted_dob": 21, "token_deletion_dob": 16, "one_token_dob": 20,
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


DATE_PART_CHANCE: Final[dict[str, float]] = {"canon_sorted_ym": 1 / (12 * 40), "canon_sorted_md": 1 / 365.25, "canon_sorted_dob_digit": 1 / 500, "dob_digit_ym": 1 / 1200, "dob_digit_md": 1 / 1200}
"""The chance that two different people's dates of birth agree on a key's date part (year and month,
dates of birth spread over about 40 years; a birthday): u of such a level is at least the chance
that two different people share a full name (the agreement's own name counts,
:mod:`hub.linkage.frequency`) times this, as names and dates of birth of different people are
independent. EM alone drove u of these levels to its floor whenever every pair sharing the key was
a candidate, taking namesakes born the same month (or sharing a birthday) for matches.

``canon_sorted_dob_digit`` (the eight digits with one deleted) joins dates one digit apart, or with
two neighbouring digits swapped: about 25-30 dates of a 40-year spread (14,610 days) are that near
a given one, so 1/500. Capped only by its 2^-23 bound, it linked namesakes born a digit apart at
weight 25 (bench/linkage.py dev, names and DOB alone: 348 false beside 724 true pairs at this level,
precision 95.1 %); with this floor, 99.1 %."""


def _cap_chance(comparison: str, u: FloatArray, name_chance: float = 0.0) -> FloatArray:
    if comparison in ATTRIBUTES:
        return u
    capped = u.copy()
    for level, name in enumerate(levels_of(comparison)):
        least = max(2.0 ** -(CHANCE_BITS[name] + _FLOOR_BITS), name_chance * DATE_PART_CHANCE.get(name, 0.0))
        capped[level] = min(max(float(capped[level]), least), max(2.0 ** -CHANCE_BITS[name], least))
    capped[-1] = max(0.0, 1.0 - float(capped[:-1].sum()))
    return capped


def estimate(candidates: Candidates, kinds: Mapping[str, KindPairs], keys: Keys, *, iterations: int = 100, tolerance: float = 1e-9) -> Model:
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
    sizes = [2 if c in ATTRIBUTES else len(levels_of(c)) + 1 for c in COMPARISONS]
    onehot = [
        np.stack([(patterns[:, c] == level) for level in range(size)], axis=1).astype(np.float64)
        for c, size in enumerate(sizes)
    ]
    known_counts = [(h * counts[:, None]).sum(axis=0) for h in onehot]
    extra = _outside(candidates, kinds, keys.attributes, known_counts)
    # the prior is over pairs that could be linked at all: both records hold some strong key
    keyed = float(holders(kinds, STRONG).sum()) if n_persons else 0.0
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
