"""`anonymise.__all__` is honest: it lists every name the package offers, each of them exists, and
each is one the hub imports; the hub imports the core through that face only."""

import ast
import types
from pathlib import Path

import anonymise
import hub

HUB = Path(hub.__file__).parent


def _hub_imports() -> tuple[set[str], list[str]]:
    """Names the hub takes ``from anonymise import``, and every import of a submodule instead."""
    through_face: set[str] = set()
    around: list[str] = []
    for path in sorted(HUB.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "anonymise":
                through_face |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("anonymise."):
                around.append(f"{path.relative_to(HUB)}: from {node.module} import …")
            elif isinstance(node, ast.Import):
                around += [f"{path.relative_to(HUB)}: import {a.name}" for a in node.names if a.name.startswith("anonymise")]
    return through_face, around


def test_every_listed_name_exists_once() -> None:
    assert anonymise.__all__
    assert len(set(anonymise.__all__)) == len(anonymise.__all__)
    missing = [name for name in anonymise.__all__ if not hasattr(anonymise, name)]
    assert missing == []


def test_nothing_is_offered_without_being_listed() -> None:
    offered = {
        name for name, value in vars(anonymise).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert offered
    assert offered == set(anonymise.__all__) - {"vocab"}


def test_the_hub_imports_the_core_through_its_face_only() -> None:
    through_face, around = _hub_imports()
    assert through_face
    assert around == [], "import these names from anonymise (add them to anonymise/__init__.py and __all__)"
    assert through_face <= set(anonymise.__all__)


def test_the_face_offers_only_what_the_hub_needs() -> None:
    through_face, _ = _hub_imports()
    assert set(anonymise.__all__) - through_face == set()
