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
import multiprocessing
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from pydantic import TypeAdapter, ValidationError

from anonymise.known import FoldedText, KnownIdentifiers
from anonymise.nlp import DEFAULT_NER_MODEL, load_ner, ner_model_installed
from anonymise.recognizers import REGISTRY, RecognizerSpec
from anonymise.recognizers.base import PRIORITY_NER, Span
from anonymise.recognizers.capitalised_name import FUNCTION_WORDS
from anonymise.recognizers.keep import ORG_WORDS, is_kept, kept_words
from anonymise.schema import Narrative

__all__ = ["NER_MISSING_NOTICE", "NER_OFF_NOTICE", "Entity", "ScrubInput", "ScrubResult", "Scrubber"]

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
_NER_BATCH: Final = 64
_POSSESSIVE: Final = re.compile(r"['’]s?$")
_NAME_WORD: Final = re.compile(r"[^\W\d_]+")
_PLACEHOLDER: Final = re.compile(r"<[A-Z_]+_[0-9]+>")
_PLACEHOLDER_ENTITIES: Final = {"NER_ORG_AS_PERSON": "PERSON"}


@dataclass(frozen=True, slots=True)
class Entity:
    """A removed identifier: placeholder type and character offsets into the input text."""

    type: str
    start: int
    end: int


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
    ) -> None:
        if ner is None:
            ner = ner_model_installed(model)
        self._nlp: Any = load_ner(model) if ner else None
        self.model = model
        self._workers = max(1, workers or 1)
        self._recognizers = tuple((REGISTRY if recognizers is None else recognizers).values())
        for spec in self._recognizers:
            spec.compiled()
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
        texts = [item.text for item in items]
        ner_spans: list[list[Span]] = [[] for _ in items]
        if self._nlp is not None:
            ner_spans = [_person_spans(doc) for doc in self._nlp.pipe(texts, batch_size=_NER_BATCH)]
        return [self._scrub_one(item, extra) for item, extra in zip(items, ner_spans, strict=True)]

    def _scrub_one(self, item: ScrubInput, ner_spans: list[Span]) -> ScrubResult:
        text = item.text
        if not isinstance(text, str):
            return ScrubResult(None, [], "not text")
        if not text.strip():
            return ScrubResult(text, [], None)
        known = KnownIdentifiers(item.known)
        folded = FoldedText(text)
        spans = known.find(text, folded)
        for spec in self._recognizers:
            spans.extend(spec.find(text))
        spans.extend(_link_to_known(s, text, known) for s in ner_spans)
        spans = [s for s in spans if not _kept_person(s, text, known)]
        spans.extend(_repeat_mentions(spans, text))
        merged = _merge(spans, text)
        out, entities = _render(text, merged)
        try:
            _NARRATIVE.validate_python(out)
        except ValidationError as exc:
            return ScrubResult(None, entities, _reason(exc))
        survivors = known.survivors(_PLACEHOLDER.sub(" ", out))
        if survivors:
            return ScrubResult(None, entities, f"a known {survivors[0].lower()} survived scrubbing")
        return ScrubResult(out, entities, None)


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
    for token in re.findall(r"\w+", FoldedText(text[span.start : span.end]).folded):
        key = known.name_tokens.get(token)
        if key is not None:
            return Span(span.start, span.end, span.entity, span.score, span.priority, key)
    return span


def _kept_person(span: Span, text: str, known: KnownIdentifiers) -> bool:
    """A guessed person name (NER or title heuristic) made only of kept vocabulary."""
    if span.entity != "PERSON" or span.key.startswith("known-person-"):
        return False
    return is_kept(text[span.start : span.end])


def _repeat_mentions(spans: Sequence[Span], text: str) -> list[Span]:
    """Other mentions of a discovered name's words: "Tomas Jankauskas … Tomas is believed to …"."""
    words: dict[str, str] = {}
    for span in spans:
        if span.entity == "PERSON" and not span.key.startswith("known-person-"):
            for word in _NAME_WORD.findall(text[span.start : span.end]):
                lower = word.lower()
                if len(word) >= 3 and word[0].isupper() and lower not in kept_words() and lower not in FUNCTION_WORDS:
                    words.setdefault(word, span.key)
    if not words:
        return []
    return [
        Span(m.start(), m.end(), "PERSON", 0.6, PRIORITY_NER, words[m[0]])
        for m in _NAME_WORD.finditer(text)
        if m[0] in words
    ]


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
        start = min(s.start for s in group)
        end = max(s.end for s in group)
        chosen = max(group, key=lambda s: (s.end - s.start, s.priority))
        same = [s for s in group if s.entity == chosen.entity]
        key = max(same, key=lambda s: (s.priority, s.end - s.start)).key
        span = Span(start, end, chosen.entity, chosen.score, chosen.priority, key)
        if (
            merged
            and merged[-1].entity == span.entity == "PERSON"
            and (merged[-1].key == span.key or not span.key or not merged[-1].key)
            and not text[merged[-1].end : span.start].strip()
        ):
            previous = merged.pop()
            span = Span(previous.start, span.end, "PERSON", max(previous.score, span.score),
                        max(previous.priority, span.priority), previous.key or span.key)
        merged.append(span)
    return merged


def _render(text: str, spans: list[Span]) -> tuple[str, list[Entity]]:
    numbers: dict[str, dict[str, int]] = {}
    person_tokens: dict[str, int] = {}
    pieces: list[str] = []
    entities: list[Entity] = []
    cursor = 0
    for span in spans:
        entity = _PLACEHOLDER_ENTITIES.get(span.entity, span.entity)
        table = numbers.setdefault(entity, {})
        key = span.key or FoldedText(text[span.start : span.end]).folded
        number = table.get(key)
        if number is None and entity == "PERSON" and not span.key.startswith("known-person-"):
            tokens = re.findall(r"\w{2,}", FoldedText(text[span.start : span.end]).folded)
            number = next((person_tokens[t] for t in tokens if t in person_tokens), None)
        if number is None:
            number = len(set(table.values())) + 1
        table[key] = number
        if entity == "PERSON":
            for token in re.findall(r"\w{2,}", FoldedText(text[span.start : span.end]).folded):
                person_tokens.setdefault(token, number)
        pieces.append(text[cursor : span.start])
        pieces.append(f"<{entity}_{number}>")
        entities.append(Entity(entity, span.start, span.end))
        cursor = span.end
    pieces.append(text[cursor:])
    return "".join(pieces), entities
