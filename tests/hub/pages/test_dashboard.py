"""The dashboard in headless Chromium against a real hub: every page renders its charts and map,
nothing leaves 127.0.0.1, no console errors, and another borough's detail is refused."""

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser
from sqlalchemy.orm import Session

from tests.browser import SCREENSHOTS, Watched, open_watched
from tests.factories.accounts import PASSWORD, add_user
from tests.factories.stats_seed import CAMDEN, NEWHAM, seed
from tests.hubs import serve_seeded

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGES = {
    "overview": ("", 2),
    "trends": ("/trends", 1),
    "hotspots": ("/hotspots", 0),
    "breakdowns": ("/breakdowns", 8),
    "repeats": ("/repeats", 1),
    "coverage": ("/coverage", 2),
    "report": ("/report", 0),
}
"""page → (path suffix, at least this many drawn charts)"""


@dataclass
class DashboardHub:
    url: str


@pytest.fixture(scope="module")
def dashboard_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DashboardHub]:
    """A seeded hub served on a loopback port, shared by the module: its tests only read."""
    directory = tmp_path_factory.mktemp("dash")

    def fill(s: Session) -> None:
        seed(s, per_quarter=30)
        add_user(s, "newham.officer", "borough_officer", "lb-newham")
        add_user(s, "camden.officer", "borough_officer", "lb-camden")

    with serve_seeded(directory, fill) as base:
        yield DashboardHub(base)


def _goto(w: Watched, url: str) -> int:
    response = w.page.goto(url)
    assert response is not None
    return response.status


def _sign_in(w: Watched, dashboard_hub: DashboardHub, username: str) -> None:
    w.page.goto(f"{dashboard_hub.url}/")
    w.page.fill("#username", username)
    w.page.fill("#password", PASSWORD)
    w.page.click("button[type=submit]")
    w.page.wait_for_load_state("networkidle")


def test_borough_officer_sees_every_page_with_charts_and_map(dashboard_hub: DashboardHub, browser: Browser) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    w = open_watched(browser)
    _sign_in(w, dashboard_hub, "newham.officer")
    assert w.page.url == f"{dashboard_hub.url}/dashboard/{NEWHAM}", "the landing page sends an officer to their borough"
    for name, (suffix, charts) in PAGES.items():
        assert _goto(w, f"{dashboard_hub.url}/dashboard/{NEWHAM}{suffix}") == 200, name
        w.page.wait_for_load_state("networkidle")
        assert w.page.locator("h1").inner_text() == "Newham"
        assert w.page.locator("[data-privacy]").count() >= 1, f"{name}: privacy label"
        drawn = w.page.locator(".chart[data-drawn] svg").count()
        assert drawn >= charts, f"{name}: {drawn} charts drawn"
        if charts:
            # each chart has its data table beside it
            assert w.page.locator("table.figures").count() >= charts
        if charts:
            _assert_charts_readable(w)
        if name == "hotspots":
            assert w.page.locator("svg[data-map] path.borough").count() >= 8  # Newham and its neighbours
            assert w.page.locator("svg[data-map] path.thames").count() >= 1
            cells = w.page.locator("svg[data-map] path.cell")
            assert cells.count() >= 1
            cells.first.focus()
            tip = w.page.locator("[data-map-tip]").inner_text()
            assert "incidents" in tip, tip
            assert "Newham" in tip, tip
            assert "Cell" not in tip, tip
            _assert_map_readable(w)
        text = w.page.locator("main").inner_text()
        for n in range(1, 5):
            assert f" {n} incidents" not in text
        w.page.screenshot(path=str(SCREENSHOTS / f"dashboard_{name}.png"), full_page=True)
    assert _goto(w, f"{dashboard_hub.url}/dashboard/london") == 200
    w.page.screenshot(path=str(SCREENSHOTS / "dashboard_london.png"), full_page=True)
    assert _goto(w, f"{dashboard_hub.url}/dashboard/london/hotspots") == 200
    assert w.page.locator("svg[data-map] path.borough").count() == 33
    _assert_map_readable(w)
    table = w.page.locator("#tbl-hotspots tbody th").all_inner_texts()
    assert table
    assert not [t for t in table if "Cell" in t or re.search(r"[0-9a-f]{15}", t)], table
    assert len(set(table)) == len(table), "every area has its own name"
    csv = w.page.request.get(f"{dashboard_hub.url}/api/v1/stats/london/hotspots.csv").text()
    assert not re.search(r"Cell |[0-9a-f]{15}", csv)
    w.page.screenshot(path=str(SCREENSHOTS / "dashboard_london_hotspots.png"), full_page=True)
    assert w.errors == []
    assert w.requests
    assert [u for u in w.requests if not u.startswith(f"{dashboard_hub.url}/")] == []


def _assert_charts_readable(w: Watched) -> None:
    """Vega-Lite charts (vendored, drawn from the table beside them): full width, text of 12 px
    or more, and a tooltip naming the category and its published figure."""
    assert w.page.locator(".chart[data-failed]").count() == 0
    sizes = w.page.evaluate(
        "Array.from(document.querySelectorAll('.chart svg text')).filter(t => t.textContent.trim()"
        " && t.getBoundingClientRect().width > 0 && getComputedStyle(t).opacity !== '0'"
        " && t.getAttribute('opacity') !== '0' && t.getAttribute('fill-opacity') !== '0')"
        ".map(t => { const m = t.getScreenCTM(); return [parseFloat(getComputedStyle(t).fontSize) * Math.hypot(m.a, m.b), t.textContent]; })"
    )
    assert sizes, "charts have labels"
    assert min(size for size, _ in sizes) >= 12, [x for x in sizes if x[0] < 12]
    chart = w.page.locator(".chart[data-drawn]").first
    card = chart.locator("xpath=ancestor::section[1]")
    assert chart.bounding_box()["width"] >= 0.9 * card.bounding_box()["width"] - 40  # type: ignore[index]
    marks = chart.locator("svg g.mark-rect.role-mark path, svg g.mark-symbol.role-mark path")
    wide = [m for m in marks.all() if (m.bounding_box() or {"width": 0})["width"] > 3]
    assert wide, "a bar or point to hover"
    wide[-1].hover(force=True)
    tooltip = w.page.locator("#vg-tooltip-element.visible")
    tooltip.wait_for(timeout=5000)
    assert tooltip.inner_text().strip()


def _assert_map_readable(w: Watched) -> None:
    """One resolution per view, a legend, and borough names of 12 px or more, none overlapping."""
    cells = w.page.locator("svg[data-map] path.cell")
    assert w.page.locator("#map-legend li").count() >= 2
    boxes = w.page.evaluate(
        "Array.from(document.querySelectorAll('svg[data-map] text.borough-label')).map(t => {"
        " const r = t.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom,"
        " parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a]; })"
    )
    assert boxes, "borough names are drawn"
    assert min(b[4] for b in boxes) >= 12, "names at 12 px or more on screen"
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (a, b)
    assert cells.count() >= 1


def test_tablet_layout(dashboard_hub: DashboardHub, browser: Browser) -> None:
    w = open_watched(browser, width=768, height=1024)
    _sign_in(w, dashboard_hub, "newham.officer")
    w.page.goto(f"{dashboard_hub.url}/dashboard/{NEWHAM}/breakdowns")
    w.page.wait_for_load_state("networkidle")
    # nothing wider than the screen: no sideways scrolling on a tablet
    overflow = w.page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    wide = w.page.evaluate(
        "Array.from(document.querySelectorAll('main *')).filter(e => e.getBoundingClientRect().right > "
        "document.documentElement.clientWidth + 1).slice(0, 5).map(e => e.tagName + '.' + e.className + '#' + e.id)"
    )
    assert overflow <= 0, wide
    w.page.screenshot(path=str(SCREENSHOTS / "dashboard_breakdowns_tablet.png"), full_page=True)
    assert w.errors == []


def test_officer_of_another_borough_gets_403(dashboard_hub: DashboardHub, browser: Browser) -> None:
    w = open_watched(browser)
    _sign_in(w, dashboard_hub, "camden.officer")
    assert w.page.url == f"{dashboard_hub.url}/dashboard/{CAMDEN}"
    for suffix, _ in PAGES.values():
        assert _goto(w, f"{dashboard_hub.url}/dashboard/{NEWHAM}{suffix}") == 403
    api = w.page.request.get(f"{dashboard_hub.url}/api/v1/stats/{NEWHAM}/overview")
    assert api.status == 403
    w.page.screenshot(path=str(SCREENSHOTS / "dashboard_forbidden.png"))
