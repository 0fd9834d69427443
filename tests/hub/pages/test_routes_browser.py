"""The Routes page in headless Chromium: a Newham officer sees where people exploited in Newham came from; a London
analyst sees borough-to-borough and county-lines flows and the premises ranking; privacy labels on both."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from sqlalchemy.orm import Session

from anonymise.london import BOROUGHS
from hub.premises import service as premises
from tests.browser import SCREENSHOTS, Watched, open_watched
from tests.factories.accounts import PASSWORD, add_user
from tests.factories.routes_seed import add_demo_routes, every_borough_agreement
from tests.factories.stats_seed import NEWHAM, load_agreement, seed
from tests.hub.premises.test_indicators import SECRETS, add_quarter, register
from tests.hubs import serve_seeded

pytestmark = [pytest.mark.browser, pytest.mark.slow]
QUARTER = "2026-Q1"
SLOW_MS = 240_000  # the first page of a quarter runs the linked audit of every borough it shows (tens of seconds on a loaded machine)


@pytest.fixture(scope="module")
def hub_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("routes")

    def fill(s: Session) -> None:
        seed(s, per_quarter=30, seed_=5, with_agreement=False)
        load_agreement(s, every_borough_agreement())  # policies/demo.yaml: the analyst sees every borough from three partners
        add_quarter(s)
        add_demo_routes(s)  # the demo's LONDON_CORRIDORS and county lines, without running `make demo`
        premises.import_register(s, [register(Path(directory) / "fhrs.xml")], actor="test")
        add_user(s, "newham.officer", "borough_officer", "lb-newham")
        add_user(s, "analyst", "analyst", "hub-operator")

    with serve_seeded(directory, fill) as base:
        yield base


def _sign_in(browser: Browser, hub_url: str, user: str) -> Watched:
    w = open_watched(browser)
    w.page.goto(f"{hub_url}/")
    w.page.fill("#username", user)
    w.page.fill("#password", PASSWORD)
    w.page.click("button[type=submit]", timeout=SLOW_MS)  # lands on the overview, whose first load audits every borough shown
    w.page.wait_for_load_state("networkidle", timeout=SLOW_MS)
    return w


def test_a_newham_officer_sees_where_people_exploited_in_newham_came_from(hub_url: str, browser: Browser) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    w = _sign_in(browser, hub_url, "newham.officer")
    response = w.page.goto(f"{hub_url}/dashboard/{NEWHAM}/routes?quarter={QUARTER}", timeout=SLOW_MS)
    assert response is not None
    assert response.status == 200
    assert w.page.locator("nav.tabs a[aria-current=page]").inner_text() == "Routes"
    assert w.page.locator("[data-question]").inner_text().startswith("People exploited in Newham")
    assert w.page.locator("svg[data-sankey] .band").count() >= 2
    assert w.page.locator("[data-privacy]").count() >= 1
    origins = w.page.locator("#tbl-routes tbody th").all_inner_texts()
    assert {"Albania", "Vietnam", "Romania", "Eritrea", "Sudan", "Nigeria"} & set(origins)
    for cell in w.page.locator("#tbl-routes td.num").all():
        value = cell.get_attribute("data-value")
        assert value in ("", "0") or int(value or 0) >= 5
    # beside the diagram: its total is the sum of the flows shown, the table's total is published on its own
    shown = [int(v) for c in w.page.locator("#tbl-routes tbody td.num").all() if (v := c.get_attribute("data-value"))]
    assert shown
    note = w.page.locator("[data-sankey-total]").inner_text()
    assert f"add up to {sum(shown)} people: the sum of the flows shown" in note
    total = w.page.locator("#tbl-routes tfoot td.num").get_attribute("data-display")
    assert f"The table's total below ({total}) is published on its own" in note
    assert not [v for v in SECRETS if v in w.page.content()]
    assert all(u.startswith(hub_url) for u in w.requests), "nothing fetched from elsewhere"
    assert w.errors == []
    w.page.screenshot(path=str(SCREENSHOTS / "routes_newham_in.png"), full_page=True)
    w.page.select_option("#direction", "out")
    w.page.click("form.quarter-picker button[type=submit]")
    w.page.wait_for_load_state("networkidle")
    assert w.page.locator("[data-question]").inner_text().startswith("People recruited in Newham")
    assert w.errors == []
    w.page.screenshot(path=str(SCREENSHOTS / "routes_newham_out.png"), full_page=True)


def test_a_london_analyst_sees_borough_to_borough_flows_and_the_premises_ranking(hub_url: str, browser: Browser) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    w = _sign_in(browser, hub_url, "analyst")
    response = w.page.goto(f"{hub_url}/dashboard/london/routes?quarter={QUARTER}", timeout=SLOW_MS)
    assert response is not None
    assert response.status == 200
    assert w.page.locator("svg[data-flow-map] .flow-line, svg[data-flow-map] .flow-dot").count() >= 1
    rows = w.page.locator("#tbl-routes tbody tr")
    pairs = {(r.locator("th").inner_text(), r.locator("td").nth(1).inner_text()): r for r in rows.all()}
    london = {b.name for b in BOROUGHS}
    named = {p for p in pairs if p[0] in london and p[1] in london and p[0] != p[1]}
    assert ("Newham", "Tower Hamlets") in named, pairs.keys()  # the demo's busiest corridor, between two named boroughs
    assert len(named) >= 2, pairs.keys()
    on_map = set(w.page.locator("svg[data-flow-map] .borough-label").evaluate_all(
        "els => els.map(e => [...e.querySelectorAll('tspan')].map(t => t.textContent).join(' '))"
    ))
    assert {"Newham", "Tower Hamlets"} <= on_map, on_map  # the lines' ends are named on the map
    for pair in named:  # a named flow is published, never small
        assert int(pairs[pair].locator("td.num").first.get_attribute("data-value") or 0) >= 5
    text = w.page.locator("main").inner_text()
    assert "Borough-to-borough flows draw only on the partners whose agreements open every borough" in text
    assert "Not included: Demo Hospital Trust" in text  # partners by their display names, never their ids
    privacy = " ".join(w.page.locator("[data-privacy]").all_inner_texts())
    assert not [org for org in ("demo-hospital", "demo-ngo", "demo-police", "lb-newham") if org in privacy]
    assert w.errors == []
    w.page.screenshot(path=str(SCREENSHOTS / "routes_london_analyst.png"), full_page=True)
    response = w.page.goto(f"{hub_url}/dashboard/london/where-to-look?quarter={QUARTER}", timeout=SLOW_MS)
    assert response is not None
    assert response.status == 200
    assert w.page.locator("[data-no-boroughs]").count() == 0
    ranked = w.page.locator("#tbl-premises-hot_food_takeaway tbody tr")
    assert ranked.count() >= 2
    assert ranked.first.locator("td").first.inner_text() == "1"
    ranks = [r.locator("td").first.inner_text() for r in ranked.all()]
    assert len([r for r in ranks if r.isdigit()]) >= 2, ranks  # at least two boroughs ranked, ties sharing a rank
    assert w.page.locator("[data-privacy]").count() >= 1
    assert all(u.startswith(hub_url) for u in w.requests)
    assert w.errors == []
    w.page.screenshot(path=str(SCREENSHOTS / "where_to_look_borough_analyst.png"), full_page=True)
