"""Issue 12, item 2: the channels test_one_value_per_cell.py does not reach show the same perturbed cells.

A seeded hub with routes and a premises register (the ``routed`` fixture of tests/hub/statistics/conftest.py):
Newham's officer and a London analyst. Each figure of the routes, CTDC, repeat-people, coverage,
premises ("where to look") and borough-comparison answers is compared with the same cell in its
CSV export, its dashboard page (server-rendered: each cell carries ``data-value`` and
``data-display``) and the PDF report (read back with pdftotext); a borough's row in the London
comparison with that borough's own headline. A channel that computed a figure from a true count,
rounded it again or took it from another cell shows another value for some cell here.
"""

import csv
import io
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hub.main import create_app
from hub.pages.report_pdf import TOP_AREAS
from tests.conftest import make_settings
from tests.factories.accounts import login
from tests.factories.stats_seed import NEWHAM

QUARTER = "2026-Q1"
TOWER_HAMLETS = "E09000030"
Cell = tuple[str, str]  # display, value ("" when hidden)


@pytest.fixture
def client(routed: sessionmaker[Session], db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(db_url, tmp_path)), base_url="http://127.0.0.1") as c:
        yield c


def _as(client: TestClient, user: str) -> TestClient:
    client.cookies.clear()
    login(client, user)
    return client


def _get(client: TestClient, path: str, **params: str) -> Any:
    r = client.get(path, params=params)
    assert r.status_code == 200, path
    return r


def _cell(f: dict[str, Any]) -> Cell:
    return (f["display"], "" if f["value"] is None else str(f["value"]))


def _html(client: TestClient, path: str, **params: str) -> str:
    text: str = _get(client, path, **params).text
    return text.replace("&#39;", "'").replace("&amp;", "&").replace("&gt;", ">").replace("&lt;", "<")


def _table_html(html: str, table_id: str) -> str:
    found = re.search(rf'<table[^>]*id="{re.escape(table_id)}".*?</table>', html, flags=re.DOTALL)
    assert found, table_id
    return found.group(0)


NUM = re.compile(r'<td class="num[^"]*" data-value="([^"]*)" data-display="([^"]*)">([^<]*)</td>')


def _cells(fragment: str) -> list[Cell]:
    found = NUM.findall(fragment)
    assert all(text.strip() == display for _, display, text in found)  # what the reader sees is the display
    return [(display, value) for value, display, _ in found]


def _csv(client: TestClient, path: str, **params: str) -> list[dict[str, str]]:
    r = _get(client, path, **params)
    assert r.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(r.text)))


def _shown(cells: list[Cell]) -> int:
    return sum(value not in ("", "0") for _, value in cells)


@pytest.mark.parametrize(("user", "scope"), [("newham.officer", NEWHAM), ("analyst", "london")])
def test_every_route_and_ctdc_figure_in_the_csv_and_on_the_page_equals_the_json_cell(client: TestClient, user: str, scope: str) -> None:
    """Control (mutation-checked): the routes CSV writing a flow's value + 1, or the routes page
    showing another flow's figure, fails here."""
    c = _as(client, user)
    compared = 0
    for direction in ("in", "out"):
        body = _get(c, f"/api/v1/stats/{scope}/routes", quarter=QUARTER, direction=direction).json()
        table = body["table"]
        by_key = {f["key"]: _cell(f) for f in table["rows"]}
        assert len(by_key) == len(table["rows"])
        assert {f["figure"]["key"]: _cell(f["figure"]) for f in body["flows"]} == by_key  # the drawn flows
        rows = _csv(c, f"/api/v1/stats/{scope}/routes.csv", quarter=QUARTER, direction=direction)
        exported = {f"{r['origin']}|{r['transit']}|{r['destination']}": (r["figure"], r["value"]) for r in rows}
        assert exported.pop("total||total") == _cell(table["total"])
        assert exported == by_key, direction
        page = _table_html(_html(c, f"/dashboard/{scope}/routes", quarter=QUARTER, direction=direction), "tbl-routes")
        drawn = dict(zip(re.findall(r'<tr data-flow="([^"]*)">', page), _cells(page), strict=False))
        assert drawn == by_key, direction
        assert _cells(page)[-1] == _cell(table["total"])
        compared += _shown(list(by_key.values()))
    assert compared >= 4, "route figures to compare"

    ctdc = _get(c, f"/api/v1/stats/{scope}/ctdc", quarter=QUARTER).json()
    cells = {f"{r['citizenship']}|{r['country_of_exploitation']}": _cell(r["figure"]) for r in ctdc["rows"]}
    assert _shown(list(cells.values())) >= 3, "CTDC figures to compare"
    rows = _csv(c, f"/api/v1/stats/{scope}/ctdc.csv", quarter=QUARTER)
    exported = {f"{r['citizenship']}|{r['CountryOfExploitation']}": (r["figure"], r["value"]) for r in rows}
    assert exported.pop("total|total", None) in (None, _cell(ctdc["total"]))
    assert exported == cells


@pytest.mark.parametrize(("user", "scope"), [("newham.officer", NEWHAM), ("analyst", "london")])
def test_every_repeat_and_coverage_figure_on_its_page_equals_the_json(client: TestClient, user: str, scope: str) -> None:
    """Control (mutation-checked): the coverage page showing a share 5 points off fails here."""
    c = _as(client, user)
    repeats = _get(c, f"/api/v1/stats/{scope}/repeats").json()
    rows = [_cell(f) for f in repeats["table"]["rows"]]
    assert rows, "repeat figures"
    assert _cells(_table_html(_html(c, f"/dashboard/{scope}/repeats"), "tbl-repeats")) == rows

    coverage = _get(c, f"/api/v1/stats/{scope}/coverage").json()
    html = _html(c, f"/dashboard/{scope}/coverage")
    compared = 0
    for part, table_id in (("pooled", "tbl-pooled"), ("own", "tbl-own")):
        shares = [(s["display"], "" if s["percent"] is None else str(s["percent"])) for s in coverage.get(part) or []]
        if not shares:
            assert table_id not in html
            continue
        assert _cells(_table_html(html, table_id)) == shares, part
        compared += sum(v != "" for _, v in shares)
    assert compared >= 10, "coverage shares to compare"


def test_where_to_look_page_and_csv_show_the_premises_cells_the_breakdowns_publish(client: TestClient) -> None:
    """Each (premises type, borough) incident figure on the page and in the CSV is the answer's,
    and the answer's is the borough's own Premises breakdown cell. Control (mutation-checked):
    the CSV writing a value + 1 fails here."""
    c = _as(client, "analyst")
    answer = _get(c, "/api/v1/stats/london/premises", quarter=QUARTER).json()
    rankings = answer["rankings"]
    assert rankings, "premises types"
    expected = {(r["premises_type"], a["area"]): _cell(a["incidents"]) for r in rankings for a in r["areas"]}
    expected |= {(r["premises_type"], "london"): _cell(r["london"]["incidents"]) for r in rankings if r["london"]}
    assert _shown(list(expected.values())) >= 1, "a shown premises figure to compare"
    assert sum(v == "" for _, v in expected.values()) >= 2, "hidden premises figures to compare"

    exported = {(r["premises_type"], r["area"]): (r["incidents"], r["incidents_value"]) for r in _csv(c, "/api/v1/stats/london/premises.csv", quarter=QUARTER)}
    assert {k: v for k, v in exported.items() if k[1] != "london"} == {k: v for k, v in expected.items() if k[1] != "london"}
    assert all(exported[k] == v for k, v in expected.items() if k in exported)

    html = _html(c, "/dashboard/london/where-to-look", quarter=QUARTER)
    drawn = [r for r in rankings if r["areas"]]  # a type no borough's register lists has no table
    assert drawn, "premises tables"
    for r in drawn:
        table = _table_html(html, f"tbl-premises-{r['premises_type']}")
        on_page = {area: _cells(row)[0] for area, row in re.findall(r'<tr data-area="([^"]*)">(.*?)</tr>', table, flags=re.DOTALL)}
        assert on_page == {area: v for (kind, area), v in expected.items() if kind == r["premises_type"]}, r["premises_type"]

    for area in {a["area"] for r in rankings for a in r["areas"]} | {"london"}:
        tables = _get(c, f"/api/v1/stats/{area}/breakdowns", quarter=QUARTER).json()["tables"]
        published = {f["key"]: _cell(f) for f in next(t for t in tables if t["id"] == "premises_type")["rows"]}
        for (kind, where), cell in expected.items():
            if where == area:
                assert published[kind] == cell, (kind, area)


def test_a_boroughs_row_in_the_london_comparison_is_its_own_headline_everywhere(client: TestClient) -> None:
    """The analyst's London comparison (JSON, CSV, page): each borough's incidents and potential
    victims equal that borough's own overview headlines for the quarter, and the previous quarter's
    incidents its headline then. Control (mutation-checked): the comparison counting incidents
    from the true count, rounded, fails here."""
    c = _as(client, "analyst")
    comparison = _get(c, "/api/v1/stats/london/boroughs", quarter=QUARTER).json()
    rows = {r["gss_code"]: r for r in comparison["rows"]}
    checked = [g for g in (NEWHAM, TOWER_HAMLETS) if g in rows]
    assert checked, "boroughs with records"
    assert any(rows[g]["incidents"]["value"] not in (None, 0) for g in checked), "a shown figure to compare"
    exported = {r["gss_code"]: r for r in _csv(c, "/api/v1/stats/london/boroughs.csv", quarter=QUARTER)}
    page = _table_html(_html(c, "/dashboard/london/boroughs", quarter=QUARTER), "tbl-boroughs")
    for gss in checked:
        row = rows[gss]
        for quarter, field, key in ((QUARTER, "incidents", "incidents"), (QUARTER, "potential_victims", "potential_victims"), (comparison["previous_quarter"], "previous", "incidents")):
            headlines = _get(c, f"/api/v1/stats/{gss}/overview", quarter=quarter).json()["headlines"]
            own = next(h["figure"] for h in headlines if h["key"] == key)
            assert _cell(row[field]) == _cell(own), (gss, field)
        line = exported[gss]
        assert (line["incidents_figure"], line["incidents_value"]) == _cell(row["incidents"])
        assert (line["potential_victims_figure"], line["potential_victims_value"]) == _cell(row["potential_victims"])
        found = re.search(rf'<tr data-row><th scope="row"><a href="/dashboard/{gss}">.*?</tr>', page, flags=re.DOTALL)
        assert found, gss
        shown = [re.sub(r"<[^>]+>", "", td).strip() for td in re.findall(r"<td[^>]*>.*?</td>", found.group(0), flags=re.DOTALL)]
        assert shown[:3] == [row["incidents"]["display"], row["previous"]["display"], row["potential_victims"]["display"]], gss


PAGE_FURNITURE = re.compile(r"OFFICIAL-SENSITIVE|Page \d+ of \d+$")


def _pdf_text(client: TestClient, scope: str, tmp_path: Path) -> str:
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(_get(client, f"/api/v1/stats/{scope}/report.pdf", quarter=QUARTER).content)
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout


def _pdf_rows(text: str, after: str, head: str, n: int) -> list[tuple[str, str]]:
    """The first ``n`` (label, last column) rows of the table headed ``head`` below the line
    starting ``after``. A line straight after a row that is not a row itself goes on that row: a
    wrapped label, or a wrapped figure when it starts under the figure."""
    lines = [line for line in text.splitlines() if not PAGE_FURNITURE.search(line.strip()) and not line.strip().startswith("Modern slavery:")]
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(after))
    i = next(j for j in range(start, len(lines)) if re.match(rf"^{re.escape(head)}(\s{{2,}}|$)", lines[j].strip()))
    rows: list[list[str]] = []
    column = 0  # where the last row's figure starts
    following = False  # the line before was a row or went on one
    for line in lines[i + 1 :]:
        found = re.match(r"^(\s*)(\S.*?\S|\S)\s{2,}(?:.*\s{2,})?(\S.*?)\s*$", line)
        indent = len(line) - len(line.lstrip())
        if found and found.group(2) == head:
            following = False  # the heading again, over a page break
        elif found and len(rows) < n:
            rows.append([found.group(2), found.group(3)])
            column, following = line.rindex(found.group(3)), True
        elif line.strip() and following and indent >= column - 12:
            rows[-1][1] += " " + line.strip()  # the figure went on over a second line
        elif line.strip() and following and len(rows) < n:
            rows[-1][0] += " " + line.strip()  # the label went on over a second line
        elif rows and (len(rows) == n or line.strip()):
            break
    assert len(rows) == n, (after, rows)
    return [(label, figure) for label, figure in rows]


def test_every_route_hotspot_repeat_and_coverage_figure_in_the_pdf_equals_the_json_cell(client: TestClient, tmp_path: Path) -> None:
    """Newham's officer's report read back with pdftotext: the routes table, the hotspot area
    table, the repeat-people table and the coverage shares equal the JSON answers. Control
    (mutation-checked): the report printing a route's figure + 5 fails here."""
    c = _as(client, "newham.officer")
    text = _pdf_text(c, NEWHAM, tmp_path)

    routes = _get(c, f"/api/v1/stats/{NEWHAM}/routes", quarter=QUARTER).json()["table"]
    shown = [f for f in routes["rows"] if f["value"] != 0 or f["suppressed"]]
    assert _shown([_cell(f) for f in shown]) >= 3, "route figures to compare"
    printed = _pdf_rows(text, "Routes (", "Category", len(shown) + 1)
    assert [(label.replace("->", "→"), figure) for label, figure in printed] == [(f["label"], f["display"]) for f in [*shown, routes["total"]]]

    hotspots = _get(c, f"/api/v1/stats/{NEWHAM}/hotspots", quarter=QUARTER).json()["table"]
    mapped = sorted((f for f in hotspots["rows"] if f["value"] is not None), key=lambda f: -f["value"])
    assert mapped, "hotspot figures"
    mapped = mapped[:TOP_AREAS]
    assert _pdf_rows(text, "Where: incidents by area", "Area", len(mapped)) == [(f["label"], f["display"]) for f in mapped]

    repeats = _get(c, f"/api/v1/stats/{NEWHAM}/repeats").json()["table"]["rows"]
    assert repeats, "repeat figures"
    assert _pdf_rows(text, "Repeat people (all quarters sent)", "People", len(repeats)) == [(f["label"], f["display"]) for f in repeats]

    coverage = _get(c, f"/api/v1/stats/{NEWHAM}/coverage").json()["pooled"]
    assert sum(s["percent"] is not None for s in coverage) >= 5, "coverage shares to compare"
    printed_shares = [figure for _, figure in _pdf_rows(text, "Fields filled in, all partners", "Field", len(coverage))]
    assert printed_shares == [s["display"] for s in coverage]
