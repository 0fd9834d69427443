"""What an intruder can deduce about each hidden cell from everything published: integer programs (HiGHS via SciPy).

A viewer who fetches several tables for one scope and quarter sees the same cells again and
again (a column total in one table is a row in another). Each cell is one variable; what is
published about it bounds it (:func:`window`): a shown value ``p`` perturbed to base ``b`` means
``p - 2b < n < p + 2b``, "fewer than N" means ``1..N-1``, a protected cell is only ``>= 0``, a
zero is ``0``. Every additive line (members summing to a total, in any table) is an equality.
:func:`intervals` then gives, for each cell asked about, the smallest and largest integer value
consistent with all of it — the exact interval an intruder with every table can deduce — and
:func:`protect` hides further cells until no small cell is pinned or narrowed to within +-1.

Risk parameter: ``narrow`` (default 2, i.e. +-1): an interval this wide or narrower counts as
disclosed. Integer programs are solved exactly (``scipy.optimize.linprog`` with ``integrality``),
so the intervals are not the looser linear-programming relaxation.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

__all__ = ["Line", "Window", "intervals", "protect", "window"]

NARROW: Final = 2

Window = tuple[int, int | None]
"""Bounds on one cell: (lowest, highest or None for no upper bound)."""


@dataclass(frozen=True)
class Line:
    """``sum(members) == total`` (cells by index)."""

    members: tuple[int, ...]
    total: int


def window(published: int | None, status: str, *, min_count: int, rounding_base: int) -> Window:
    """What a published cell says about its count.

    Args:
        published: the shown value, or None when hidden.
        status: ``"shown"``, ``"small"`` ("fewer than N") or anything else for a protected cell.
        min_count: the threshold N; rounding_base: the base b of the ptable.

    >>> window(30, "shown", min_count=5, rounding_base=5), window(None, "small", min_count=5, rounding_base=5)
    ((21, 39), (1, 4))
    >>> window(5, "shown", min_count=5, rounding_base=5), window(0, "shown", min_count=5, rounding_base=5)
    ((5, 14), (0, 0))
    """
    if status == "shown":
        assert published is not None
        if published == 0:
            return (0, 0)
        b = rounding_base
        return (max(min_count, published - 2 * b + 1), published + 2 * b - 1)
    if status == "small":
        return (1, min_count - 1)
    return (0, None)


def _solve(bounds: Sequence[Window], lines: Sequence[Line], target: int, sign: int) -> int | None:
    import numpy as np  # imported here: ``import anonymise`` (the partner client too) stays light
    from scipy.optimize import linprog

    n = len(bounds)
    cost = np.zeros(n)
    cost[target] = sign
    a_eq = np.zeros((len(lines), n)) if lines else None
    for row, line in enumerate(lines):
        assert a_eq is not None
        for m in line.members:
            a_eq[row, m] += 1
        a_eq[row, line.total] -= 1
    result = linprog(
        cost, A_eq=a_eq, b_eq=np.zeros(len(lines)) if lines else None,
        bounds=list(bounds), integrality=np.ones(n), method="highs",
    )
    if result.status == 3:  # unbounded
        return None
    if result.status != 0:
        raise ValueError("the published constraints are infeasible: they cannot all be true")
    return round(sign * float(result.fun))


def intervals(bounds: Sequence[Window], lines: Sequence[Line], targets: Sequence[int]) -> dict[int, Window]:
    """The integer interval each target cell can take given every window and line.

    >>> # a total of 10 (21..39 shown as 30 would do too) with members 6 and a hidden one
    >>> intervals([(6, 6), (1, 4), (10, 10)], [Line((0, 1), 2)], [1])
    {1: (4, 4)}
    """
    out: dict[int, Window] = {}
    for t in targets:
        lo = _solve(bounds, lines, t, 1)
        hi = _solve(bounds, lines, t, -1)
        out[t] = (lo if lo is not None else bounds[t][0], hi)
    return out


def _disclosed(interval: Window, narrow: int) -> bool:
    lo, hi = interval
    return hi is not None and hi - lo <= narrow


def protect(
    bounds: Sequence[Window], lines: Sequence[Line], small: Sequence[int], true: Mapping[int, int] | Sequence[int],
    *, narrow: int = NARROW,
) -> list[int]:
    """Cells to hide as well (besides ``small``) so that no small cell's interval is ``narrow`` or
    narrower; each round hides the smallest non-zero shown cell on a line through a disclosed
    cell (then any shown cell), zeros and totals last. When nothing shown is left to hide, the
    disclosed small cell itself is returned: it must lose its "fewer than N" label too (shown as
    protected, bounded by nothing), as ``anonymise.disclosure`` fails closed.

    >>> b = [(6, 6), (1, 4), (10, 10)]
    >>> protect(b, [Line((0, 1), 2)], small=[1], true=[6, 4, 10])
    [0]
    """
    current = list(bounds)
    hidden: list[int] = []
    labelled = list(small)
    for _ in range(2 * len(current)):
        found = intervals(current, lines, labelled)
        exposed = [c for c in labelled if _disclosed(found[c], narrow)]
        if not exposed:
            break
        target = exposed[0]
        near = {i for line in lines if target in (*line.members, line.total) for i in (*line.members, line.total)}
        open_ = [i for i in range(len(current)) if i not in small and i not in hidden and current[i][1] is not None]
        candidates = [i for i in open_ if i in near] or open_
        if candidates:
            totals = {line.total for line in lines}
            choice = min(candidates, key=lambda i: (true[i] == 0, i in totals, true[i], i))
        else:
            choice = target
            labelled.remove(target)
        hidden.append(choice)
        current[choice] = (0, None)
    return hidden
