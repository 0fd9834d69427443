"""The intruder's intervals by integer programming equal brute force on small linked tables; protect() leaves none narrow."""

import itertools

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from anonymise.intervals import Line, Window, intervals, protect, window
from anonymise.perturb import generate

# a 2 x 2 table with row, column and grand totals: cells 0..3, row totals 4, 5, column totals 6, 7, grand 8
GRID_LINES = (Line((0, 1), 4), Line((2, 3), 5), Line((0, 2), 6), Line((1, 3), 7), Line((4, 5), 8), Line((6, 7), 8))
CAP = 14


def _brute(bounds: list[Window], lines: tuple[Line, ...], target: int) -> tuple[int, int] | None:
    interior = [range(lo, (hi if hi is not None else CAP) + 1) for lo, hi in bounds[:4]]
    seen = []
    for cells in itertools.product(*interior):
        values = [*cells, cells[0] + cells[1], cells[2] + cells[3], cells[0] + cells[2], cells[1] + cells[3], sum(cells)]
        if all(lo <= v <= (hi if hi is not None else 10 * CAP) for v, (lo, hi) in zip(values, bounds, strict=True)):
            assert all(sum(values[m] for m in line.members) == values[line.total] for line in lines)
            seen.append(values[target])
    return (min(seen), max(seen)) if seen else None


@settings(max_examples=60, deadline=None)
@given(
    true=st.lists(st.integers(0, 9), min_size=4, max_size=4),
    hidden=st.lists(st.booleans(), min_size=9, max_size=9),
)
def test_intervals_equal_brute_force_on_a_two_way_table(true: list[int], hidden: list[bool]) -> None:
    values = [*true, true[0] + true[1], true[2] + true[3], true[0] + true[2], true[1] + true[3], sum(true)]
    # interior cells shown exactly or hidden (capped for enumeration); totals shown or hidden
    bounds: list[Window] = [
        (0, CAP) if hide and i < 4 else ((0, 10 * CAP) if hide else (v, v)) for i, (v, hide) in enumerate(zip(values, hidden, strict=True))
    ]
    targets = [i for i in range(4) if hidden[i]]
    found = intervals(bounds, GRID_LINES, targets)
    for t in targets:
        assert found[t] == _brute(bounds, GRID_LINES, t)


def test_the_issue_example_pins_age_not_recorded_under_rounding_and_not_under_perturbation() -> None:
    """Victims 30 (28..32 when rounded), adults 25 (23..27), children 10 (8..12), 'not recorded'
    fewer than 5: rounding bounds pin it to 1; perturbation windows leave 1..4."""
    lines = (Line((1, 2, 3), 0),)
    rounded: list[Window] = [(28, 32), (23, 27), (8, 12), (1, 4)]
    assert intervals(rounded, lines, [3]) == {3: (1, 1)}
    w = [window(30, "shown", min_count=5, rounding_base=5), window(25, "shown", min_count=5, rounding_base=5),
         window(10, "shown", min_count=5, rounding_base=5), window(None, "small", min_count=5, rounding_base=5)]
    assert intervals(w, lines, [3]) == {3: (1, 4)}


@settings(max_examples=40, deadline=None)
@given(true=st.lists(st.integers(0, 12), min_size=4, max_size=4))
def test_protect_leaves_no_small_cell_narrow(true: list[int]) -> None:
    values = [*true, true[0] + true[1], true[2] + true[3], true[0] + true[2], true[1] + true[3], sum(true)]
    small = [i for i, v in enumerate(values) if 1 <= v < 5]
    bounds: list[Window] = [(1, 4) if i in small else (v, v) for i, v in enumerate(values)]  # shown exactly: worst case
    extra = protect(bounds, GRID_LINES, small, values)
    for i in extra:
        bounds[i] = (0, None)
    labelled = [i for i in small if i not in extra]  # still shown as "fewer than 5"
    found = intervals(bounds, GRID_LINES, labelled)
    assert all(hi is None or hi - lo > 2 for lo, hi in found.values())


def test_protect_stops_when_cancelled_and_returns_no_partial_answer() -> None:
    from anonymise import Cancelled, Line, protect

    bounds, lines = [(6, 6), (1, 4), (10, 10)], [Line((0, 1), 2)]
    assert protect(bounds, lines, small=[1], true=[6, 4, 10], cancelled=lambda: False) == [0]
    with pytest.raises(Cancelled):
        protect(bounds, lines, small=[1], true=[6, 4, 10], cancelled=lambda: True)


# --- perturbation-style windows (issue 12 review gap 8) ---------------------------------------

PTABLE = generate(5, 5)


def _table_lines(rows: int, cols: int) -> tuple[Line, ...]:
    """Cells r * cols + c, then row totals, column totals and the grand total."""
    n = rows * cols
    row_total, col_total, grand = n, n + rows, n + rows + cols
    return (
        *(Line(tuple(r * cols + c for c in range(cols)), row_total + r) for r in range(rows)),
        *(Line(tuple(r * cols + c for r in range(rows)), col_total + c) for c in range(cols)),
        Line(tuple(row_total + r for r in range(rows)), grand),
        Line(tuple(col_total + c for c in range(cols)), grand),
    )


def _inside(v: int, w: Window) -> bool:
    return w[0] <= v and (w[1] is None or v <= w[1])


def _enumerate(bounds: list[Window], rows: int, cols: int) -> dict[int, tuple[int, int]] | None:
    """Every integer table inside the windows, column by column (an exact enumeration: a state is
    the partial row sums, and each cell's least and greatest value over the tables reaching it)."""
    n = rows * cols
    cap = bounds[-1][1]
    assert cap is not None  # the grand total is shown, so every cell is bounded

    def span(w: Window) -> range:
        return range(w[0], min(cap, w[1] if w[1] is not None else cap) + 1)

    states: dict[tuple[int, ...], dict[int, tuple[int, int]]] = {(0,) * rows: {}}
    for c in range(cols):
        column = [span(bounds[r * cols + c]) for r in range(rows)]
        out: dict[tuple[int, ...], dict[int, tuple[int, int]]] = {}
        for values in itertools.product(*column):
            if not _inside(sum(values), bounds[n + rows + c]):
                continue
            for partial, seen in states.items():
                nxt = tuple(p + v for p, v in zip(partial, values, strict=True))
                if sum(nxt) > cap:
                    continue
                here = out.setdefault(nxt, {})
                merged = {**seen, **{r * cols + c: (v, v) for r, v in enumerate(values)}}
                for cell, (a, b) in merged.items():
                    old = here.get(cell)
                    here[cell] = (a, b) if old is None else (min(old[0], a), max(old[1], b))
        states = out
    found: dict[int, tuple[int, int]] | None = None
    for sums, seen in states.items():
        ok = all(_inside(s, bounds[n + r]) for r, s in enumerate(sums))
        if ok and bounds[-1][0] <= sum(sums) <= cap:
            found = {k: (min(v[0], found[k][0]), max(v[1], found[k][1])) for k, v in seen.items()} if found else dict(seen)
    return found


@settings(max_examples=150, deadline=None)
@given(
    shape=st.sampled_from([(2, 2), (2, 3)]),
    true=st.lists(st.integers(0, 7), min_size=6, max_size=6),
    keys=st.lists(st.integers(0, 10**6), min_size=12, max_size=12),
    hide=st.lists(st.booleans(), min_size=12, max_size=12),
)
def test_intervals_equal_brute_force_under_perturbation_windows(
    shape: tuple[int, int], true: list[int], keys: list[int], hide: list[bool]
) -> None:
    """Each cell and margin published through the ptable (window max(N, p-2b+1)..p+2b-1), a
    small one as "fewer than 5" (1..4), some interior cells hidden outright; the grand total
    always shown. The audit's interval of every interior cell equals the least and greatest
    value over all consistent integer tables."""
    rows, cols = shape
    n = rows * cols
    cells = true[:n]
    values = [*cells, *(sum(cells[r * cols:(r + 1) * cols]) for r in range(rows)),
              *(sum(cells[c::cols]) for c in range(cols)), sum(cells)]
    assume(values[-1] >= 5)

    def published(i: int, v: int) -> Window:
        if i < n and hide[i]:
            return (0, None)
        if 1 <= v < 5:
            return window(None, "small", min_count=5, rounding_base=5)
        return window(PTABLE.published(v, keys[i]), "shown", min_count=5, rounding_base=5)

    bounds = [published(i, v) for i, v in enumerate(values)]
    assert all(lo <= v <= (hi if hi is not None else v) for v, (lo, hi) in zip(values, bounds, strict=True))
    brute = _enumerate(bounds, rows, cols)
    assert brute is not None  # the true table is one
    found = intervals(bounds, _table_lines(rows, cols), list(range(n)))
    assert found == brute


def _linked_tables(rows: int, cols: int) -> tuple[Line, ...]:
    """Two tables of the same shape (cells 0..n-1 and n..2n-1 after each one's margins), and a
    third whose every cell is the sum of the two's (as London's cell is the boroughs'): the audit's
    parts are then large and shared, as on the hub."""
    n = rows * cols + rows + cols + 1
    first, second = _table_lines(rows, cols), _table_lines(rows, cols)
    third = _table_lines(rows, cols)

    def shift(line: Line, by: int) -> Line:
        return Line(tuple(m + by for m in line.members), line.total + by)

    sums = tuple(Line((i, i + n), i + 2 * n) for i in range(n))
    return (*first, *(shift(line, n) for line in second), *(shift(line, 2 * n) for line in third), *sums)


@settings(max_examples=60, deadline=None)
@given(
    shape=st.sampled_from([(2, 3), (3, 3), (3, 4)]),
    true=st.lists(st.integers(0, 9), min_size=24, max_size=24),
    keys=st.lists(st.integers(0, 10**6), min_size=64, max_size=64),
    rounded=st.booleans(),
)
def test_protect_hides_the_same_cells_with_and_without_its_shortcuts(
    shape: tuple[int, int], true: list[int], keys: list[int], rounded: bool
) -> None:
    """Reused points, kept dual proofs, the safe set and the seeded points change how much is
    solved, never the answer: on linked tables published through the ptable (or rounded to 5,
    whose narrow windows make many rounds), the cells ``protect`` hides equal those it hides
    solving every interval from scratch each round."""
    rows, cols = shape
    n = rows * cols
    width = n + rows + cols + 1

    def table(cells: list[int]) -> list[int]:
        return [*cells, *(sum(cells[r * cols:(r + 1) * cols]) for r in range(rows)),
                *(sum(cells[c::cols]) for c in range(cols)), sum(cells)]

    a, b = table(true[:n]), table(true[12:12 + n])
    values = [*a, *b, *(x + y for x, y in zip(a, b, strict=True))]
    lines = _linked_tables(rows, cols)
    assert len(values) == 3 * width
    small = [i for i, v in enumerate(values) if 1 <= v < 5]
    assume(small)

    def published(i: int, v: int) -> Window:
        if i in small:
            return (1, 4)
        if rounded:
            return (max(0, v - 2), v + 2) if v else (0, 0)
        return window(PTABLE.published(v, keys[i]), "shown", min_count=5, rounding_base=5)

    bounds = [published(i, v) for i, v in enumerate(values)]
    fast = protect(bounds, lines, small, values)
    slow = protect(bounds, lines, small, values, shortcuts=False)
    assert fast == slow
    after = list(bounds)
    for i in fast:
        after[i] = (0, None)
    labelled = [i for i in small if i not in fast]
    assert all(hi is None or hi - lo > 2 for lo, hi in intervals(after, lines, labelled).values())
