"""Rates per 100 premises with exact Poisson (Garwood) confidence intervals, and ranks that use published figures only."""

from collections.abc import Sequence
from typing import Final, NamedTuple

PER: Final = 100
LEVEL: Final = 0.95
METHOD: Final = (
    "Rate = published incidents ÷ premises on the register × 100. The 95% interval includes the "
    "small consistent noise added to every published count: it runs from the exact Poisson "
    "(Garwood) lower bound of the lowest true count the published figure allows to the upper bound "
    "of the highest, divided the same way. It covers chance variation in how many incidents happen "
    "to be recorded and the noise, not the register's errors."
)


class Interval(NamedTuple):
    rate: float
    lower: float
    upper: float


def poisson_interval(count: int, level: float = LEVEL) -> tuple[float, float]:
    """The exact (Garwood) interval for a Poisson mean, given one observed ``count``.

    >>> [round(x, 3) for x in poisson_interval(0)]
    [0.0, 3.689]
    >>> [round(x, 2) for x in poisson_interval(10)]
    [4.8, 18.39]
    """
    # Imported here, not at the top: scipy.stats adds seconds to every hub start-up.
    from scipy.stats import chi2

    alpha = 1 - level
    lower = 0.0 if count == 0 else float(chi2.ppf(alpha / 2, 2 * count)) / 2
    upper = float(chi2.ppf(1 - alpha / 2, 2 * (count + 1))) / 2
    return lower, upper


def per_hundred(count: int, premises: int, *, within: tuple[int, int | None] | None = None) -> Interval:
    """``count`` incidents over ``premises`` premises, per 100 premises, with its interval.

    ``within``: the true counts a published, perturbed ``count`` allows
    (``anonymise.intervals.window``); the interval then runs from the lowest one's lower bound
    to the highest one's upper bound, so it includes the perturbation noise.

    >>> per_hundred(10, 40)
    Interval(rate=25.0, lower=12.0, upper=46.0)
    >>> per_hundred(10, 40, within=(5, 19))
    Interval(rate=25.0, lower=4.1, upper=74.2)
    """
    low, high = count, count
    if within is not None and within[1] is not None:
        low, high = within[0], within[1]
    lower, upper = poisson_interval(low)[0], poisson_interval(high)[1]
    scale = PER / premises
    return Interval(round(count * scale, 1), round(lower * scale, 1), round(upper * scale, 1))


def ranks(rates: Sequence[float | None]) -> list[int | None]:
    """Rank 1 for the highest rate; equal rates share a rank; an unpublished rate has none.

    Only published rates are compared, so a rank says nothing about a hidden count.

    >>> ranks([2.0, None, 5.0, 2.0])
    [2, None, 1, 2]
    """
    shown = [r for r in rates if r is not None]
    return [None if r is None else 1 + sum(1 for o in shown if o > r) for r in rates]
