"""What a recognizer is: named regex patterns as data, an optional validator, and the spans they find."""

import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final

from anonymise.recognizers.prefilters import compile_prefiltered, required_strings
from anonymise.recognizers.words_gate import text_words

_COMPILING: Final = threading.Lock()

__all__ = ["Pattern", "RecognizerSpec", "Span"]

PRIORITY_KNOWN: Final = 100
"""Identifiers from the record's own columns outrank every pattern."""
PRIORITY_NER: Final = 10
_NON_WORD: Final = re.compile(r"\W+")
_Step = tuple[
    Callable[[str], Iterator["re.Match[str]"]], int, frozenset[str] | None, tuple[str, ...], bool, float
]
"""One pattern as :meth:`RecognizerSpec.find` runs it: finditer, group, word gate, required strings, validated, score."""
_Plan = tuple[frozenset[str] | None, Callable[[str], "re.Match[str] | None"] | None, bool, tuple[_Step, ...]]


@dataclass(frozen=True, slots=True)
class Pattern:
    """One regular expression of a recognizer.

    :param name: what it matches, for explanations.
    :param regex: the expression; ``group`` selects the part to redact (e.g. the number after
        the word "passport").
    :param score: confidence of a match that passes validation, 0–1.
    """

    name: str
    regex: str
    score: float
    group: int = 0
    flags: int = 0
    checked: bool = True
    """Whether the recognizer's validator judges the match; False when the pattern's own context
    (a label before the redacted group, such as "CAD" or "Log") already decides it."""
    words: frozenset[str] | None = None
    """A word gate (speed only): a match always holds one of these case-folded words as a whole
    word (:func:`anonymise.recognizers.words_gate.text_words`), so a text without any is skipped.
    Derive it from the pattern's own expression (:mod:`~anonymise.recognizers.words_gate`)."""


@dataclass(frozen=True, slots=True)
class Span:
    """A found identifier: character offsets into the scanned text, placeholder type, identity key."""

    start: int
    end: int
    entity: str
    score: float = 1.0
    priority: int = 0
    key: str = ""
    """Spans with the same entity and key get the same placeholder number within a record."""
    rule: str = ""
    """Why it was found (shown in the preview); empty for a recognizer pattern or a known identifier."""


@dataclass(frozen=True)
class RecognizerSpec:
    """A recognizer: its placeholder entity type, patterns, validator and Presidio equivalent.

    :param entity: the placeholder type (``PHONE`` → ``<PHONE_1>``).
    :param patterns: the regular expressions, as data.
    :param validate: called with the matched text; a False answer drops the match.
    :param normalise: identity key of a match, so ``07700 900123`` and ``07700900123`` share
        a placeholder number.
    :param presidio_entities: the entity names Presidio uses for the same thing (for the benchmark).
    """

    entity: str
    patterns: tuple[Pattern, ...]
    validate: Callable[[str], bool] | None = None
    normalise: Callable[[str], str] | None = None
    priority: int = 50
    presidio_entities: tuple[str, ...] = ()
    context: tuple[str, ...] = ()
    rescore: Callable[[str], float] | None = None
    """Replaces the pattern's score for a validated match (e.g. by a public-suffix check)."""
    gate: str | None = None
    """A cheap regular expression every match needs somewhere in the text; without it the
    patterns are not run at all (speed only: it must never reject a text a pattern would match)."""
    words: frozenset[str] | None = None
    """A word gate for every pattern of the recognizer, as :attr:`Pattern.words`."""
    _compiled: list[tuple[re.Pattern[str], Pattern]] = field(default_factory=list, repr=False, compare=False)
    _gate: list[re.Pattern[str]] = field(default_factory=list, repr=False, compare=False)
    _required: list[tuple[str, ...]] = field(default_factory=list, repr=False, compare=False)
    """Per pattern, strings every match contains (:func:`~anonymise.recognizers.prefilters.required_strings`)."""
    _plan: list["_Plan"] = field(default_factory=list, repr=False, compare=False)
    """What :meth:`find` runs, prepared once from the compiled patterns (speed only: the same checks in the same order)."""

    def compiled(self) -> list[tuple[re.Pattern[str], Pattern]]:
        """The patterns compiled once, under a lock: two threads scrubbing at once (two uploads in
        one hub process) must not both fill the lists. ``_compiled`` is filled last, in one step,
        so a thread that sees it filled sees ``_required`` and ``_gate`` complete."""
        if not self._compiled:
            with _COMPILING:
                if not self._compiled:
                    required = [required_strings(p.regex, p.flags) for p in self.patterns]
                    compiled = [(compile_prefiltered(p.regex, p.flags), p) for p in self.patterns]
                    if self.gate is not None:
                        self._gate.append(compile_prefiltered(self.gate))
                    self._required.extend(required)
                    self._compiled.extend(compiled)
        return self._compiled

    def _make_plan(self) -> "_Plan":
        compiled = self._compiled or self.compiled()
        with _COMPILING:
            if not self._plan:
                steps = tuple(
                    (regex.finditer, pattern.group, pattern.words, required, self.validate is not None and pattern.checked, pattern.score)
                    for (regex, pattern), required in zip(compiled, self._required, strict=True)
                )
                needs_words = self.words is not None or any(p.words is not None for _, p in compiled)
                gate = self._gate[0].search if self._gate else None
                self._plan.append((self.words, gate, needs_words, steps))
        return self._plan[0]

    def find(self, text: str, words: frozenset[str] | None = None) -> Iterator[Span]:
        """Every validated match in ``text``; ``words`` is :func:`text_words` of it, when the caller has it.

        >>> spec = RecognizerSpec("NUMBER", (Pattern("digits", r"\\d{3}", 0.5),), validate=lambda s: s != "000")
        >>> [(s.start, s.end) for s in spec.find("a 123 000 456")]
        [(2, 5), (10, 13)]
        """
        plan = self._plan[0] if self._plan else self._make_plan()
        spec_words, gate, needs_words, steps = plan
        if words is None and needs_words:
            words = text_words(text)
        if spec_words is not None and words is not None and spec_words.isdisjoint(words):
            return
        if gate is not None and gate(text) is None:
            return
        validate, normalise, rescore = self.validate, self.normalise, self.rescore
        entity, priority = self.entity, self.priority
        for finditer, group, gate_words, required, checked, pattern_score in steps:
            if gate_words is not None and words is not None and gate_words.isdisjoint(words):
                continue
            if required and not all(string in text for string in required):
                continue
            for match in finditer(text):
                start, end = match.span(group)
                if start == end:
                    continue
                matched = text[start:end]
                if checked and not validate(matched):  # type: ignore[misc]  # checked only with a validator
                    continue
                key = normalise(matched) if normalise else _NON_WORD.sub("", matched.casefold())
                score = rescore(matched) if rescore else pattern_score
                yield Span(start, end, entity, score, priority, key)

    def find_many(self, texts: Sequence[str], words: Sequence[frozenset[str]]) -> list[list[Span]]:
        """:meth:`find` of each text (``words[i]`` is :func:`text_words` of ``texts[i]``), each pattern over
        every text before the next (speed only: the same spans in the same order for each text).

        >>> spec = RecognizerSpec("NUMBER", (Pattern("digits", r"\\d{3}", 0.5), Pattern("x", r"x\\d", 0.5)))
        >>> [[(s.start, s.end) for s in found] for found in spec.find_many(["123 x4", "no"], [frozenset(), frozenset()])]
        [[(0, 3), (4, 6)], []]
        """
        found: list[list[Span]] = [[] for _ in texts]
        for (finditer, group, checked, pattern_score), todo in self._runs(texts, words):
            validate, normalise, rescore = self.validate, self.normalise, self.rescore
            entity, priority = self.entity, self.priority
            for i in todo:
                text = texts[i]
                spans = found[i]
                for match in finditer(text):
                    start, end = match.span(group)
                    if start == end:
                        continue
                    matched = text[start:end]
                    if checked and not validate(matched):  # type: ignore[misc]  # checked only with a validator
                        continue
                    key = normalise(matched) if normalise else _NON_WORD.sub("", matched.casefold())
                    score = rescore(matched) if rescore else pattern_score
                    spans.append(Span(start, end, entity, score, priority, key))
        return found

    def found_any(self, texts: Sequence[str], words: Sequence[frozenset[str]]) -> list[bool]:
        """Whether :meth:`find` finds anything in each text (``words`` as for :meth:`find_many`; speed only).

        >>> spec = RecognizerSpec("NUMBER", (Pattern("digits", r"\\d{3}", 0.5),), validate=lambda s: s != "000")
        >>> spec.found_any(["a 000", "a 000 123", "none"], [frozenset()] * 3)
        [False, True, False]
        """
        answers = [False] * len(texts)
        validate = self.validate
        for (finditer, group, checked, _score), todo in self._runs(texts, words, answers):
            for i in todo:
                if answers[i]:
                    continue  # found by an earlier pattern
                text = texts[i]
                for match in finditer(text):
                    start, end = match.span(group)
                    if start != end and (not checked or validate(text[start:end])):  # type: ignore[misc]  # checked only with a validator
                        answers[i] = True
                        break
        return answers

    def _runs(
        self, texts: Sequence[str], words: Sequence[frozenset[str]], skip: list[bool] | None = None
    ) -> Iterator[tuple[tuple[Callable[[str], Iterator["re.Match[str]"]], int, bool, float], list[int]]]:
        """Each pattern, in order, with the texts :meth:`find` would scan with it (the same gates)."""
        plan = self._plan[0] if self._plan else self._make_plan()
        spec_words, gate, _needs_words, steps = plan
        live = [
            i for i in range(len(texts))
            if not (spec_words is not None and spec_words.isdisjoint(words[i])) and not (gate is not None and gate(texts[i]) is None)
        ]
        for finditer, group, gate_words, required, checked, pattern_score in steps:
            todo = [
                i for i in live
                if not (skip is not None and skip[i])
                and not (gate_words is not None and gate_words.isdisjoint(words[i]))
                and not (required and not all(string in texts[i] for string in required))
            ]
            if todo:
                yield (finditer, group, checked, pattern_score), todo
