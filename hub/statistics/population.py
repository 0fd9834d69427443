"""Resident population of London's boroughs (ONS mid-2020 estimates, vendored) and rates per 100,000.

The figures are public (Open Government Licence v3.0; provenance in ``docs/map-data.md``), so a
rate divides a published count by a public constant and discloses nothing the count does not.
A rate is made only from a count that is published: a suppressed or protected count has none,
because a rate beside it would give the hidden number back.
"""

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from hub.statistics.schemas import Figure

POPULATION_FILE: Final = Path(__file__).resolve().parent / "reference" / "london-population-mid2020.csv"
PER: Final = 100_000
SOURCE: Final = (
    "Office for National Statistics, mid-2020 population estimates (lower layer super output areas, "
    "summed to boroughs); Open Government Licence v3.0"
)


@dataclass(frozen=True)
class Residents:
    gss: str
    name: str
    population: int
    year: int


@cache
def residents() -> dict[str, Residents]:
    """GSS code → the borough's resident population.

    >>> r = residents()
    >>> len(r), r["E09000025"].name, r["E09000025"].year
    (33, 'Newham', 2020)
    """
    with POPULATION_FILE.open(encoding="utf-8", newline="") as f:
        rows = [Residents(r["gss_code"], r["name"], int(r["population"]), int(r["year"])) for r in csv.DictReader(f)]
    return {r.gss: r for r in rows}


def year() -> int:
    """The one mid-year the vendored figures are for."""
    (only,) = {r.year for r in residents().values()}
    return only


def rate(figure: Figure | None, gss: str) -> float | None:
    """``figure``'s published value per 100,000 residents of ``gss``, to one decimal; None when the
    figure is suppressed (or absent) or the borough's population is not known.

    >>> rate(Figure(key="incidents", label="Incidents", value=20, display="20"), "E09000025")
    5.6
    >>> rate(Figure(key="incidents", label="Incidents", value=None, display="fewer than 5", suppressed="small"), "E09000025") is None
    True
    """
    people = residents().get(gss)
    if figure is None or figure.value is None or figure.suppressed is not None or people is None:
        return None
    return round(figure.value * PER / people.population, 1)
