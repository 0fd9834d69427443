"""The hotspot map's rate view in headless Chromium: boroughs shaded by published incidents per
100,000 residents, a rate legend, the population's year and source named, the table and CSV agree,
a borough with a suppressed count is hatched with no rate, and axe finds nothing serious."""

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser
from sqlalchemy.orm import Session

from hub.statistics import population
from tests.browser import SCREENSHOTS, Watched, open_watched
from tests.factories.accounts import PASSWORD, add_user
from tests.factories.stats_seed import (
    CAMDEN,
    NEWHAM,
    TOWER_HAMLETS,
    demo_agreement_text,
    load_agreement,
    officers_see_boroughs,
    seed,
)
from tests.hub.pages.test_accessibility import _serious
from tests.hubs import serve_seeded

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SLOW_MS = 240_000  # each open borough's first audit


@pytest.fixture(scope="module")
def hub_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("rates")

    def fill(s: Session) -> None:
        load_agreement(s, officers_see_boroughs(demo_agreement_text(), (NEWHAM, TOWER_HAMLETS, CAMDEN)))
        # one draw in 31 lands in Camden: two or three incidents a quarter there, too few to publish
        seed(s, per_quarter=30, boroughs=(NEWHAM,) * 15 + (TOWER_HAMLETS,) * 15 + (CAMDEN,), with_agreement=False)
        add_user(s, "newham.officer", "borough_officer", "lb-newham")

    with serve_seeded(directory, fill) as base:
        yield base


def _sign_in(browser: Browser, hub_url: str) -> Watched:
    w = open_watched(browser, width=1366, height=1000)
    w.page.set_default_timeout(SLOW_MS)
    w.page.goto(f"{hub_url}/")
    w.page.fill("#username", "newham.officer")
    w.page.fill("#password", PASSWORD)
    w.page.click("button[type=submit]")
    w.page.wait_for_load_state("networkidle")
    return w


def test_the_map_toggles_to_rates_per_100000_residents(hub_url: str, browser: Browser) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    w = _sign_in(browser, hub_url)
    assert w.page.goto(f"{hub_url}/dashboard/london/hotspots", timeout=SLOW_MS).status == 200  # type: ignore[union-attr]
    assert w.page.locator("[data-show=counts][aria-current]").count() == 1
    w.page.click("[data-show=rate]", timeout=SLOW_MS)
    w.page.wait_for_load_state("networkidle", timeout=SLOW_MS)
    assert "show=rate" in w.page.url
    w.page.screenshot(path=str(SCREENSHOTS / "hotspots_rate_london.png"), full_page=True)
    assert w.page.locator("[data-rate-view]").count() == 1
    legend = w.page.locator("#map-legend").inner_text()
    assert "per 100,000 residents" in legend
    assert "No rate" in legend
    source = w.page.locator("[data-population-source]").inner_text()
    assert "mid-2020" in source
    assert "Office for National Statistics" in source
    rows = w.page.locator("#tbl-rates tbody tr")
    assert rows.count() >= 2, "at least two boroughs with rates"
    csv_rows = w.page.request.get(f"{hub_url}/api/v1/stats/london/boroughs.csv").text().splitlines()[1:]
    by_gss = {line.split(",")[2]: line for line in csv_rows}
    residents = population.residents()
    for gss in (NEWHAM, TOWER_HAMLETS):
        cells = w.page.locator(f"#tbl-rates tr[data-gss={gss}] td").all_inner_texts()
        count, shown_rate = int(cells[0]), float(cells[2])
        assert shown_rate == round(count * 100_000 / residents[gss].population, 1)
        assert f",{shown_rate}," in by_gss[gss]
        shape = w.page.locator(f"svg[data-map] path[data-gss={gss}]")
        assert re.search(r"\bfill-[1-5]\b", shape.get_attribute("class") or "")
    # every band is labelled with its range, and each borough's shade is its rate's band
    bands = []
    for item in w.page.locator("#map-legend li:has(.swatch[class*=shade-])").all():
        text = item.inner_text()
        m = re.fullmatch(r"([\d.]+) to under ([\d.]+) per 100,000 residents", text)
        assert m, text
        shade = re.search(r"shade-(\d)", item.locator(".swatch").get_attribute("class") or "")
        bands.append((float(m[1]), float(m[2]), shade[1] if shade else ""))
    assert bands, "a legend band"
    for gss in (NEWHAM, TOWER_HAMLETS):
        rate = float(w.page.locator(f"#tbl-rates tr[data-gss={gss}] td").all_inner_texts()[2])
        fill = re.search(r"\bfill-(\d)\b", w.page.locator(f"svg[data-map] path[data-gss={gss}]").get_attribute("class") or "")
        assert fill, gss
        assert [s for low, high, s in bands if low <= rate < high] == [fill[1]], (gss, rate, bands)
    camden = w.page.locator(f"#tbl-rates tr[data-gss={CAMDEN}] td").all_inner_texts()
    assert camden[2] == "no rate", camden
    assert "no-rate" in (w.page.locator(f"svg[data-map] path[data-gss={CAMDEN}]").get_attribute("class") or "")
    w.page.locator(f"svg[data-map] path[data-gss={NEWHAM}]").focus()
    assert "per 100,000 residents" in w.page.locator("[data-map-tip]").inner_text()
    # the quarter picker keeps the rate view
    w.page.click(".quarter-picker button[type=submit]")
    w.page.wait_for_load_state("networkidle", timeout=SLOW_MS)
    assert "show=rate" in w.page.url
    assert w.page.locator("[data-rate-view]").count() == 1
    assert w.errors == []


def test_the_rate_view_has_no_serious_accessibility_violation(hub_url: str, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)  # axe is an inline script
    page = context.new_page()
    page.set_default_timeout(SLOW_MS)
    page.goto(f"{hub_url}/login")
    page.fill("#username", "newham.officer")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    for path in (f"/dashboard/{NEWHAM}/hotspots?show=rate", "/dashboard/london/hotspots?show=rate"):
        assert page.goto(f"{hub_url}{path}", timeout=SLOW_MS).status == 200, path  # type: ignore[union-attr]
        found = _serious(page)
        page.screenshot(path=str(SCREENSHOTS / f"hotspots_rate_{path.split('/')[2]}.png"), full_page=True)
        if found:
            (SCREENSHOTS / "hotspots_rate_failed.html").write_text(page.content(), encoding="utf-8")
        assert found == [], path
    page.screenshot(path=str(SCREENSHOTS / "hotspots_rate_london_axe.png"), full_page=True)
    context.close()
