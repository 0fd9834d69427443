"""The runnable examples in the docstrings of the pseudonym and scrubbing modules are true, and their __all__ is honest."""

import doctest
import importlib
import pkgutil

import pytest

import anonymise.recognizers

MODULES = [
    "anonymise.keys", "anonymise.normalise", "anonymise.pseudonymise", "anonymise.offline",
    "anonymise.nlp", "anonymise.known", "anonymise.scrub", "anonymise.lexicon", "anonymise.namewords",
    *(f"anonymise.recognizers.{m.name}" for m in pkgutil.iter_modules(anonymise.recognizers.__path__)),
]
WITHOUT_EXAMPLES = {"anonymise.recognizers.postcode", "anonymise.recognizers.ni_number", "anonymise.recognizers.passport",
                    "anonymise.recognizers.vehicle", "anonymise.recognizers.date", "anonymise.recognizers.address",
                    "anonymise.recognizers.ip_address", "anonymise.recognizers.url", "anonymise.recognizers.coordinate",
                    "anonymise.recognizers.id_number", "anonymise.recognizers.titled_person", "anonymise.recognizers.bank_account",
                    "anonymise.recognizers"}


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    tried = sum(len(test.examples) for test in doctest.DocTestFinder().find(module))  # run by --doctest-modules
    if name not in WITHOUT_EXAMPLES:
        assert tried > 0, f"{name} has no examples"


@pytest.mark.parametrize("name", [m for m in MODULES if m.count(".") == 1] + ["anonymise.recognizers", "anonymise.presidio_uk"])
def test_public_names_exist(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__all__
    assert [attr for attr in module.__all__ if not hasattr(module, attr)] == []


def test_registry_has_one_recognizer_per_module() -> None:
    modules = {m.name for m in pkgutil.iter_modules(anonymise.recognizers.__path__)} - {"base", "keep", "prefilters", "words_gate"}
    assert set(anonymise.recognizers.REGISTRY) == modules
