"""The last digits of an account or card go with the rest of the bank details (invented examples)."""

import pytest

from anonymise.recognizers import REGISTRY


def _found(text: str) -> list[str]:
    return [text[s.start : s.end] for s in REGISTRY["bank_account"].find(text)]


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("wages go to the account ending 2773", "2773"),
        ("Card ending in 0931 was used at the station", "0931"),
        ("his acc no. ends with 417", "417"),
    ],
)
def test_the_last_digits_of_an_account_or_card_are_found(text: str, digits: str) -> None:
    assert _found(text) == [digits]


@pytest.mark.parametrize(
    "text", ["the account ended in May 2024", "paid on the card 3 times", "card ending soon"]
)
def test_an_account_or_card_without_its_digits_finds_nothing(text: str) -> None:
    assert _found(text) == []
