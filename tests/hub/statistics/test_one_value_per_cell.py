"""Issue 12, item 7: every figure a channel shows is the perturbed cell the JSON answer gives.

A seeded hub (three partners' records in Newham and Tower Hamlets, every quarter), read as Newham's
officer: each figure of the breakdowns (one-way and cross tables, with totals) and hotspots
answers is compared with the same cell in the CSV export and in the dashboard page's tables
(server-rendered: each cell carries ``data-value`` and ``data-display``). A channel that computed a
figure from a true count, or rounded it again, would show another value for some cell.
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

from hub.db import make_engine, make_sessionmaker
from tests.factories.accounts import add_user, signed_in
from tests.factories.stats_seed import NEWHAM, QUARTERS, TOWER_HAMLETS, seed

QUARTER = QUARTERS[-1]
AT_LEAST = {"breakdowns": 50, "hotspots": 3}  # shown non-zero figures on this seed: 60 of 122, 4 of 6
Cell = tuple[str, str, str]  # label, display, value ("" when hidden)


@pytest.fixture
def officer(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as s:
        seed(s, per_quarter=40, boroughs=(NEWHAM, TOWER_HAMLETS))
        add_user(s, "newham.officer", "borough_officer", "lb-newham")
        s.commit()
    with signed_in(db_url, tmp_path, "newham.officer") as client:
        yield client
    engine.dispose()


def _cell(f: dict[str, Any]) -> Cell:
    return (f["label"], f["display"], "" if f["value"] is None else str(f["value"]))


def _json_tables(body: dict[str, Any]) -> dict[str, tuple[str, list[Cell]]]:
    """Each table of an answer by id: its title and every figure in the order a page shows them."""
    out = {}
    for t in body.get("tables", []) + ([body["table"]] if "table" in body else []):
        out[t["id"]] = (t["title"], [_cell(f) for f in [*t["rows"], t["total"]]])
    for c in body.get("cross", []):
        shown = [_cell(f) for i, row in enumerate(c["cells"]) for f in [*row, c["row_totals"][i]]]
        out[c["id"]] = (c["title"], shown + [_cell(f) for f in [*c["col_totals"], c["total"]]])
    return out


def _csv_cells(text: str) -> dict[str, list[Cell]]:
    by_title: dict[str, list[Cell]] = {}
    for row in csv.DictReader(io.StringIO(text)):
        by_title.setdefault(row["table"], []).append((row["category"], row["figure"], row["value"]))
    return by_title


def _page_cells(html: str, table_id: str) -> list[tuple[str, str]]:
    """The (display, value) of every figure cell of the page's table ``tbl-<id>``, in order."""
    found = re.search(rf'<table[^>]*id="tbl-{re.escape(table_id)}".*?</table>', html, flags=re.DOTALL)
    assert found, table_id
    cells = re.findall(r'<td class="num[^"]*" data-value="([^"]*)" data-display="([^"]*)">([^<]*)</td>', found.group(0))
    assert all(text.strip() == display for _, display, text in cells), table_id  # what the reader sees is the display
    return [(display, value) for value, display, _ in cells]


@pytest.mark.parametrize("answer", ["breakdowns", "hotspots"])
def test_every_figure_of_the_csv_and_the_page_equals_the_json_cell(officer: TestClient, answer: str) -> None:
    """Control (mutation-checked): a CSV writing a figure's value + 1, or a page cell showing
    another value, fails here."""
    body = officer.get(f"/api/v1/stats/{NEWHAM}/{answer}", params={"quarter": QUARTER}).json()
    tables = _json_tables(body)
    shown = [c for _, cells in tables.values() for c in cells if c[2] not in ("", "0")]
    assert len(shown) >= AT_LEAST[answer], "figures to compare"
    exported = _csv_cells(officer.get(f"/api/v1/stats/{NEWHAM}/{answer}.csv", params={"quarter": QUARTER}).text)
    page = officer.get(f"/dashboard/{NEWHAM}/{answer}", params={"quarter": QUARTER})
    assert page.status_code == 200
    html = page.text.replace("&#39;", "'").replace("&amp;", "&")
    compared = 0
    for table_id, (title, cells) in tables.items():
        assert exported.get(title) == cells, title
        if all(c[2] in ("0", "") for c in cells[:-1]) and f'id="t-{table_id}" data-empty' in page.text:
            continue  # "none recorded": the page says every category is 0
        assert _page_cells(html, table_id) == [(c[1], c[2]) for c in cells], title
        compared += len(cells)
    assert compared >= len(shown)


PAGE_FURNITURE = re.compile(r"OFFICIAL-SENSITIVE|Page \d+ of \d+$")


def _pdf_blocks(text: str) -> list[list[tuple[str, str]]]:
    """Every table the report prints under a "Category" heading: its (label, figure) rows up to
    and including "Total" (pdftotext -layout keeps a row on one line, columns apart by spaces)."""
    blocks: list[list[tuple[str, str]]] = []
    rows: list[tuple[str, str]] | None = None
    for line in text.splitlines():
        if re.match(r"^Category\s{2,}", line):
            rows = rows if rows is not None else []  # a table going on over a page repeats its heading
            continue
        if rows is None or not line.strip() or PAGE_FURNITURE.search(line):
            continue  # a page break inside a table
        found = re.match(r"^(\S.*?)\s{2,}(\S.*?)\s*$", line)
        assert found, line  # a row of the table, label and figure
        rows.append((found.group(1), found.group(2)))
        if found.group(1).startswith("Total"):
            blocks.append(rows)
            rows = None
    return blocks


def test_every_breakdown_figure_in_the_pdf_report_equals_the_json_cell(officer: TestClient, tmp_path: Path) -> None:
    """The PDF read back with pdftotext: each one-way breakdown table's printed rows (those not 0,
    as the report prints them, and the total) equal the JSON cells. Control (mutation-checked):
    the report printing a figure's value + 1 fails here."""
    body = officer.get(f"/api/v1/stats/{NEWHAM}/breakdowns", params={"quarter": QUARTER}).json()
    expected = [
        [(f["label"], f["display"]) for f in [*t["rows"], t["total"]] if f["value"] != 0 or f["suppressed"] or f is t["total"]]
        for t in body["tables"]
    ]
    assert sum(len(rows) for rows in expected) > 30, "figures to compare"
    r = officer.get(f"/api/v1/stats/{NEWHAM}/report.pdf", params={"quarter": QUARTER})
    assert r.status_code == 200
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(r.content)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert _pdf_blocks(text)[: len(expected)] == expected  # the breakdowns come first; then the routes table


def test_every_trend_and_overview_figure_on_the_pages_and_in_the_pdf_equals_the_json_cell(officer: TestClient, tmp_path: Path) -> None:
    """The trends answer against the trends page's table and the report's trend table, and the
    overview's tables against the overview page; the headlines against the report's first
    column. Control (mutation-checked): the trends page showing a point's value + 1 fails here."""
    trends = officer.get(f"/api/v1/stats/{NEWHAM}/trends").json()
    grid = [[s["points"][i] for s in trends["series"]] for i in range(len(trends["quarters"]))]
    assert sum(f["value"] is not None for row in grid for f in row) > 5, "figures to compare"
    page = officer.get(f"/dashboard/{NEWHAM}/trends").text.replace("&#39;", "'").replace("&amp;", "&")
    assert _page_cells(page, "trend") == [(f["display"], "" if f["value"] is None else str(f["value"])) for row in grid for f in row]

    overview = officer.get(f"/api/v1/stats/{NEWHAM}/overview", params={"quarter": QUARTER}).json()
    tables = _json_tables(overview)
    assert tables, "overview tables"
    html = officer.get(f"/dashboard/{NEWHAM}", params={"quarter": QUARTER}).text.replace("&#39;", "'").replace("&amp;", "&")
    for table_id, (title, cells) in tables.items():
        if f'id="t-{table_id}" data-empty' not in html:
            assert _page_cells(html, table_id) == [(c[1], c[2]) for c in cells], title

    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(officer.get(f"/api/v1/stats/{NEWHAM}/report.pdf", params={"quarter": QUARTER}).content)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    printed = {m.group(1): re.split(r"\s{2,}", m.group(2)) for m in re.finditer(r"^(\d{4}-Q\d)\s{2,}(\S.*?)\s*$", text, flags=re.MULTILINE)}
    assert [printed[q] for q in trends["quarters"]] == [[f["display"] for f in row] for row in grid]
    headlines = overview["headlines"]
    assert headlines, "headlines"
    for h in headlines:
        found = re.search(rf"^{re.escape(h['label'])}\s{{2,}}(\S+)", text, flags=re.MULTILINE)
        assert found, h["label"]
        assert found.group(1) == h["figure"]["display"], h["label"]
