"""The link graph's connected components: incidents joined through the nodes they share (no database here).

The graph is bipartite: an incident on one side; on the other the nodes it holds — a person (the
hub's person cluster) or a selector (phone, email, vehicle, address, bank account, business,
social handle), each named by an integer the caller chose, never a pseudonym. Two incidents are in
one network when a path of shared nodes joins them. Components are computed by igraph (C core):
only nodes held by two or more incidents can join anything, so the rest are dropped before the
graph is built, and a node held by more than ``max_share`` incidents (a helpline's number, a
hostel's address) joins nothing: it is not evidence of a network.
"""

from dataclasses import dataclass
from typing import Final

import igraph
import numpy as np
import numpy.typing as npt

__all__ = ["MAX_SHARE", "Components", "components"]

IntArray = npt.NDArray[np.int64]

MAX_SHARE: Final = 500
"""A node held by more incidents than this joins none of them."""


@dataclass(frozen=True)
class Components:
    """``label`` per incident (index into the caller's incidents): incidents with one label form a
    network; -1 for an incident joined to no other. Labels run 0..n-1."""

    label: IntArray
    count: int


def components(n_incidents: int, incident: IntArray, node: IntArray, *, max_share: int = MAX_SHARE) -> Components:
    """Networks of ``n_incidents`` incidents from edges ``incident[i]`` holds ``node[i]``.

    >>> import numpy as np
    >>> c = components(4, np.array([0, 1, 1, 2, 3]), np.array([7, 7, 9, 9, 5]))
    >>> c.label.tolist(), c.count
    ([0, 0, 0, -1], 1)
    """
    label = np.full(n_incidents, -1, dtype=np.int64)
    if incident.size == 0:
        return Components(label, 0)
    pairs = np.unique(np.stack([node, incident], axis=1), axis=0)
    nodes, inverse, held = np.unique(pairs[:, 0], return_inverse=True, return_counts=True)
    keep = (held[inverse] >= 2) & (held[inverse] <= max_share)
    inc, nod = pairs[keep, 1], inverse.reshape(-1)[keep]
    if inc.size == 0:
        return Components(label, 0)
    used, inc_index = np.unique(inc, return_inverse=True)
    edges = np.stack([inc_index.reshape(-1), used.size + nod], axis=1)
    graph = igraph.Graph(n=used.size + nodes.size, edges=edges.tolist())
    membership = np.asarray(graph.connected_components().membership, dtype=np.int64)[: used.size]
    sizes = np.bincount(membership)
    real = sizes[membership] >= 2
    names, renumbered = np.unique(membership[real], return_inverse=True)
    label[used[real]] = renumbered.reshape(-1)
    return Components(label, int(names.size))
