"""Every page checked by axe-core (vendored in tests/vendor) in headless Chromium: no serious or
critical violation, on the borough officer's dashboard, the London pages, sign-in and the console."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy.orm import Session

from hub.main import create_app
from tests.browser import SCREENSHOTS
from tests.conftest import make_settings
from tests.factories import add_partner
from tests.factories.accounts import PASSWORD, add_user
from tests.factories.stats_seed import NEWHAM, seed
from tests.hubs import serve_seeded

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = Path(__file__).resolve().parents[2] / "vendor" / "axe.min.js"
DASHBOARD = ("", "/trends", "/hotspots", "/breakdowns", "/repeats", "/coverage", "/report", "/routes", "/where-to-look", "/networks")
LONDON = ("/dashboard/london", "/dashboard/london/hotspots", "/dashboard/london/boroughs", "/dashboard/london/routes", "/dashboard/london/where-to-look")
CONSOLE = (
    "/console",
    "/console/agreements/demo-london/edit",
    "/console/agreements/demo-london/revoke",
    "/console/agreements/demo-london/diff?v1=1&v2=1",
    "/console/organisations/lb-newham/disable",
    "/console/users/newham.officer/disable",
    "/console/organisations",
    "/console/agreements",
    "/console/agreements/demo-london",
    "/console/agreements/demo-london/suspend",
    "/console/submissions",
    "/console/purge",
    "/console/audit",
    "/console/audit?action=stats.read",
    "/console/agreements/demo-london/add-partner",
    "/console/organisations/lb-newham/edit",
    "/console/users/newham.officer/edit",
    "/console/returns",
    "/console/returns/remind",
    "/console/organisations/lb-newham",
    "/console/onboard",
    "/console/onboard/lb-newham",
)
# pages whose path holds an id made at seeding: reached by the link the console shows for them
LINKED = {
    "/console/submissions/{submission_id}/withdraw": ("/console/submissions", "/withdraw"),
    "/console/keys/{kid}/revoke": ("/console/organisations", "/revoke"),
}
ELSEWHERE = {
    "/dashboard/{area}/networks/{number}": "tests/hub/pages/test_networks_page.py (analyst only)",
    "/": "no page of its own: redirects each viewer to their landing page",
}


def _flat(routes: list[Any]) -> Iterator[Any]:
    for r in routes:
        if hasattr(r, "effective_candidates"):  # a router included in the app (FastAPI ≥ 0.165)
            yield from _flat(list(r.effective_candidates()))
        else:
            yield r


def _page_routes(tmp_path: Path) -> list[Any]:
    app = create_app(make_settings(f"sqlite:///{tmp_path / 'hub.db'}", tmp_path), check_migrated=False)
    return [
        r for r in _flat(list(app.routes))
        if isinstance(getattr(r, "methods", None), set | frozenset) and "GET" in r.methods and not r.path.endswith((".csv", ".pdf"))
        and (r.path == "/" or r.path.startswith(("/dashboard", "/console", "/login")))
    ]


def test_every_page_the_hub_serves_is_checked(tmp_path: Path) -> None:
    routes = _page_routes(tmp_path)
    assert len(routes) > 30, [r.path for r in routes]
    checked = ["/login"] + [f"/dashboard/{NEWHAM}{s}" for s in DASHBOARD] + list(LONDON) + [p.split("?")[0] for p in CONSOLE]
    unchecked = [
        r.path for r in routes
        if r.path not in LINKED and r.path not in ELSEWHERE and not any(r.path_regex.match(p) for p in checked)
    ]
    assert unchecked == []


@pytest.fixture(scope="module")
def seeded_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("a11y")

    def fill(s: Session) -> None:
        seed(s, per_quarter=30)
        add_partner(s, "lb-newham")  # a signing key, so its revoke page exists
        add_user(s, "newham.officer", "borough_officer", "lb-newham")
        add_user(s, "olive", "operator", "hub-operator")

    with serve_seeded(directory, fill) as base:
        yield base


def _serious(page: Page) -> list[dict[str, Any]]:
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(200)  # charts drawn
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [(n["target"], n.get("failureSummary", "")[:300]) for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _sign_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def test_no_serious_accessibility_violation_on_any_page(seeded_url: str, browser: Browser) -> None:
    # axe is injected as an inline script, which the hub's policy forbids: this context alone bypasses it
    context = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True)
    page = context.new_page()
    found: dict[str, list[dict[str, Any]]] = {}
    page.goto(f"{seeded_url}/login")
    found["/login"] = _serious(page)
    _sign_in(page, seeded_url, "newham.officer")
    paths = [f"/dashboard/{NEWHAM}{suffix}" for suffix in DASHBOARD] + list(LONDON)
    for path in paths:
        assert page.goto(f"{seeded_url}{path}").status == 200, path  # type: ignore[union-attr]
        found[path] = _serious(page)
    page.click("text=Sign out")
    _sign_in(page, seeded_url, "olive")
    for path in CONSOLE:
        assert page.goto(f"{seeded_url}{path}").status == 200, path  # type: ignore[union-attr]
        found[path] = _serious(page)
    for listing, ending in LINKED.values():
        page.goto(f"{seeded_url}{listing}")
        links = [h for h in page.eval_on_selector_all("a", "as => as.map(a => a.getAttribute('href'))") if h and h.endswith(ending)]
        assert links, listing
        assert page.goto(f"{seeded_url}{links[0]}").status == 200, links[0]  # type: ignore[union-attr]
        found[links[0]] = _serious(page)
    assert len(found) == 1 + len(paths) + len(CONSOLE) + len(LINKED)
    bad = {path: v for path, v in found.items() if v}
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "a11y-last-page.png"))
    assert bad == {}, bad
    context.close()
