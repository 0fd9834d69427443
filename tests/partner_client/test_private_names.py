"""No module of partner_client imports another module's private name (STYLE rule 15); import circles
are refused by the `acyclic_siblings` contract in pyproject.toml (`lint-imports`)."""

import ast
from pathlib import Path

import partner_client

PACKAGE = Path(partner_client.__file__).parent


def _private_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("partner_client"):
            found += [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
    return found


def test_no_private_name_crosses_a_module() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 20
    assert {p.name for p in (PACKAGE / "prepare").glob("*.py")} >= {"read.py", "row.py", "tables.py", "bundle.py"}
    crossing = {str(p.relative_to(PACKAGE)): names for p in modules if (names := _private_imports(p))}
    assert crossing == {}


def test_the_check_finds_a_private_import(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("from partner_client.prepare.row import _NARRATIVE_AT\nfrom os import _exit\n", encoding="utf-8")
    assert _private_imports(sample) == ["partner_client.prepare.row._NARRATIVE_AT"]
