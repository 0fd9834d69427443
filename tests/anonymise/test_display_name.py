"""Lower-case display names and short dotted handles after a platform word (dev examples and invented ones)."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymise.recognizers import REGISTRY
from anonymise.recognizers.display_name import STOP_WORDS
from anonymise.scrub import Scrubber


@pytest.fixture(scope="module")
def scrubber() -> Scrubber:
    return Scrubber(ner=False)


def _found(text: str) -> list[str]:
    return [text[s.start : s.end] for s in REGISTRY["display_name"].find(text)]


@pytest.mark.parametrize(
    ("text", "handle"),
    [
        ("her boss's tiktok is golden nails ldn lol. she", "golden nails ldn"),
        ("he is on snap as dj rem or something", "dj rem"),
        ("my insta: sweet lola ldn", "sweet lola ldn"),
        ("fb - big man kwame, then", "big man kwame"),
        ("found on insta mia.k and texted", "mia.k"),
        ("his snap is rosie.m then", "rosie.m"),
    ],
)
def test_lower_case_names_after_a_platform_word_are_found(text: str, handle: str) -> None:
    assert _found(text) == [handle]


@pytest.mark.parametrize(
    "text",
    [
        "his insta is private now",
        "whatsapp is the only way to reach her",
        "on tiktok is a video of him",
        "the signal is bad there",
        "on facebook. she said",
        "contacted via fb messenger",
        "see tiktok.com for the video",
    ],
)
def test_ordinary_phrases_after_a_platform_word_are_kept(text: str) -> None:
    assert _found(text) == []


def test_words_after_a_placeholder_are_not_a_name() -> None:
    # the narrative re-check sees "<HANDLE_1>" as spaces
    assert _found("messages her on Instagram as    most nights") == []


def test_the_display_name_leaves_the_note(scrubber: Scrubber) -> None:
    out = scrubber.scrub("her manager's tiktok is golden nails ldn lol. she looked tired").text
    for word in ("golden", "nails", "ldn"):
        assert word not in out
    assert out.endswith("lol. she looked tired")


_NAME_WORD = st.from_regex(r"[a-z]{2,8}", fullmatch=True).filter(lambda w: w not in STOP_WORDS)


@settings(max_examples=200, deadline=None)
@given(
    platform=st.sampled_from(["tiktok", "insta", "snap", "Facebook", "fb", "WhatsApp"]),
    join=st.sampled_from([" is ", " as ", ": ", " - "]),
    words=st.lists(_NAME_WORD, min_size=2, max_size=4),
    tail=st.sampled_from(["", ".", ", she said", " lol", " and then"]),
)
def test_every_lower_case_name_of_two_to_four_words_is_found_whole(
    platform: str, join: str, words: list[str], tail: str
) -> None:
    name = " ".join(words)
    assert _found(f"her {platform}{join}{name}{tail}") == [name]


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("abcdefghij klmnop.:-")), max_size=60))
def test_nothing_is_found_without_a_platform_word(text: str) -> None:
    # the alphabet spells no platform word but fb, ig, kik and "line app"
    if not re.search(r"(?i)\b(?:fb|ig|kik|line\s+app)\b", text):
        assert _found(text) == []
