"""The runnable examples in the docstrings of the location and quasi-identifier modules are true."""

import doctest
import importlib

import pytest

MODULES = ["anonymise.london", "anonymise.geo", "anonymise.generalise", "anonymise.countries", "anonymise.risk"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert tried > 0, f"{name} has no examples"
    assert failures == 0
