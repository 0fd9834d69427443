"""The operator console in headless Chromium against a real hub, and 403 for non-operators on every operator route."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from anonymise.agreement import ViewerRole
from hub import audit
from hub.agreements import service as agreements
from hub.auth.api_tokens import create_api_token
from hub.db import make_engine, make_sessionmaker, migrate
from hub.main import create_app
from hub.models import AuditEntry, Incident, Organisation, Person, Submission, User
from hub.returns.grid import recent_quarters
from tests.browser import SCREENSHOTS, open_watched
from tests.conftest import make_settings
from tests.factories.accounts import PASSWORD, add_user, login
from tests.factories.stats_seed import seed
from tests.hubs import serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[3]
DEMO = (ROOT / "policies" / "demo.yaml").read_text(encoding="utf-8")


@dataclass
class ConsoleHub:
    url: str
    app: FastAPI
    sessions: sessionmaker[Session]
    officer_token: str


@contextmanager
def _console_hub(directory: Path) -> Iterator[ConsoleHub]:
    """A seeded hub (demo mode) served on a loopback port, with an operator and a borough officer."""
    url = f"sqlite:///{directory / 'hub.db'}"
    migrate(url)
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    with factory() as s:
        seed(s, per_quarter=5)
        add_user(s, "olive", "operator", "hub-operator")
        officer = add_user(s, "newham.officer", "borough_officer", "lb-newham")
        token = create_api_token(s, officer, label="test")
        s.commit()
    app = create_app(make_settings(url, directory, demo=True))
    with serve(app) as base:
        yield ConsoleHub(base, app, factory, token)
    engine.dispose()


@pytest.fixture(scope="module")
def console_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsoleHub]:
    """Shared by the tests that only read (and check at their end that nothing changed)."""
    with _console_hub(tmp_path_factory.mktemp("console")) as hub:
        yield hub


@pytest.fixture
def fresh_console_hub(tmp_path: Path) -> Iterator[ConsoleHub]:
    """Its own hub for the test that changes one (organisations, agreements, a withdrawal), so no
    other test sees what it did, whatever the order."""
    with _console_hub(tmp_path) as hub:
        yield hub


def _sign_in(page: Page, hub: ConsoleHub, username: str) -> None:
    page.goto(f"{hub.url}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def _shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"console-{name}.png"), full_page=True)


def _actions(hub: ConsoleHub) -> list[str]:
    with hub.sessions() as s:
        return list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_operator_console_flows(fresh_console_hub: ConsoleHub, browser: Browser, tmp_path: Path) -> None:
    hub = fresh_console_hub
    w = open_watched(browser)
    page = w.page
    _sign_in(page, hub, "olive")
    assert page.url == f"{hub.url}/console"
    expect(page.locator("#audit-status")).to_contain_text("Intact")
    _shot(page, "home")

    # Organisations, users, enrolment tokens.
    page.click("text=Organisations & users")
    page.click("summary:has-text('Add an organisation')")
    page.fill("#add-org input[name=org_id]", "ngo-newcomer")
    page.fill("#add-org input[name=name]", "Newcomer Support")
    page.select_option("#add-org select[name=kind]", "NGO")
    page.click("#add-org button[type=submit]")
    expect(page.locator(".notice")).to_have_text("Organisation added.")
    page.click("summary:has-text('Add a user')")
    page.fill("#add-user input[name=username]", "nina")
    page.fill("#add-user input[name=display_name]", "Nina Newcomer")
    page.select_option("#add-user select[name=org_id]", "ngo-newcomer")
    page.select_option("#add-user select[name=role]", "partner_uploader")
    page.click("#add-user button[type=submit]")
    expect(page.locator(".notice")).to_have_text("User added.")
    expect(page.locator("tr[data-user=nina]")).to_contain_text("partner_uploader")
    page.locator("tr[data-org=ngo-newcomer] button:has-text('Issue token')").click()
    token = page.locator("#enrolment-token").inner_text().strip()
    assert len(token) >= 20
    _shot(page, "enrolment-token")
    page.goto(f"{hub.url}/console/organisations")
    page.locator("#orgs tr[data-org=ngo-newcomer] a:has-text('Disable')").click()
    page.fill("#reason", "Left the partnership in November")
    page.click("#confirm-button")
    expect(page.locator(".notice")).to_contain_text("Organisation disabled")
    expect(page.locator("#orgs tr[data-org=ngo-newcomer] td").nth(4)).to_have_text("disabled")
    page.locator("#orgs tr[data-org=ngo-newcomer] button:has-text('Enable')").click()
    expect(page.locator(".notice")).to_contain_text("Organisation enabled")
    expect(page.locator("#orgs tr[data-org=ngo-newcomer] td").nth(4)).to_have_text("active")
    with hub.sessions() as s:
        assert s.get(Organisation, "ngo-newcomer") is not None
        nina = s.scalar(select(User).where(User.username == "nina"))
        assert nina is not None
        assert nina.org_id == "ngo-newcomer"

    # Agreements: invalid text is shown with its problems in place, then fixed and stored.
    page.goto(f"{hub.url}/console/agreements")
    bad = DEMO.replace("version: 1", "version: 2").replace("min_count: 5", "min_count: 1")
    bad_line = bad.splitlines().index("  min_count: 1") + 1
    page.fill("#document", bad)
    page.click("button[value=validate]")
    expect(page.locator("#problems")).to_contain_text(f"line {bad_line}, disclosure.min_count")
    expect(page.locator(f"#line-{bad_line}")).to_have_class("bad")
    assert page.locator("#document").input_value() == bad.replace("\r\n", "\n")
    _shot(page, "agreement-problems")
    page.fill("#document", bad.replace("min_count: 1", "min_count: 10"))
    page.click("button[value=validate]")
    expect(page.locator("#valid")).to_be_visible()
    page.click("button[value=load]")
    expect(page.locator(".notice")).to_have_text("New agreement version stored.")
    expect(page.locator("#version")).to_have_text("2")

    # Upload a file, then activate it.
    example = tmp_path / "pan-london.yaml"
    example.write_text((ROOT / "policies" / "pan-london.example.yaml").read_text(encoding="utf-8"))
    page.goto(f"{hub.url}/console/agreements")
    page.set_input_files("input[name=file]", str(example))
    page.click("button[value=load]")
    expect(page.locator("#status")).to_have_text("draft")
    page.click("#activate")
    expect(page.locator("#status")).to_have_text("active")
    expect(page.locator("#version")).to_have_text("2")
    page.click("text=Edit (new version)")
    edited = page.locator("#document").input_value()
    assert "\nversion: 3\n" in edited
    assert "status: active" in edited

    # Suspend the demo agreement, compare its versions, and see statistics change at once.
    officer = {"Authorization": f"Bearer {hub.officer_token}"}
    # The first question after a data or agreement change runs the cross-table audit (docs/privacy.md): seconds, not 5.
    before = httpx.get(f"{hub.url}/api/v1/stats/E09000025/overview", headers=officer, timeout=120).json()
    assert "demo-london" not in " ".join(before["privacy"]["explanations"])
    page.goto(f"{hub.url}/console/agreements/demo-london")
    page.click("#suspend")
    page.fill("#reason", "Agreement under review by the board")
    page.click("#confirm-button")
    expect(page.locator(".notice")).to_contain_text("suspended")
    expect(page.locator("#status")).to_have_text("suspended")
    after = httpx.get(f"{hub.url}/api/v1/stats/E09000025/overview", headers=officer, timeout=120).json()
    assert "agreement demo-london is suspended" in " ".join(after["privacy"]["explanations"])
    assert after["privacy"]["explanations"][0] != before["privacy"]["explanations"][0]
    page.check("input[name=v1][value='1']")
    page.check("input[name=v2][value='3']")
    page.click("#compare button[type=submit]")
    expect(page.locator("#diff")).to_contain_text("+status: suspended")
    expect(page.locator("#diff .add").first).to_be_visible()
    _shot(page, "agreement-diff")
    page.goto(f"{hub.url}/console/agreements/demo-london")
    page.click("#activate")
    expect(page.locator("#status")).to_have_text("active")
    page.click("#revoke")
    page.fill("#reason", "Replaced by the pan-London agreement")
    page.click("#confirm-button")
    expect(page.locator("#status")).to_have_text("revoked")
    expect(page.locator("#activate")).to_have_count(0)  # revoked is final

    # Submissions grid and a withdrawal.
    page.goto(f"{hub.url}/console/submissions")
    quarters = recent_quarters(datetime.now(UTC).date())
    expect(page.locator("#grid thead th")).to_have_count(len(quarters) + 2)
    expect(page.locator("#grid tr[data-org=demo-ngo] td.cell")).to_have_count(len(quarters))
    with hub.sessions() as s:
        sent = set(s.scalars(select(Submission.quarter).where(Submission.org_id == "demo-ngo")))
    for q in quarters:
        cell = page.locator(
            f"#grid tr[data-org=demo-ngo][data-agreement=demo-london] td[data-quarter='{q}']"
        )
        states = (cell.get_attribute("class") or "").split()
        expected = {"received", "late"} if q in sent else {"missing", "due", "not_covered"}
        assert expected & set(states), (q, states)
    _shot(page, "submissions")
    first = page.locator("#recent tr[data-submission]").first
    submission_id = first.get_attribute("data-submission")
    first.locator("a:has-text('Withdraw')").click()
    page.fill("#reason", "Sent under the wrong agreement")
    page.click("#confirm-button")
    expect(page.locator(".notice")).to_have_text("Submission withdrawn: its records are deleted.")
    with hub.sessions() as s:
        withdrawn = s.get(Submission, submission_id)
        assert withdrawn is not None
        assert withdrawn.status == "withdrawn"

    # The audit log: intact, and every action above is in it.
    page.click("text=Audit log")
    expect(page.locator("#audit-status")).to_contain_text("Chain intact")
    _shot(page, "audit")
    actions = _actions(hub)
    for action in (
        "org.add",
        "org.disabled",
        "org.active",
        "user.add",
        "agreement.load",
        "agreement.activate",
        "agreement.suspended",
        "agreement.revoked",
        "submission.withdrawn",
    ):
        assert action in actions, action
    assert any("enrol" in a for a in actions)
    with hub.sessions() as s:
        assert audit.verify(s).ok

    # Nothing left the hub; no script errors.
    assert w.requests
    assert all(u.startswith(hub.url) or u.startswith("data:") for u in w.requests), w.requests
    assert w.errors == []


def test_console_shows_no_record_level_data(console_hub: ConsoleHub) -> None:
    hub = console_hub
    """Pseudonymous keys and record fields never reach an operator page."""
    with hub.sessions() as s:
        keys = list(s.scalars(select(Submission.id)))
        incident_keys = list(s.scalars(select(Incident.incident_key).limit(50)))
        person_keys = [k for k in s.scalars(select(Person.mk_name_dob).limit(50)) if k]
    assert keys
    assert incident_keys
    assert person_keys
    client = httpx.Client(base_url=hub.url)
    login(cast(TestClient, client), "olive")
    for path in (
        "/console",
        "/console/organisations",
        "/console/agreements",
        "/console/submissions",
        "/console/audit",
    ):
        text = client.get(path).text
        for secret in incident_keys + person_keys:
            assert secret not in text, path
    client.close()


# --- 403 on every operator route, found by walking the app's routes --------------------------------

PATH_VALUES = {
    "agreement_id": "demo-london",
    "version": "1",
    "username": "olive",
    "action": "disable",
    "verb": "suspend",
    "org_id": "demo-ngo",
    "kid": "no-such-key",
    "quarter": "2026-Q1",
    "scope": "london",
}


@dataclass(frozen=True)
class Route:
    path: str
    methods: frozenset[str]
    dependant: Dependant


def _routes(app: FastAPI) -> list[Route]:
    """Every HTTP route of the app, through included routers (FastAPI includes them lazily)."""
    found = []
    for context in iter_route_contexts(app.routes):
        dependant = getattr(context, "dependant", None)
        if context.path is None or not context.methods or dependant is None:
            continue
        found.append(Route(context.path, frozenset(context.methods), dependant))
    return found


def _operator_only(route: Route) -> bool:
    """Whether some dependency of the route admits the operator role only."""
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        call: Any = dep.call
        names = getattr(getattr(call, "__code__", None), "co_freevars", ())
        if "allowed" in names and call.__closure__:
            allowed = call.__closure__[names.index("allowed")].cell_contents
            if allowed == frozenset({ViewerRole.operator}):
                return True
        stack.extend(dep.dependencies)
    return False


def _url(route: Route, submission_id: str) -> str:
    values = PATH_VALUES | {"submission_id": submission_id}
    path = re.sub(r"{(\w+)(:\w+)?}", lambda m: values[m.group(1)], route.path)
    return path + "?v1=1&v2=1"


def test_borough_officer_gets_403_on_every_operator_page_and_api(console_hub: ConsoleHub) -> None:
    hub = console_hub
    routes = _routes(hub.app)
    assert any(r.path == "/healthz" for r in routes)
    operator_routes = [r for r in routes if _operator_only(r)]
    # Every console page and every agreement API route is operator-only: a route that forgot
    # its dependency would be missing here and fail this assertion.
    for r in routes:
        if r.path.startswith(("/console", "/api/v1/agreements")):
            assert r in operator_routes, r.path
    assert len(operator_routes) >= 35
    with hub.sessions() as s:
        submission_id = s.scalars(
            select(Submission.id).where(Submission.status == "active")
        ).first()
        assert submission_id is not None
        before = [(a.id, a.version, a.status) for a in agreements.current_agreements(s)]

    pages = httpx.Client(base_url=hub.url)
    login(cast(TestClient, pages), "newham.officer")
    page_csrf = pages.get("/api/v1/session").json()["csrf_token"]
    api = httpx.Client(base_url=hub.url, headers={"Authorization": f"Bearer {hub.officer_token}"})
    checked = 0
    for route in operator_routes:
        url = _url(route, submission_id)
        for method in sorted(route.methods - {"HEAD"}):
            if route.path.startswith("/console"):
                data = {"csrf_token": page_csrf} if method == "POST" else None
                response = pages.request(method, url, data=data, follow_redirects=False)
                assert response.status_code == 403, (method, route.path, response.status_code)
                assert "Not allowed" in response.text
            else:
                response = api.request(method, url, json={} if method == "POST" else None)
                assert response.status_code == 403, (method, route.path, response.status_code)
            checked += 1
    pages.close()
    api.close()
    assert checked >= len(operator_routes)
    with hub.sessions() as s:
        assert [(a.id, a.version, a.status) for a in agreements.current_agreements(s)] == before
        olive = s.scalar(select(User).where(User.username == "olive"))
        assert olive is not None
        assert olive.status == "active"
        sub = s.get(Submission, submission_id)
        assert sub is not None
        assert sub.status == "active"


def _audit_details(hub: ConsoleHub, action: str) -> list[dict[str, Any]]:
    with hub.sessions() as s:
        return [dict(d) for d in s.scalars(select(AuditEntry.details).where(AuditEntry.action == action))]


def test_changes_that_cannot_be_undone_ask_why_and_errors_keep_the_form(
    fresh_console_hub: ConsoleHub, browser: Browser
) -> None:
    """Withdraw, disable, revoke, suspend, purge: a confirmation page, a typed reason (into the
    audit log), nothing done without it; a bad form comes back with an error summary and the input."""
    hub = fresh_console_hub
    w = open_watched(browser)
    page = w.page
    _sign_in(page, hub, "olive")

    # The home card counts the grid's own cells.
    tally = {
        state: page.locator(f"#n-{state}").inner_text()
        for state in ("received", "late", "missing", "due")
    }
    page.goto(f"{hub.url}/console/submissions")
    for state, shown in tally.items():
        assert int(shown) == page.locator(f"#grid td.cell.{state}").count(), state
    page.goto(f"{hub.url}/console")
    _shot(page, "home-returns")

    # A bad organisation form: every problem in the summary, the input kept, the form open.
    page.goto(f"{hub.url}/console/organisations")
    page.click("summary:has-text('Add an organisation')")
    page.fill("#org_id", "Bad Id!")
    page.fill("#org_name", "Confirm Test Charity")
    page.select_option("#org_kind", "LocalGovernmentOrganisation")
    page.click("#add-org button[type=submit]")
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary.locator("li")).to_have_count(2)  # the id, and a borough's missing GSS code
    assert page.locator("#org_name").input_value() == "Confirm Test Charity"
    assert page.locator("#org_id").input_value() == "Bad Id!"
    expect(page.locator("#org_id")).to_have_attribute("aria-invalid", "true")
    assert page.title().startswith("Error:")
    _shot(page, "org-form-errors")
    summary.locator("a[href='#org_id']").click()
    expect(page.locator("#org_id")).to_be_focused()
    page.fill("#org_id", "ngo-confirm")
    page.select_option("#org_kind", "NGO")
    page.click("#add-org button[type=submit]")
    expect(page.locator(".notice")).to_have_text("Organisation added.")

    # Disable: no reason, nothing done and the page says why; with a reason, done and audited.
    page.locator("#orgs tr[data-org=ngo-confirm] a:has-text('Disable')").click()
    expect(page.locator("#consequences")).to_contain_text("revoked")
    page.fill("#reason", "too short")
    page.click("#confirm-button")
    expect(page.locator("#error-summary")).to_contain_text("at least 10 characters")
    assert page.locator("#reason").input_value() == "too short"
    with hub.sessions() as s:
        org = s.get(Organisation, "ngo-confirm")
        assert org is not None
        assert org.status == "active"
    _shot(page, "confirm-error")
    page.fill("#reason", "Test organisation, closing it")
    page.click("#confirm-button")
    expect(page.locator(".notice")).to_contain_text("Organisation disabled")
    assert {"reason": "Test organisation, closing it"}.items() <= _audit_details(hub, "org.disabled")[-1].items()

    # Withdraw and purge go through the same page.
    page.goto(f"{hub.url}/console/submissions")
    row = page.locator("#recent tr[data-submission]").first
    submission_id = row.get_attribute("data-submission")
    row.locator("a:has-text('Withdraw')").click()
    expect(page.locator("#facts")).to_contain_text("Quarter")
    _shot(page, "confirm-withdraw")
    page.click("text=Cancel, go back")
    with hub.sessions() as s:
        kept = s.get(Submission, submission_id)
        assert kept is not None
        assert kept.status in ("active", "superseded")
    page.click("#purge")
    page.fill("#reason", "Quarterly retention run")
    page.click("#confirm-button")
    expect(page.locator(".notice")).to_have_text("Retention purge done.")

    # A POST without the page (a stale form, a script) is refused the same way.
    client = httpx.Client(base_url=hub.url)
    login(cast(TestClient, client), "olive")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/purge").text)
    assert token is not None
    refused = client.post(f"/console/submissions/{submission_id}/withdraw", data={"csrf_token": token.group(1)})
    assert refused.status_code == 200  # drawn again in place, as every console form
    assert "There is a problem" in refused.text
    client.close()
    with hub.sessions() as s:
        kept = s.get(Submission, submission_id)
        assert kept is not None
        assert kept.status in ("active", "superseded")
    assert w.errors == []
