"""Scrubbing rules of session 9: a postcode district closing a street address.

Every example is invented for this file (the form, not the strings, from the dev split's misses).
Each rule has a test that fails when the rule is removed; a district named on its own, roads and
times beside an address are kept.
"""

import pytest

from anonymise.scrub import Scrubber


@pytest.fixture(scope="module")
def scrubber() -> Scrubber:
    return Scrubber(ner=False)


def _out(scrubber: Scrubber, text: str) -> str:
    result = scrubber.scrub(text)
    assert result.text is not None, result.dropped
    return result.text


@pytest.mark.parametrize(
    ("text", "gone"),
    [
        ("Staying at 42 Mill Lane, NE6 now.", "NE6"),
        ("staying at 42 mill lane, ne6 now", "ne6"),
        ("Moved to 8 Station Road, Hull HU3 last week.", "HU3"),
        ("Raid at 5 Kings Road, DY4 7 this morning.", "DY4 7"),
    ],
)
def test_outward_code_after_an_address_is_removed(scrubber: Scrubber, text: str, gone: str) -> None:
    out = _out(scrubber, text)
    assert gone not in out
    assert "<POSTCODE_1>" in out


@pytest.mark.parametrize(
    "text",
    ["She said the area was NE6 and nothing more.", "Stopped on the A12 near the M25 at 10am.",
     "Moved to 8 Station Road, Hull. Seen at 10am."],
)
def test_district_alone_roads_and_times_are_kept(scrubber: Scrubber, text: str) -> None:
    out = _out(scrubber, text)
    assert "POSTCODE" not in out
    for kept in ("NE6", "A12", "M25", "10am"):
        if kept in text:
            assert kept in out
