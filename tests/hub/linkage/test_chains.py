"""Chains inside a cluster: a weak link that alone holds three or more records together is cut; corroborated links stay."""

import random

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.linkage import chains


def _partition(labels: np.ndarray) -> set[frozenset[int]]:
    groups: dict[int, set[int]] = {}
    for i, c in enumerate(labels.tolist()):
        groups.setdefault(c, set()).add(i)
    return {frozenset(g) for g in groups.values()}


def _clusters(links: list[tuple[int, int, float]], n: int, bridge: float = 0.99) -> set[frozenset[int]]:
    a = np.array([x for x, _, _ in links], dtype=np.int64)
    b = np.array([y for _, y, _ in links], dtype=np.int64)
    p = np.array([q for _, _, q in links], dtype=np.float64)
    return _partition(chains.clusters(n, a, b, p, bridge=bridge))


def test_two_people_chained_by_a_weak_link_are_split_at_it() -> None:
    # 0~1 and 2~3 are sure; 1~2 alone joins them, weakly
    links = [(0, 1, 0.999), (2, 3, 0.999), (1, 2, 0.92)]
    assert _clusters(links, 4) == {frozenset({0, 1}), frozenset({2, 3})}
    assert _clusters(links, 4, bridge=0.9) == {frozenset({0, 1, 2, 3})}  # a lower bar keeps the chain


def test_a_weak_link_inside_a_cycle_is_corroborated_and_kept() -> None:
    assert _clusters([(0, 1, 0.92), (1, 2, 0.92), (0, 2, 0.92)], 3) == {frozenset({0, 1, 2})}


def test_a_weak_link_between_two_records_alone_is_kept() -> None:
    assert _clusters([(0, 1, 0.91)], 3) == {frozenset({0, 1}), frozenset({2})}


def test_a_chain_is_cut_at_its_weakest_bridge_first() -> None:
    # 0~1~2: cutting the weakest (1~2) leaves a pair, whose link stays
    assert _clusters([(0, 1, 0.95), (1, 2, 0.93)], 3) == {frozenset({0, 1}), frozenset({2})}


@settings(max_examples=50, deadline=None)
@given(n=st.integers(3, 25), seed=st.integers(0, 10**6))
def test_the_clusters_do_not_depend_on_the_order_of_the_links(n: int, seed: int) -> None:
    rng = random.Random(seed)
    links = {(min(x, y), max(x, y)): rng.choice([0.91, 0.95, 0.97, 0.995, 0.999, rng.random()])
             for x, y in ((x, (x + 1 + rng.randrange(n - 1)) % n) for x in (rng.randrange(n) for _ in range(rng.randrange(1, 2 * n))))}
    listed = [(x, y, p) for (x, y), p in links.items()]
    assert listed
    shuffled = listed[:]
    rng.shuffle(shuffled)
    got = _clusters(listed, n)
    assert got == _clusters(shuffled, n)
    for group in got:  # every cluster of three or more holds no bridge below the bar
        if len(group) >= 3:
            inside = [(x, y, p) for x, y, p in listed if x in group and y in group]
            nodes = sorted(group)
            index = {v: i for i, v in enumerate(nodes)}
            for x, y, p in inside:
                if p < 0.99:
                    rest = [(index[u], index[v], q) for u, v, q in inside if (u, v) != (x, y)]
                    assert len(_clusters(rest, len(nodes), bridge=0.0)) == 1
