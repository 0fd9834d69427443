"""The runnable examples in the docstrings of the location and quasi-identifier modules are true."""

import doctest
import importlib

import pytest

MODULES = [
    "anonymise.london", "anonymise.geo", "anonymise.generalise", "anonymise.countries", "anonymise.identifiers",
    "tests.anonymise.kanon_oracle",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    tried = sum(len(test.examples) for test in doctest.DocTestFinder().find(module))  # run by --doctest-modules
    assert tried > 0, f"{name} has no examples"


@pytest.mark.parametrize("name", [*MODULES, "partner_client.demo_data", "partner_client.demo_data.notes"])
def test_public_names_exist(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__all__
    missing = [attr for attr in module.__all__ if not hasattr(module, attr)]
    assert missing == []
