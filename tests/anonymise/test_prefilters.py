"""Prefilters change no match: first-character lookaheads and skip blocks find the same matches, and every match holds the required strings, for every recognizer pattern and for random expressions."""

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anonymise import narrative_check, schema
from anonymise.recognizers import REGISTRY
from anonymise.recognizers.prefilters import (
    _skip_class,
    _with_skip_block,
    alternation,
    compile_prefiltered,
    first_chars,
    prefiltered,
    required_strings,
    searcher,
)

DEV = Path(__file__).resolve().parents[2] / "bench" / "eval" / "dev"
PATTERNS = [(name, p.regex, p.flags) for name, spec in REGISTRY.items() for p in spec.patterns]
PREFILTERED = [(name, regex, flags) for name, regex, flags in PATTERNS if prefiltered(regex, flags) != regex]
REQUIRING = [(name, regex, flags) for name, regex, flags in PATTERNS if required_strings(regex, flags)]


def _matches(regex: re.Pattern[str], text: str) -> list[tuple[tuple[int, int], ...]]:
    return [tuple(m.span(g) for g in range(regex.groups + 1)) for m in regex.finditer(text)]


def _dev_notes() -> list[str]:
    return [json.loads(line)["text"] for path in sorted(DEV.glob("*.jsonl")) for line in path.read_text("utf-8").splitlines()]


def test_most_recognizer_patterns_get_a_prefilter() -> None:
    assert len(PREFILTERED) >= len(PATTERNS) // 2
    assert {"social_name", "address", "business", "age", "titled_person"} <= {name for name, *_ in PREFILTERED}


def test_recognizers_compile_the_expression_with_a_skip_block() -> None:
    spec = REGISTRY["social_name"]
    regex, pattern = spec.compiled()[0]
    assert regex.pattern == pattern.regex  # the expression as written ...
    assert regex is not re.compile(pattern.regex, pattern.flags)  # ... but not the engine's own compilation of it
    skipped = [p for _, spec in REGISTRY.items() for p in spec.patterns if compile_prefiltered(p.regex, p.flags) is not re.compile(p.regex, p.flags)]
    assert len(skipped) >= len(PATTERNS) // 2


def test_every_skip_block_finds_the_same_matches_on_the_dev_notes() -> None:
    notes = _dev_notes()
    assert len(notes) > 500
    found = 0
    for name, regex, flags in PATTERNS:
        before, after = re.compile(regex, flags), compile_prefiltered(regex, flags)
        for note in notes:
            expected = _matches(before, note)
            found += len(expected)
            assert _matches(after, note) == expected, name
    assert found > 1000


@pytest.mark.parametrize(("name", "regex", "flags"), PATTERNS, ids=[f"{n}-{i}" for i, (n, *_) in enumerate(PATTERNS)])
@settings(max_examples=25, deadline=None)
@given(text=st.one_of(st.lists(st.sampled_from(["ſ", "\u212a", "İ", "ı", "é", "Ł", "ł", "ß", "\u0661", "\uff11"]), max_size=3).map("".join), st.just("")).flatmap(
    lambda odd: st.lists(st.sampled_from(["Facebook", "aged 16", "Flat 3", "12b High Road", "07700 900123", "E15 1AA", "@a_b", odd, " ", ". ", "x", "K"]), max_size=15).map("".join)))
def test_every_skip_block_finds_the_same_matches_in_any_text(name: str, regex: str, flags: int, text: str) -> None:
    assert _matches(compile_prefiltered(regex, flags), text) == _matches(re.compile(regex, flags), text)


def test_every_prefilter_finds_the_same_matches_on_the_dev_notes() -> None:
    notes = _dev_notes()
    assert len(notes) > 500
    found = 0
    for name, regex, flags in PREFILTERED:
        before, after = re.compile(regex, flags), re.compile(prefiltered(regex, flags), flags)
        for note in notes:
            expected = _matches(before, note)
            found += len(expected)
            assert _matches(after, note) == expected, name
    assert found > 1000


_PIECES = st.sampled_from([
    "Facebook", "fb", "INSTA", "tik tok", "aged", "Aged 16", " (15) ", "Flat 3", "12b High Road", "road", "St", "Mr", "MRS",
    "Sparkle Nails", "& Sons", "passport", "PP", "07700 900123", "+44", "E15 1AA", "2HG7XK9PL", "DOB", "born", "1999",
    "ſ", "\u212a", "İ", "é", "ß", "\n", "\t", "\u00a0", " ", ", ", ". ", ":", "\"", "“", "”", "'", "’", "@", "_", "-", "/",
    "a", "Z", "0", "9", "x", "X", "is", "was", "seventeen", "twenty-one", "years old", "yo", "next year", "called", "Will",
])
_TEXT = st.lists(_PIECES, max_size=25).map("".join) | st.text(max_size=60)


@pytest.mark.parametrize(("name", "regex", "flags"), PREFILTERED, ids=[f"{n}-{i}" for i, (n, *_) in enumerate(PREFILTERED)])
@settings(max_examples=60, deadline=None)
@given(text=_TEXT)
def test_every_prefilter_finds_the_same_matches_in_any_text(name: str, regex: str, flags: int, text: str) -> None:
    assert _matches(re.compile(prefiltered(regex, flags), flags), text) == _matches(re.compile(regex, flags), text)


# Random expressions from the constructs recognizers use, to test the first-character computation itself.
_ATOMS = st.sampled_from([
    "a", "B", "k", "s", "1", "-", "_", "@", r"\.", " ", "[a-c]", "[XYZ]", "[0-9]", r"\d", r"\s", r"[\w.]", "[Kk]", "ſ", "é",
])
_ZERO = st.sampled_from([r"\b", r"(?<!\w)", r"(?<=[a-z] )", r"(?=[ab])", r"(?!x)", "^", "$", ""])


def _combine(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, children).map("".join),
        st.tuples(children, children).map(lambda p: f"(?:{p[0]}|{p[1]})"),
        children.map(lambda c: f"(?:{c})?"),
        children.map(lambda c: f"(?:{c})+"),
        children.map(lambda c: f"(?:{c}){{0,2}}"),
        children.map(lambda c: f"(?i:{c})"),
        children.map(lambda c: f"(?-i:{c})"),
        children.map(lambda c: f"({c})"),
        st.tuples(_ZERO, children).map("".join),
    )


_REGEX = st.recursive(_ATOMS, _combine, max_leaves=8)
_ALPHABET = st.text(alphabet="aAbBcCkKsSxXyYzZ019-.@ \n_éÉſ\u212aİı", max_size=30)


@settings(max_examples=400, deadline=None)
@given(regex=_REGEX, flags=st.sampled_from([0, re.IGNORECASE]), text=_ALPHABET)
def test_a_prefiltered_random_expression_matches_exactly_what_it_did(regex: str, flags: int, text: str) -> None:
    original = re.compile(regex, flags)
    chars = first_chars(regex, flags)
    if chars is not None:
        first = re.compile(chars, flags)
        for m in original.finditer(text):
            assert m.end() > m.start()  # an expression that can match empty has no first characters
            assert first.match(text, m.start()), (regex, text, m.start())
    # Forced on, whatever the speed heuristics say:
    forced = original if chars is None else re.compile(f"(?={chars})(?:{regex})", flags)
    assert _matches(forced, text) == _matches(original, text)
    assert _matches(re.compile(prefiltered(regex, flags), flags), text) == _matches(original, text)


@settings(max_examples=400, deadline=None)
@given(regex=_REGEX, flags=st.sampled_from([0, re.IGNORECASE]), text=_ALPHABET)
def test_a_random_expression_with_a_skip_block_matches_exactly_what_it_did(regex: str, flags: int, text: str) -> None:
    original = re.compile(regex, flags)
    chars = first_chars(regex, flags)
    if chars is not None:  # forced on, whatever the speed heuristics say
        forced = _with_skip_block(regex, flags, _skip_class(chars))
        if forced is not None:
            assert _matches(forced, text) == _matches(original, text), (regex, text)
    assert _matches(compile_prefiltered(regex, flags), text) == _matches(original, text)


def test_a_skip_block_skips_what_cannot_start_a_match() -> None:
    # The block is a promise, not a check: one naming the wrong characters loses matches, which
    # is why the class must come from first_chars.
    wrong = _with_skip_block(r"\bfb\b", 0, "[x]")
    assert wrong is not None
    assert wrong.search("on fb today") is None
    assert compile_prefiltered(r"\bfb\b").search("on fb today")
    assert _skip_class("(?-i:[f\\d])") == "[f\\d]"
    ignore_case = re.compile(_skip_class("(?i:[k])"))
    assert all(ignore_case.match(c) for c in "kK\u212a")  # the Kelvin sign folds to k


def test_searcher_answers_as_search_does() -> None:
    notes = _dev_notes()
    expressions = [(r"[\w.+-]+@[\w-]+\.[\w.-]+", 0), (r"https?://|www\.", re.IGNORECASE), (r"\b\d{6,}\b", 0)]
    hits = 0
    for regex, flags in expressions:
        search, plain = searcher(regex, flags), re.compile(regex, flags)
        for note in notes:
            expected = plain.search(note)
            hits += expected is not None
            got = search(note)
            assert (got and got.span()) == (expected and expected.span())
    assert hits > 10
    assert schema._NARRATIVE_LEAKS["email"]("write to a@b.org")
    assert not schema._NARRATIVE_LEAKS["email"]("a at b")
    assert narrative_check._SPELLED_EMAIL.pattern.startswith(r"\b[\w.+-]+")


def test_what_gets_no_prefilter() -> None:
    assert first_chars("a?b?") is None  # can match empty
    assert first_chars("[^a]b") is None  # negated class
    assert first_chars(".b") is None
    assert first_chars(r"(a)\1") == "(?-i:[a])"
    assert first_chars(r"(a)?\1") is None  # a back-reference
    assert prefiltered(r"(?x) \b fb  # a comment") == r"(?x) \b fb  # a comment"
    assert prefiltered(r"\b[\w.]+@") == r"\b[\w.]+@"  # filters nothing


def test_the_class_is_case_insensitive_where_the_expression_is() -> None:
    assert first_chars(r"\b(?i:fb)") == "(?i:[f])"
    assert first_chars(r"(?i)\bfb") == "(?i:[f])"
    assert first_chars(r"\bFb") == "(?-i:[F])"
    assert first_chars(r"(?-i:[A-Z])x", re.IGNORECASE) == "(?-i:[A-Z])"
    assert first_chars(r"\b(?:flat\s+)?\d+|\bRoom") == r"(?-i:[f\dR])"
    assert prefiltered(r"(?i)\bpassport") == r"(?i)(?=(?i:[p]))(?:\bpassport)"


def test_some_recognizer_patterns_require_strings() -> None:
    assert len(REQUIRING) >= 10
    assert {"handle", "email", "business", "age"} <= {name for name, *_ in REQUIRING}


def test_every_match_on_the_dev_notes_holds_the_required_strings() -> None:
    notes = _dev_notes()
    checked = 0
    for name, regex, flags in REQUIRING:
        required = required_strings(regex, flags)
        for note in notes:
            for m in re.finditer(regex, note, flags):
                checked += 1
                assert all(r in m[0] for r in required), name
    assert checked > 100


@pytest.mark.parametrize(("name", "regex", "flags"), REQUIRING, ids=[f"{n}-{i}" for i, (n, *_) in enumerate(REQUIRING)])
@settings(max_examples=60, deadline=None)
@given(text=_TEXT)
def test_every_match_in_any_text_holds_the_required_strings(name: str, regex: str, flags: int, text: str) -> None:
    required = required_strings(regex, flags)
    for m in re.finditer(regex, text, flags):
        assert all(r in m[0] for r in required)


@settings(max_examples=400, deadline=None)
@given(regex=_REGEX, flags=st.sampled_from([0, re.IGNORECASE]), text=_ALPHABET)
def test_every_match_of_a_random_expression_holds_its_required_strings(regex: str, flags: int, text: str) -> None:
    required = required_strings(regex, flags)
    for m in re.finditer(regex, text, flags):
        assert all(r in m[0] for r in required), (regex, text, required)


def test_required_strings() -> None:
    assert required_strings(r"ab\bcd") == ("abcd",)  # a zero-width assertion between literals keeps them adjacent
    assert required_strings(r"a(?=x)b") == ("a", "b")
    assert required_strings(r"(?:a_b|c_d)") == ()  # "_" is in both, but not as a string of its own
    assert required_strings(r"(?:x@|y@)") == ()
    assert required_strings(r"(?:@x|@y)") == ("@",)  # the parser takes the common prefix out
    assert required_strings(r"(?i)Sons\b-") == ("-",)  # case-insensitive letters are not required as written
    assert required_strings(r"a?b*c{0,2}") == ()
    assert required_strings(r"(?:ab){2}") == ("ab",)


# alternation(): branches grouped by first character, same matches and same preference.

_BRANCHES = st.lists(st.text(alphabet="abcs ?", min_size=1, max_size=5).filter(lambda b: b[0] in "abcs" and b[1:2] != "?" and "??" not in b), min_size=1, max_size=8)


@settings(max_examples=400, deadline=None)
@given(_BRANCHES, st.text(alphabet="abcsABCS -", max_size=30), st.sampled_from([0, re.IGNORECASE]))
def test_a_grouped_alternation_matches_as_the_plain_one(branches: list[str], text: str, flags: int) -> None:
    plain = re.compile(r"\b(?:" + "|".join(branches) + r")(?:s|\b)", flags)
    grouped = re.compile(r"\b" + alternation(branches) + r"(?:s|\b)", flags)
    assert _matches(grouped, text) == _matches(plain, text)


def test_a_grouped_alternation_keeps_the_branch_order() -> None:
    # "st" before "street": the first branch that lets the rest match wins, as in the plain list.
    assert re.match(alternation(["st", "street"]) + "(r?)", "street").group(1) == "r"
    assert re.match(alternation(["street", "st"]) + "(r?)", "street").group(1) == ""


def test_the_recognizers_word_lists_are_grouped_and_match_as_before() -> None:
    from anonymise.recognizers import address, business

    for regex in (business._TYPE, address._STREET):
        assert regex.startswith("(?:")
    plain_types = "(?:" + "|".join(sorted(business.TYPE_WORDS, key=len, reverse=True)) + ")"
    plain_streets = "(?:" + "|".join(address._STREET_WORDS) + ")"
    for plain, grouped in ((plain_types, business._TYPE), (plain_streets, address._STREET)):
        before, after = re.compile(rf"\b[A-Z]\w+\s+{plain}\b", re.IGNORECASE), re.compile(rf"\b[A-Z]\w+\s+{grouped}\b", re.IGNORECASE)
        for note in _dev_notes():
            assert _matches(after, note) == _matches(before, note)


def test_alternation_refuses_a_branch_it_cannot_group() -> None:
    for bad in ("[Ff]acebook", "(?:new )?account", "a?b", ""):
        with pytest.raises(ValueError):
            alternation([bad])
