"""The intruder's intervals by integer programming equal brute force on small linked tables; protect() leaves none narrow."""

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymise.intervals import Line, Window, intervals, protect, window

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
