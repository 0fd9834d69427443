"""Normalisation of names, dates of birth and selectors before hashing."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from anonymise.normalise import (
    name_tokens,
    normalise_address,
    normalise_bank_account,
    normalise_email,
    normalise_name,
    normalise_phone,
    normalise_selector,
    normalise_vehicle,
    parse_dob,
)
from anonymise.vocab import SelectorKind

DOB = date(1990, 3, 12)


@pytest.mark.parametrize(
    "text",
    ["12/03/1990", "12-03-1990", "1990-03-12", "12.03.90", "12 Mar 1990", "12 March 1990",
     "March 12 1990", "March 12, 1990", "12th March 1990", "12th of March, 1990", "32944",
     "1990-03-12 00:00:00", "1990-03-12T00:00:00", "12-Mar-1990", "12/3/1990", " 12/03/1990 "],
)
def test_dob_formats_partners_use(text: str) -> None:
    assert parse_dob(text) == DOB


@pytest.mark.parametrize("text", ["", "unknown", "31/02/1990", "13/13/1990", "1990", "12/03/2999", "abc 12", "20020653", "01/01/1850"])
def test_unreadable_or_future_dobs_are_none(text: str) -> None:
    assert parse_dob(text) is None


def test_two_digit_years_never_land_in_the_future() -> None:
    assert parse_dob("01/01/75", today=date(2026, 1, 1)) == date(1975, 1, 1)
    assert parse_dob("01/01/05", today=date(2026, 1, 1)) == date(2005, 1, 1)
    assert parse_dob("01/01/30", today=date(2026, 1, 1)) == date(1930, 1, 1)


def test_explicit_formats_override_default() -> None:
    assert parse_dob("03/12/1990", ["%m/%d/%Y"]) == DOB


@pytest.mark.parametrize(
    "variant",
    ["Anna Kovács", "anna kovacs", "KOVACS, Anna", "Kovács,Anna", "  Anna   KOVÁCS ", "KOVACS Anna", "ANNA KOVACS"],
)
def test_name_variants_normalise_alike(variant: str) -> None:
    assert normalise_name(variant) == "anna kovacs"


def test_name_tokens_split_hyphens_and_drop_apostrophes() -> None:
    assert name_tokens("Mary-Jane O’Brien") == ["mary", "jane", "obrien"]
    assert name_tokens("Łukasz Øster") == ["lukasz", "oster"]


@given(st.text(alphabet=st.characters(categories=("L",)), min_size=1, max_size=12),
       st.text(alphabet=st.characters(categories=("L",)), min_size=1, max_size=12))
def test_comma_order_equals_given_first(given_name: str, surname: str) -> None:
    assert normalise_name(f"{surname}, {given_name}") == normalise_name(f"{given_name} {surname}".lower())


@pytest.mark.parametrize("text", ["07700 900123", "07700900123", "+44 7700 900123", "0044 (0)7700-900-123", "+447700900123"])
def test_uk_phones_to_e164(text: str) -> None:
    assert normalise_phone(text.replace("(0)", "")) == "+447700900123"


def test_foreign_mobile_and_region() -> None:
    assert normalise_phone("+40 721 234 567") == "+40721234567"
    assert normalise_phone("0721 234 567", region="RO") == "+40721234567"
    assert normalise_phone("12") is None


def test_email_vehicle_bank_address() -> None:
    assert normalise_email("ANNA@Example.org") == normalise_email(" anna@example.ORG ")
    assert normalise_email("not an email") is None
    assert normalise_vehicle("ab12-cde") == normalise_vehicle("AB12 CDE") == "AB12CDE"
    assert normalise_vehicle("hello") is None
    assert normalise_bank_account("12-34-56 12345678") == normalise_bank_account("123456 / 12345678") == "123456:12345678"
    assert normalise_bank_account("RO49 AAAA 1B31 0075 9384 0000") == "IBAN:RO49AAAA1B31007593840000"
    assert normalise_bank_account("12345") is None
    assert normalise_address("12 Acacia Road, London, E1 6AN") == normalise_address("12 ACACIA RD E16AN") == "E1 6AN|12"
    assert normalise_address("12 Acacia Road") is None


def test_selector_dispatch_rejects_blank() -> None:
    assert normalise_selector(SelectorKind.phone, "  ") is None
    assert normalise_selector(SelectorKind.email, "a@b.co") == "a@b.co"
