"""Scrubbing rules for the types that leaked most on independent notes (handles, passports, ID numbers, streets).

Every example is invented from the formats issue 18 names; none comes from an evaluation set.
"""

import pytest

from anonymise.recognizers import REGISTRY
from anonymise.scrub import Scrubber


@pytest.fixture(scope="module")
def scrubber() -> Scrubber:
    return Scrubber(ner=False)


def _found(name: str, text: str) -> list[str]:
    return [text[s.start : s.end] for s in REGISTRY[name].find(text)]


SECRETS = [
    ("insta: kaylaa.xo was used", "kaylaa.xo"),
    ("her insta is lilmiss_22", "lilmiss_22"),
    ("IG name_99 posted again", "name_99"),
    ("tiktok @jessy.m posts daily", "@jessy.m"),
    ("snap: bigkev", "bigkev"),
    ("fb: Ana Popescu", "Ana Popescu"),
    ("telegram t.me/fastcash_uk now", "fastcash_uk"),
    ("wa 07700 900123", "900123"),
    ("profile facebook.com/marius.ion.77", "marius.ion.77"),
    ("passport no 123456789", "123456789"),
    ("PP 123 456 789", "456 789"),
    ("Romanian passport 05123456", "05123456"),
    ("pp no. X1234567", "X1234567"),
    ("BRP no RX9123456", "RX9123456"),
    ("HO ref B1234567", "B1234567"),
    ("UAN 1234-5678-9012-3456", "9012-3456"),
    ("NI AB 12 34 56 C", "12 34 56"),
    ("ni ab123456c", "ab123456c"),
    ("nhs 943-476-5919", "476-5919"),
    ("NHS number 94347 65919", "65919"),
    ("PNC 12/345678A", "345678A"),
    ("CRO no 012345/19X", "012345"),
    ("driving licence MORGA753116SM9IJ", "MORGA753116SM9IJ"),
    ("reg AB12 CDE seen twice", "AB12 CDE"),
]


def test_every_invented_identifier_is_removed(scrubber: Scrubber) -> None:
    assert SECRETS
    leaked = [text for text, secret in SECRETS if secret.lower() in scrubber.scrub(text).text.lower()]
    assert leaked == []


@pytest.mark.parametrize(
    ("text", "handle"),
    [
        ("snap: sunshine", "sunshine"),
        ("found her on insta as princess.", "princess"),
        ("tiktok is starlight and she posts", "starlight"),
        ("fb: blessing\nseen again", "blessing"),
    ],
)
def test_one_ordinary_word_after_a_platform_word_and_a_colon_or_as_is_a_handle(text: str, handle: str) -> None:
    assert _found("display_name", text) == [handle]


@pytest.mark.parametrize(
    "text",
    ["her insta is private.", "he was on insta as well.", "fb: none", "snap: 2 accounts", "whatsapp is the only way"],
)
def test_a_word_that_says_nothing_about_the_account_is_kept(text: str) -> None:
    assert _found("display_name", text) == []


@pytest.mark.parametrize(
    ("text", "licence"),
    [
        ("licence no. MORGA 753116 SM9IJ", "MORGA 753116 SM9IJ"),
        ("dl morga753116sm9ij 04", "morga753116sm9ij 04"),
        ("DVLA: SMITH 901012 JA9AB seen", "SMITH 901012 JA9AB"),
    ],
)
def test_driving_licence_numbers_spaced_or_not(text: str, licence: str) -> None:
    assert licence in _found("id_number", text)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("address 9 Greenfield, Leeds", "9 Greenfield"),
        ("she is staying at 41a Moss Brook now", "41a Moss Brook"),
        ("Address: 17 Kingfisher Rise", "17 Kingfisher Rise"),
        ("flat 3, 22 Nelson, then left", "flat 3, 22 Nelson"),
        ("Unit 7 45 Albion", "Unit 7 45 Albion"),
    ],
)
def test_house_numbers_and_names_without_a_street_word(text: str, address: str) -> None:
    assert address in _found("address", text)


@pytest.mark.parametrize(
    "text",
    ["she lives at 3 and a half miles away", "moved to 2 rooms", "the address 14 days later"],
)
def test_numbers_after_an_address_word_without_a_name_stay(text: str) -> None:
    assert _found("address", text) == []


def test_a_handle_after_under_and_a_street_after_at() -> None:
    assert _found("display_name", "on instagram under sunflower") == ["sunflower"]
    assert _found("display_name", "on insta under investigation") == []
    assert "23 Broad" in _found("address", "lives above the shop at 23 Broad")


@pytest.mark.parametrize("text", ["arrived at 10 Am", "at 5 PM", "met at 10 Years", "at 3 and then"])
def test_a_time_or_a_count_after_at_is_no_street(text: str) -> None:
    assert _found("address", text) == []


@pytest.mark.parametrize(("text", "tag"), [("- Cash app tag $ QRmiv42.", "QRmiv42"), ("paid on cashapp $jolene", "jolene")])
def test_a_cash_app_tag_is_a_handle(text: str, tag: str) -> None:
    assert tag in _found("display_name", text)
