"""The "Where to look" page in headless Chromium: a Newham officer's rates and a London analyst's ranking, with privacy labels."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser
from sqlalchemy.orm import Session

from hub.premises import service
from tests.browser import SCREENSHOTS, open_watched
from tests.factories.accounts import PASSWORD, add_user
from tests.factories.stats_seed import NEWHAM, load_agreement, seed
from tests.hub.premises.test_indicators import (
    CANARY,
    QUARTER,
    SECRETS,
    add_quarter,
    agreement_text,
    register,
)
from tests.hubs import serve_seeded

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def hub_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("where")

    def fill(s: Session) -> None:
        seed(s, providers=(), with_agreement=False)
        load_agreement(s, agreement_text())
        add_quarter(s)
        service.import_register(s, [register(Path(directory) / "fhrs.xml")], actor="test")
        add_user(s, "newham.officer", "borough_officer", "lb-newham")
        add_user(s, "analyst", "analyst", "hub-operator")

    with serve_seeded(directory, fill) as base:
        yield base


@pytest.mark.parametrize(("user", "area", "ranked"), [("newham.officer", NEWHAM, 1), ("analyst", "london", 2)])
def test_where_to_look_in_a_browser(hub_url: str, browser: Browser, user: str, area: str, ranked: int) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    w = open_watched(browser)
    w.page.goto(f"{hub_url}/")
    w.page.fill("#username", user)
    w.page.fill("#password", PASSWORD)
    w.page.click("button[type=submit]")
    w.page.wait_for_load_state("networkidle")
    response = w.page.goto(f"{hub_url}/dashboard/{area}/where-to-look?quarter={QUARTER}")
    assert response is not None
    assert response.status == 200
    assert w.page.locator("nav.tabs a[aria-current=page]").inner_text() == "Where to look"
    assert w.page.locator("[data-privacy]").count() >= 1
    rows = w.page.locator("#tbl-premises-hot_food_takeaway tbody tr")
    assert rows.count() >= ranked
    assert rows.first.locator("td").first.inner_text() == "1"
    text = w.page.locator("main").inner_text()
    assert "per 100 (95% CI" in text
    assert "Who reports" in text
    assert not [v for v in (CANARY, *SECRETS) if v in w.page.content()]
    assert all(u.startswith(hub_url) for u in w.requests), "nothing fetched from elsewhere"
    assert w.errors == []
    w.page.screenshot(path=str(SCREENSHOTS / f"where_to_look_{user}.png"), full_page=True)
