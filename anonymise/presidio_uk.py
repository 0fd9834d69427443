"""A Presidio AnalyzerEngine configured for the UK: our recognizers, no other countries', never a model download.

The scrubber (:mod:`anonymise.scrub`) runs the same recognizers directly, which is many times
faster; this engine is for teams that already build on Presidio (its anonymizer, its decision
explanations, its batch API). Presidio's default engine is never constructed: it would load
every country's recognizers and try to download ``en_core_web_lg``.
"""

from collections.abc import Sequence
from typing import Any

from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry, RecognizerResult
from presidio_analyzer.nlp_engine import SpacyNlpEngine
from presidio_analyzer.predefined_recognizers import SpacyRecognizer

from anonymise.known import KnownIdentifiers
from anonymise.nlp import DEFAULT_NER_MODEL, load_ner
from anonymise.offline import make_presidio_offline
from anonymise.recognizers import REGISTRY, RecognizerSpec

__all__ = ["KnownRecognizer", "SpecRecognizer", "uk_analyzer"]


class SpecRecognizer(EntityRecognizer):
    """Presidio adapter for one of our recognizer specifications."""

    def __init__(self, name: str, spec: RecognizerSpec) -> None:
        self.spec = spec
        super().__init__(supported_entities=[spec.entity], name=f"msht_{name}", supported_language="en")

    def load(self) -> None:
        self.spec.compiled()

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        if entities and self.spec.entity not in entities:
            return []
        return [
            RecognizerResult(entity_type=s.entity, start=s.start, end=s.end, score=s.score)
            for s in self.spec.find(text)
        ]


class KnownRecognizer(EntityRecognizer):
    """An ad-hoc recognizer for one record's own identifiers (pass it to ``analyze(ad_hoc_recognizers=…)``)."""

    def __init__(self, known: Sequence[str]) -> None:
        self.known = KnownIdentifiers(known)
        entities = ["PERSON", "PHONE", "EMAIL", "POSTCODE", "ADDRESS", "DATE", "ID_NUMBER",
                    *sorted({s.entity for s in REGISTRY.values()})]
        super().__init__(supported_entities=sorted(set(entities)), name="msht_known", supported_language="en")

    def load(self) -> None:
        return None

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        return [
            RecognizerResult(entity_type=s.entity, start=s.start, end=s.end, score=s.score)
            for s in self.known.find(text)
        ]


def uk_analyzer(*, ner: bool = False, model: str = DEFAULT_NER_MODEL) -> AnalyzerEngine:
    """A Presidio engine with only the UK recognizers of :data:`anonymise.recognizers.REGISTRY`.

    :param ner: add Presidio's SpacyRecognizer for PERSON, on the ``ner`` extra's pipeline
        loaded with only its NER component; otherwise a blank English tokenizer (no model).
    :param model: the installed spaCy pipeline to use when ``ner`` is True; never downloaded.
    """
    import spacy

    make_presidio_offline()
    engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": model if ner else "blank_en"}])
    # Set directly, so SpacyNlpEngine.load() (which may download a model) is never called.
    engine.nlp = {"en": load_ner(model) if ner else spacy.blank("en")}  # type: ignore[assignment]
    registry = RecognizerRegistry(supported_languages=["en"])
    for name, spec in REGISTRY.items():
        registry.add_recognizer(SpecRecognizer(name, spec))
    if ner:
        registry.add_recognizer(SpacyRecognizer(supported_entities=["PERSON"]))
    return AnalyzerEngine(registry=registry, nlp_engine=engine, supported_languages=["en"])
