"""Cell-key perturbation: the generated ptables' guarantees, the ONS file format and method, and keyed counts."""

import random
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymise.perturb import (
    KEY_RANGE,
    KeyedCount,
    PTable,
    cell_key,
    generate,
    read_ptable,
    record_key,
    write_ptable,
)

RULES = st.tuples(st.integers(3, 12), st.sampled_from([1, 2, 3, 5, 10]))


@settings(deadline=None)
@given(rules=RULES, count=st.integers(0, 5000), key=st.integers(0, 10**6))
def test_a_published_count_is_a_multiple_of_the_base_never_small_and_near_its_count(
    rules: tuple[int, int], count: int, key: int
) -> None:
    min_count, base = rules
    table = generate(min_count, base)
    value = table.published(count, key)
    if count == 0:
        assert value == 0
    elif count >= min_count:
        assert value % base == 0
        assert value >= min_count  # never a false zero, never in 1..min_count-1
        assert abs(value - count) < 2 * base + min_count


@settings(deadline=None)
@given(rules=RULES, count=st.integers(1, 3000))
def test_perturbation_is_unbiased_away_from_the_threshold(rules: tuple[int, int], count: int) -> None:
    min_count, base = rules
    if count < min_count + 2 * base:
        return
    table = generate(min_count, base)
    mean = sum(table.published(count, k) for k in range(KEY_RANGE)) / KEY_RANGE
    assert abs(mean - count) <= base * 2 / KEY_RANGE + 1e-9  # quantised to 1/256 per outcome


def test_every_count_that_is_not_a_multiple_takes_several_values_by_cell_key() -> None:
    table = generate(5, 5)
    for count in range(10, 800):
        assert len({table.published(count, k) for k in range(KEY_RANGE)}) >= 3


def test_the_ptable_round_trips_through_the_ons_csv_format(tmp_path: Path) -> None:
    table = generate(5, 5)
    path = tmp_path / "ptable_5_5.csv"
    write_ptable(table, path)
    assert path.read_text().splitlines()[0] == '"pcv","ckey","pvalue"'
    again = read_ptable(path, min_count=5, period=5)
    assert again == table


def _ons_file() -> Path:
    found = list(Path(sys.prefix).glob("**/ptable_10_5_rule.csv"))
    if not found:
        pytest.skip("cell-key-perturbation is not installed")
    return found[0]


def test_the_ons_10_5_ptable_reads_and_ignores_the_cell_key() -> None:
    """Why the hub generates its own ptables: the package's shipped one is deterministic rounding."""
    ons = read_ptable(_ons_file(), min_count=10)
    assert ons.max_pcv == 750
    assert all(len(set(row)) == 1 for row in ons.pvalues)  # the same pvalue for every cell key
    assert [ons.published(n, 0) for n in (9, 10, 12, 13, 751)] == [0, 10, 10, 15, 750]


def test_lookup_agrees_with_the_ons_package_on_microdata(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    ckp = pytest.importorskip("cell_key_perturbation.create_perturbed_table")
    table = generate(10, 5)
    rng = random.Random(3)
    rows = [{"area": rng.choice("abc"), "kind": rng.choice("xyz"), "rkey": rng.randrange(KEY_RANGE)} for _ in range(900)]
    ptable = pd.DataFrame(list(table.rows()), columns=["pcv", "ckey", "pvalue"])
    theirs = ckp.create_perturbed_table(
        data=pd.DataFrame(rows), ptable=ptable, geog=["area"], tab_vars=["kind"], record_key="rkey", threshold=10
    )
    assert len(theirs) == 9
    for cell in theirs.itertuples():
        members = [r for r in rows if r["area"] == cell.area and r["kind"] == cell.kind]
        ours = table.published(len(members), sum(r["rkey"] for r in members))
        assert int(cell.count) == ours
        assert cell.ckey == cell_key(sum(r["rkey"] for r in members))


@given(a=st.integers(0, 500), b=st.integers(0, 500), ka=st.integers(0, 10**5), kb=st.integers(0, 10**5))
def test_keyed_counts_carry_exactly_their_records_key_sum(a: int, b: int, ka: int, kb: int) -> None:
    x, y = KeyedCount(a, ka), KeyedCount(b, kb)
    total = sum([x, y])
    assert isinstance(total, KeyedCount)
    assert (int(total), total.key_sum) == (a + b, ka + kb)
    rest = total - x
    assert isinstance(rest, KeyedCount)
    assert (int(rest), rest.key_sum) == (b, kb)
    pooled: dict[str, int] = {}
    pooled["k"] = pooled.get("k", 0) + x
    assert isinstance(pooled["k"], KeyedCount)
    assert not isinstance(x + 1, KeyedCount)  # a count of unknown records has no key


def test_record_keys_are_spread_over_the_key_range() -> None:
    keys = [record_key(f"h1.{i:064x}", "ngo", "incident") for i in range(20_000)]
    counts = [keys.count(k) for k in range(KEY_RANGE)]
    assert min(counts) > 40
    assert max(counts) < 120
    assert record_key("h1.x", "ngo", "incident") != record_key("h1.x", "police", "incident")


def test_a_ptable_needs_every_cell_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text('"pcv","ckey","pvalue"\n1,0,0\n')
    with pytest.raises(ValueError, match="cell keys"):
        read_ptable(path, min_count=5)
    assert isinstance(generate(5, 5), PTable)
