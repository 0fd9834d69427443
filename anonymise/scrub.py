"""Free-text scrubbing: record-aware removal, UK recognizers and spaCy NER, typed numbered placeholders, fail closed.

For each text the scrubber finds (1) every identifier from the record's own columns in any
surface form (:mod:`anonymise.known`), (2) what the UK recognizers match
(:mod:`anonymise.recognizers`), (3) person names from the ``ner`` extra's spaCy pipeline when it
is installed, run once per batch through ``nlp.pipe`` with only its NER component. Overlapping
finds are merged (nothing half-removed), each is replaced with a placeholder numbered
consistently within the record (``<PERSON_1>`` for every form of the same person), and the
result must pass the schema's narrative guard, or the text is dropped with the reason.
"""

import concurrent.futures
import contextlib
import functools
import gc
import multiprocessing
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import TypeAdapter, ValidationError

from anonymise import narrative_check
from anonymise.generalise import age_band
from anonymise.known import FoldedText, KnownIdentifiers
from anonymise.lexicon import lexicon
from anonymise.namewords import CaseStyle, Decision, NameWords, Verdict, WordFind, domain_words
from anonymise.nlp import DEFAULT_NER_MODEL, load_ner, ner_model_installed
from anonymise.normalise import fold
from anonymise.recognizers import REGISTRY, RecognizerSpec
from anonymise.recognizers.base import PRIORITY_NER, Span
from anonymise.recognizers.business import TYPE_TOKENS
from anonymise.recognizers.keep import FUNCTION_WORDS, ORG_WORDS, is_kept, kept_words
from anonymise.recognizers.words_gate import text_words
from anonymise.schema import Narrative

__all__ = ["NER_MISSING_NOTICE", "NER_OFF_NOTICE", "Entity", "ScrubInput", "ScrubResult", "Scrubber", "detect"]

NER_OFF_NOTICE: Final = (
    "name detection is switched off: person names not present in any column may be missed."
)
NER_MISSING_NOTICE: Final = (
    "name detection (the ner extra) is not installed: person names not present in any "
    "column may be missed. Install it with `make install` or `pip install 'msht-hub[ner]'`."
)
_NARRATIVE: Final = TypeAdapter(Narrative)
_MIN_CHUNK: Final = 32
_MAX_CHUNK: Final = 256
_SCAN_CHUNK: Final = 256
"""Texts each recognizer scans in turn before the next recognizer starts (speed only)."""
_NER_BATCH: Final = 64
_POSSESSIVE: Final = re.compile(r"['’]s?$")
_NAME_WORD: Final = re.compile(r"[^\W\d_]+")
_PLACEHOLDER: Final = re.compile(r"<[A-Z_]+_[0-9]+>")
_WORDS: Final = re.compile(r"\w+")
_WORDS_2: Final = re.compile(r"\w{2,}")
_PLACEHOLDER_ENTITIES: Final = {"NER_ORG_AS_PERSON": "PERSON"}
_SENTENCE: Final = re.compile(r"[^.!?\n]+[.!?]*\n?|\n")
_NER_KEEPS: Final = frozenset({"GPE", "LOC", "NORP"})
GUARD_RULES: Final = frozenset({"unknown word", "proper noun"})
"""Entity rules of words removed only because nothing vouched for them: ``<UNKNOWN_n>``, marked in the preview."""
_NAMEISH: Final = frozenset({"PERSON", "UNKNOWN"})
_OUTWARD_AFTER_ADDRESS: Final = re.compile(
    r"[ \t]*,?[ \t]*(?:[A-Z][a-z]+[ \t]+)?([A-Za-z]{1,2}[0-9][A-Za-z0-9]?(?:[ \t][0-9](?![A-Za-z0-9]))?)(?![A-Za-z0-9])"
)
"""A postcode district (or sector) closing an address: "17 Brixton Hill Court, SW2", "Lower Road, ME15 7", "High Street, Leeds LS6"."""


@dataclass(frozen=True, slots=True)
class Entity:
    """A removed identifier: placeholder type and character offsets into the input text."""

    type: str
    start: int
    end: int
    rule: str = ""
    """Why it was removed: ``known``, ``pattern``, ``ner``, ``name list``, ``cue``, or one of
    :data:`GUARD_RULES` (no ordinary word: removed because nothing vouched for it)."""


@dataclass(frozen=True, slots=True)
class ScrubInput:
    """One text to scrub and the identifiers from its record's structured columns."""

    text: str
    known: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class ScrubResult:
    """The scrubbed text (None when dropped), what was removed, and why the text was dropped."""

    text: str | None
    entities: list[Entity] = field(default_factory=list)
    dropped: str | None = None


_WORKER_PARENT: "Scrubber | None" = None


def _scrub_chunk(chunk: list[ScrubInput]) -> list[ScrubResult]:
    if _WORKER_PARENT is None:  # pragma: no cover - set before the pool forks
        raise RuntimeError("scrubber worker started without a parent scrubber")
    return _WORKER_PARENT._scrub_batch(chunk)


def _noop() -> None:
    return None


class Scrubber:
    """Scrubs free text before it may leave a partner.

    :param ner: use the spaCy NER; None uses it when the model is installed, True requires it.
    :param model: the spaCy pipeline package (the ``ner`` extra's by default); never downloaded.
    :param workers: processes for :meth:`scrub_many` on large batches (forked, sharing the
        loaded model); None or 1 scrubs in this process.
    :param recognizers: the recognizers to run, by default the whole UK registry.
    :param words: the fail-closed word pass (:mod:`anonymise.namewords`): every word that is
        not an ordinary English word or domain vocabulary is removed as a possible name.
        Switching it off lets unseen names through; only for comparisons.
    :param business_names: keep business and premises names whole (only when the agreement
        allows them: a named nail bar in a small town can identify the victims who worked there).
        A name from the record's own columns inside one is still removed.

    >>> s = Scrubber(ner=False)
    >>> s.scrub("Anna rang 07700 900123 about Kovács.", known=["Anna Kovacs"]).text
    '<PERSON_1> rang <PHONE_1> about <PERSON_1>.'
    """

    def __init__(
        self,
        *,
        ner: bool | None = None,
        model: str = DEFAULT_NER_MODEL,
        workers: int | None = None,
        recognizers: dict[str, RecognizerSpec] | None = None,
        words: bool = True,
        business_names: bool = False,
    ) -> None:
        if ner is None:
            ner = ner_model_installed(model)
        self._nlp: Any = load_ner(model) if ner else None
        self.model = model
        self._workers = max(1, workers or 1)
        self._recognizers = tuple((REGISTRY if recognizers is None else recognizers).values())
        self._business_names = business_names
        self._words = NameWords(ner_available=self._nlp is not None) if words else None
        for spec in self._recognizers:
            spec.compiled()
        if self._words is not None:
            self._words.warm()
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None

    @property
    def ner_available(self) -> bool:
        return self._nlp is not None

    def warnings(self) -> list[str]:
        """Notices for the user's report (e.g. that NER is not installed)."""
        if self.ner_available:
            return []
        return [NER_OFF_NOTICE if ner_model_installed(self.model) else NER_MISSING_NOTICE]

    def scrub(self, text: str, known: Sequence[str] = ()) -> ScrubResult:
        """Scrub one text; see :meth:`scrub_many`."""
        return self._scrub_batch([ScrubInput(text, tuple(known))])[0]

    def scrub_many(self, items: Sequence[ScrubInput]) -> list[ScrubResult]:
        """Scrub many texts, in order; NER runs once over the whole batch.

        :param items: the texts, each with its record's known identifiers.
        """
        return self.submit_many(items)()

    def submit_many(self, items: Sequence[ScrubInput]) -> Callable[[], list[ScrubResult]]:
        """Start :meth:`scrub_many` on the worker processes and return at once; call the answer for the results.

        The caller can prepare the next batch meanwhile. Without workers the texts are scrubbed
        before this returns.

        :param items: the texts, each with its record's known identifiers.
        """
        items = list(items)
        if self._workers > 1 and len(items) >= 2 * _MIN_CHUNK:
            pool = self._get_pool()
            size = max(_MIN_CHUNK, min(_MAX_CHUNK, -(-len(items) // (4 * self._workers))))
            futures = [pool.submit(_scrub_chunk, items[i : i + size]) for i in range(0, len(items), size)]
            return lambda: [result for future in futures for result in future.result()]
        results = self._scrub_batch(items)
        return lambda: results

    def close(self) -> None:
        """Stop the worker processes, if any were started."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> "Scrubber":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get_pool(self) -> concurrent.futures.ProcessPoolExecutor:
        global _WORKER_PARENT
        if self._pool is None:
            _WORKER_PARENT = self
            context = multiprocessing.get_context("fork")
            self._pool = concurrent.futures.ProcessPoolExecutor(self._workers, mp_context=context)
            # Fork every worker now, while _WORKER_PARENT is this scrubber.
            list(self._pool.map(_noop_wait, range(self._workers)))
        return self._pool

    def _scrub_batch(self, items: Sequence[ScrubInput]) -> list[ScrubResult]:
        with _cycle_collector_paused():
            return self._scrub_batch_now(items)

    def _scrub_batch_now(self, items: Sequence[ScrubInput]) -> list[ScrubResult]:
        found = [f for i in range(0, len(items), _SCAN_CHUNK) for f in self._find_many(items[i : i + _SCAN_CHUNK])]
        if self._nlp is not None:
            self._settle_with_ner(items, found)
        drafts = [self._draft(item, f) for item, f in zip(items, found, strict=True)]
        with narrative_check.precomputed([d.text for d in drafts if isinstance(d, _Draft)]):
            return [self._guard(d) if isinstance(d, _Draft) else d for d in drafts]

    def _find_many(self, items: Sequence[ScrubInput]) -> list["_Found"]:
        """Known identifiers, recognizers and the word pass: everything before NER.

        Each recognizer runs over all the texts before the next one starts (speed only: its compiled
        patterns stay in the processor's caches). Every text's spans are in the same order as when
        the texts are scanned one at a time: known identifiers, then each recognizer's in turn.
        """
        texts = [item.text for item in items]
        live = [i for i, text in enumerate(texts) if isinstance(text, str) and text.strip()]
        knowns = [KnownIdentifiers(items[i].known) for i in live]
        spans = [known.find(texts[i]) for i, known in zip(live, knowns, strict=True)]  # it folds the text only when it has something to find
        live_texts = [texts[i] for i in live]
        words = [text_words(text) for text in live_texts]
        for spec in self._recognizers:
            for found_in, found_now in zip(spans, spec.find_many(live_texts, words), strict=True):
                found_in.extend(found_now)
        found = [_Found(KnownIdentifiers(()), [], None) for _ in items]
        for i, known, found_in in zip(live, knowns, spans, strict=True):
            found[i] = self._settle_words(texts[i], known, found_in)
        return found

    def _settle_words(self, text: str, known: KnownIdentifiers, spans: list[Span]) -> "_Found":
        """The recognizers' finds completed: postcode districts after an address, then the word pass."""
        spans.extend(_outward_after_address(text, spans))
        decision = None
        if self._words is not None:
            decision = self._words.decide(text, [(s.start, s.end) for s in spans if s.entity != "PERSON" or s.key.startswith("known-")])
            spans.extend(_word_span(w) for w in decision.names)
        if self._business_names:
            # Allowed: a business name stays whole, words and all (its words were covered above).
            kept = [(s.start, s.end) for s in spans if s.entity == "BUSINESS"]
            spans = [s for s in spans if s.key.startswith("known-") or not any(a <= s.start and s.end <= b for a, b in kept)]
        return _Found(known, spans, decision)

    def _settle_with_ner(self, items: Sequence[ScrubInput], found: list["_Found"]) -> None:
        """NER only on the sentences that hold a word the cheaper layers left undecided."""
        jobs: list[tuple[int, int, str, list[WordFind]]] = []  # item, sentence start, text, words
        for index, (item, f) in enumerate(zip(items, found, strict=True)):
            if f.decision is None or not f.decision.undecided:
                continue
            text = item.text
            for m in _SENTENCE.finditer(text):
                words = [w for w in f.decision.undecided if m.start() <= w.start < m.end()]
                if words:
                    sentence = m[0]
                    if f.decision.style is not CaseStyle.mixed:
                        sentence = _recase(sentence, m.start(), f.decision)
                    jobs.append((index, m.start(), sentence, words))
        if not jobs:
            return
        docs = self._nlp.pipe([j[2] for j in jobs], batch_size=_NER_BATCH)
        for (index, offset, _, words), doc in zip(jobs, docs, strict=True):
            f = found[index]
            ents = [(offset + e.start_char, offset + e.end_char, e.label_) for e in doc.ents]
            for word in words:
                labels = {label for s, e, label in ents if s < word.end and word.start < e}
                if "PERSON" in labels or (word.verdict is Verdict.proper and not labels & _NER_KEEPS):
                    f.spans.append(_word_span(word, "ner" if "PERSON" in labels else "proper noun"))
            for span in _person_spans(doc):
                f.spans.append(Span(offset + span.start, offset + span.end, span.entity, span.score, span.priority, "", "ner"))

    def _draft(self, item: ScrubInput, found: "_Found") -> "ScrubResult | _Draft":
        """The text with its placeholders, before the narrative guard; a final result when there is nothing to guard."""
        text = item.text
        if not isinstance(text, str):
            return ScrubResult(None, [], "not text")
        if not text.strip():
            return ScrubResult(text, [], None)
        known = found.known
        spans = [_link_to_known(s, text, known) if s.rule == "ner" else s for s in found.spans]
        spans = [s for s in spans if not _kept_person(s, text, known)]
        spans.extend(_repeat_mentions(spans, text, found.decision.style if found.decision else CaseStyle.mixed))
        merged = _merge(spans, text)
        out, entities = _render(text, merged)
        return _Draft(out, entities, known)

    @staticmethod
    def _guard(draft: "_Draft") -> ScrubResult:
        """The schema's narrative guard, then the record's own identifiers: a text failing either is dropped with the reason."""
        out, entities, known = draft.text, draft.entities, draft.known
        try:
            _NARRATIVE.validate_python(out)
        except ValidationError as exc:
            return ScrubResult(None, entities, _reason(exc))
        survivors = known.survivors(_PLACEHOLDER.sub(" ", out))
        if survivors:
            return ScrubResult(None, entities, f"a known {survivors[0].lower()} survived scrubbing")
        return ScrubResult(out, entities, None)


@contextlib.contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a batch is scrubbed (speed only; the answers are the same).

    A batch allocates many short-lived spans, words and matches, each freed by its reference count;
    the collector, triggered by the count of allocations, would walk every tracked object of the
    process (spaCy's included) again and again to find no cycle. It is switched back on after the
    batch only if it was on before, so a caller that turned it off keeps it off, and a thread
    scrubbing beside another at worst scrubs with it on.
    """
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


@dataclass(frozen=True, slots=True)
class _Draft:
    text: str
    entities: list[Entity]
    known: KnownIdentifiers


@dataclass(slots=True)
class _Found:
    known: KnownIdentifiers
    spans: list[Span]
    decision: Decision | None


_WORD_RULES: Final = {Verdict.unknown: "unknown word", Verdict.proper: "proper noun", Verdict.name: "name list"}


def _word_span(word: WordFind, rule: str | None = None) -> Span:
    if rule is None:
        rule = _WORD_RULES.get(word.verdict, "name list")
        if word.verdict is Verdict.name and not word.reason.startswith("in a name list"):
            rule = "cue"
    entity = "UNKNOWN" if rule in GUARD_RULES else "PERSON"
    return Span(word.start, word.end, entity, 0.45, PRIORITY_NER - 1, "", rule)


def _outward_after_address(text: str, spans: Sequence[Span]) -> list[Span]:
    """An outward code right after a found address is part of it; a district named on its own ("lives in SW2") is kept."""
    found = []
    for span in spans:
        if span.entity == "ADDRESS":
            m = _OUTWARD_AFTER_ADDRESS.match(text, span.end)
            if m is not None:
                code = m[1]
                found.append(Span(m.start(1), m.end(1), "POSTCODE", 0.6, 65, re.sub(r"\s", "", code.upper())))
    return found


def _recase(sentence: str, offset: int, decision: Decision) -> str:
    """A sentence of an all-capitals or all-lower-case note written as usual, for NER (same length)."""
    chars = list(sentence.lower())
    for word in [*decision.undecided, *decision.names]:
        i = word.start - offset
        if 0 <= i < len(chars):
            chars[i] = chars[i].upper()
    first = next((k for k, c in enumerate(chars) if c.isalpha()), None)
    if first is not None:
        chars[first] = chars[first].upper()
    recased = "".join(chars)
    return recased if len(recased) == len(sentence) else sentence


@functools.cache
def _detector() -> Scrubber:
    return Scrubber(ner=False)


def detect(text: str, known: Sequence[str] = ()) -> list[Entity]:
    """What the scrubber (without NER) would still remove from ``text``; placeholders are left alone.

    A stable entry point for checks outside the partner client, e.g. the hub re-checking a
    narrative on arrival: an empty answer means nothing identifying was found.

    :param text: any text, scrubbed or not.
    :param known: identifiers from the record's columns, if the caller has them.

    >>> [(e.type, e.rule) for e in detect("<PERSON_1> rang 07700 900123 about Kidane.")]
    [('PHONE', 'pattern'), ('UNKNOWN', 'unknown word')]
    >>> detect("<PERSON_1> was moved to a nail bar in Newham.")
    []
    """
    placeholders = [(m.start(), m.end()) for m in _PLACEHOLDER.finditer(text)]
    return [
        e for e in _detector().scrub(text, known).entities
        if not any(s <= e.start and e.end <= t for s, t in placeholders)
    ]


def _noop_wait(_: int) -> None:
    return _noop()


def _reason(exc: ValidationError) -> str:
    """The validator's rule, never the value."""
    messages = [str(e.get("msg", "invalid")).removeprefix("Value error, ") for e in exc.errors(include_input=False)]
    if any(e.get("type") == "string_too_long" for e in exc.errors(include_input=False)):
        return "longer than 4000 characters after scrubbing"
    return messages[0] if messages else "failed the narrative guard"


def _person_spans(doc: Any) -> list[Span]:
    spans: list[Span] = []
    for ent in doc.ents:
        label = ent.label_
        text = _POSSESSIVE.sub("", ent.text)
        start, end = ent.start_char, ent.start_char + len(text)
        if not text.strip():
            continue
        if label == "PERSON":
            spans.append(Span(start, end, "PERSON", 0.85, PRIORITY_NER, ""))
        elif label in {"ORG", "GPE", "LOC", "FAC"} and _looks_like_name(text):
            # The small English model often tags unfamiliar names as organisations or places.
            spans.append(Span(start, end, "PERSON", 0.5, PRIORITY_NER, ""))
    return spans


def _looks_like_name(text: str) -> bool:
    words = text.split()
    if not 2 <= len(words) <= 3:
        return False
    return all(
        w[:1].isupper() and w[1:].islower() and w.isalpha() and w.lower() not in kept_words() and w.lower() not in ORG_WORDS
        for w in words
    )


def _link_to_known(span: Span, text: str, known: KnownIdentifiers) -> Span:
    for token in _WORDS.findall(FoldedText(text[span.start : span.end]).folded):
        key = known.name_tokens.get(token)
        if key is not None:
            return Span(span.start, span.end, span.entity, span.score, span.priority, key)
    return span


def _kept_person(span: Span, text: str, known: KnownIdentifiers) -> bool:
    """A guessed person name (NER or title heuristic) made only of kept vocabulary."""
    if span.entity != "PERSON" or span.key.startswith("known-person-") or span.rule not in ("", "ner"):
        return False
    return is_kept(text[span.start : span.end])


def _repeat_mentions(spans: Sequence[Span], text: str, style: CaseStyle = CaseStyle.mixed) -> list[Span]:
    """Other mentions of a discovered name's words: "Tomas Jankauskas … Tomas is believed to …", "Stellar Workforce … Stellar paid".

    In a normally written note a word found as a name is matched as written (``Will`` but not
    ``will``); in a note without capitals in any case.
    """
    words: dict[str, tuple[str, str]] = {}
    loose: dict[str, tuple[str, str]] = {}
    """In a normally written note, the folded form of a found word that is no ordinary word: "costel" after "Costel"."""
    domain = domain_words()
    ordinary = lexicon().ordinary
    for span in spans:
        business = span.entity == "BUSINESS"
        if (span.entity in _NAMEISH and not span.key.startswith("known-person-")) or business:
            for word in _NAME_WORD.findall(text[span.start : span.end]):
                lower = fold(word)
                if len(word) >= 3 and lower not in kept_words() and lower not in FUNCTION_WORDS and lower not in domain:
                    if style is CaseStyle.mixed and not word[0].isupper():
                        continue
                    if business and (len(word) < 4 or lower in TYPE_TOKENS):
                        continue  # "Stellar" of "Stellar Workforce" again is the business; "Workforce" is anyone's
                    words.setdefault(word if style is CaseStyle.mixed else lower, (span.entity, span.key))
                    if (
                        style is CaseStyle.mixed and not business and span.rule not in GUARD_RULES and len(lower) >= 4
                        and lower not in ordinary and lower.removesuffix("s") not in ordinary
                    ):  # a name found for a reason (a list, a cue, a pattern), not only because nothing vouched for it
                        loose.setdefault(lower, (span.entity, span.key))
    if not words:
        return []
    found = []
    for m in _NAME_WORD.finditer(text):
        seen = words.get(m[0] if style is CaseStyle.mixed else fold(m[0]))
        if seen is None and loose and not m[0][:1].isupper():
            seen = loose.get(fold(m[0]))
        if seen is not None:
            found.append(Span(m.start(), m.end(), seen[0], 0.6, PRIORITY_NER - 2, seen[1], "repeat"))
    return found


def _merge(spans: Iterable[Span], text: str) -> list[Span]:
    """Union overlapping spans (type of the longest), then join same-person spans split by spaces."""
    ordered = sorted(spans, key=lambda s: (s.start, -s.end))
    groups: list[list[Span]] = []
    group_end = -1
    for span in ordered:
        if groups and span.start < group_end:
            groups[-1].append(span)
            group_end = max(group_end, span.end)
        else:
            groups.append([span])
            group_end = span.end
    merged: list[Span] = []
    for group in groups:
        if len(group) == 1:
            span = group[0]  # what the union below makes of a single span: the same fields
        else:
            start = min(s.start for s in group)
            end = max(s.end for s in group)
            chosen = max(group, key=lambda s: (s.end - s.start, s.priority))
            same = [s for s in group if s.entity == chosen.entity]
            key = max(same, key=lambda s: (s.priority, s.end - s.start)).key
            span = Span(start, end, chosen.entity, chosen.score, chosen.priority, key, chosen.rule)
        if (
            merged
            and merged[-1].entity in _NAMEISH
            and span.entity in _NAMEISH
            and (merged[-1].key == span.key or not span.key or not merged[-1].key)
            and not text[merged[-1].end : span.start].strip()
        ):
            # "Ardita Hoxha": a word nobody vouched for beside a name is part of that name.
            previous = merged.pop()
            entity = "PERSON" if "PERSON" in (previous.entity, span.entity) else "UNKNOWN"
            rule = next((r for r in (previous.rule, span.rule) if entity == "PERSON" and r not in GUARD_RULES), previous.rule or span.rule)
            span = Span(previous.start, span.end, entity, max(previous.score, span.score),
                        max(previous.priority, span.priority), previous.key or span.key, rule)
        merged.append(span)
    return merged


def _render(text: str, spans: list[Span]) -> tuple[str, list[Entity]]:
    """Placeholders numbered per record; an exact age becomes its band (``<AGE_9_17>``).

    A single name word ("Okafor", "Precious") takes the number of the person already named
    with it; a full name takes its own, so a mother and her child who share a surname stay
    two people.
    """
    numbers: dict[str, dict[str, int]] = {}
    person_tokens: dict[str, tuple[str, int]] = {}
    pieces: list[str] = []
    entities: list[Entity] = []
    cursor = 0
    for span in spans:
        entity = _PLACEHOLDER_ENTITIES.get(span.entity, span.entity)
        pieces.append(text[cursor : span.start])
        cursor = span.end
        rule = span.rule or ("known" if span.key.startswith("known-") else "pattern")
        if entity == "AGE":
            entities.append(Entity(entity, span.start, span.end, rule))
            pieces.append(f"<AGE_{_band_label(span.key)}>")
            continue
        key = span.key or FoldedText(text[span.start : span.end]).folded
        tokens = _WORDS_2.findall(FoldedText(text[span.start : span.end]).folded) if entity in _NAMEISH else []
        number = numbers.get(entity, {}).get(key)
        if number is None and len(tokens) == 1 and not span.key.startswith("known-person-") and tokens[0] in person_tokens:
            entity, number = person_tokens[tokens[0]]  # "Ardita" after "Ardita Hoxha": the same person
        table = numbers.setdefault(entity, {})
        if number is None:
            number = len(set(table.values())) + 1
        table[key] = number
        for token in tokens:
            person_tokens.setdefault(token, (entity, number))
        entities.append(Entity(entity, span.start, span.end, rule))
        pieces.append(f"<{entity}_{number}>")
    pieces.append(text[cursor:])
    return "".join(pieces), entities


def _band_label(years: str) -> str:
    band = age_band(int(years)) if years.isdigit() else None
    label = band.value if band is not None else "UNKNOWN"
    return label.replace("-", "_").replace("+", "_PLUS").upper()
