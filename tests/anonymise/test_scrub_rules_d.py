"""Scrubbing rules tuned on the dev split of bench/eval (notes_a-d, templates): each example is invented, in the style of a dev note."""

import pytest

from anonymise.lexicon import lexicon
from anonymise.namewords import domain_words, place_phrases
from anonymise.recognizers import REGISTRY
from anonymise.scrub import Scrubber


@pytest.fixture(scope="module")
def scrubber() -> Scrubber:
    return Scrubber(ner=False)


def _found(name: str, text: str) -> list[str]:
    return [text[s.start : s.end] for s in REGISTRY[name].find(text)]


@pytest.mark.parametrize("word", ["offences", "labourers", "sanitised", "itemised", "screenshots", "dissemination"])
def test_british_spellings_and_long_dictionary_words_are_ordinary(word: str) -> None:
    assert word in lexicon().ordinary


def test_a_short_rare_word_that_may_be_a_name_is_not_ordinary() -> None:
    assert "florin" not in lexicon().ordinary


@pytest.mark.parametrize(
    "text",
    [
        "Boy found at the coach station in Peterborough after a shift in Wisbech.",
        "Interpreter booked for Tigrinya and Arabic; he also speaks some Punjabi.",
        "Seen getting into a silver Toyota Prius near the market.",
        "Moved from Bolton to Milton Keynes, then on to the West Midlands.",
        "Caller said the offences were never reported; labourers were paid in cash on Sundays.",
    ],
)
def test_places_languages_vehicles_and_words_stay(scrubber: Scrubber, text: str) -> None:
    assert scrubber.scrub(text).text == text


def test_a_place_word_is_still_a_name_after_a_naming_word(scrubber: Scrubber) -> None:
    assert "peterborough" in domain_words()
    assert scrubber.scrub('He works for a man known as "Peterborough" at the yard.').text == (
        'He works for a man known as "<PERSON_1>" at the yard.'
    )


def test_place_phrases_hold_british_places_of_several_words() -> None:
    assert ("keynes",) in place_phrases()["milton"]
    assert ("road",) not in place_phrases().get("harrow", frozenset())  # a street first


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("Owner Sal Ahmadzai threatened him.", "Owner <PERSON_1> threatened him."),
        ("Pt Ardita Hoxha, DOB 03/04/1999, attended.", "Pt <PERSON_1>, DOB <DATE_1>, attended."),
        ("full name dang van khoa, told staff", "full name <PERSON_1>, told staff"),
        ("PHAM THI HANG (38) IS BELIEVED TO RUN IT", "<PERSON_1> (<AGE_30_38>) IS BELIEVED TO RUN IT"),
        ("name given kim lien, the other girl", "name given <PERSON_1>, the other girl"),
        ("Blessing (26) says she was moved twice.", "<PERSON_1> (<AGE_24_26>) says she was moved twice."),
        ("Gave him our number. Will check tomorrow.", "Gave him our number. Will check tomorrow."),
    ],
)
def test_names_and_the_words_around_them(scrubber: Scrubber, text: str, scrubbed: str) -> None:
    assert scrubber.scrub(text).text == scrubbed


def test_scare_quotes_around_ordinary_words_stay(scrubber: Scrubber) -> None:
    text = 'Wages went on deductions for "transport" and "rent".'
    assert scrubber.scrub(text).text == text


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("Owner lives at 9 The Spinney, Dunstable, with two men", "9 The Spinney"),
        ("the address on the card was 18 Quay Side, TQ1 2BD", "18 Quay Side"),
        ("next door at 9 cedar clse, says men leave at six", "9 cedar clse"),
        ("Unit 3 Riverside Ind Est, Leeds", "Unit 3 Riverside Ind Est"),
    ],
)
def test_streets_without_a_usual_street_word(text: str, address: str) -> None:
    assert address in _found("address", text)


def test_a_district_is_no_street() -> None:
    assert _found("address", "Outreach van parked at Cheetham Hill at night") == []


@pytest.mark.parametrize(
    ("text", "handle"),
    [('Profile 2 "Sweet Lara 21": claims 21', "Sweet Lara 21"), ('Poster "Ewa Cleaning Team", contact by phone', "Ewa Cleaning Team")],
)
def test_quoted_display_names_after_a_profile_word(text: str, handle: str) -> None:
    assert _found("display_name", text) == [handle]
