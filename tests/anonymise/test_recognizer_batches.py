"""A recognizer over a batch finds what it finds one text at a time: find_many gives find's spans in find's order, found_any whether find finds anything, for every recognizer on the dev notes."""

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymise.recognizers import REGISTRY
from anonymise.recognizers.base import Pattern, RecognizerSpec
from anonymise.recognizers.words_gate import text_words

DEV = Path(__file__).resolve().parents[2] / "bench" / "eval" / "dev"


def _dev_notes() -> list[str]:
    return [json.loads(line)["text"] for path in sorted(DEV.glob("*.jsonl")) for line in path.read_text("utf-8").splitlines()]


@pytest.fixture(scope="module")
def notes() -> list[str]:
    texts = _dev_notes()
    assert len(texts) >= 500
    return texts


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_find_many_is_find_of_each_text(name: str, notes: list[str]) -> None:
    spec = REGISTRY[name]
    words = [text_words(t) for t in notes]
    one_at_a_time = [list(spec.find(t, w)) for t, w in zip(notes, words, strict=True)]
    assert one_at_a_time == spec.find_many(notes, words)
    assert [bool(f) for f in one_at_a_time] == spec.found_any(notes, words)


def test_every_recognizer_finds_something_in_the_dev_notes(notes: list[str]) -> None:
    """The comparison above means something only where there are finds to compare."""
    assert REGISTRY
    words = [text_words(t) for t in notes]
    assert all(any(REGISTRY[name].found_any(notes, words)) for name in REGISTRY if name != "coordinate")


_SPEC = RecognizerSpec(
    "NUMBER",
    (Pattern("digits", r"\d{3,}", 0.5), Pattern("labelled", r"ref (\w+)", 0.6, group=1, checked=False), Pattern("x", r"x\d", 0.4)),
    validate=lambda s: not s.startswith("0"),
    gate=r"\d|ref",
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="0123 xref9a", max_size=20), max_size=6))
def test_spans_keep_their_order_and_validation(texts: list[str]) -> None:
    words = [text_words(t) for t in texts]
    assert _SPEC.find_many(texts, words) == [list(_SPEC.find(t, w)) for t, w in zip(texts, words, strict=True)]
    assert _SPEC.found_any(texts, words) == [any(_SPEC.find(t, w)) for t, w in zip(texts, words, strict=True)]


def test_a_rejected_match_is_not_a_find() -> None:
    texts = ["012 x", "ref 0 and 123", "nothing"]
    words = [text_words(t) for t in texts]
    assert [[(s.start, s.end) for s in f] for f in _SPEC.find_many(texts, words)] == [[], [(10, 13), (4, 5)], []]
    assert _SPEC.found_any(texts, words) == [False, True, False]
    assert re.search(r"\d", texts[0])  # the gate lets it through: the validator rejects it
