"""Scrubbing rules of session 8: handles and street addresses in forms the older evaluation sets' styles use.

Every example is invented for this file (forms, not strings, from the dev split's misses:
a lower-case profile name after "fb", "Rm 4" before a house number); none comes from an
evaluation set. Each rule has a test that fails when the rule is removed, and ordinary words,
times and amounts beside it are kept.
"""

import pytest

from anonymise.recognizers import REGISTRY
from anonymise.scrub import Scrubber


@pytest.fixture(scope="module")
def scrubber() -> Scrubber:
    return Scrubber(ner=False)


def _found(name: str, text: str) -> list[str]:
    return [text[s.start : s.end] for s in REGISTRY[name].find(text)]


def _out(scrubber: Scrubber, text: str) -> str:
    result = scrubber.scrub(text)
    assert result.text is not None, result.dropped
    return result.text


# Street addresses: premises abbreviations, "Apt." with a full stop, flat numbers such as 3/2, house-number ranges.


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("She stays at Rm 4, 31 Church, near the market.", ["Rm 4", "31", "Church"]),
        ("Moved to rm 7, 12 Alder Grove last week.", ["rm 7", "12 Alder"]),
        ("Flt 2, 8 Poplar Rd is an HMO.", ["Flt 2", "8 Poplar"]),
        ("Apt. 5, 19 Quarry Road, Luton.", ["Apt. 5", "19 Quarry"]),
        ("Suite 3, 40 Tanner Street.", ["Suite 3", "40 Tanner"]),
        ("Flat 3/2, 77 Heron Road, Glasgow.", ["/2", "77 Heron"]),
        ("Room 3, 12-14 Linden Parade.", ["12-", "Linden"]),
    ],
)
def test_premises_abbreviations_flat_numbers_and_ranges_are_part_of_the_address(scrubber: Scrubber, text: str, gone: list[str]) -> None:
    out = _out(scrubber, text)
    assert [g for g in gone if g in out] == []
    assert "<ADDRESS_1>" in out


def test_the_abbreviations_alone_are_a_flat(scrubber: Scrubber) -> None:
    assert _found("address", "she has rm 12 now") == ["rm 12"]
    assert _found("address", "Flt 4b upstairs") == ["Flt 4b"]


@pytest.mark.parametrize(
    "text",
    [
        "We had room for 4 more at 10:30, and £12-14 an hour.",
        "The rm was cold, 2 of them left at 7pm.",
        "Suite of rooms booked for 3 nights; paid 40 pounds.",
    ],
)
def test_ordinary_words_times_and_amounts_beside_premises_words_are_kept(scrubber: Scrubber, text: str) -> None:
    assert _out(scrubber, text) == text


# Handles: dotted with short parts, lower case with one digit, a single-quoted name before a platform word, a word after "username".


@pytest.mark.parametrize(
    ("text", "handle"),
    [
        ("Follows jay.b on IG.", "jay.b"),
        ("she's on instagram under hannah.b.x now", "hannah.b.x"),
        ("SUBJECT USES SNAPCHAT TYLER.GUNZ DAILY", "TYLER.GUNZ"),
        ("INSTA KRISTI.D, PRIVATE", "KRISTI.D"),
        ("She was recruited by jobs4u on tiktok.", "jobs4u"),
        ("Gamertag is darkwolf7 and he plays at night.", "darkwolf7"),
    ],
)
def test_usernames_with_short_parts_or_one_digit_are_removed(scrubber: Scrubber, text: str, handle: str) -> None:
    assert handle not in _out(scrubber, text)
    assert _found("handle_parts", text) == [handle]


@pytest.mark.parametrize(
    "text",
    [
        "She went home.She said nothing.",
        "ARRESTED.TAKEN TO CUSTODY AT 10PM.",
        "It costs approx.five pounds a day, she is in year7 and ward3.",
        "Seen by Mr.Smith at 7.30pm, paid 12.50 for covid19 tests.",
    ],
)
def test_words_glued_by_a_missing_space_or_to_a_number_are_no_username(text: str) -> None:
    assert _found("handle_parts", text) == []


@pytest.mark.parametrize(
    ("text", "handle"),
    [
        ("Messages from 'Daddy K' on WhatsApp at night.", "Daddy K"),
        ("Messages from ‘Big Sam’ via Snapchat.", "Big Sam"),
        ("MESSAGES FROM 'BOSS LADY' ON WHATSAPP.", "BOSS LADY"),
    ],
)
def test_a_single_quoted_name_before_a_platform_word_is_a_handle(scrubber: Scrubber, text: str, handle: str) -> None:
    assert _found("display_name", text) == [handle]
    assert handle.split()[-1] not in _out(scrubber, text)


@pytest.mark.parametrize(
    ("text", "handle"),
    [
        ("Username: summer", "summer"),
        ("username summer, password unknown", "summer"),
        ("her handle is Summer.", "Summer"),
        ("User ID: kiki.b", "kiki.b"),
        ("his screen name was goldenboy", "goldenboy"),
    ],
)
def test_the_word_after_a_username_word_is_a_handle(scrubber: Scrubber, text: str, handle: str) -> None:
    assert handle in _found("display_name", text)
    assert handle not in _out(scrubber, text)


@pytest.mark.parametrize(
    "text",
    [
        "username and password were taken",
        "his user name is unknown to us",
        "the handle was broken at 3pm, cost £20",
        "She did not handle cash.",
    ],
)
def test_username_words_without_a_name_after_them_keep_the_text(text: str) -> None:
    assert _found("display_name", text) == []


# Names after a platform word that look like typos, and lower-case repeats of a found name.


def test_a_lower_case_profile_name_after_fb_is_no_typo(scrubber: Scrubber) -> None:
    # "costel" and "enache" are each one letter from an English word (hostel, menace): in a normally
    # written note the word pass keeps such words as typos, except right after a platform word.
    text = "Outreach visit. He uses fb costel enache and his nephew's phone, he said."
    out = _out(scrubber, text)
    assert "costel" not in out
    assert "enache" not in out
    assert "and his nephew's phone, he said." in out


def test_a_lower_case_typo_elsewhere_is_still_kept(scrubber: Scrubber) -> None:
    text = "Outreach visit. He met the costel team in the hostel, he said."
    assert "costel" in _out(scrubber, text)


def test_a_found_name_is_removed_in_lower_case_too(scrubber: Scrubber) -> None:
    # "costel" alone would be kept as a typo of "hostel"; once "Mr Costel Enache" is found, it is his name.
    text = "Met Mr Costel Enache at the drop-in. Later costel rang from a new number."
    out = _out(scrubber, text)
    assert "ostel" not in out
    assert "rang from a new number" in out


def test_a_found_name_that_is_an_ordinary_word_stays_case_sensitive(scrubber: Scrubber) -> None:
    text = "Met Mrs Rose Hill at the drop-in. She will rose early, she said."
    out = _out(scrubber, text)
    assert "Rose" not in out
    assert "She will rose early" in out


# Part of a number: "passport number ending 4471", "last four digits 3321".


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("passport number ending 4471, held by the agent", "4471"),
        ("BRP ending 8812", "8812"),
        ("the number ends with 7731.", "7731"),
        ("his phone number starting 07700 9", "07700"),
        ("she gave the last four digits 3321 only", "3321"),
    ],
)
def test_part_of_an_identifier_is_removed(scrubber: Scrubber, text: str, digits: str) -> None:
    assert digits in _found("id_number", text)
    assert digits not in _out(scrubber, text)


@pytest.mark.parametrize(
    "text",
    [
        "The shift ending 2200 was the last one; she paid 300 for it.",
        "Her number ending up with the boss worried her at 10:30.",
        "It starts with 3 visits a week and ends in May.",
    ],
)
def test_endings_without_an_identifier_word_keep_their_numbers(text: str) -> None:
    assert [s for s in _found("id_number", text) if s in ("2200", "300", "3")] == []
