"""The operator's journeys in headless Chromium: remind a late provider (with a confirmation), read a
partner's own page, and onboard a new partner step by step — errors in the form with the input kept,
resumable, every step audited. axe-core finds no serious violation on any page; screenshots kept."""

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.db import make_engine, make_sessionmaker
from hub.models import AuditEntry, Organisation, ReturnReminder
from hub.returns.grid import recent_quarters
from tests.browser import SCREENSHOTS
from tests.factories.accounts import PASSWORD, add_user
from tests.factories.stats_seed import PROVIDERS, seed
from tests.hubs import serve_seeded

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = Path(__file__).resolve().parents[2] / "vendor" / "axe.min.js"
REASON = "Joins the partnership from January"


@pytest.fixture
def hub_url(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Demo partners that joined in 2024; demo-police has sent nothing, so its returns are late."""
    def fill(s: Session) -> None:
        seed(s, per_quarter=3, providers=PROVIDERS[:3])
        s.execute(update(Organisation).values(created_at=datetime(2024, 1, 1, tzinfo=UTC)))
        add_user(s, "olive", "operator", "hub-operator")

    with serve_seeded(tmp_path, fill) as base:
        yield base, f"sqlite:///{tmp_path / 'hub.db'}"


def _serious(page: Page) -> list[dict[str, Any]]:
    page.wait_for_load_state("networkidle")
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result["violations"]
            if v["impact"] in ("serious", "critical")]


def _check(page: Page, name: str, found: dict[str, list[dict[str, Any]]]) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"console-{name}.png"), full_page=True)
    found[name] = _serious(page)


def _rows(db_url: str, stmt: Any) -> list[Any]:
    engine = make_engine(db_url)
    try:
        with make_sessionmaker(engine)() as s:
            return list(s.execute(stmt).all())
    finally:
        engine.dispose()


def _signed_in(browser: Browser, base: str) -> Page:
    page = browser.new_context(viewport={"width": 1366, "height": 900}, bypass_csp=True).new_page()
    page.goto(f"{base}/login")
    page.fill("#username", "olive")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def test_remind_a_late_provider_and_read_its_page(hub_url: tuple[str, str], browser: Browser) -> None:
    base, db = hub_url
    late = recent_quarters(datetime.now(UTC).date())[-3]  # its deadline (30 days after it ends) has passed
    page = _signed_in(browser, base)
    found: dict[str, list[dict[str, Any]]] = {}
    page.goto(f"{base}/console")
    page.click("#returns-link")
    row = page.locator(f'#owed tr[data-org="demo-police"][data-quarter="{late}"]')
    expect(row).to_contain_text("late")
    expect(row).to_contain_text("Demo Police")
    _check(page, "returns-owed", found)

    row.get_by_role("link", name="Remind").click()
    expect(page.locator("h1")).to_have_text("Send 1 reminder?")
    assert _rows(db, select(ReturnReminder.id)) == []  # the confirmation page sends nothing
    _check(page, "returns-remind-confirm", found)
    page.click("#confirm-button")
    expect(page.locator(".notice")).to_contain_text("Reminder(s) left at the hub")
    expect(row.locator("td").nth(4)).to_contain_text("1 (last")
    reminders = _rows(db, select(ReturnReminder.org_id, ReturnReminder.quarter, ReturnReminder.sent_by))
    assert reminders == [("demo-police", late, "user:olive")]
    audited = _rows(db, select(AuditEntry.actor, AuditEntry.target).where(AuditEntry.action == "returns.remind"))
    assert audited == [("user:olive", "org:demo-police")]

    row.get_by_role("link", name="Demo Police", exact=True).click()
    expect(page.locator("h1")).to_have_text("Demo Police")
    for section in ("#details", "#users", "#keys", "#agreements", "#returns", "#submissions", "#recent-audit"):
        expect(page.locator(section)).to_be_visible()
    expect(page.locator("#reminders")).to_contain_text(f"{late} (Demo pan-London modern slavery data sharing (synthetic data only))")
    expect(page.locator("#reminders")).to_contain_text("by olive")
    reminded = page.locator('#recent-audit td[data-action="returns.remind"]')
    expect(reminded).to_have_count(1)
    assert reminded.inner_text().split() == ["Reminder", "sent", "returns.remind"], "in words, the raw action kept"
    target = [line.strip() for line in reminded.locator("xpath=following-sibling::td[1]").inner_text().splitlines() if line.strip()]
    assert target == ["Demo Police", "org:demo-police"], target
    expect(page.locator("#agreements")).to_contain_text("Demo pan-London modern slavery data sharing (synthetic data only), version 1")
    expect(page.locator("#agreements")).to_contain_text("every borough council: borough detail")
    expect(page.locator("#checked")).to_have_text("It has not read its returns from the hub yet.")
    _check(page, "partner-page", found)

    # every place the console names a partner links to its page
    for path in ("/console/submissions", "/console/organisations", "/console/agreements/demo-london", "/console/audit"):
        page.goto(f"{base}{path}")
        assert page.locator('a[href="/console/organisations/demo-police"]').count() >= 1, path
    page.goto(f"{base}/console")
    assert page.locator('#missing a[href="/console/organisations/demo-police"]').count() == 1
    assert found
    assert {k: v for k, v in found.items() if v} == {}


def test_onboard_a_partner_step_by_step(hub_url: tuple[str, str], browser: Browser) -> None:
    base, db = hub_url
    page = _signed_in(browser, base)
    found: dict[str, list[dict[str, Any]]] = {}
    page.goto(f"{base}/console")
    page.get_by_role("link", name="Onboard a partner").click()

    page.fill("#org_name", "Newham Survivor Support")
    page.fill("#org_id", "Bad Id")
    page.click("#add-org-button")
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    expect(summary.locator("li")).to_have_count(2)  # the id, and the kind
    expect(page.locator("#org_name")).to_have_value("Newham Survivor Support")  # the input is kept
    expect(page.locator("#org_id")).to_have_value("Bad Id")
    _check(page, "onboard-error", found)
    page.fill("#org_id", "ngo-newham-support")
    page.select_option("#org_kind", "NGO")
    page.click("#add-org-button")
    expect(page.locator("h1")).to_have_text("Onboarding Newham Survivor Support")
    expect(page.locator('ol.progress-steps li[aria-current="step"]')).to_contain_text("First user")

    page.fill("#display_name", "Sam Caseworker")
    page.fill("#username", "sam.nss")
    page.fill("#password", "short")
    page.click("#user-button")
    expect(page.locator("#error-summary")).to_contain_text("12 characters")
    expect(page.locator("#username")).to_have_value("sam.nss")
    page.fill("#password", "a long enough password 7")
    page.click("#user-button")
    expect(page.locator('ol.progress-steps li[aria-current="step"]')).to_contain_text("Enrolment token")

    # resumable: leave and come back through the list of onboarding under way
    page.goto(f"{base}/console/onboard")
    page.locator('#under-way tr[data-org="ngo-newham-support"] a', has_text="Enrolment token").click()
    page.click("#token-button")
    token = page.locator("#enrolment-token").inner_text()
    assert token.strip()
    assert token.strip() not in page.url
    _check(page, "onboard-token", found)

    page.get_by_role("link", name="Add Newham Survivor Support to").first.click()
    expect(page.locator("#org")).to_have_value("ngo-newham-support")
    page.click("#preview")
    expect(page.locator("#diff")).to_contain_text("ngo-newham-support")
    page.fill("#reason", REASON)
    page.click("#store")
    expect(page.locator("h1")).to_have_text("Onboarding Newham Survivor Support")
    expect(page.locator('ol.progress-steps li.done')).to_have_count(3)  # organisation, user, agreement
    expect(page.locator('ol.progress-steps li[aria-current="step"]')).to_contain_text("Enrolment token")
    expect(page.locator("#token-waiting")).to_contain_text("Waiting for Newham Survivor Support to enrol")

    # the partner enrols its client with the token (what msht-client does); the flow moves on by itself
    key = Ed25519PrivateKey.generate().public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    enrolled = httpx.post(f"{base}/api/v1/enrol", json={"token": token.strip(), "public_key": base64.b64encode(key).decode()})
    assert enrolled.status_code == 201, enrolled.text
    page.reload()
    expect(page.locator('ol.progress-steps li[aria-current="step"]')).to_contain_text("First upload")
    expect(page.locator("#step-agreement")).to_contain_text("demo-london")
    expect(page.locator("#waiting")).to_contain_text("Waiting for the first upload")
    _check(page, "onboard-waiting", found)

    actions = [a for (a,) in _rows(db, select(AuditEntry.action).where(AuditEntry.actor == "user:olive").order_by(AuditEntry.id))]
    for step in ("org.add", "user.add", "enrolment.token", "agreement.add_party"):
        assert step in actions, step
    assert found
    assert {k: v for k, v in found.items() if v} == {}


def test_a_contact_too_long_comes_back_in_its_row_with_the_error_summary(hub_url: tuple[str, str], browser: Browser) -> None:
    base, _ = hub_url
    page = _signed_in(browser, base)
    page.goto(f"{base}/console/organisations")
    field = page.locator("#contact-demo-ngo")
    typed = "Sam Reyes, caseworker, 020 7946 0000, " + "pasted past the box's limit " * 12
    field.evaluate("(el, text) => { el.removeAttribute('maxlength'); el.value = text; }", typed)  # as a client without maxlength sends
    page.locator('tr[data-org="demo-ngo"] button', has_text="Save contact").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("#error-summary")).to_contain_text("Keep the named contact to 300 characters or fewer")
    assert page.locator("h1").inner_text() == "Organisations and users"
    expect(page.locator("#contact-demo-ngo")).to_have_value(typed)
    expect(page.locator("#contact-demo-ngo")).to_have_attribute("aria-invalid", "true")
    page.locator("#error-summary a").click()
    expect(page.locator("#contact-demo-ngo")).to_be_focused()
    found: dict[str, list[dict[str, Any]]] = {}
    _check(page, "contact-error", found)
    assert found == {"contact-error": []}
