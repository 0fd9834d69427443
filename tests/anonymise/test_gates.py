"""Gates rewritten for speed answer as their plain forms did: a text passes the gate exactly when it passed before."""

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymise.recognizers import REGISTRY

DEV = Path(__file__).resolve().parents[2] / "bench" / "eval" / "dev"
PLAIN = {
    "handle": r"@|_|[^\W\d]\.[^\W\d]|[a-z]\d",
    "iban": r"[A-Za-z]{2}\d\d",
    "vehicle": r"[^\W\d_][ -]?\d|\d[ -]?[^\W\d_]",
}
"""Each gate as first written: the letter first, then the digit or dot."""


def _passes(spec_name: str, text: str) -> bool:
    spec = REGISTRY[spec_name]
    spec.compiled()
    return spec._gate[0].search(text) is not None


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_the_gate_is_not_its_plain_form(name: str) -> None:
    assert REGISTRY[name].gate is not None
    assert REGISTRY[name].gate != PLAIN[name]


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_each_gate_passes_the_dev_notes_its_plain_form_passes(name: str) -> None:
    notes = [json.loads(line)["text"] for path in sorted(DEV.glob("*.jsonl")) for line in path.read_text("utf-8").splitlines()]
    assert len(notes) > 500
    plain = re.compile(PLAIN[name])
    passed = [bool(plain.search(n)) for n in notes]
    assert 0 < sum(passed) < len(notes) or name == "handle"
    assert [_passes(name, n) for n in notes] == passed


_PIECES = st.sampled_from(["a", "Z", "é", "_", "@", ".", "-", " ", "  ", "1", "9", "\u0661", "ab", "AB", "x.y", "12", "\n"])


@pytest.mark.parametrize("name", sorted(PLAIN))
@settings(max_examples=500, deadline=None)
@given(text=st.lists(_PIECES, max_size=10).map("".join) | st.text(max_size=12))
def test_each_gate_answers_as_its_plain_form_on_any_text(name: str, text: str) -> None:
    assert _passes(name, text) == bool(re.search(PLAIN[name], text))
