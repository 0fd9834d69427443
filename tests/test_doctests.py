"""The docstring examples run in every pytest run: pytest collects them from each package, and a
module's examples are never left to a test that runs them by hand (STYLE rule 16)."""

import doctest
import importlib
import pkgutil
import tomllib
from pathlib import Path

import pytest

PACKAGES = ("anonymise", "hub", "partner_client")
ROOT = Path(__file__).resolve().parent.parent


def test_pytest_collects_the_examples_of_every_package() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    assert "--doctest-modules" in config["addopts"].split()
    assert set(PACKAGES) <= set(config["testpaths"])


@pytest.mark.parametrize("package", PACKAGES)
def test_every_package_has_examples_to_collect(package: str) -> None:
    root = importlib.import_module(package)
    modules = [importlib.import_module(m.name) for m in pkgutil.walk_packages(root.__path__, f"{package}.")]
    assert modules
    examples = sum(len(t.examples) for module in modules for t in doctest.DocTestFinder().find(module))
    assert examples > 0, f"{package} has no docstring examples"


def test_no_test_runs_examples_by_hand() -> None:
    by_hand = [p.relative_to(ROOT) for p in ROOT.glob("tests/**/*.py") if "doctest.testmod(" in p.read_text(encoding="utf-8")]
    assert by_hand == [Path("tests/test_doctests.py")]  # this file only names it
