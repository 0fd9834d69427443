"""Statistical disclosure control for every published count: suppression, rounding, and a checker.

Rules (DESIGN.md "Privacy defaults"; ONS, NHS and Ofqual practice):

* **Primary suppression.** A count from 1 to ``min_count - 1`` is published as
  ``"fewer than N"``, never as a number. **A zero is published as 0**: a true zero says
  "nobody was recorded here", which identifies no one, and hiding zeros would hide the very
  gaps in coverage the dashboards exist to show. Zeros are never chosen as complementary
  suppressions either (suppressing a cell the attacker can bound at 0 protects nothing).
* **Perturbation.** Every other count is published as a multiple of ``rounding_base`` looked
  up by cell key in the agreement's ptable (:mod:`anonymise.perturb`) when the count carries
  its records' key sum (a :class:`~anonymise.perturb.KeyedCount`, as every hub figure does):
  the same records always give the same value, any change of them a fresh unpredictable one.
  A plain ``int`` (no records behind it, e.g. in a unit test) is rounded to the nearest
  multiple instead (halves up). Either way a value that would fall below ``min_count`` is
  raised to the first multiple at or above it, so no published number lies in 1..min_count-1.
* **Totals from unrounded values.** Totals are summed from the true cells, then protected
  like any other cell (so a published total is not the sum of published cells).
* **Secondary suppression.** In a table with totals (1-D with a total, 2-D with row, column
  and grand totals) further cells are suppressed — the smallest non-zero complementary cells
  first, totals last — until no primary cell can be worked out by subtraction.
* **Differencing by a provider.** A provider knows its own records, so it could subtract
  them from a pooled figure. Given each provider's contribution to each cell, a cell is also
  suppressed when, for *any* provider, the contribution of everyone else (``cell - own``) is
  between 1 and ``min_count - 1``; the checker then repeats its proof from each provider's
  point of view, assuming that provider knows its own counts exactly. Because every
  provider's view is protected at once, the published table is the same for every viewer
  allowed to see it (so two viewers comparing notes learn nothing extra).

The checker (:func:`check_table`) bounds every suppressed cell by interval constraint
propagation over all the table's additive lines, assuming the worst case — that the attacker
knows every published cell exactly, unrounded (rounding only widens the bounds) and knows why
each cell was suppressed — and reports any suppressed primary cell whose bounds collapse to
one value. Everything is deterministic: ties are broken by cell position, so the same
question always gets the same answer.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from math import inf
from typing import Final, Protocol

from anonymise.intervals import NARROW
from anonymise.perturb import KeyedCount, generate

__all__ = [
    "Cell",
    "ProtectedTable",
    "Rules",
    "Status",
    "check_table",
    "display",
    "protect_count",
    "protect_series",
    "protect_table",
    "publish",
    "round_count",
]

MAX_PASSES: Final = 200


class Rules(Protocol):
    """Anything with the two disclosure settings (``anonymise.agreement.DisclosureRules``)."""

    @property
    def min_count(self) -> int: ...

    @property
    def rounding_base(self) -> int: ...


class Status(StrEnum):
    shown = "shown"
    small = "small"  # primary: 1..min_count-1
    own = "own"  # others' contribution is small: the viewer could subtract its own records
    secondary = "secondary"  # complementary, so nothing above can be derived by subtraction


@dataclass(frozen=True)
class Cell:
    """One published figure: ``value`` is ``None`` whenever the cell is suppressed."""

    value: int | None
    status: Status

    @property
    def suppressed(self) -> bool:
        return self.status is not Status.shown


def display(cell: Cell, min_count: int) -> str:
    """How a cell reads on a page or in an export.

    >>> display(Cell(15, Status.shown), 5)
    '15'
    >>> display(Cell(None, Status.small), 5)
    'fewer than 5'
    >>> display(Cell(None, Status.secondary), 5)
    'suppressed'
    """
    if cell.status is Status.shown:
        return str(cell.value)
    if cell.status is Status.small:
        return f"fewer than {min_count}"
    return "suppressed"


def public_status(cell: Cell) -> str | None:
    """The reason a caller may see: ``small`` or ``protected`` (own and secondary look alike).

    >>> public_status(Cell(None, Status.own)), public_status(Cell(3, Status.shown))
    ('protected', None)
    """
    if cell.status is Status.shown:
        return None
    return "small" if cell.status is Status.small else "protected"


def round_count(n: int, rules: Rules) -> int:
    """Round a count to the agreement's base, never into the suppressed range 1..min_count-1.

    Args:
        n: the true count (>= min_count, or 0); small counts must be suppressed, not rounded.
        rules: ``min_count`` and ``rounding_base``.

    >>> from anonymise.agreement import DisclosureRules
    >>> r = DisclosureRules(min_count=5, rounding_base=5)
    >>> [round_count(n, r) for n in (0, 5, 7, 8, 12, 13)]
    [0, 5, 5, 10, 10, 15]
    >>> round_count(7, DisclosureRules(min_count=7, rounding_base=5))
    10
    """
    if n < 0:
        raise ValueError("counts cannot be negative")
    if n == 0:
        return 0
    base = rules.rounding_base
    rounded = ((2 * n + base) // (2 * base)) * base
    if rounded < rules.min_count:
        rounded = -(-rules.min_count // base) * base
    return rounded


def publish(n: int, rules: Rules) -> int:
    """The published value of a shown count: perturbed by its cell key, or rounded.

    >>> from anonymise.agreement import DisclosureRules
    >>> from anonymise.perturb import KeyedCount
    >>> r = DisclosureRules()
    >>> publish(12, r), publish(KeyedCount(12, 0), r) in (5, 10, 15, 20)
    (10, True)
    """
    if isinstance(n, KeyedCount):
        return generate(rules.min_count, rules.rounding_base).published(int(n), n.key_sum)
    return round_count(n, rules)


@dataclass(frozen=True)
class _Settings:
    min_count: int
    rounding_base: int


def _primary(value: int, owns: Sequence[int], rules: Rules) -> Status:
    if 1 <= value < rules.min_count:
        # "fewer than N" tells a provider with o of them that the others have 0..N-1-o: when
        # that is within +-1 and the others have some, the label goes too (shown as protected)
        if any(o > 0 and value - o > 0 and rules.min_count - 1 - o <= NARROW for o in owns):
            return Status.own
        return Status.small
    if any(o > 0 and 1 <= value - o < rules.min_count for o in owns):
        return Status.own
    return Status.shown


def protect_count(n: int, rules: Rules, *, own: int = 0) -> Cell:
    """Protect one stand-alone count (no table around it).

    Args:
        n: the true pooled count.
        rules: ``min_count`` and ``rounding_base``.
        own: how many of the ``n`` records came from the viewer's own organisation.

    >>> from anonymise.agreement import DisclosureRules
    >>> r = DisclosureRules()
    >>> protect_count(0, r), protect_count(3, r), protect_count(23, r)
    (Cell(value=0, status=<Status.shown: 'shown'>), Cell(value=None, status=<Status.small: 'small'>), Cell(value=25, status=<Status.shown: 'shown'>))
    >>> protect_count(23, r, own=21).status   # 2 from others: the viewer could subtract
    <Status.own: 'own'>
    """
    status = _primary(n, (own,), rules)
    return Cell(publish(n, rules) if status is Status.shown else None, status)


@dataclass(frozen=True)
class ProtectedTable:
    """A protected table: ``cells`` (row-major, interior cells then totals) and its lines.

    ``lines`` are the additive constraints ``sum(cells[i] for i in members) == cells[total]``.
    The true values and each provider's contributions are kept (never printed) only so
    :func:`check_table` can audit the result in process; nothing that serialises a table may
    read them.
    """

    shape: tuple[int, ...]
    cells: tuple[Cell, ...]
    lines: tuple[tuple[tuple[int, ...], int], ...]
    min_count: int
    rounding_base: int
    _true: tuple[int, ...] = field(repr=False, compare=False)
    _views: tuple[tuple[int, ...], ...] = field(repr=False, compare=False)

    @property
    def interior(self) -> tuple[Cell, ...]:
        n = 1
        for dim in self.shape:
            n *= dim
        return self.cells[:n]

    @property
    def total(self) -> Cell | None:
        """The grand total, if the table has one."""
        return self.cells[-1] if self.lines else None

    def row_totals(self) -> tuple[Cell, ...]:
        if len(self.shape) != 2:
            return ()
        r, c = self.shape
        return self.cells[r * c : r * c + r]

    def col_totals(self) -> tuple[Cell, ...]:
        if len(self.shape) != 2:
            return ()
        r, c = self.shape
        return self.cells[r * c + r : r * c + r + c]

    def display(self, i: int) -> str:
        return display(self.cells[i], self.min_count)


# --- bounds an attacker can derive ----------------------------------------------------------


def _prior(value: int, own: int, status: Status, min_count: int) -> tuple[float, float]:
    """What an attacker who knows ``own`` of the cell knows of it before using the table's
    lines; worst case: it sees shown values unrounded and knows why each cell is hidden."""
    if status is Status.shown:
        return float(value), float(value)
    if status is Status.small:
        return float(max(1, own)), float(min_count - 1)
    if status is Status.own:
        if 1 <= value - own < min_count:
            return float(own + 1), float(own + min_count - 1)
        return float(max(own, min_count)), inf
    return float(own), inf


def _propagate(
    bounds: list[tuple[float, float]], lines: Sequence[tuple[tuple[int, ...], int]]
) -> list[tuple[float, float]]:
    lo = [b[0] for b in bounds]
    hi = [b[1] for b in bounds]
    for _ in range(MAX_PASSES):
        changed = False
        for members, total in lines:
            sum_lo = sum(lo[i] for i in members)
            sum_hi = sum(hi[i] for i in members)  # inf when any member is unbounded
            if sum_lo > lo[total]:
                lo[total], changed = sum_lo, True
            if sum_hi < hi[total]:
                hi[total], changed = sum_hi, True
            finite_hi = sum(hi[j] for j in members if hi[j] != inf)
            unbounded = sum(1 for j in members if hi[j] == inf)
            for i in members:
                # the others' bounds: the line's sums without member i (infinity counted apart)
                if hi[i] == inf:
                    others_hi = inf if unbounded > 1 else finite_hi
                else:
                    others_hi = inf if unbounded else finite_hi - hi[i]
                others_lo = sum_lo - lo[i]
                new_lo = lo[total] - others_hi
                new_hi = hi[total] - others_lo
                if new_lo > lo[i]:
                    lo[i], changed = new_lo, True
                if new_hi < hi[i]:
                    hi[i], changed = new_hi, True
        if not changed:
            break
    return list(zip(lo, hi, strict=True))


def _bounds(
    true: Sequence[int], own: Sequence[int], statuses: Sequence[Status], lines: Sequence[tuple[tuple[int, ...], int]], min_count: int
) -> list[tuple[float, float]]:
    priors = [_prior(v, o, s, min_count) for v, o, s in zip(true, own, statuses, strict=True)]
    return _propagate(priors, lines)


def _exposed(
    true: Sequence[int],
    views: Sequence[Sequence[int]],
    statuses: Sequence[Status],
    lines: Sequence[tuple[tuple[int, ...], int]],
    min_count: int,
) -> list[int]:
    """Suppressed small/own cells that some viewer can pin to one number, where that number
    tells it something about other organisations' records (``value - own >= 1``)."""
    exposed: set[int] = set()
    for own in views:
        bounds = _bounds(true, own, statuses, lines, min_count)
        exposed.update(
            i
            for i, (s, (lo, hi)) in enumerate(zip(statuses, bounds, strict=True))
            if s is not Status.shown
            and hi - lo < 1
            and true[i] - own[i] >= 1
            and (true[i] < min_count or any(1 <= true[i] - o[i] < min_count for o in views))
        )
    return sorted(exposed)


def check_table(table: ProtectedTable) -> list[str]:
    """Prove a protected table safe: an empty list, or one problem per failure.

    Checks that no published value lies in 1..min_count-1, that published values are
    multiples of the rounding base, and that no suppressed small cell can be derived from
    the published cells and totals by subtraction (interval propagation over every line).

    >>> from anonymise.agreement import DisclosureRules
    >>> check_table(protect_series([2, 40, 30], DisclosureRules()))
    []
    """
    problems: list[str] = []
    for i, cell in enumerate(table.cells):
        if cell.status is Status.shown:
            assert cell.value is not None
            if 1 <= cell.value < table.min_count:
                problems.append(f"cell {i}: a published count is below the threshold")
            if cell.value % table.rounding_base:
                problems.append(f"cell {i}: a published count is not rounded")
        elif cell.value is not None:
            problems.append(f"cell {i}: a suppressed cell carries a value")
        owns = [view[i] for view in table._views]
        settings = _Settings(table.min_count, table.rounding_base)
        if cell.status is Status.shown and _primary(table._true[i], owns, settings) is not Status.shown:
            problems.append(f"cell {i}: a small count is published")
    statuses = [c.status for c in table.cells]
    for i in _exposed(table._true, table._views, statuses, table.lines, table.min_count):
        problems.append(f"cell {i}: a suppressed count can be derived by subtraction")
    return problems


# --- building protected tables --------------------------------------------------------------


def _protect(
    shape: tuple[int, ...],
    true: list[int],
    providers: list[list[int]],
    lines: tuple[tuple[tuple[int, ...], int], ...],
    totals: frozenset[int],
    rules: Rules,
) -> ProtectedTable:
    views = [[0] * len(true), *providers]
    if any(v < 0 for v in true) or any(
        len(own) != len(true) or any(o < 0 or o > v for o, v in zip(own, true, strict=True)) for own in views
    ):
        raise ValueError("counts must be non-negative and each provider's share within them")
    statuses = [_primary(v, [own[i] for own in providers], rules) for i, v in enumerate(true)]
    for _ in range(len(true) + 1):
        exposed = _exposed(true, views, statuses, lines, rules.min_count)
        if not exposed:
            break
        _add_complement(exposed[0], true, statuses, lines, totals)
    if _exposed(true, views, statuses, lines, rules.min_count):
        # Even "fewer than N" says too much here (e.g. a small total whose every member is
        # non-zero): fail closed, hide every cell but the zeros and give no reasons.
        statuses = [Status.shown if v == 0 else Status.secondary for v in true]
        if _exposed(true, views, statuses, lines, rules.min_count):
            statuses = [Status.secondary] * len(true)
    cells = tuple(
        Cell(publish(v, rules) if s is Status.shown else None, s) for v, s in zip(true, statuses, strict=True)
    )
    return ProtectedTable(
        shape=shape,
        cells=cells,
        lines=lines,
        min_count=rules.min_count,
        rounding_base=rules.rounding_base,
        _true=tuple(true),
        _views=tuple(tuple(v) for v in views),
    )


def _add_complement(
    target: int,
    true: Sequence[int],
    statuses: list[Status],
    lines: Sequence[tuple[tuple[int, ...], int]],
    totals: frozenset[int],
) -> None:
    """Suppress one more cell so ``target`` stops being derivable.

    Looks first in the lines through ``target``, then in the lines through the cells already
    suppressed there (the other corners of a rectangle in a 2-D table), then in any line with a
    suppression; in each, the smallest non-zero interior cell, then a zero, then a total.
    """

    def members(line: tuple[tuple[int, ...], int]) -> tuple[int, ...]:
        return (*line[0], line[1])

    def hidden(line: tuple[tuple[int, ...], int]) -> int:
        return sum(statuses[i] is not Status.shown for i in members(line))

    near = [line for line in lines if target in members(line)]
    suppressed_near = {i for line in near for i in members(line) if statuses[i] is not Status.shown}
    second = [line for line in lines if line not in near and suppressed_near & set(members(line))]
    rest = [line for line in lines if line not in near and line not in second and hidden(line)]
    levels = [sorted(level, key=hidden) for level in (near, second, rest)]
    for kind in ("nonzero", "zero", "total"):
        for level in levels:
            candidates = [
                i
                for line in level
                for i in members(line)
                if statuses[i] is Status.shown
                and (
                    (kind == "nonzero" and i not in totals and true[i] > 0)
                    or (kind == "zero" and i not in totals)
                    or (kind == "total" and i in totals)
                )
            ]
            if candidates:
                statuses[min(candidates, key=lambda i: (true[i], i))] = Status.secondary
                return


def protect_series(
    counts: Sequence[int],
    rules: Rules,
    *,
    providers: Sequence[Sequence[int]] = (),
    additive: bool = True,
    total: int | None = None,
    provider_totals: Sequence[int] | None = None,
) -> ProtectedTable:
    """Protect a one-way breakdown and its total.

    Args:
        counts: the true count of each category, in display order.
        rules: ``min_count`` and ``rounding_base``.
        providers: each provider's contribution to each count (one sequence per provider),
            for differencing protection; empty when there is one source or none known.
        additive: ``True`` when the categories partition the total (each record in exactly one
            category), so the total is their sum and secondary suppression applies. ``False``
            for multi-valued fields (a record may carry several codes): each cell and the
            ``total`` given are then protected on their own.
        total: the total for a non-additive series (e.g. incidents, when cells count codes).
        provider_totals: each provider's share of that total.

    >>> from anonymise.agreement import DisclosureRules
    >>> t = protect_series([3, 40, 31], DisclosureRules())
    >>> [t.display(i) for i in range(4)]
    ['fewer than 5', '40', 'suppressed', '75']
    >>> check_table(t)
    []
    >>> t = protect_series([23, 40], DisclosureRules(), providers=[[21, 0], [2, 40]])
    >>> [c.status.value for c in t.cells]   # 23 - 21 = 2: the first provider could subtract
    ['own', 'secondary', 'shown']
    """
    n = len(counts)
    if any(len(p) != n for p in providers):
        raise ValueError("each provider needs one count per category")
    if additive:
        true = [*counts, sum(counts)]
        views = [[*p, sum(p)] for p in providers]
        lines: tuple[tuple[tuple[int, ...], int], ...] = ((tuple(range(n)), n),)
    else:
        true = [*counts, total if total is not None else 0]
        shares = list(provider_totals) if provider_totals is not None else [0] * len(providers)
        views = [[*p, t] for p, t in zip(providers, shares, strict=True)]
        lines = ()
    return _protect((n,), true, views, lines, frozenset({n}), rules)


def protect_table(
    rows: Sequence[Sequence[int]],
    rules: Rules,
    *,
    providers: Sequence[Sequence[Sequence[int]]] = (),
) -> ProtectedTable:
    """Protect a two-way table with row, column and grand totals (computed here, unrounded).

    Cells are laid out row-major, then the row totals, the column totals and the grand total.

    Args:
        rows: the true counts, one sequence per row, all the same length.
        rules: ``min_count`` and ``rounding_base``.
        providers: each provider's contribution to each cell, shaped like ``rows``.

    >>> from anonymise.agreement import DisclosureRules
    >>> t = protect_table([[2, 30], [40, 50]], DisclosureRules())
    >>> [c.status.value for c in t.interior]
    ['small', 'secondary', 'secondary', 'secondary']
    >>> check_table(t)
    []
    """
    r = len(rows)
    c = len(rows[0]) if rows else 0
    if any(len(row) != c for row in (*rows, *(x for p in providers for x in p))):
        raise ValueError("every row needs the same number of columns")

    def flat(grid: Sequence[Sequence[int]]) -> list[int]:
        interior = [v for row in grid for v in row]
        row_tot = [sum(row) for row in grid]
        col_tot = [sum(grid[i][j] for i in range(r)) for j in range(c)]
        return [*interior, *row_tot, *col_tot, sum(interior)]

    base_rt, base_ct, g = r * c, r * c + r, r * c + r + c
    lines: list[tuple[tuple[int, ...], int]] = []
    lines += [(tuple(i * c + j for j in range(c)), base_rt + i) for i in range(r)]
    lines += [(tuple(i * c + j for i in range(r)), base_ct + j) for j in range(c)]
    lines.append((tuple(range(base_rt, base_rt + r)), g))
    lines.append((tuple(range(base_ct, base_ct + c)), g))
    totals = frozenset(range(base_rt, g + 1))
    return _protect((r, c), flat(rows), [flat(p) for p in providers], tuple(lines), totals, rules)
