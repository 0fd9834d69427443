"""Dates made coarse: dates of birth to CTDC age bands and adult/child, event dates to month or quarter."""

import re
from datetime import date
from typing import Final

from anonymise.vocab import AgeBand, AgeGroup

__all__ = ["AGE_BAND_FLOORS", "age_at", "age_band", "age_group", "parse_quarter", "quarter_bounds", "quarter_of", "to_month"]

AGE_BAND_FLOORS: Final[tuple[tuple[int, AgeBand], ...]] = (
    (48, AgeBand.a48_plus), (39, AgeBand.a39_47), (30, AgeBand.a30_38), (27, AgeBand.a27_29),
    (24, AgeBand.a24_26), (21, AgeBand.a21_23), (18, AgeBand.a18_20), (9, AgeBand.a9_17),
    (0, AgeBand.a0_8),
)
"""CTDC ``ageBroad`` bands by their lowest age, oldest first."""

MAX_AGE: Final = 120
_QUARTER: Final = re.compile(r"^\s*(?:(\d{4})\s*-?\s*Q([1-4])|Q([1-4])\s*[-/ ]?\s*(\d{4}))\s*$", re.IGNORECASE)


def age_at(dob: date, on: date) -> int:
    """Age in whole years on a day (birthdays on 29 February fall on 1 March in other years).

    :param dob: date of birth. A direct identifier with the name: compute the age on the
        partner's machine and let only the band leave.
    :param on: the day the age is wanted for, usually the start of exploitation.

    >>> age_at(date(2008, 3, 12), date(2026, 3, 11)), age_at(date(2008, 3, 12), date(2026, 3, 12))
    (17, 18)
    >>> age_at(date(2008, 2, 29), date(2026, 2, 28))
    17
    """
    if on < dob:
        raise ValueError("the date is before the date of birth")
    return on.year - dob.year - ((on.month, on.day) < (dob.month, dob.day))


def age_band(age: int | None) -> AgeBand:
    """The CTDC age band of an age in years; ``unknown`` for a missing or impossible age.

    :param age: age in whole years at the time of exploitation. Exact ages of the very old or
        very young are rare and identifying; only the band should leave.

    >>> age_band(17), age_band(18), age_band(48), age_band(None), age_band(-1)
    (<AgeBand.a9_17: '9-17'>, <AgeBand.a18_20: '18-20'>, <AgeBand.a48_plus: '48+'>, <AgeBand.unknown: 'unknown'>, <AgeBand.unknown: 'unknown'>)
    """
    if age is None or not 0 <= age <= MAX_AGE:
        return AgeBand.unknown
    return next(band for floor, band in AGE_BAND_FLOORS if age >= floor)


def age_group(age: int | None) -> AgeGroup:
    """Adult or child (under 18, as the NRM counts them) for an age in years.

    :param age: age in whole years at the time of exploitation, or ``None`` when unknown.

    >>> age_group(17), age_group(18), age_group(None)
    (<AgeGroup.child: 'child'>, <AgeGroup.adult: 'adult'>, <AgeGroup.unknown: 'unknown'>)
    """
    if age is None or not 0 <= age <= MAX_AGE:
        return AgeGroup.unknown
    return AgeGroup.child if age < 18 else AgeGroup.adult


def to_month(d: date) -> str:
    """The month of a date as ``YYYY-MM``: the finest date that may leave a partner.

    :param d: an event date. The exact day, joined with a place, can single out one event.

    >>> to_month(date(2026, 7, 14))
    '2026-07'
    """
    return f"{d.year:04d}-{d.month:02d}"


def quarter_of(d: date) -> str:
    """The calendar quarter of a date as ``YYYY-Qn``.

    :param d: any date.

    >>> quarter_of(date(2026, 7, 14)), quarter_of(date(2026, 12, 31))
    ('2026-Q3', '2026-Q4')
    """
    return f"{d.year:04d}-Q{(d.month - 1) // 3 + 1}"


def parse_quarter(text: str) -> str:
    """Read a quarter written ``2026Q3``, ``2026-Q3``, ``2026 Q3`` or ``Q3 2026`` as ``2026-Q3``.

    :param text: the quarter as a user typed it.

    >>> parse_quarter("2026Q3"), parse_quarter("2026-q3"), parse_quarter("Q3 2026")
    ('2026-Q3', '2026-Q3', '2026-Q3')
    >>> parse_quarter("2026-Q5")
    Traceback (most recent call last):
    ...
    ValueError: a quarter is written like 2026Q3, 2026-Q3 or Q3 2026
    """
    match = _QUARTER.match(text)
    if not match:
        raise ValueError("a quarter is written like 2026Q3, 2026-Q3 or Q3 2026")
    year = match.group(1) or match.group(4)
    number = match.group(2) or match.group(3)
    return f"{year}-Q{number}"


def quarter_bounds(quarter: str) -> tuple[date, date]:
    """The first and last day of a quarter.

    :param quarter: a quarter in any form :func:`parse_quarter` reads.

    >>> quarter_bounds("2026Q3")
    (datetime.date(2026, 7, 1), datetime.date(2026, 9, 30))
    """
    year_text, number_text = parse_quarter(quarter).split("-Q")
    year, number = int(year_text), int(number_text)
    first = date(year, 3 * number - 2, 1)
    last = date(year + 1, 1, 1) if number == 4 else date(year, 3 * number + 1, 1)
    return first, date.fromordinal(last.toordinal() - 1)
