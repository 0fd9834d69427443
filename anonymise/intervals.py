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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

__all__ = ["Cancelled", "Line", "Window", "intervals", "protect", "window"]

NARROW: Final = 2
BIG: Final = 10**9
ACTIVE: Final = 1e-9
"""A reduced cost above this means an optimum rests on that cell's bound (HiGHS's own tolerances are 1e-7)."""
"""Stands for "no upper bound" in the integer programs (HiGHS reports unbounded MIPs unevenly)."""

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


class _System:
    """The equality lines, split into connected parts (cells linked by some chain of lines), each
    one sparse matrix built once: a cell's interval depends only on its own part, so each integer
    program is over that part alone."""

    def __init__(self, n: int, lines: Sequence[Line]) -> None:
        import numpy as np  # imported here: ``import anonymise`` (the partner client too) stays light
        from scipy.sparse import coo_matrix

        parent = list(range(n))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for line in lines:
            for m in line.members:
                parent[root(m)] = root(line.total)
        parts: dict[int, list[int]] = {}
        for i in range(n):
            parts.setdefault(root(i), []).append(i)
        self.part_of = [root(i) for i in range(n)]
        self.cells = parts
        self.where = {i: k for members in parts.values() for k, i in enumerate(members)}
        by_part: dict[int, list[Line]] = {}
        for line in lines:
            by_part.setdefault(root(line.total), []).append(line)
        self.matrices = {}
        for p, part_lines in by_part.items():
            rows: list[int] = []
            cols: list[int] = []
            vals: list[float] = []
            for row, line in enumerate(part_lines):
                for m in line.members:
                    rows.append(row)
                    cols.append(self.where[m])
                    vals.append(1.0)
                rows.append(row)
                cols.append(self.where[line.total])
                vals.append(-1.0)
            shape = (len(part_lines), len(parts[p]))
            self.matrices[p] = (coo_matrix((vals, (rows, cols)), shape=shape).tocsr(), np.zeros(len(part_lines)))

    def solve(
        self, bounds: Sequence[Window], target: int, sign: int, pool: "Pool | None" = None, proofs: "_Proofs | None" = None,
    ) -> int | None:
        """The least (``sign`` 1) or greatest (-1) value of ``target``; with ``pool``, the solution
        found is kept there too (an integer point satisfying every line and window); with
        ``proofs``, the cells whose bounds the answer rests on (see :class:`_Proofs`)."""
        part = self.part_of[target]
        if part not in self.matrices:  # on no line: only its own window
            lo, hi = bounds[target]
            if proofs is not None:
                proofs.keep(target, sign, lo if sign > 0 else hi, frozenset({target}))
            return lo if sign > 0 else hi
        cost = {target: float(sign)}
        return self._optimum(bounds, part, cost, pool, proofs, (target, sign))

    def seed(self, bounds: Sequence[Window], targets: Sequence[int], pool: "Pool") -> None:
        """Points for ``pool``: for each part holding some of ``targets``, the integer points (when
        the relaxation's vertex is one) that put all of them at their least and at their greatest
        together: two programs per part that often show most of its cells wide apart at once."""
        by_part: dict[int, list[int]] = {}
        for t in targets:
            if self.part_of[t] in self.matrices:
                by_part.setdefault(self.part_of[t], []).append(t)
        for part, ts in by_part.items():
            for sign in (1.0, -1.0):
                self._optimum(bounds, part, dict.fromkeys(ts, sign), pool, None, None, relaxed_only=True)

    def _optimum(
        self, bounds: Sequence[Window], part: int, weights: Mapping[int, float], pool: "Pool | None",
        proofs: "_Proofs | None", proof_key: tuple[int, int] | None, *, relaxed_only: bool = False,
    ) -> int | None:
        import numpy as np  # imported here: ``import anonymise`` (the partner client too) stays light
        from scipy.optimize import linprog

        cells = self.cells[part]
        a_eq, b_eq = self.matrices[part]
        cost = np.zeros(len(cells))
        for cell, weight in weights.items():
            cost[self.where[cell]] = weight
        box = [(lo, BIG if hi is None else hi) for lo, hi in (bounds[i] for i in cells)]
        # The relaxation first: these lines are sums of sums, so its optimal vertex is most often
        # integral, and then it is the integer optimum too; else the integer program itself.
        result = linprog(cost, A_eq=a_eq, b_eq=b_eq, bounds=box, method="highs-ds")
        integral = result.status == 0 and np.allclose(result.x, np.rint(result.x), rtol=0, atol=1e-9)
        if integral and proofs is not None and proof_key is not None:
            # the relaxation's optimum is integral, so it is the integer optimum; its dual proof
            # rests only on the bounds with a non-zero reduced cost
            reduced = np.abs(result.lower.marginals) + np.abs(result.upper.marginals)
            value = round(float(result.fun) * proof_key[1])
            proofs.keep(*proof_key, None if value >= BIG // 2 else value, frozenset(cells[k] for k in np.flatnonzero(reduced > ACTIVE)))
        if relaxed_only and not integral:
            return None
        if not integral:
            result = linprog(cost, A_eq=a_eq, b_eq=b_eq, bounds=box, integrality=np.ones(len(cells)), method="highs")
            if proofs is not None and proof_key is not None:
                proofs.forget(*proof_key)  # an integer program's answer has no such proof: solved again when asked
        if result.status != 0:
            raise ValueError("the published constraints are infeasible: they cannot all be true")
        if pool is not None:
            point = np.rint(result.x)
            lows = np.array([lo for lo, _ in box], dtype=float)
            highs = np.array([hi for _, hi in box], dtype=float)
            if not np.any(a_eq @ point) and np.all(point >= lows) and np.all(point <= highs):  # exactly feasible
                pool.setdefault(part, []).append(point)
        if proof_key is None:
            return None
        value = round(proof_key[1] * float(result.fun))
        return None if value >= BIG // 2 else value


Pool = dict[int, list["Any"]]
"""Integer points found feasible, by part (each over the part's cells, in its order)."""


class _Proofs:
    """Optima of earlier rounds that still hold. :func:`protect` only ever relaxes windows (a
    hidden cell becomes ``>= 0``): an optimum of the relaxation stays feasible, and its dual proof
    stays valid while every bound it rests on (a non-zero reduced cost) is unchanged, so the
    optimum is still the optimum. An answer found by an integer program (the relaxation's
    vertex not integral) is not kept."""

    def __init__(self, relaxed: Sequence[int]) -> None:
        self.relaxed = relaxed  # protect's hidden cells, in order: the windows relaxed so far
        self._kept: dict[tuple[int, int], tuple[int | None, frozenset[int], int]] = {}

    def keep(self, target: int, sign: int, value: int | None, rests_on: frozenset[int]) -> None:
        self._kept[(target, sign)] = (value, rests_on, len(self.relaxed))

    def forget(self, target: int, sign: int) -> None:
        self._kept.pop((target, sign), None)

    def held(self, target: int, sign: int) -> tuple[bool, int | None]:
        entry = self._kept.get((target, sign))
        if entry is None:
            return False, None
        value, rests_on, since = entry
        if any(c in rests_on for c in self.relaxed[since:]):
            del self._kept[(target, sign)]
            return False, None
        return True, value


def intervals(bounds: Sequence[Window], lines: Sequence[Line], targets: Sequence[int]) -> dict[int, Window]:
    """The integer interval each target cell can take given every window and line.

    >>> # a total of 10 (21..39 shown as 30 would do too) with members 6 and a hidden one
    >>> intervals([(6, 6), (1, 4), (10, 10)], [Line((0, 1), 2)], [1])
    {1: (4, 4)}
    """
    return _intervals(_System(len(bounds), lines), bounds, targets)


def _intervals(
    system: _System, bounds: Sequence[Window], targets: Sequence[int], *,
    narrow: int | None = None, pool: Pool | None = None, proofs: _Proofs | None = None,
) -> dict[int, Window]:
    """Each target's interval; with ``narrow`` and a ``pool`` of points feasible under ``bounds``,
    a target that two known points already put more than ``narrow`` apart is not solved: its
    window is then only those points' spread (inside the exact interval, so just as wide
    enough), which is all :func:`protect` asks (disclosed or not). With ``proofs``, an end
    an earlier round found is reused while its proof holds."""
    out: dict[int, Window] = {}
    for t in targets:
        known = _spread(system, pool, t)
        if narrow is not None and known is not None and known[1] - known[0] > narrow:
            out[t] = known
            continue
        lo = _end(system, bounds, t, 1, pool, proofs)
        known = _spread(system, pool, t)
        if narrow is not None and lo is not None and known is not None and known[1] - lo > narrow:
            out[t] = (lo, known[1])
            continue
        hi = _end(system, bounds, t, -1, pool, proofs)
        out[t] = (lo if lo is not None else bounds[t][0], hi)
    return out


def _end(system: _System, bounds: Sequence[Window], t: int, sign: int, pool: Pool | None, proofs: _Proofs | None) -> int | None:
    if proofs is not None:
        held, value = proofs.held(t, sign)
        if held:
            return value
    return system.solve(bounds, t, sign, pool, proofs)


def _spread(system: _System, pool: Pool | None, t: int) -> tuple[int, int] | None:
    points = None if pool is None else pool.get(system.part_of[t])
    if not points:
        return None
    values = [int(p[system.where[t]]) for p in points]
    return min(values), max(values)


def _disclosed(interval: Window, narrow: int) -> bool:
    lo, hi = interval
    return hi is not None and hi - lo <= narrow


class Cancelled(Exception):
    """:func:`protect` was told to stop (its answer is no longer wanted)."""


def protect(
    bounds: Sequence[Window], lines: Sequence[Line], small: Sequence[int], true: Mapping[int, int] | Sequence[int],
    *, narrow: int = NARROW, cancelled: Callable[[], bool] | None = None, shortcuts: bool = True,
) -> list[int]:
    """Cells to hide as well (besides ``small``) so that no small cell's interval is ``narrow`` or
    narrower; each round hides, for each disclosed cell, the smallest non-zero shown cell on a
    line through it, zeros and totals last; failing that, one "fewer than N" cell on its lines
    loses its label (a line's total first, e.g. London's cell that the boroughs' cells add up
    to); failing that, any shown cell linked to it. ``cancelled``, asked before each round, stops
    it with :class:`Cancelled` (a background audit whose inputs changed). When nothing shown is left to hide, the
    disclosed small cell itself is returned: it must lose its "fewer than N" label too (shown as
    protected, bounded by nothing), as ``anonymise.disclosure`` fails closed.

    ``shortcuts`` (the default) skip work whose answer is already known and change no answer:
    a cell once found safe stays safe (hiding only widens intervals); every integer point once
    feasible stays feasible (two far apart show a cell safe without solving; each round's first
    points put all its open cells at their least and greatest together); and an end of an
    interval whose dual proof rests on no cell hidden since is not solved again. Without them,
    every interval is solved from scratch each round: the baseline ``bench/audit_replay.py``
    compares with, and the tests check that the same cells are hidden.

    >>> b = [(6, 6), (1, 4), (10, 10)]
    >>> protect(b, [Line((0, 1), 2)], small=[1], true=[6, 4, 10])
    [0]
    """
    current = list(bounds)
    hidden: list[int] = []
    labelled = list(small)
    system = _System(len(current), lines)
    totals = {line.total for line in lines}
    near_of: dict[int, set[int]] = {}
    for line in lines:
        for i in (*line.members, line.total):
            near_of.setdefault(i, set()).update((*line.members, line.total))
    safe: set[int] = set()  # hiding only widens intervals: a cell found safe stays safe
    pool: Pool | None = {} if shortcuts else None  # and every point once feasible stays feasible
    proofs = _Proofs(hidden) if shortcuts else None
    fresh: set[int] | None = None  # parts whose windows the last round relaxed (None: every part)
    for _ in range(2 * len(current)):
        if cancelled is not None and cancelled():  # asked between rounds: a partial answer is never returned
            raise Cancelled
        asked = [c for c in labelled if c not in safe] if shortcuts else list(labelled)
        if pool is not None and proofs is not None:
            unsure = [c for c in asked if (fresh is None or system.part_of[c] in fresh) and not _both_held(proofs, c)]
            system.seed(current, unsure, pool)
        found = _intervals(system, current, asked, narrow=narrow if shortcuts else None, pool=pool, proofs=proofs)
        if shortcuts:
            safe |= {c for c, w in found.items() if not _disclosed(w, narrow)}
        else:
            safe = {c for c, w in found.items() if not _disclosed(w, narrow)}
        exposed = [c for c in labelled if c not in safe]
        if not exposed:
            break
        touched: set[int] = set()  # one choice per disclosed cell this round, unless an earlier choice was on its lines
        for target in exposed:
            near = near_of.get(target, set())
            if near & touched:
                continue
            part = system.cells[system.part_of[target]]  # hiding a cell not linked to it cannot help
            open_ = [i for i in part if i not in small and i not in hidden and current[i][1] is not None]
            candidates = [i for i in open_ if i in near]
            labels = [i for i in labelled if i in near]  # else one "fewer than N" on its lines loses its label, a total first
            if candidates:
                choice = min(candidates, key=lambda i: (true[i] == 0, i in totals, true[i], i))
            elif labels:
                choice = min(labels, key=lambda i: (i not in totals, i != target, i))
                labelled.remove(choice)
            elif open_:
                choice = min(open_, key=lambda i: (true[i] == 0, i in totals, true[i], i))
            else:
                choice = target
                labelled.remove(target)
            hidden.append(choice)
            current[choice] = (0, None)
            touched |= near | {choice}
        fresh = {system.part_of[c] for c in touched}
    return hidden


def _both_held(proofs: _Proofs, cell: int) -> bool:
    return proofs.held(cell, 1)[0] and proofs.held(cell, -1)[0]
