"""The quarterly PDF report: rendered page by page to PNG with poppler's pdftoppm (kept as test
artefacts) and read back with pdftotext: charts, trend, map, repeats, partners and coverage, a
protective marking and a page number on every page, the agreement's own marking, tagged figures."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from hub.agreements import service as agreements
from hub.statistics.schemas import Overview
from tests.browser import SCREENSHOTS
from tests.factories.accounts import add_user, login
from tests.factories.stats_seed import DEMO_AGREEMENT, NEWHAM, seed
from tests.hubs import HubUnderTest

pytestmark = pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
    reason="needs pdftoppm and pdftotext (Debian: apt-get install poppler-utils)",
)


def _report(hub: HubUnderTest, area: str, marking: str | None = None) -> bytes:
    def fill(s: object) -> None:
        seed(s, per_quarter=30)  # type: ignore[arg-type]
        add_user(s, "newham.officer", "borough_officer", "lb-newham")  # type: ignore[arg-type]
        if marking is not None:
            text = DEMO_AGREEMENT.read_text(encoding="utf-8").replace("\nversion: 1\n", "\nversion: 2\n")
            agreements.load_version(s, text + f"protective_marking: {marking}\n", actor="test")  # type: ignore[arg-type]

    hub.arrange(fill)
    login(hub.client, "newham.officer")
    response = hub.client.get(f"/api/v1/stats/{area}/report.pdf")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    return response.content


def _pages(pdf: bytes, directory: Path, name: str) -> tuple[list[str], list[Path]]:
    path = directory / f"{name}.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True).stdout
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(path), str(directory / name)], check=True)
    images = sorted(directory.glob(f"{name}-*.png"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for image in images:
        shutil.copy(image, SCREENSHOTS / f"report_{image.name}")
    return [page for page in text.split("\f") if page.strip()], images


def _red_in(image: Path, top: float, bottom: float) -> bool:
    """Whether the band of the page between ``top`` and ``bottom`` (fractions of its height) has the marking's red."""
    with Image.open(image) as im:
        rgb = im.convert("RGB")
        w, h = rgb.size
        band = rgb.crop((0, int(top * h), w, int(bottom * h)))
        colours = band.getcolors(maxcolors=w * h) or []
        return any(r > 110 and g < 60 and b < 60 for _, (r, g, b) in colours)


def test_borough_report_has_charts_map_repeats_partners_marking_and_page_numbers(hub: HubUnderTest, tmp_path: Path) -> None:
    pdf = _report(hub, NEWHAM)
    pages, images = _pages(pdf, tmp_path, "newham")
    assert len(pages) >= 4
    assert len(images) == len(pages)
    for i, page in enumerate(pages, start=1):
        assert page.count("OFFICIAL-SENSITIVE") == 2, f"page {i}: marking at top and bottom"
        assert f"Page {i} of {len(pages)}" in page
    for image in images:
        assert _red_in(image, 0.0, 0.08), image.name
        assert _red_in(image, 0.92, 1.0), image.name
        with Image.open(image) as im:
            colours = im.convert("RGB").getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 20, f"{image.name} is drawn, not blank"
    text = re.sub(r"\s+", " ", " ".join(pages))
    for heading in ("Headlines", "Trends", "Where: incidents by area", "Breakdowns", "Routes:", "Repeat people", "Partners and coverage"):
        assert heading in text, heading
    assert "Demo NGO, Demo Police, London Borough of Newham" in text
    assert "Not included: Demo Hospital Trust" in text
    assert "July to September 2026 (2026-Q3)" in text
    overview = Overview.model_validate(hub.client.get(f"/api/v1/stats/{NEWHAM}/overview").json())
    incidents = next(h for h in overview.headlines if h.key == "incidents")
    last = next(c for c in incidents.changes if c.against == "previous_quarter")
    assert last.previous is not None
    assert re.search(rf"Incidents {re.escape(incidents.figure.display)} {last.quarter}: {re.escape(last.previous.display)}", text), text[:1500]
    # tagged: a language, a structure tree, and alternative text for every chart and the map
    assert b"/Lang (en-GB)" in pdf
    assert b"/StructTreeRoot" in pdf
    assert len(re.findall(rb"/Alt \(", pdf)) >= 4


def test_london_report(hub: HubUnderTest, tmp_path: Path) -> None:
    pages, _ = _pages(_report(hub, "london"), tmp_path, "london")
    text = re.sub(r"\s+", " ", " ".join(pages))
    assert "Modern slavery: London (all boroughs)" in text
    assert "based on 4 of 4 partners: Demo Hospital Trust, Demo NGO, Demo Police, London Borough of Newham" in text
    assert "Where: incidents by area" in text


def test_the_agreement_sets_the_protective_marking(hub: HubUnderTest, tmp_path: Path) -> None:
    pages, _ = _pages(_report(hub, NEWHAM, marking="OFFICIAL"), tmp_path, "official")
    assert pages
    for page in pages:
        assert "OFFICIAL-SENSITIVE" not in page
        assert page.count("OFFICIAL") == 2
