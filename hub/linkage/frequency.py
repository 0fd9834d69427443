"""Term frequencies of names: how much likelier than average two different people share a given name.

Splink's term-frequency rule, on the hub's name-only key (``canon_sorted``: every name token,
transliterations folded, sorted; no date): for a pair agreeing on a name value v held by c_v of
the N persons holding such a key, u of the agreeing name is c_v / N instead of the average
Σ (c_v / N)², so agreement on a common name (Mohammed Ali) weighs less and on a rare one more.
The key is never compared and never proposes a pair; it is only counted.
"""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["Frequencies", "adjustment", "per_person"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def per_person(n_persons: int, person: IntArray, value: IntArray) -> IntArray:
    """One name value per person (the last given), -1 for a person without one."""
    out = np.full(n_persons, -1, dtype=np.int64)
    out[person] = value
    return out


@dataclass(frozen=True)
class Frequencies:
    """Name values (sorted), the persons holding each, all holders and Σ share²."""

    values: IntArray
    counts: FloatArray
    total: float
    mean: float

    @classmethod
    def of(cls, names: IntArray) -> "Frequencies":
        """From every person's name value (the whole agreement).

        >>> f = Frequencies.of(np.array([5, 5, 5, 7, -1]))
        >>> f.total, round(f.mean, 3)
        (4.0, 0.625)
        """
        values, counts = np.unique(names[names >= 0], return_counts=True)
        total = float(counts.sum())
        share = counts / max(total, 1.0)
        return cls(values, counts.astype(np.float64), total, float((share * share).sum()))


def adjustment(name_a: IntArray, name_b: IntArray, frequencies: Frequencies) -> FloatArray:
    """Per pair, log2 of (u of its agreeing name value) / (average u): positive for a common name, 0 where names differ.

    >>> f = Frequencies.of(np.array([5, 5, 5, 7]))
    >>> adjustment(np.array([5, 7, 5]), np.array([5, 7, 7]), f).round(2).tolist()
    [0.26, -1.32, 0.0]
    """
    out = np.zeros(name_a.size)
    same = (name_a >= 0) & (name_a == name_b)
    if not same.any() or frequencies.mean <= 0:
        return out
    where = np.clip(np.searchsorted(frequencies.values, name_a[same]), 0, max(frequencies.values.size - 1, 0))
    found = frequencies.values[where] == name_a[same]
    share = np.where(found, frequencies.counts[where], 1.0) / max(frequencies.total, 1.0)
    out[same] = np.log2(share / frequencies.mean)
    return out
