"""The networks pages in headless Chromium: an analyst sees the list and a link chart (keyboard expansion, table
equivalent, axe-core clean); a borough officer sees counts with privacy labels and is refused the chart."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy.orm import Session

from tests.browser import SCREENSHOTS
from tests.factories.accounts import PASSWORD, add_user
from tests.factories.stats_seed import NEWHAM, seed
from tests.hubs import serve_seeded

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = Path(__file__).resolve().parents[2] / "vendor" / "axe.min.js"
PSEUDONYM = re.compile(r"\b[vh]1\.[0-9a-f]{16,}")


@pytest.fixture(scope="module")
def seeded_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    def fill(s: Session) -> None:
        seed(s, per_quarter=12)
        add_user(s, "ana", "analyst", "hub-operator")
        add_user(s, "newham.officer", "borough_officer", "lb-newham")

    with serve_seeded(tmp_path_factory.mktemp("networks"), fill) as base:
        yield base


def _sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def _serious(page: Page) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def test_an_analyst_sees_the_networks_and_a_link_chart(seeded_url: str, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1366, "height": 1000}, bypass_csp=False)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, seeded_url, "ana")
    assert page.goto(f"{seeded_url}/dashboard/london/networks").status == 200  # type: ignore[union-attr]
    rows = page.locator("table[data-networks] tbody tr")
    assert rows.count() > 0
    assert not PSEUDONYM.search(page.content())
    rows.first.locator("a").click()
    page.wait_for_load_state("networkidle")
    page.wait_for_function("window.mshtNetwork && window.mshtNetwork.nodes().length > 0")
    shown = page.evaluate("window.mshtNetwork.nodes().length")
    table_rows = page.locator("#network-table tbody tr").count()
    assert shown == table_rows > 1
    labels = page.locator("#network-table tbody th").all_inner_texts()
    assert any(label.startswith("Incident 1 — ") for label in labels)
    expand = page.locator("[data-expand]")
    if expand.count():  # a large network: expand a node by keyboard
        expand.last.focus()
        page.keyboard.press("Enter")
        page.wait_for_function("document.querySelector('[data-chart-status]').textContent.startsWith('Added')")
    assert not PSEUDONYM.search(page.content())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "network-chart.png"), full_page=True)
    assert errors == []
    context.close()
    a11y = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)  # axe is injected inline
    page = a11y.new_page()
    _sign_in(page, seeded_url, "ana")
    found = {}
    for path in ("/dashboard/london/networks", f"/dashboard/london/networks/{_first_network(page, seeded_url)}"):
        assert page.goto(f"{seeded_url}{path}").status == 200, path  # type: ignore[union-attr]
        page.wait_for_load_state("networkidle")
        found[path] = _serious(page)
    assert found
    assert {p: v for p, v in found.items() if v} == {}
    a11y.close()


def _first_network(page: Page, base: str) -> int:
    body: dict[str, Any] = page.evaluate(f"fetch('{base}/api/v1/networks').then(r => r.json())")
    assert body["networks"]
    return int(body["networks"][0]["number"])


def test_a_borough_officer_sees_counts_with_privacy_labels_and_is_refused_the_chart(seeded_url: str, browser: Browser) -> None:
    page = browser.new_context().new_page()
    _sign_in(page, seeded_url, "ana")
    number = _first_network(page, seeded_url)
    page.context.clear_cookies()
    _sign_in(page, seeded_url, "newham.officer")
    assert page.goto(f"{seeded_url}/dashboard/{NEWHAM}/networks").status == 200  # type: ignore[union-attr]
    assert page.locator("table[data-network-counts] tbody tr").count() >= 3
    assert page.locator("[data-privacy]").count() == 1
    assert "Counts below" in page.locator("[data-privacy]").inner_text()
    assert page.goto(f"{seeded_url}/dashboard/{NEWHAM}/networks/{number}").status == 403  # type: ignore[union-attr]
    assert page.goto(f"{seeded_url}/api/v1/networks/{number}/chart").status == 403  # type: ignore[union-attr]
    page.context.close()
