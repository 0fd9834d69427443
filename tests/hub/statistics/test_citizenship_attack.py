"""An intruder combining the CTDC export with the nationality breakdown (issues 12 and 15).

Every potential victim is in one nationality row and in one CTDC cell, so each published
country's row is at least the CTDC cells of that citizenship, and what is left of it sits in
the CTDC's rolled-up cells (a region, "elsewhere"). Albanians exploited in Italy, too few to
show, roll up to the CTDC's top "elsewhere → elsewhere" cell, shown as "fewer than 5"; the
Albanian row of the breakdown minus the CTDC's "Albania → United Kingdom" is a lower bound on
it. Under a rounding base of 1 (an agreement may choose any base from 1) that bound and "fewer
than 5" together narrow the cell to +-1 unless the audit lines the two tables.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pytest
from fastapi.testclient import TestClient

from anonymise import Line, Window, intervals, window
from hub.db import make_engine, make_sessionmaker
from hub.main import create_app
from tests.conftest import make_settings
from tests.factories.accounts import add_user, login
from tests.factories.routes_seed import add_victims
from tests.factories.stats_seed import NEWHAM, add_orgs, demo_agreement_text, load_agreement

QUARTER: Final = "2026-Q1"
MIN, BASE = 5, 1
GROUPS: Final = (
    ("AL", "GB", 12), ("AL", "IT", 4), ("VN", "GB", 8), ("RO", "GB", 7), ("ER", "GB", 9), ("SD", "GB", 6), ("GB", "GB", 10),
)
"""(citizenship, country of exploitation, people): four Albanians exploited in Italy are the small cell."""
TOP: Final = ("elsewhere", "elsewhere")
TRUE: Final = {"ctdc:elsewhere>elsewhere": 4, "nationality:other": 0, "nationality:not_recorded": 0}


@pytest.fixture
def officer(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as s:
        add_orgs(s)
        text = demo_agreement_text()
        assert "rounding_base: 5" in text
        load_agreement(s, text.replace("rounding_base: 5", f"rounding_base: {BASE}"))
        add_victims(s, GROUPS, quarter=QUARTER, gss=NEWHAM)
        add_user(s, "newham.officer", "borough_officer", "lb-newham")
        s.commit()
    app = create_app(make_settings(db_url, tmp_path))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login(client, "newham.officer")
        yield client
    engine.dispose()


def _get(client: TestClient, name: str) -> Any:
    r = client.get(f"/api/v1/stats/{NEWHAM}/{name}", params={"quarter": QUARTER})
    assert r.status_code == 200, r.text
    return r.json()


class Intruder:
    """Cells as variables, what each published figure says about it, and the additive lines."""

    def __init__(self) -> None:
        self.windows: list[Window] = []
        self.lines: list[Line] = []
        self.names: list[str] = []
        self.small: list[int] = []

    def cell(self, name: str, figure: dict[str, Any] | None = None) -> int:
        self.names.append(name)
        status = "free" if figure is None else ("shown" if figure["suppressed"] is None else figure["suppressed"])
        value = None if figure is None else figure["value"]
        self.windows.append(window(value, status, min_count=MIN, rounding_base=BASE))
        if status == "small":
            self.small.append(len(self.names) - 1)
        return len(self.names) - 1

    def line(self, members: list[int], total: int) -> None:
        self.lines.append(Line(tuple(members), total))


def attack(nationality: dict[str, Any], ctdc: dict[str, Any]) -> dict[str, Window]:
    """What the two published tables say together about each small cell: the nationality rows
    and the CTDC cells are two partitions of the same people, lined through a free count of the
    people of each nationality row in each CTDC cell (zero where the CTDC cell names another
    citizenship; a rolled-up cell may hold anyone)."""
    x = Intruder()
    total = x.cell("total", nationality["total"])
    assert ctdc["total"]["value"] == nationality["total"]["value"], "both count the scope's potential victims"
    rows = {f["key"]: x.cell(f"nationality:{f['key']}", f) for f in nationality["rows"]}
    cells = {(r["citizenship"], r["country_of_exploitation"]): x.cell(f"ctdc:{r['citizenship']}>{r['country_of_exploitation']}", r["figure"])
             for r in ctdc["rows"]}
    x.line(list(rows.values()), total)
    x.line(list(cells.values()), total)
    shares: dict[tuple[str, tuple[str, str]], int] = {}
    for citizenship, exploited in cells:
        finer = len(citizenship) == 2 and citizenship.isupper()
        for row in rows:
            if finer and row != (citizenship if citizenship in rows else "other"):
                continue
            shares[(row, (citizenship, exploited))] = x.cell(f"share:{row}:{citizenship}>{exploited}")
    for row, r in rows.items():
        x.line([s for (k, _), s in shares.items() if k == row], r)
    for key, c in cells.items():
        x.line([s for (_, k), s in shares.items() if k == key], c)
    found = intervals(x.windows, x.lines, x.small)
    return {x.names[i]: w for i, w in found.items()}


def _narrow(w: Window) -> bool:
    return w[1] is not None and w[1] - w[0] <= 2


def test_the_ctdc_export_and_the_nationality_breakdown_together_narrow_no_small_cell(officer: TestClient) -> None:
    breakdowns = _get(officer, "breakdowns")
    nationality = next(t for t in breakdowns["tables"] if t["id"] == "nationality")
    ctdc = _get(officer, "ctdc")
    assert breakdowns["privacy"]["rounding_base"] == BASE
    # the set-up: Albania's row is published, its Italian share is rolled up to the top cell, shown small or hidden
    shown = {f["key"]: f for f in nationality["rows"]}
    assert (shown["AL"]["value"] or 0) >= 15
    top = next(r["figure"] for r in ctdc["rows"] if (r["citizenship"], r["country_of_exploitation"]) == TOP)
    assert top["value"] is None
    assert not [r for r in ctdc["rows"] if r["country_of_exploitation"] == "IT"], "four people in Italy: rolled up"
    found = attack(nationality, ctdc)
    assert found, "there are small cells to attack"
    assert "ctdc:elsewhere>elsewhere" in found or top["suppressed"] == "protected"
    for name, w in found.items():  # the intruder is right: every interval holds the true count
        assert w[0] <= TRUE.get(name, w[0]) <= (w[1] if w[1] is not None else w[0]), name
    assert {name: w for name, w in found.items() if _narrow(w)} == {}
