"""A provider subtracting its own records from the perturbed published cells (issue 12 item 5): the
others' part of a cell, when 1..N-1, is never narrowed to +-1, from any provider's point of view."""

from hypothesis import example, given, settings
from hypothesis import strategies as st

from anonymise.agreement import DisclosureRules
from anonymise.disclosure import protect_series, public_status
from anonymise.intervals import NARROW, Line, Window, intervals, protect, window
from anonymise.perturb import KeyedCount

RULES = DisclosureRules()


def _provider_view(published: list[Window], own: list[int]) -> list[Window]:
    """What a provider knows of everyone else's part of each cell: the published window minus its own."""
    return [(max(0, lo - o), None if hi is None else hi - o) for (lo, hi), o in zip(published, own, strict=True)]


@settings(max_examples=100, deadline=None)
@example(parts=[(0, 0, 0), (2, 1, 0)])  # "fewer than 5" = 3, two of them the provider's own: the other is 0..2
@given(
    parts=st.lists(st.tuples(st.integers(0, 14), st.integers(0, 14), st.integers(0, 10**6)), min_size=2, max_size=4),
)
def test_no_provider_narrows_the_others_part_of_a_cell(parts: list[tuple[int, int, int]]) -> None:
    a = [x for x, _, _ in parts]
    b = [y for _, y, _ in parts]
    pooled = [KeyedCount(x + y, k) for x, y, k in parts]
    table = protect_series(pooled, RULES, providers=[a, b])
    published = [
        window(c.value, public_status(c) or "shown", min_count=RULES.min_count, rounding_base=RULES.rounding_base)
        for c in table.cells
    ]
    n = len(parts)
    lines = [Line(tuple(range(n)), n)]
    # as the hub publishes it: after the audit across the table (hub.statistics.linked), which
    # already keeps every "fewer than N" cell from being narrowed in the pooled view
    small = [i for i, c in enumerate(table.cells) if public_status(c) == "small"]
    for i in protect(published, lines, small, [w[0] for w in published]):
        published[i] = (0, None)
    for own, others in ((a, b), (b, a)):
        own_all, others_all = [*own, sum(own)], [*others, sum(others)]
        view = _provider_view(published, own_all)
        targets = [i for i, v in enumerate(others_all) if 1 <= v < RULES.min_count]
        for i, (lo, hi) in intervals(view, lines, targets).items():
            assert hi is None or hi - lo > NARROW, (i, own_all, others_all, [c.status.value for c in table.cells])
