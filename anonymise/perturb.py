"""Cell-key perturbation (ONS 2021 Census, ABS TableBuilder): record keys, cell keys, ptables, lookup.

Every stored record carries a **record key**, a number in ``0..KEY_RANGE-1`` that only the hub
knows. A published cell's **cell key** is the sum of the record keys of the records it counts,
modulo ``KEY_RANGE``; its published value is looked up in a **ptable** by (count, cell key).
So the same records always give the same figure (the same question gets the same answer, in
every table), while adding or removing even one record moves the cell key by that record's
secret key: the published value after any change is a fresh draw that the changer cannot
predict, and re-uploading with a few known records to find where rounding flips learns (almost)
nothing. Zeros are never perturbed (no records, no key).

The ptable is in the format of ONS's ``cell-key-perturbation`` package (rows ``pcv, ckey,
pvalue``: published = count + pvalue; ``pcv`` the count, rows reused for counts above
``MAX_PCV``) so its files can be read and written (:func:`read_ptable`, :func:`write_ptable`).
That package's shipped ``ptable_10_5_rule.csv`` has the *same* ``pvalue`` for all 256 cell keys
of a count (a deterministic threshold-10 / round-to-5 rule), which is exactly the rounding a
flip-point prober defeats; :func:`generate` builds instead, for an agreement's ``min_count`` and
``rounding_base``, a ptable whose published values are multiples of the base, never in
``1..min_count-1``, unbiased (mean = the true count), and spread over the multiples around the
count by cell key: unbiased random rounding, and with probability ``spread`` each one base
further down or up.

Risk parameters: ``KEY_RANGE`` (256, as ONS) bounds how many different draws a cell can take;
``spread`` widens what a published value says about its count (a published ``p`` with base
``b`` means ``p - 2b < count < p + 2b``); the number of re-uploads allowed per quarter bounds how
many independent draws an intruder gets (``hub`` enforces it).
"""

import csv
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Final

__all__ = [
    "KEY_RANGE",
    "MAX_PCV",
    "KeyedCount",
    "PTable",
    "cell_key",
    "generate",
    "read_ptable",
    "record_key",
    "write_ptable",
]

KEY_RANGE: Final = 256
MAX_PCV: Final = 750
SPREAD: Final = 32 / 256
_LABEL: Final = b"msht-hub record key v1"


def record_key(*parts: str) -> int:
    """A record's key from parts only the hub holds (its hub re-keyed pseudonym, its table, its
    position): deterministic, so re-uploading identical records gives identical keys (and
    figures), and unpredictable to anyone without the hub's re-keyed values.

    Args:
        parts: what identifies the record; the first must be a hub secret value (a re-keyed
            pseudonym), or a partner could compute the key of its own records.

    >>> record_key("h1.ab12", "incident") == record_key("h1.ab12", "incident")
    True
    >>> 0 <= record_key("h1.ab12", "person", "1") < KEY_RANGE
    True
    """
    digest = hashlib.sha256(_LABEL + b"".join(len(p).to_bytes(2, "big") + p.encode() for p in parts)).digest()
    return int.from_bytes(digest[:4], "big") % KEY_RANGE


def cell_key(key_sum: int) -> int:
    """The cell key from the sum of a cell's record keys (sums may be kept unreduced).

    >>> cell_key(300), cell_key(-1)
    (44, 255)
    """
    return key_sum % KEY_RANGE


class KeyedCount(int):
    """A count that carries the sum of its records' keys (``key_sum``).

    Adding two adds their key sums and subtracting subtracts them, so pooling providers, folding
    categories into "other" and taking a complement (total minus referred) keep exactly the key
    of the records counted. Combining with a plain ``int`` gives a plain ``int``, except ``0``
    (an empty cell), so ``sum()`` and ``d.get(k, 0) + n`` keep the key.

    >>> a, b = KeyedCount(3, 200), KeyedCount(4, 100)
    >>> c = a + b
    >>> int(c), c.key_sum, cell_key(c.key_sum)
    (7, 300, 44)
    >>> (c - a).key_sum, sum([a, b]).key_sum
    (100, 300)
    """

    key_sum: int

    def __new__(cls, value: int, key_sum: int) -> "KeyedCount":
        out = super().__new__(cls, value)
        out.key_sum = int(key_sum)
        return out

    def __add__(self, other: object) -> "int":
        if isinstance(other, KeyedCount):
            return KeyedCount(int(self) + int(other), self.key_sum + other.key_sum)
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self
        return int(self) + other if isinstance(other, int) else NotImplemented

    __radd__ = __add__

    def __sub__(self, other: object) -> "int":
        if isinstance(other, KeyedCount):
            return KeyedCount(int(self) - int(other), self.key_sum - other.key_sum)
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self
        return int(self) - other if isinstance(other, int) else NotImplemented

    def __rsub__(self, other: object) -> "int":
        return other - int(self) if isinstance(other, int) else NotImplemented

    def __reduce__(self) -> tuple[type, tuple[int, int]]:
        return (KeyedCount, (int(self), self.key_sum))

    def __repr__(self) -> str:
        return f"KeyedCount({int(self)}, key_sum={self.key_sum})"


@dataclass(frozen=True)
class PTable:
    """``pvalue[pcv][ckey]`` for ``pcv`` 1..``max_pcv``: published = count + pvalue.

    ``period`` is the length of the cycle the rows above ``max_pcv`` repeat (the rounding base
    for a generated ptable; ONS reuse rows 501..750, a period of 250).
    """

    pvalues: tuple[tuple[int, ...], ...]  # index 0 is pcv 1
    period: int
    min_count: int

    @property
    def max_pcv(self) -> int:
        return len(self.pvalues)

    def pcv(self, count: int) -> int:
        """The ptable row used for ``count`` (itself up to ``max_pcv``; then the row of the last
        cycle with the same remainder).

        >>> t = generate(5, 5)
        >>> t.pcv(12), t.pcv(751), t.pcv(1_000_003)
        (12, 746, 748)
        """
        if count <= self.max_pcv:
            return count
        return self.max_pcv - ((self.max_pcv - count) % self.period)

    def published(self, count: int, key: int) -> int:
        """The published value of a cell of ``count`` records with cell key ``key``.

        >>> t = generate(5, 5)
        >>> t.published(0, 17), t.published(10, 0)
        (0, 5)
        >>> sorted({t.published(12, k) for k in range(KEY_RANGE)})
        [5, 10, 15, 20]
        """
        if count < 0:
            raise ValueError("counts cannot be negative")
        if count == 0:
            return 0
        return count + self.pvalues[self.pcv(count) - 1][cell_key(key)]

    def rows(self) -> Iterator[tuple[int, int, int]]:
        """``(pcv, ckey, pvalue)`` rows, in the package's order."""
        for i, row in enumerate(self.pvalues, start=1):
            for k, p in enumerate(row):
                yield i, k, p


def _allot(probabilities: dict[int, float]) -> list[int]:
    """Outcomes over the ``KEY_RANGE`` keys in proportion to their probabilities, in ascending
    order (contiguous ranges of cell keys, as ONS ptables are laid out)."""
    outcomes = sorted(p for p, w in probabilities.items() if w > 0)
    shares = [round(probabilities[o] * KEY_RANGE) for o in outcomes]
    shares[max(range(len(shares)), key=lambda i: (shares[i], -i))] += KEY_RANGE - sum(shares)
    return [o for o, s in zip(outcomes, shares, strict=True) for _ in range(s)]


def _row(count: int, min_count: int, base: int, spread: float) -> tuple[int, ...]:
    """Random rounding of the count (mean = count), mixed with random rounding of count - base
    and count + base with probability ``spread`` each; clamped out of ``1..min_count-1``."""
    floor_ = (count // base) * base
    up = (count - floor_) / base
    weights: dict[int, float] = {}
    for value, weight in (
        (floor_ - base, spread * (1 - up)),
        (floor_, (1 - 2 * spread) * (1 - up) + spread * up),
        (floor_ + base, (1 - 2 * spread) * up + spread * (1 - up)),
        (floor_ + 2 * base, spread * up),
    ):
        if count < min_count:
            value = count  # small counts are suppressed by the caller: never perturbed here
        elif value < min_count:
            value = -(-min_count // base) * base  # never into 1..min_count-1, never a false zero
        weights[value] = weights.get(value, 0.0) + weight
    return tuple(v - count for v in _allot(weights))


@lru_cache(maxsize=32)
def generate(min_count: int, rounding_base: int, *, spread: float = SPREAD, max_pcv: int = MAX_PCV) -> PTable:
    """The ptable for an agreement's threshold and rounding base.

    Args:
        min_count: counts from 1 to ``min_count - 1`` are never published from this ptable
            (the caller shows them as "fewer than N"); no published value lies in that range.
        rounding_base: every published value is a multiple of it.
        spread: the chance of landing one base further from the count on each side; wider
            means a published value bounds its count less tightly (risk: a smaller spread
            lets an intruder narrow hidden cells by combining tables).
        max_pcv: rows kept; larger counts reuse the last cycle of ``rounding_base`` rows.

    >>> t = generate(5, 5)
    >>> all(v == 0 or (v >= 5 and v % 5 == 0) for n in range(1, 60) for v in {t.published(n, k) for k in range(256)} if n >= 5)
    True
    >>> round(sum(t.published(42, k) for k in range(256)) / 256, 1)   # unbiased
    42.0
    """
    if not (1 <= rounding_base <= max_pcv) or min_count < 1 or not 0 <= spread < 0.5:
        raise ValueError("need min_count >= 1, 1 <= rounding_base <= max_pcv and 0 <= spread < 0.5")
    return PTable(
        tuple(_row(n, min_count, rounding_base, spread) for n in range(1, max_pcv + 1)),
        period=rounding_base,
        min_count=min_count,
    )


def read_ptable(path: Path, *, min_count: int, period: int = 250) -> PTable:
    """Read a ptable CSV in the ``cell-key-perturbation`` format (``pcv,ckey,pvalue``).

    Args:
        path: the file; every ``pcv`` from 1 needs all ``KEY_RANGE`` cell keys.
        min_count: the threshold the table was built for (counts below it are suppressed).
        period: how rows repeat above the last ``pcv`` (250 for ONS tables).
    """
    table: dict[int, dict[int, int]] = {}
    with path.open(newline="") as f:
        for row in csv.DictReader(f):
            table.setdefault(int(row["pcv"]), {})[int(row["ckey"])] = int(row["pvalue"])
    if sorted(table) != list(range(1, len(table) + 1)) or any(sorted(r) != list(range(KEY_RANGE)) for r in table.values()):
        raise ValueError(f"{path.name}: every pcv from 1 needs cell keys 0..{KEY_RANGE - 1}")
    return PTable(tuple(tuple(table[p][k] for k in range(KEY_RANGE)) for p in sorted(table)), period, min_count)


def write_ptable(table: PTable, path: Path) -> None:
    """Write a ptable in the ``cell-key-perturbation`` CSV format."""
    _write(table.rows(), path)


def _write(rows: Iterable[tuple[int, int, int]], path: Path) -> None:
    with path.open("w", newline="") as f:
        out = csv.writer(f, quoting=csv.QUOTE_NONNUMERIC)
        out.writerow(["pcv", "ckey", "pvalue"])
        out.writerows(rows)
