"""The quarterly PDF is a tagged PDF: its structure tree, read back with pikepdf, has the title as
H1, sections as H2 and H3, paragraphs, figures with alternative text and tables as Table → TR →
TH/TD, in reading order; every piece of text on every page is either tagged or a page artifact."""

import io
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
import pytest
from sqlalchemy.engine import make_url

from hub.pages import report_pdf
from hub.pages.pdf_tags import TaggedPdf
from tests.browser import SCREENSHOTS
from tests.factories.accounts import add_user, login
from tests.factories.stats_seed import NEWHAM, seed
from tests.hubs import HubUnderTest


@dataclass
class Node:
    kind: str
    alt: str | None
    text: str
    kids: list["Node"] = field(default_factory=list)

    def walk(self) -> Iterator["Node"]:
        yield self
        for k in self.kids:
            yield from k.walk()


def _marked_text(pdf: pikepdf.Pdf) -> tuple[dict[tuple[int, int], str], list[str]]:
    """The text of each marked-content id per page, and any text shown outside every marked sequence."""
    texts: dict[tuple[int, int], str] = {}
    loose: list[str] = []
    for number, page in enumerate(pdf.pages):
        stack: list[int | None] = []
        for operands, operator in pikepdf.parse_content_stream(page):
            op = str(operator)
            if op == "BDC":
                props = operands[1]
                mcid = props.get("/MCID") if isinstance(props, pikepdf.Dictionary) else None
                stack.append(int(mcid) if mcid is not None else None)
            elif op == "BMC":
                stack.append(None)
            elif op == "EMC":
                stack.pop()
            elif op in ("Tj", "TJ"):
                parts = operands[0] if op == "TJ" else [operands[0]]
                shown = "".join(bytes(p).decode("latin-1") for p in parts if isinstance(p, pikepdf.String))
                mcid = next((m for m in reversed(stack) if m is not None), None)
                if not stack:
                    loose.append(shown)
                elif mcid is not None:
                    texts[(number, mcid)] = texts.get((number, mcid), "") + shown
    return texts, loose


def _tree(pdf: pikepdf.Pdf) -> Node:
    pages = {page.objgen: i for i, page in enumerate(pdf.pages)}
    texts, _ = _marked_text(pdf)

    def node(elem: pikepdf.Dictionary) -> Node:
        kids = elem.get("/K", [])
        kids = kids if isinstance(kids, pikepdf.Array) else [kids]
        page = pages.get(elem["/Pg"].objgen) if "/Pg" in elem else None
        made = Node(str(elem["/S"]), str(elem["/Alt"]) if "/Alt" in elem else None, "")
        for k in kids:
            if isinstance(k, pikepdf.Dictionary):
                made.kids.append(node(k))
            else:
                assert page is not None, f"{made.kind} holds marked content but names no page"
                made.text += texts.get((page, int(k)), "")
        return made

    root = pdf.Root.StructTreeRoot
    kids = root.K if isinstance(root.K, pikepdf.Array) else [root.K]
    assert len(kids) == 1
    return node(kids[0])


@pytest.fixture(scope="module")
def _reports() -> dict[str, bytes]:
    """The report's bytes by database engine, made once per module: the tests only read it."""
    return {}


@pytest.fixture
def report(request: pytest.FixtureRequest, db_url: str, _reports: dict[str, bytes]) -> pikepdf.Pdf:
    """The Newham report, served by a hub on ``db_url``'s engine (made by the first test on that engine,
    seeding and rendering take seconds); each test opens its own copy of the bytes."""
    engine = make_url(db_url).get_backend_name()
    if engine not in _reports:
        hub: HubUnderTest = request.getfixturevalue("hub")

        def fill(s: object) -> None:
            seed(s, per_quarter=30)  # type: ignore[arg-type]
            add_user(s, "newham.officer", "borough_officer", "lb-newham")  # type: ignore[arg-type]

        hub.arrange(fill)
        login(hub.client, "newham.officer")
        response = hub.client.get(f"/api/v1/stats/{NEWHAM}/report.pdf")
        assert response.status_code == 200
        _reports[engine] = response.content
    return pikepdf.open(io.BytesIO(_reports[engine]))


def test_the_report_is_marked_tagged_and_in_english(report: pikepdf.Pdf) -> None:
    assert bool(report.Root.MarkInfo.Marked) is True
    assert str(report.Root.Lang) == "en-GB"
    doc = _tree(report)
    assert doc.kind == "/Document"
    kinds = [n.kind for n in doc.walk()]
    for kind in ("/H1", "/H2", "/H3", "/P", "/Figure", "/Table", "/TR", "/TH", "/TD"):
        assert kind in kinds, kind
    assert kinds.count("/H1") == 1


def test_headings_are_in_reading_order(report: pikepdf.Pdf) -> None:
    doc = _tree(report)
    headings = [(n.kind, n.text) for n in doc.walk() if n.kind in ("/H1", "/H2")]
    assert headings[0] == ("/H1", "Modern slavery: Newham")
    order = ["Headlines", "Trends", "Where: incidents by area", "Breakdowns", "Partners and coverage"]
    found = [next(i for i, (_, text) in enumerate(headings) if text.startswith(h)) for h in order]
    assert found == sorted(found), headings


def test_every_figure_has_alternative_text(report: pikepdf.Pdf) -> None:
    figures = [n for n in _tree(report).walk() if n.kind == "/Figure"]
    assert len(figures) >= 4  # the trend, the map, and the breakdown charts
    for f in figures:
        assert f.alt is not None
        assert len(f.alt) > 20, f.alt


def test_tables_are_rows_of_header_and_data_cells(report: pikepdf.Pdf) -> None:
    doc = _tree(report)
    tables = [n for n in doc.walk() if n.kind == "/Table"]
    assert len(tables) >= 5
    for t in tables:
        assert t.kids
        assert all(r.kind == "/TR" for r in t.kids)
        assert all(c.kind == "/TH" for c in t.kids[0].kids), "the first row holds the column headings"
        for row in t.kids[1:]:
            assert row.kids
            assert all(c.kind == "/TD" for c in row.kids)
            assert len(row.kids) == len(t.kids[0].kids)
    headlines = next(t for t in tables if any(c.text == "Last quarter" for c in t.kids[0].kids))
    assert headlines.kids[1].kids[0].text == "Incidents"


def test_no_text_is_left_untagged(report: pikepdf.Pdf) -> None:
    texts, loose = _marked_text(report)
    assert texts
    assert loose == []
    page_texts = [t for (_, _), t in texts.items()]
    assert not any("OFFICIAL-SENSITIVE" in t for t in page_texts), "the running marking is an artifact, not content"


def _elements(pdf: pikepdf.Pdf) -> list[tuple[str, int | None, pikepdf.Dictionary]]:
    """Every structure element in reading order: its type, the page it is on and the element."""
    pages = {page.objgen: i for i, page in enumerate(pdf.pages)}
    out: list[tuple[str, int | None, pikepdf.Dictionary]] = []

    def visit(elem: pikepdf.Dictionary) -> None:
        out.append((str(elem["/S"]), pages.get(elem["/Pg"].objgen) if "/Pg" in elem else None, elem))
        kids = elem.get("/K", [])
        for k in kids if isinstance(kids, pikepdf.Array) else [kids]:
            if isinstance(k, pikepdf.Dictionary):
                visit(k)

    root = pdf.Root.StructTreeRoot
    visit(root.K[0] if isinstance(root.K, pikepdf.Array) else root.K)
    return out


def test_every_table_header_cell_is_scoped_to_its_column(report: pikepdf.Pdf) -> None:
    headers = [elem for kind, _, elem in _elements(report) if kind == "/TH"]
    assert len(headers) >= 10
    for th in headers:
        attributes = th.get("/A")
        assert isinstance(attributes, pikepdf.Dictionary), "a TH without table attributes"
        assert attributes["/O"] == pikepdf.Name.Table
        assert attributes["/Scope"] == pikepdf.Name.Column


def test_a_heading_never_ends_a_page_without_what_it_introduces(report: pikepdf.Pdf) -> None:
    leaves = [(kind, page) for kind, page, _ in _elements(report) if kind not in ("/Document", "/Table", "/TR")]
    headings = [i for i, (kind, _) in enumerate(leaves) if kind in ("/H2", "/H3")]
    assert len(headings) >= 8
    for i in headings:
        assert i + 1 < len(leaves), "the report ends with a heading"
        kind, page = leaves[i]
        follower, its_page = leaves[i + 1]
        assert its_page == page, f"a {kind} on page {page + 1 if page is not None else '?'} has its {follower} on the next page"


def test_a_heading_near_the_bottom_moves_to_the_next_page_with_its_chart() -> None:
    # the report's own heading rule, on a page filled almost to the bottom
    pdf = report_pdf._Pdf(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=22)
    pdf.add_page()
    pdf.set_y(pdf.page_break_trigger - 40)  # room for the heading, not for a 60 mm chart below it
    report_pdf._h(pdf, "Exploitation types", 11, keep=60)
    assert pdf.page == 2, "the heading went to the page its chart will be on"
    pdf2 = report_pdf._Pdf(orientation="P", unit="mm", format="A4")
    pdf2.set_auto_page_break(auto=True, margin=22)
    pdf2.add_page()
    pdf2.set_y(pdf2.page_break_trigger - 80)
    report_pdf._h(pdf2, "Exploitation types", 11, keep=60)
    assert pdf2.page == 1, "a heading whose chart fits stays where it is"


def test_a_table_over_two_pages_repeats_its_heading_row_as_an_artifact_and_tags_it_once(tmp_path: Path) -> None:
    made = TaggedPdf(orientation="P", unit="mm", format="A4")
    made.set_auto_page_break(auto=True, margin=22)
    made.set_lang("en-GB")
    made.add_page()
    made.set_font("Helvetica", "", 10)
    made.table_rows(["Borough", "Incidents"], [[f"Area {n}", str(n)] for n in range(90)], [120, 40])
    path = tmp_path / "long-table.pdf"
    path.write_bytes(bytes(made.output()))
    pdf = pikepdf.open(path)
    assert len(pdf.pages) >= 2
    elements = _elements(pdf)
    rows = [elem for kind, _, elem in elements if kind == "/TR"]
    assert len(rows) == 91, "one heading row and 90 data rows in the tree"
    assert [k for k, _, _ in elements].count("/TH") == 2, "the heading row is tagged once"
    pages_of_cells = {page for kind, page, _ in elements if kind == "/TD"}
    assert pages_of_cells >= {0, 1}
    # on the second page the heading row is drawn again, as a pagination artifact
    artifact_text = ""
    inside = 0
    for operands, operator in pikepdf.parse_content_stream(pdf.pages[1]):
        op = str(operator)
        if op == "BDC":
            inside = inside + 1 if str(operands[0]) == "/Artifact" or inside else 0
        elif op == "EMC" and inside:
            inside -= 1
        elif op in ("Tj", "TJ") and inside:
            parts = operands[0] if op == "TJ" else [operands[0]]
            artifact_text += "".join(bytes(p).decode("latin-1") for p in parts if isinstance(p, pikepdf.String))
    assert "Borough" in artifact_text
    assert "Incidents" in artifact_text
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "50", "-f", "2", "-l", "2", "-png", str(path), str(tmp_path / "page")], check=True)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        image = next(tmp_path.glob("page*.png"))
        shutil.copy(image, SCREENSHOTS / "report_long_table_page2.png")
