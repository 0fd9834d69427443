"""Disclosure control: no small count is ever published and no suppressed count can be derived."""

import itertools
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymise.agreement import DisclosureRules
from anonymise.disclosure import (
    Cell,
    ProtectedTable,
    Status,
    check_table,
    protect_count,
    protect_series,
    protect_table,
    round_count,
)

rules_st = st.builds(
    DisclosureRules, min_count=st.integers(3, 11), rounding_base=st.sampled_from([1, 2, 5, 10])
)
counts_st = st.integers(0, 40)


def assert_no_small_published(table: ProtectedTable) -> None:
    for cell in table.cells:
        if cell.status is Status.shown:
            assert cell.value is not None
            assert not 1 <= cell.value < table.min_count
        else:
            assert cell.value is None


def feasible_values(table: ProtectedTable, cap: int, own: Sequence[int] | None = None) -> dict[int, set[int]]:
    """Brute force: every assignment of the suppressed interior cells consistent with what is
    published (exact unrounded shown values, the suppression reasons, every total) and with
    what a viewer owning ``own`` knows; the values each suppressed small/own cell takes."""
    true, cells, n = table._true, table.cells, table.min_count
    own = own if own is not None else [0] * len(true)
    hidden = [i for i in range(len(table.interior)) if cells[i].suppressed]

    def prior_ok(i: int, v: int) -> bool:
        s = cells[i].status
        if s is Status.shown:
            return v == true[i]
        if s is Status.small:
            return max(1, own[i]) <= v <= n - 1
        if s is Status.own and 1 <= true[i] - own[i] < n:
            return own[i] + 1 <= v <= own[i] + n - 1
        if s is Status.own:
            return v >= max(own[i], n)
        return v >= own[i]

    ranges = [[v for v in range(cap + 1) if prior_ok(i, v)] for i in hidden]
    seen: dict[int, set[int]] = {i: set() for i in hidden}
    for combo in itertools.product(*ranges):
        values = list(true)
        for i, v in zip(hidden, combo, strict=True):
            values[i] = v
        for members, total in table.lines:  # row/col totals come before the grand total
            values[total] = sum(values[m] for m in members)
        if all(prior_ok(i, values[i]) for i in range(len(values))):
            for i, v in zip(hidden, combo, strict=True):
                seen[i].add(v)
    return {
        i: vs
        for i, vs in seen.items()
        if cells[i].status in (Status.small, Status.own) and true[i] - own[i] >= 1
    }


def test_round_count_never_lands_in_the_suppressed_range() -> None:
    r = DisclosureRules(min_count=7, rounding_base=5)
    assert [round_count(n, r) for n in (7, 8, 9, 12, 13)] == [10, 10, 10, 10, 15]
    with pytest.raises(ValueError, match="negative"):
        round_count(-1, r)


def test_zero_is_published_and_small_counts_are_words() -> None:
    t = protect_series([0, 1, 4, 60], DisclosureRules())
    assert [t.display(i) for i in range(5)] == ["0", "fewer than 5", "fewer than 5", "60", "65"]
    assert check_table(t) == []


def test_lone_small_cell_gets_a_complement_so_subtraction_fails() -> None:
    t = protect_series([3, 40, 31, 50], DisclosureRules())
    assert t.cells[0].status is Status.small
    assert t.cells[2].status is Status.secondary  # the smallest complementary cell
    assert t.cells[1].status is Status.shown
    assert check_table(t) == []


def test_two_small_cells_summing_to_two_are_not_enough() -> None:
    # 1 + 1 = total - shown: both would be known to be 1, so a third cell must go.
    t = protect_series([1, 1, 30, 50], DisclosureRules())
    assert sum(c.suppressed for c in t.interior) == 3
    assert check_table(t) == []


def test_small_total_is_suppressed_too() -> None:
    t = protect_series([1, 2, 0], DisclosureRules())
    assert t.total == Cell(None, Status.small)
    assert check_table(t) == []


def test_checker_catches_a_derivable_pattern() -> None:
    t = protect_series([3, 40, 31], DisclosureRules())
    broken = ProtectedTable(
        shape=t.shape,
        cells=(t.cells[0], Cell(40, Status.shown), Cell(30, Status.shown), t.cells[3]),
        lines=t.lines,
        min_count=5,
        rounding_base=5,
        _true=t._true,
        _views=t._views,
    )
    assert any("derived by subtraction" in p for p in check_table(broken))
    leaky = ProtectedTable(
        shape=(1,), cells=(Cell(3, Status.shown),), lines=(), min_count=5, rounding_base=5,
        _true=(3,), _views=((0,),),
    )
    assert check_table(leaky)


def test_two_way_table_rectangle() -> None:
    t = protect_table([[2, 30, 12], [40, 50, 9], [7, 8, 60]], DisclosureRules())
    assert t.interior[0].status is Status.small
    assert check_table(t) == []


def test_same_question_same_answer() -> None:
    rows = [[2, 30, 12], [40, 50, 9], [1, 8, 60]]
    assert protect_table(rows, DisclosureRules()) == protect_table(rows, DisclosureRules())


def test_provider_cannot_subtract_its_own_records() -> None:
    # 23 pooled, 21 of them the viewer's own: the other partners contributed 2.
    r = DisclosureRules()
    assert protect_count(23, r, own=21) == Cell(None, Status.own)
    assert protect_count(23, r, own=10).value == 25
    mine, theirs = [21, 0, 0], [2, 40, 35]
    t = protect_series([23, 40, 35], r, providers=[mine, theirs])
    assert t.cells[0].status is Status.own
    assert t.cells[2].status is Status.secondary  # else 23 = total - 40 - 35
    assert check_table(t) == []
    for own in (mine, theirs, [0, 0, 0]):
        feasible = feasible_values(t, 120, [*own, sum(own)])
        assert feasible  # the hidden cells, each with what a viewer could still believe of it
        assert all(len(v) >= 2 for v in feasible.values())
    # every viewer gets the same table: the pattern does not depend on who asks
    assert protect_series([23, 40, 35], r, providers=[theirs, mine]).cells == t.cells


@settings(max_examples=300, deadline=None)
@given(rules=rules_st, counts=st.lists(counts_st, min_size=1, max_size=8))
def test_series_never_publishes_small_and_is_never_derivable(
    rules: DisclosureRules, counts: list[int]
) -> None:
    t = protect_series(counts, rules)
    assert_no_small_published(t)
    assert check_table(t) == []


@settings(max_examples=150, deadline=None)
@given(rules=rules_st, data=st.data())
def test_series_with_own_share(rules: DisclosureRules, data: st.DataObject) -> None:
    counts = data.draw(st.lists(counts_st, min_size=1, max_size=6))
    own = [data.draw(st.integers(0, c)) for c in counts]
    others = [c - o for c, o in zip(counts, own, strict=True)]
    t = protect_series(counts, rules, providers=[own, others])
    assert_no_small_published(t)
    assert check_table(t) == []
    for i, (c, o) in enumerate(zip(counts, own, strict=True)):
        if 1 <= c - o < rules.min_count or 1 <= o < rules.min_count:
            assert t.cells[i].suppressed


@settings(max_examples=200, deadline=None)
@given(rules=rules_st, shape=st.tuples(st.integers(1, 4), st.integers(1, 4)), data=st.data())
def test_tables_never_publish_small_and_are_never_derivable(
    rules: DisclosureRules, shape: tuple[int, int], data: st.DataObject
) -> None:
    rows = [[data.draw(counts_st) for _ in range(shape[1])] for _ in range(shape[0])]
    t = protect_table(rows, rules)
    assert_no_small_published(t)
    assert check_table(t) == []


def _exhaustive_ok(t: ProtectedTable, cap: int) -> bool:  # the outside viewer
    return all(len(values) >= 2 for values in feasible_values(t, cap).values())


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_checker_agrees_with_brute_force_on_small_tables(data: st.DataObject) -> None:
    """The propagation checker is sound: brute-force enumeration of every consistent table
    never pins a suppressed small cell to one value when the checker passed it."""
    rules = DisclosureRules(min_count=3, rounding_base=1)
    values = st.integers(0, 9)
    if data.draw(st.booleans()):
        rows = [[data.draw(values) for _ in range(2)] for _ in range(2)]
        t = protect_table(rows, rules)
    else:
        counts: Sequence[int] = data.draw(st.lists(values, min_size=1, max_size=4))
        own = [data.draw(st.integers(0, c)) for c in counts]
        rest = [c - o for c, o in zip(counts, own, strict=True)]
        t = protect_series(counts, rules, providers=[own, rest])
        assert check_table(t) == []
        assert all(len(v) >= 2 for v in feasible_values(t, 16, [*own, sum(own)]).values())
    assert check_table(t) == []
    assert _exhaustive_ok(t, cap=16)


def test_all_small_fails_closed() -> None:
    # every non-zero cell is 1 and the grand total 2: "fewer than 3" everywhere would pin them
    t = protect_table([[0, 0], [1, 1]], DisclosureRules(min_count=3, rounding_base=1))
    assert check_table(t) == []
    assert len(t.cells) == 9  # four cells, two row and two column totals, the grand total
    assert all(c.value in (None, 0) for c in t.cells)


def test_non_additive_series_protects_each_cell_alone() -> None:
    t = protect_series([3, 12], DisclosureRules(), additive=False, total=14)
    assert [c.status for c in t.cells] == [Status.small, Status.shown, Status.shown]
    assert t.cells[2].value == 15
    assert check_table(t) == []
