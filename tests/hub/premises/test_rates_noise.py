"""The premises rate interval includes the perturbation noise: it covers every true count the published figure allows."""

from hypothesis import given
from hypothesis import strategies as st

from anonymise import window
from hub.premises import rates


@given(st.integers(1, 60), st.integers(1, 400))
def test_the_interval_covers_the_plain_interval_of_every_true_count_the_published_figure_allows(k: int, premises: int) -> None:
    published = 5 * k  # a published count: a multiple of the rounding base, at least the threshold
    low, high = window(published, "shown", min_count=5, rounding_base=5)
    assert high is not None
    assert low <= published < high
    widened = rates.per_hundred(published, premises, within=(low, high))
    plain = rates.per_hundred(published, premises)
    assert widened.lower <= plain.lower <= plain.rate <= plain.upper <= widened.upper
    for true in (low, high):
        own = rates.per_hundred(true, premises)
        assert widened.lower <= own.lower
        assert own.upper <= widened.upper
