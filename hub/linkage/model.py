"""Person linkage of one agreement: candidates, the fitted model, each pair's probability, and clusters.

Steps, each in its own module with its own input and output:

1. :mod:`hub.linkage.candidates`: blocking on shared strong keys, then each pair's level in each
   comparison (:class:`Candidates`).
2. :mod:`hub.linkage.estimate`: m, u and the match share by EM (:class:`Model`).
3. :func:`score` (here): each pair's match weight (log2 Bayes factor with the prior, less its
   name's term-frequency adjustment, :mod:`hub.linkage.frequency`) and probability.
4. :mod:`hub.linkage.chains`: pairs at or above the agreement's threshold are linked; their
   clusters, chains cut at a weak bridge, become persons.

:func:`link` runs them all; :func:`link_new` scores only a new batch's pairs with a stored model.
No key value leaves these modules; a pair's explanation is the list of key kinds it agrees on.
"""

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import numpy.typing as npt

from hub.linkage import frequency
from hub.linkage.candidates import (
    ATTRIBUTES,
    COMPARISONS,
    FREQUENCY,
    KINDS,
    LEVELS,
    NULL,
    ONE_TOKEN,
    STRONG,
    Candidates,
    Keys,
    block,
    compare,
    name_values,
)
from hub.linkage.chains import clusters, components
from hub.linkage.estimate import Model, estimate

__all__ = [
    "ATTRIBUTES",
    "BRIDGE",
    "COMPARISONS",
    "FREQUENCY",
    "KINDS",
    "ONE_TOKEN",
    "STRONG",
    "Candidates",
    "Keys",
    "Linked",
    "Model",
    "block",
    "compare",
    "components",
    "estimate",
    "link",
    "link_new",
    "name_values",
    "score",
]

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


def score(candidates: Candidates, model: Model, adjustment: FloatArray | None = None) -> FloatArray:
    """Each candidate's match probability under the model, less its term-frequency ``adjustment`` (bits)."""
    weight = np.full(candidates.a.size, np.log2(model.prior / (1 - model.prior)))
    if adjustment is not None:
        name_level = candidates.levels[:, COMPARISONS.index("name_dob")]
        agrees = (name_level >= 0) & (name_level < len(LEVELS))
        weight -= np.where(agrees, adjustment, 0.0)
    for c, w in enumerate(model.weights()):
        level = candidates.levels[:, c].astype(np.int64)
        known = level != NULL
        weight[known] += w[level[known]]
    probability: FloatArray = 1.0 / (1.0 + np.exp2(-np.clip(weight, -1000, 1000)))
    return probability


@dataclass
class Linked:
    """The outcome for one agreement: linked pairs with their probability and agreeing kinds, and clusters."""

    a: IntArray
    b: IntArray
    probability: FloatArray
    kinds: list[tuple[str, ...]]
    cluster: IntArray
    model: Model
    candidates: int
    ambiguous: IntArray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    """:func:`link_new`: the existing persons without a full name that a new person's one-token key made
    ambiguous (:func:`hub.linkage.candidates.block`): a full relink proposes none of their pairs on
    that key now, so their links that no strong key proposed are to go."""


BRIDGE: Final = 0.95
"""A link that alone holds three or more records together is kept only at this probability or above
(:mod:`hub.linkage.chains`)."""


def link(keys: Keys, *, threshold: float, max_group: int = 50, term_frequency: bool = True, model: Model | None = None,
         bridge: float = BRIDGE) -> Linked:
    """Block, compare, estimate, score and cluster one agreement's persons.

    >>> rows = [(0, "nhs_number", 7), (1, "nhs_number", 7), (0, "canon_sorted_dob", 1), (1, "canon_sorted_dob", 1),
    ...         (2, "given_dob", 2), (3, "given_dob", 2), (2, "nhs_number", 8), (3, "nhs_number", 9)]
    >>> result = link(Keys.from_rows(4, rows), threshold=0.9)
    >>> result.cluster.tolist(), result.kinds  # 2 and 3 share only a weak key: no candidate
    ([0, 0, 2, 3], [('canon_sorted_dob', 'nhs_number')])
    """
    candidates, kinds = block(keys, max_group=max_group)
    candidates = compare(candidates, kinds, keys.attributes)
    model = estimate(candidates, kinds, keys)
    names = name_values(keys)
    adjustment = frequency.adjustment(names[candidates.a], names[candidates.b], frequency.Frequencies.of(names)) if term_frequency else None
    return _chosen(keys, candidates, model, threshold, adjustment, bridge)


def link_new(
    keys: Keys, new: BoolArray, model: Model, *, threshold: float, frequencies: "frequency.Frequencies | None",
    max_group: int = 50, bridge: float = BRIDGE,
) -> Linked:
    """Score with a fitted ``model`` only the candidate pairs that involve a ``new`` person (incremental linkage).

    ``keys`` holds the new persons and every existing person sharing a strong key value with one
    of them (so each such value's count is its count in the whole agreement); ``frequencies``
    counts the name values over the whole agreement. Pairs of two existing persons were scored
    when the later of them arrived, with the same model: so the links are those a full
    :func:`link` with this model would make. ``cluster`` is over these persons' new links only.
    """
    candidates, kinds = block(keys, max_group=max_group)
    touches = new[candidates.a] | new[candidates.b]
    candidates = Candidates(candidates.a[touches], candidates.b[touches],
                            {k: v[touches] for k, v in candidates.agree.items()}, candidates.levels, candidates.ambiguous)
    candidates = compare(candidates, kinds, keys.attributes)
    names = name_values(keys)
    adjustment = frequency.adjustment(names[candidates.a], names[candidates.b], frequencies) if frequencies is not None else None
    linked = _chosen(keys, candidates, model, threshold, adjustment, bridge)
    linked.ambiguous = _made_ambiguous(keys.n_persons, new, kinds[ONE_TOKEN].pairs, candidates.ambiguous)
    return linked


def _made_ambiguous(n: int, new: BoolArray, token_pairs: IntArray, ambiguous: BoolArray) -> IntArray:
    """The existing ambiguous persons that share the one-token key with a new person: only a new
    full-name person can have made them so (ambiguity only grows as persons arrive), and the ingest
    loads every holder of their one-token values, so their ambiguity is the full relink's.

    >>> _made_ambiguous(3, np.array([False, False, True]), np.array([0 * 3 + 2]), np.array([True, True, False])).tolist()
    [0]
    """
    a, b = token_pairs // n, token_pairs % n
    reached = np.zeros(n, dtype=np.bool_)
    reached[a[new[b]]] = True
    reached[b[new[a]]] = True
    return np.flatnonzero(reached & ambiguous & ~new).astype(np.int64)


def _chosen(keys: Keys, candidates: Candidates, model: Model, threshold: float, adjustment: FloatArray | None,
            bridge: float) -> Linked:
    probability = score(candidates, model, adjustment)
    chosen = probability >= threshold
    a, b = candidates.a[chosen], candidates.b[chosen]
    agree = np.stack([candidates.agree[k][chosen] for k in KINDS], axis=1) if a.size else np.zeros((0, len(KINDS)), dtype=np.bool_)
    names = [tuple(KINDS[i] for i in np.flatnonzero(row)) for row in agree]
    return Linked(a, b, probability[chosen], [tuple(sorted(n)) for n in names],
                  clusters(keys.n_persons, a, b, probability[chosen], bridge=bridge), model, int(candidates.a.size))
