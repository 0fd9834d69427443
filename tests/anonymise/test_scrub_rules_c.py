"""Rules tuned on the notes_c development split (dev examples and invented ones, never the test split):
business names, repeated business words, dotted handles, short log numbers, partial plates, flats in named
buildings and caravans, "Big" nicknames."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymise.recognizers import REGISTRY
from anonymise.recognizers.business import _STOP, TYPE_WORDS
from anonymise.recognizers.keep import PLACES
from anonymise.scrub import Scrubber


@pytest.fixture(scope="module")
def scrubber() -> Scrubber:
    return Scrubber(ner=False)


def _found(name: str, text: str) -> list[str]:
    return [text[s.start : s.end] for s in REGISTRY[name].find(text)]


@pytest.mark.parametrize(
    ("text", "business"),
    [
        ("Housing provider listed as K.S. Property Lets.", "Property Lets"),
        ("agency staff at Fenland Fresh Packing since May", "Fenland Fresh Packing"),
        ("picked up by Star Cars Rochdale each morning", "Star Cars"),
        ("rooms rented through Riverside Lettings", "Riverside Lettings"),
        ("the crew at Oakfield Salads were unpaid", "Oakfield Salads"),
    ],
)
def test_more_kinds_of_business_are_found(text: str, business: str) -> None:
    assert business in _found("business", text)


@pytest.mark.parametrize("text", ["raid at Kings Barbers, Deansgate", "she worked at Newham Nails for a year"])
def test_a_place_and_a_business_word_written_as_a_name_is_a_business(text: str) -> None:
    assert len(_found("business", text)) == 1


@pytest.mark.parametrize("text", ["she worked at a car wash in Newham", "IN NEWHAM NAILS ARE DONE", "the Romanian car wash", "Hand Car Wash"])
def test_kept_words_alone_are_still_no_business(text: str) -> None:
    assert _found("business", text) == []


_SIMPLE_TYPES = [t for t in TYPE_WORDS if re.fullmatch(r"[a-z]+", t) and t not in {"co", "inc", "ltd", "llp", "llc", "plc", "srl"}]
_PLACE_LIST = sorted(w for w in PLACES.split() if len(w) >= 4 and w not in _STOP)  # whole words of place names


@settings(max_examples=200, deadline=None)
@given(place=st.sampled_from(_PLACE_LIST), kind=st.sampled_from(_SIMPLE_TYPES))
def test_any_place_named_business_goes_and_its_lower_case_description_stays(place: str, kind: str) -> None:
    assert _PLACE_LIST
    assert _SIMPLE_TYPES
    named = f"She was paid cash at {place.title()} {kind.title()} for months."
    found = REGISTRY["business"].find(named)
    assert any(named[s.start : s.end].endswith(kind.title()) for s in found), named
    assert _found("business", f"she was paid cash at a {place} {kind} for months.") == []


def test_a_business_word_mentioned_again_gets_the_same_placeholder(scrubber: Scrubber) -> None:
    out = scrubber.scrub("Pickers came via Stellar Workforce. Stellar deducted transport twice.").text
    assert out == "Pickers came via <BUSINESS_1>. <BUSINESS_1> deducted transport twice."


def test_a_business_type_word_alone_is_not_a_repeat(scrubber: Scrubber) -> None:
    out = scrubber.scrub("Pickers came via Stellar Workforce. The workforce was tired.").text
    assert out is not None
    assert "The workforce was tired." in out


@pytest.mark.parametrize(
    ("text", "handle"),
    [
        ("several Albanian accounts incl klodi.london.", "klodi.london"),
        ("Subject uses Instagram mira.dusk.official and another", "mira.dusk.official"),
    ],
)
def test_dotted_handles_of_any_length_and_at_a_sentence_end(text: str, handle: str) -> None:
    assert _found("handle", text) == [handle]


@settings(max_examples=200, deadline=None)
@given(
    parts=st.lists(st.from_regex(r"[a-z]{3,8}", fullmatch=True), min_size=2, max_size=4),
    end=st.sampled_from([".", " now", ", then", ""]),
)
def test_a_dotted_lower_case_name_is_a_handle_unless_it_is_two_sentences(parts: list[str], end: str) -> None:
    sentence_words = {"she", "they", "the", "and", "but", "then", "was", "her", "his", "him", "them", "this", "that", "there", "com", "org", "net"}
    text = f"saw {'.'.join(parts)}{end}"
    found = _found("handle", text)
    if any(p in sentence_words for p in parts):
        return
    assert found == [".".join(parts)]


def test_home_dot_she_is_no_handle() -> None:
    assert _found("handle", "went home.she said nothing") == []


@pytest.mark.parametrize(("text", "ref"), [("Log 311 (20:05). Caller rang", "311"), ("Incident 0417 – Sheffield.", "0417"), ("STORM log 0922.", "0922")])
def test_short_log_and_incident_numbers_are_references(text: str, ref: str) -> None:
    assert _found("id_number", text) == [ref]


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        ("CAD 3417/14MAR. Call from MOP", "CAD <ID_NUMBER_1>. Call from MOP"),
        ("SUSP1 (manager) PNC 21/448213K not present", "SUSP1 (manager) PNC <ID_NUMBER_1> not present"),
        ("NHS 450 227 9163. Section 42", "NHS <ID_NUMBER_1>. Section 42"),
        ("ARC number UKR 0092184. No phone", "ARC number <ID_NUMBER_1>. No phone"),
        ("tell police ref CAD 2231/14NOV. also", "tell police ref <ID_NUMBER_1>. also"),
        ("paid £150/month, 90/wk for food", "paid £150/month, 90/wk for food"),
    ],
)
def test_the_label_of_a_reference_stays_and_a_country_code_goes(scrubber: Scrubber, text: str, scrubbed: str) -> None:
    assert scrubber.scrub(text).text == scrubbed


def test_a_small_count_after_incident_is_not_a_reference() -> None:
    assert _found("id_number", "the incident 12 days ago") == []


def test_a_partial_plate_in_quotes_after_reg() -> None:
    assert _found("vehicle", 'grey Ford Fiesta, partial reg "KP15". Found') == ["KP15"]
    assert _found("vehicle", "reg on the BMW was false") == []


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("lives at Flat 21, Tower View, 5 Cannon Street Road with two men", "Flat 21, Tower View, 5 Cannon Street Road"),
        ("sleeping in Caravan 3, 15 Marsh Lane, near the farm", "Caravan 3, 15 Marsh Lane"),
    ],
)
def test_flats_in_named_buildings_and_caravans(text: str, address: str) -> None:
    assert address in _found("address", text)


def test_big_before_a_name_is_part_of_the_nickname(scrubber: Scrubber) -> None:
    assert scrubber.scrub("Big Tony collects the rent every week.").text == "<PERSON_1> collects the rent every week."
    assert scrubber.scrub("A big van collects them every week.").text == "A big van collects them every week."


def test_an_age_after_turn_becomes_its_band(scrubber: Scrubber) -> None:
    assert scrubber.scrub("My birthday is on Sunday. I'll turn eighteen.").text == "My birthday is on Sunday. I'll turn <AGE_18_20>."
    assert _found("age", "take the turn two streets on") == []
