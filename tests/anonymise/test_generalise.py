"""Dates of birth to CTDC age bands and adult/child; event dates to month and quarter."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anonymise.generalise import (
    age_at,
    age_band,
    age_group,
    parse_quarter,
    quarter_bounds,
    quarter_of,
    to_month,
)
from anonymise.vocab import AgeBand, AgeGroup

BAND_EDGES = [(0, "0-8"), (8, "0-8"), (9, "9-17"), (17, "9-17"), (18, "18-20"), (20, "18-20"),
              (21, "21-23"), (23, "21-23"), (24, "24-26"), (26, "24-26"), (27, "27-29"), (29, "27-29"),
              (30, "30-38"), (38, "30-38"), (39, "39-47"), (47, "39-47"), (48, "48+"), (101, "48+")]


@pytest.mark.parametrize(("age", "band"), BAND_EDGES)
def test_ctdc_band_edges(age: int, band: str) -> None:
    assert age_band(age) == AgeBand(band)


@pytest.mark.parametrize("age", [None, -1, 121, 500])
def test_missing_or_impossible_age_is_unknown(age: int | None) -> None:
    assert age_band(age) is AgeBand.unknown
    assert age_group(age) is AgeGroup.unknown


def test_child_is_under_eighteen_on_the_day() -> None:
    dob = date(2008, 9, 15)
    assert age_group(age_at(dob, date(2026, 9, 14))) is AgeGroup.child
    assert age_group(age_at(dob, date(2026, 9, 15))) is AgeGroup.adult


def test_leap_day_birthday() -> None:
    dob = date(2008, 2, 29)
    assert age_at(dob, date(2026, 2, 28)) == 17
    assert age_at(dob, date(2026, 3, 1)) == 18
    assert age_at(dob, date(2028, 2, 29)) == 20


def test_age_before_birth_is_refused() -> None:
    with pytest.raises(ValueError, match="before the date of birth"):
        age_at(date(2020, 1, 2), date(2020, 1, 1))


@given(dob=st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 1, 1)), days=st.integers(0, 40000))
def test_age_agrees_with_calendar_arithmetic(dob: date, days: int) -> None:
    on = dob + timedelta(days=days)
    age = age_at(dob, on)
    assert age >= 0
    assert (on.year - dob.year) - age in (0, 1)
    assert age_band(age) is not AgeBand.unknown or age > 120
    assert (age_group(age) is AgeGroup.child) == (age < 18) or age > 120


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)))
def test_month_and_quarter_contain_the_date(d: date) -> None:
    assert to_month(d) == d.strftime("%Y-%m")
    first, last = quarter_bounds(quarter_of(d))
    assert first <= d <= last


@pytest.mark.parametrize("text", ["2026Q3", "2026-Q3", "2026 q3", "Q3 2026", "q3-2026", " 2026-Q3 "])
def test_quarter_spellings(text: str) -> None:
    assert parse_quarter(text) == "2026-Q3"


@pytest.mark.parametrize("text", ["2026Q0", "2026-Q5", "26Q3", "Q3", "2026", "third quarter 2026", ""])
def test_bad_quarters_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="2026Q3"):
        parse_quarter(text)


def test_quarter_bounds_of_q4_end_on_new_year_eve() -> None:
    assert quarter_bounds("2026Q4") == (date(2026, 10, 1), date(2026, 12, 31))
    assert quarter_bounds("Q1 2024") == (date(2024, 1, 1), date(2024, 3, 31))
