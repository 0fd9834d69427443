"""Clusters from pairwise links, with chains broken at their weakest bridge.

Connected components over links chain distinct people: A links B on a nickname, B links C on a
wrong day, and A and C, never compared well, become one person. A cluster of three or more
records whose weakest *bridge* (a link whose removal splits the cluster) is below ``bridge``
is cut there, and each part is checked again, until every bridge left is at least ``bridge`` or
joins only two records. A link inside a cycle is corroborated by another path and never cut.
The outcome depends only on the links and their probabilities, never on the order they arrived
in, so an incremental ingest that reclusters the clusters it touches makes the clusters a full
relink makes.
"""

from collections import defaultdict

import numpy as np
import numpy.typing as npt

__all__ = ["clusters", "components"]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def components(n_persons: int, a: IntArray, b: IntArray) -> IntArray:
    """The connected component of every person, named by the smallest person index in it.

    Minimum-label propagation over the edges with pointer jumping: a label is always a member
    of the same component no greater than the person, so ``labels[labels]`` is safe.

    >>> components(5, np.array([0, 3, 2]), np.array([1, 4, 4])).tolist()
    [0, 0, 2, 2, 2]
    """
    labels = np.arange(n_persons, dtype=np.int64)
    while True:
        la, lb = labels[a], labels[b]
        low = np.minimum(la, lb)
        new = labels.copy()
        for ends in (a, b, la, lb):
            np.minimum.at(new, ends, low)
        new = new[new]
        if np.array_equal(new, labels):
            return labels
        labels = new


def _bridges(nodes: list[int], edges: list[tuple[int, int, int]]) -> list[int]:
    """The indexes (third element) of the edges whose removal disconnects ``nodes`` (Tarjan, iterative)."""
    adjacent: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for x, y, e in edges:
        adjacent[x].append((y, e))
        adjacent[y].append((x, e))
    order: dict[int, int] = {}
    low: dict[int, int] = {}
    found: list[int] = []
    for root in nodes:
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack = [(root, -1, iter(adjacent[root]))]
        while stack:
            node, via, neighbours = stack[-1]
            advanced = False
            for nxt, e in neighbours:
                if e == via:
                    continue
                if nxt in order:
                    low[node] = min(low[node], order[nxt])
                else:
                    order[nxt] = low[nxt] = len(order)
                    stack.append((nxt, e, iter(adjacent[nxt])))
                    advanced = True
                    break
            if advanced:
                continue
            stack.pop()
            if stack:
                parent = stack[-1][0]
                low[parent] = min(low[parent], low[node])
                if low[node] > order[parent]:
                    found.append(via)
    return found


def clusters(n_persons: int, a: IntArray, b: IntArray, probability: FloatArray, *, bridge: float) -> IntArray:
    """The cluster of every person (named by its smallest person index) over the links ``a``–``b``,
    chains cut at their weakest bridge below ``bridge``.

    >>> a, b = np.array([0, 1, 3]), np.array([1, 2, 4])
    >>> clusters(5, a, b, np.array([0.999, 0.95, 0.95]), bridge=0.99).tolist()  # 0~1~2 cut at 1~2; a pair stays
    [0, 0, 2, 3, 3]
    >>> clusters(3, np.array([0, 1, 0]), np.array([1, 2, 2]), np.array([0.95, 0.95, 0.95]), bridge=0.99).tolist()
    [0, 0, 0]
    """
    labels = components(n_persons, a, b)
    if a.size == 0:
        return labels
    sizes = np.bincount(labels, minlength=n_persons)
    big = sizes[labels[a]] >= 3
    if not big.any():
        return labels
    keep = np.ones(a.size, dtype=np.bool_)
    by_cluster: dict[int, list[int]] = defaultdict(list)
    for e in np.flatnonzero(big).tolist():
        by_cluster[int(labels[a[e]])].append(e)
    work = [edges for edges in by_cluster.values()]
    while work:
        edges = work.pop()
        nodes = sorted({int(a[e]) for e in edges} | {int(b[e]) for e in edges})
        if len(nodes) < 3:
            continue
        weak = [e for e in _bridges(nodes, [(int(a[e]), int(b[e]), e) for e in edges]) if probability[e] < bridge]
        if not weak:
            continue
        cut = min(weak, key=lambda e: (float(probability[e]), int(a[e]), int(b[e])))
        keep[cut] = False
        rest = [e for e in edges if e != cut]
        index = {p: i for i, p in enumerate(nodes)}
        part = components(len(nodes), np.array([index[int(a[e])] for e in rest], dtype=np.int64),
                          np.array([index[int(b[e])] for e in rest], dtype=np.int64))
        halves: dict[int, list[int]] = defaultdict(list)
        for e in rest:
            halves[int(part[index[int(a[e])]])].append(e)
        work.extend(halves.values())
    return components(n_persons, a[keep], b[keep])
