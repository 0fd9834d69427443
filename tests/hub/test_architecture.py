"""The hub's shape holds: no import circle between any two modules, no private name imported
across modules, and only hub/records writes or deletes records and summaries (STYLE rules 13, 15).

The layers themselves (pages > domains > records, auth > models) and circles between sibling
packages are import-linter contracts in pyproject.toml, run by `make lint`.
"""

import ast
import re
from pathlib import Path

import grimp

import hub

PACKAGE = Path(hub.__file__).parent
RECORD_MODELS = ("Incident", "IncidentCode", "Person", "Selector", "Referral", "StatCount", "LinkedPerson")
RECORD_TABLES = ("incidents", "incident_codes", "persons", "selectors", "referrals", "stat_counts", "linked_persons")
_WRITE = re.compile(
    r"\b(insert|delete|update)\(\s*(" + "|".join(RECORD_MODELS) + r")\b"
    r"|\bsession\.add(_all)?\(\s*(" + "|".join(RECORD_MODELS) + r")\("
    r"|\b(" + "|".join(RECORD_MODELS) + r")\.__table__"  # the Table a bulk insert or delete needs
    r"|\b(INSERT INTO|DELETE FROM|UPDATE|COPY)\s+(" + "|".join(RECORD_TABLES) + r")\b",
    re.IGNORECASE,
)


def _cycles(graph: grimp.ImportGraph, modules: set[str]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in sorted(modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root) & modules)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child) & modules))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_circle_between_any_two_hub_modules() -> None:
    graph = grimp.build_graph("hub")
    modules = {m for m in graph.modules if m.startswith("hub")}
    assert len(modules) > 50
    assert _cycles(graph, modules) == []


def test_the_circle_check_finds_a_circle() -> None:
    graph = grimp.ImportGraph()
    for name in ("a", "b", "c", "d"):
        graph.add_module(name)
    graph.add_import(importer="a", imported="b")
    graph.add_import(importer="b", imported="c")
    graph.add_import(importer="c", imported="a")
    graph.add_import(importer="c", imported="d")
    assert _cycles(graph, {"a", "b", "c", "d"}) == [["a", "b", "c"]]


def _private_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("hub"):
            found += [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_") and not a.name.startswith("__")]
    return found


def test_no_private_name_crosses_a_hub_module() -> None:
    modules = sorted(PACKAGE.rglob("*.py"))
    assert len(modules) > 50
    crossing = {str(p.relative_to(PACKAGE)): names for p in modules if (names := _private_imports(p))}
    assert crossing == {}


def _writes(path: Path) -> list[str]:
    return [m.group(0) for m in _WRITE.finditer(path.read_text(encoding="utf-8"))]


def test_only_records_writes_or_deletes_records_and_summaries() -> None:
    owner = PACKAGE / "records"
    assert _writes(owner / "store.py")
    assert _writes(owner / "summaries.py")
    elsewhere = {
        str(p.relative_to(PACKAGE)): found
        for p in sorted(PACKAGE.rglob("*.py"))
        if owner not in p.parents and p.name != "models.py" and (found := _writes(p))
    }
    assert elsewhere == {}


def test_the_write_check_finds_a_write(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "session.execute(delete(Person).where(Person.id == 1))\nsession.add(Incident(id=1))\n"
        "text('DELETE FROM stat_counts')\nsession.execute(select(Person))\nTABLE = Referral.__table__\n",
        encoding="utf-8",
    )
    assert _writes(sample) == ["delete(Person", "session.add(Incident(", "DELETE FROM stat_counts", "Referral.__table__"]
