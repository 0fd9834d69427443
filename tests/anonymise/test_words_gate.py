"""Word gates skip a pattern only where it cannot match: never a note it would have scrubbed."""

import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymise import narrative_check
from anonymise.recognizers import REGISTRY, RecognizerSpec, address, business
from anonymise.recognizers.base import Pattern
from anonymise.recognizers.words_gate import (
    _alternatives,
    last_words,
    required_last_words,
    text_words,
)

DEV = Path(__file__).resolve().parents[2] / "bench" / "eval" / "dev"
GATED: list[tuple[str, RecognizerSpec, Pattern, frozenset[str]]] = [
    (name, spec, pattern, gate)
    for name, spec in REGISTRY.items()
    for _, pattern in spec.compiled()
    for gate in (pattern.words, spec.words)
    if gate is not None
]


def _dev_notes() -> list[str]:
    return [json.loads(line)["text"] for path in sorted(DEV.glob("*.jsonl")) for line in path.read_text("utf-8").splitlines()]


def _passes(pattern_words: frozenset[str] | None, spec_words: frozenset[str] | None, text: str) -> bool:
    words = text_words(text)
    return all(gate is None or not gate.isdisjoint(words) for gate in (pattern_words, spec_words))


def test_the_heavy_recognizers_are_gated() -> None:
    gated = {name for name, *_ in GATED}
    assert {"business", "address", "social_name", "titled_person", "date"} <= gated


def test_no_gate_skips_a_dev_note_its_pattern_matches() -> None:
    notes = _dev_notes()
    assert len(notes) > 500
    checked = 0
    for name, spec, pattern, _ in GATED:
        regex = next(r for r, p in spec.compiled() if p is pattern)
        for note in notes:
            if regex.search(note) is not None:
                checked += 1
                assert _passes(pattern.words, spec.words, note), (name, pattern.name)
    assert checked > 200  # the patterns did match some notes


def _expansions(regex: str) -> list[str]:
    found = _alternatives(regex, 0)
    assert found is not None
    return found[0]


_GATED_ALTERNATIONS = {
    "business": business._TYPE,
    "street": address._STREET,
}


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from(sorted(_GATED_ALTERNATIONS)),
    index=st.integers(min_value=0, max_value=10_000),
    before=st.sampled_from(["Sparkle ", "12 Kings ", "at Blue Sky ", "FLAT 3, 14 HIGH ", "worked at bright "]),
    after=st.sampled_from(["", ".", ", Stratford", " Ltd", "'s", "\n", " 2"]),
    case=st.sampled_from([str.lower, str.upper, str.title, lambda s: s]),
)
def test_gates_pass_every_match_built_from_the_alternations(kind: str, index: int, before: str, after: str, case: object) -> None:
    strings = _expansions(_GATED_ALTERNATIONS[kind])
    text = before + case(strings[index % len(strings)]) + after  # type: ignore[operator]
    for name, spec, pattern, _ in GATED:
        regex = next(r for r, p in spec.compiled() if p is pattern)
        if regex.search(text) is not None:
            assert _passes(pattern.words, spec.words, text), (name, pattern.name)


def test_expansions_are_what_the_expression_matches() -> None:
    import re

    for regex in _GATED_ALTERNATIONS.values():
        strings = _expansions(regex)
        assert strings
        for string in strings:
            assert re.fullmatch(regex, string, re.IGNORECASE), string


def test_an_expression_it_cannot_enumerate_has_no_gate() -> None:
    assert last_words(r"(?:\d+ road)") is None
    assert last_words(r"(?:road|st)+") is None
    with pytest.raises(ValueError, match="no word gate"):
        required_last_words(r"[A-Z]\w+")


def test_normalise_fast_path_equals_the_full_one_on_every_ascii_character() -> None:
    every = "".join(chr(i) for i in range(128))
    expected = []
    for char in unicodedata.normalize("NFKC", every):
        category = unicodedata.category(char)
        if category in ("Zs", "Zl", "Zp") or char in "\t\n\r\x0b\x0c":
            expected.append(" ")
        elif category != "Cf":
            expected.append(char)
    assert narrative_check.normalise(every) == "".join(expected)
    assert narrative_check.normalise("a\u00a0b\u200bc") == "a bc"  # the slow path still runs for the rest


REGEX_GATED = [(name, spec) for name, spec in REGISTRY.items() if spec.gate is not None]


def test_no_regex_gate_skips_a_dev_note_its_recognizer_finds_something_in() -> None:
    import dataclasses

    notes = _dev_notes()
    assert {"social_name", "phone", "handle"} <= {name for name, _ in REGEX_GATED}
    checked = 0
    for name, spec in REGEX_GATED:
        ungated = dataclasses.replace(spec, gate=None, _compiled=[], _gate=[], _required=[])
        for note in notes:
            if next(iter(ungated.find(note)), None) is not None:
                checked += 1
                assert list(spec.find(note)) == list(ungated.find(note)), name
    assert checked > 500


_SOCIAL_TEXT = st.lists(
    st.sampled_from(["on", "Facebook", "fb", "insta", "TikTok", "X", ":", " as ", " is ", "goes by", "profile name", "group chat",
                     "page", "\"Work Mates\"", "“sunny girl 22”", " ", "Blade", "Line", "via", "from", "Ldn", "22", "(", "-", "\n"]),
    max_size=14,
).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(text=_SOCIAL_TEXT)
def test_the_social_name_gate_skips_no_text_its_patterns_match(text: str) -> None:
    import dataclasses

    spec = REGISTRY["social_name"]
    ungated = dataclasses.replace(spec, gate=None, _compiled=[], _gate=[], _required=[])
    assert list(spec.find(text)) == list(ungated.find(text))


_NUMBER_PIECES = st.lists(
    st.sampled_from(["07700", "900123", "+44", "0044", "(0)", "20", "7946", "0958", "LB68", "XKT", "AB12 CDE", "A123 BCD", "ABC 123D",
                     "reg", "vrm:", "plate", "ſ1", "\u212a9", "1", "2", "3", "a", "B", " ", "-", ".", "(", ")", " no. ", "x"]),
    max_size=10,
)
_NUMBERISH = _NUMBER_PIECES.map("".join) | _NUMBER_PIECES.map(" ".join)


@pytest.mark.parametrize("name", ["phone", "vehicle"])
@settings(max_examples=300, deadline=None)
@given(text=_NUMBERISH)
def test_the_number_gates_skip_no_text_their_patterns_find_something_in(name: str, text: str) -> None:
    import dataclasses

    spec = REGISTRY[name]
    ungated = dataclasses.replace(spec, gate=None, _compiled=[], _gate=[], _required=[])
    assert list(spec.find(text)) == list(ungated.find(text))
