"""Small flows rolled up to coarser places instead of being shown small.

A flow is (origin, countries of transit, destination), each end with its roll-up chain
(:mod:`hub.statistics.route_nodes`). Every flow starts at its finest key; while any group of
flows sharing a key holds 1 to ``min_count - 1`` people, every flow of that group moves one
level up: first its transit becomes "other routes", then both ends move up their chains
together, to "elsewhere → elsewhere" at the top. A group also moves up when, for some provider,
everyone else's share of it is 1 to ``min_count - 1`` (the provider could subtract its own
records: the rule ``anonymise.disclosure`` would otherwise suppress it). The groups that remain
partition the people counted: each holds 0 or at least ``min_count`` people, and no provider's
others' share is small, except perhaps the one group at the top, which the disclosure rules then
suppress with whatever complements it needs.

A group at a coarser level holds only the flows rolled into it, never those shown finer (the
shown ones are not in it), so "other routes from Albania" is the rolled-up Albanian flows, not
all of them: no shown cell is a difference of two others.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from hub.statistics.route_nodes import OTHER_ROUTES

LEVELS: Final = 5
"""0: as recorded; 1: transit rolled up; 2, 3, 4: both ends one, two, three steps up their chains."""


@dataclass(frozen=True, order=True)
class FlowKey:
    origin: str
    transit: str
    destination: str

    @property
    def name(self) -> str:
        return f"{self.origin}|{self.transit}|{self.destination}"


@dataclass(frozen=True)
class RawFlow:
    """One recorded route's count from one provider, with the chains of its two ends."""

    origin: tuple[str, str, str, str]
    transit: str
    destination: tuple[str, str, str, str]
    provider: str
    n: int


def key_at(flow: RawFlow, level: int) -> FlowKey:
    """The key ``flow`` is counted under at ``level``.

    >>> f = RawFlow(("AL", "region:southern_europe", "elsewhere", "elsewhere"), "IT>FR",
    ...             ("E09000025", "area:london", "GB", "elsewhere"), "ngo", 3)
    >>> [key_at(f, level).name for level in range(LEVELS)]  # doctest: +NORMALIZE_WHITESPACE
    ['AL|IT>FR|E09000025', 'AL|*|E09000025', 'region:southern_europe|*|area:london', 'elsewhere|*|GB',
     'elsewhere|*|elsewhere']
    """
    if level == 0:
        return FlowKey(flow.origin[0], flow.transit, flow.destination[0])
    step = level - 1
    return FlowKey(flow.origin[step], OTHER_ROUTES, flow.destination[step])


def placed(flows: Sequence[RawFlow], min_count: int) -> list[FlowKey]:
    """The key each flow is counted under after rolling small groups up, in the order given.

    >>> big = RawFlow(("AL", "r", "elsewhere", "elsewhere"), "FR", ("GB",) * 3 + ("elsewhere",), "a", 9)
    >>> few = RawFlow(("VN", "r", "elsewhere", "elsewhere"), "", ("GB",) * 3 + ("elsewhere",), "a", 3)
    >>> [k.name for k in placed([big, few, few], 5)]
    ['AL|FR|GB', 'VN||GB', 'VN||GB']
    >>> [k.name for k in placed([big, few], 5)]
    ['AL|FR|GB', 'elsewhere|*|elsewhere']
    """
    levels = [0] * len(flows)
    while flows:
        totals: dict[FlowKey, int] = {}
        shares: dict[tuple[FlowKey, str], int] = {}
        for flow, level in zip(flows, levels, strict=True):
            key = key_at(flow, level)
            totals[key] = totals.get(key, 0) + int(flow.n)
            shares[(key, flow.provider)] = shares.get((key, flow.provider), 0) + int(flow.n)
        too_small = {k for k, n in totals.items() if 0 < n < min_count}
        # a provider knows its own records: where everyone else's share is small, roll up too
        too_small |= {k for (k, _), own in shares.items() if 0 < totals[k] - own < min_count}
        moved = False
        for i, flow in enumerate(flows):
            if levels[i] < LEVELS - 1 and key_at(flow, levels[i]) in too_small:
                levels[i] += 1
                moved = True
        if not moved:
            break
    return [key_at(flow, level) for flow, level in zip(flows, levels, strict=True)]


def roll_up(flows: Sequence[RawFlow], min_count: int) -> list[tuple[FlowKey, str, int]]:
    """The (key, provider, count) rows after rolling small groups up (:func:`placed`), sorted by key.

    >>> big = RawFlow(("AL", "r", "elsewhere", "elsewhere"), "FR", ("GB",) * 3 + ("elsewhere",), "a", 9)
    >>> few = [RawFlow((c, "r", "elsewhere", "elsewhere"), "", ("GB",) * 3 + ("elsewhere",), "a", 3) for c in ("VN", "ER")]
    >>> [(k.name, n) for k, _, n in roll_up([big, *few], 5)]
    [('AL|FR|GB', 9), ('r|*|GB', 6)]
    """
    out: dict[tuple[FlowKey, str], int] = {}
    for flow, key in zip(flows, placed(flows, min_count), strict=True):
        slot = (key, flow.provider)
        out[slot] = out.get(slot, 0) + flow.n  # KeyedCount + KeyedCount keeps the records' key sum
    return [(k, p, n) for (k, p), n in sorted(out.items())]
