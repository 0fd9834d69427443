"""The rate view's legend: bands made from the published rates themselves (a choropleth's legend),
round-numbered, every band labelled with its range, and rates that sit close together still in
different bands (12.7 and 15.1 once both read "10 or more")."""

import itertools
import math
import re

import pytest

from anonymise import LONDON
from hub.pages.hotspot_map import CLASSES, rate_classes, rate_map
from hub.statistics.schemas import BoroughRow, Figure
from tests.factories.stats_seed import NEWHAM, TOWER_HAMLETS

CASES = [[12.7, 15.1], [0.8, 3.1, 12.0], [4.0], [0.0, 0.4], [95.3, 96.1, 130.0, 410.2], [2.2, 2.2, 2.3]]


def _band(value: float, bands: list[tuple[float, float]]) -> int:
    return next(i for i, (low, high) in enumerate(bands) if low <= value < high)


@pytest.mark.parametrize("rates", CASES)
def test_bands_are_round_contiguous_and_span_the_rates(rates: list[float]) -> None:
    bands = rate_classes(rates)
    assert 1 <= len(bands) <= CLASSES
    assert bands[0][0] <= min(rates), "the bands span the data"
    assert max(rates) < bands[-1][1], "the bands span the data"
    assert all(a[1] == b[0] for a, b in itertools.pairwise(bands)), "no gaps"
    widths = {round(high - low, 9) for low, high in bands}
    assert len(widths) == 1, "equal widths"
    width = widths.pop()
    mantissa = width / 10 ** math.floor(math.log10(width))
    assert round(mantissa, 6) in (1.0, 2.0, 2.5, 5.0), "a round width"
    for low, _ in bands:
        assert round(low / width, 6) == round(low / width), "breaks on multiples of the width"
    if max(rates) > min(rates):
        assert len(bands) >= 2


def test_close_rates_fall_in_different_bands() -> None:
    bands = rate_classes([12.7, 15.1])
    assert _band(12.7, bands) != _band(15.1, bands)
    assert len(bands) >= 3


def test_the_legend_labels_every_band_with_its_range_and_shades_match() -> None:
    def row(gss: str, rate: float) -> BoroughRow:
        figure = Figure.model_construct(key="incidents", label="Incidents", value=1, display="40")
        return BoroughRow.model_construct(gss_code=gss, name=gss, incidents=figure, incidents_rate=rate)

    view = rate_map(LONDON, [row(NEWHAM, 12.7), row(TOWER_HAMLETS, 15.1)])
    assert len(view.legend) >= 3
    for item in view.legend:
        assert re.fullmatch(r"\d+(\.\d+)? to under \d+(\.\d+)?", item.text), item.text
    shades = {b.gss: b.shade for b in view.rated or [] if b.gss in (NEWHAM, TOWER_HAMLETS)}
    assert shades[NEWHAM] != shades[TOWER_HAMLETS]
    legend_shade = {item.text: item.shade for item in view.legend}
    assert legend_shade["12 to under 13"] == shades[NEWHAM]
    assert legend_shade["15 to under 16"] == shades[TOWER_HAMLETS]
