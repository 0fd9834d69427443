"""Issue 16's caseworker journey, in headless Chromium against a real hub, without a terminal: enrol with
the token, import the linkage key, a hand-written 26-row NGO export in its own layout, every column and
code in words, constants, an honest preview (every record, every note, the manifest's risk), Send, a
receipt in words, the mapping saved for next quarter. Screenshots go to artifacts/screenshots/."""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from anonymise.agreement import parse_agreement
from hub.partners import service as partners
from partner_client.cli import app
from partner_client.config import ClientSettings
from partner_client.preview import notes, read_bundle
from partner_client.ui.server import RunningUI, start
from tests.browser import CHROMIUM_ARGS, SCREENSHOTS
from tests.hubs import DEMO_AGREEMENT, LiveHub, run_hub

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "caseworker" / "small_ngo.csv"
AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe.min.js"
HASH = re.compile(r"[0-9a-f]{32,}")
NGO_NAME = "Hope Street Refuge"


@pytest.fixture
def live_hub(tmp_path: Path) -> Iterator[LiveHub]:
    with run_hub(tmp_path / "hub") as live:
        with live.session() as session:  # the name the hub operator gave the NGO, which the page shows
            partners.edit_org(session, "demo-ngo", name=NGO_NAME, gss_code=None, actor="test-operator")
        yield live


@pytest.fixture
def fresh_ui(tmp_path: Path) -> Iterator[RunningUI]:
    """The page on a computer that has never been enrolled."""
    running = start(ClientSettings(home=tmp_path / "client"), agreement_file=DEMO_AGREEMENT)
    try:
        yield running
    finally:
        running.stop()


def _serious(page: Any) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]


def _shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"caseworker-{name}.png"), full_page=True)


def _api(ui: RunningUI, path: str, body: dict[str, Any]) -> httpx.Response:
    base, token = ui.url.split("/?t=")
    return httpx.post(base + path, headers={"X-Msht-Token": token}, json=body, timeout=60)


def test_errors_on_the_page_are_plain_english(fresh_ui: RunningUI, live_hub: LiveHub) -> None:
    malformed = _api(fresh_ui, "/api/enrol", {"hub_url": live_hub.url, "token": "not a token!"})
    assert malformed.status_code == 400
    said = malformed.json()
    assert said["error"] == "That enrolment token is not in the right form."
    assert "(4" not in said["error"] + said["hint"]
    assert "--" not in said["hint"]
    assert "msht-" not in said["hint"]
    unknown = _api(fresh_ui, "/api/enrol", {"hub_url": live_hub.url, "token": "msht-enrol-" + "x" * 40})
    assert "refused the enrolment token" in unknown.json()["error"]
    assert "`" not in unknown.json()["hint"]
    odd = _api(fresh_ui, "/api/enrol", {"hub_url": live_hub.url})
    assert odd.json()["error"] == "The page sent something this program did not expect."


@pytest.mark.browser
@pytest.mark.slow
def test_caseworker_does_the_whole_job_on_the_page(
    fresh_ui: RunningUI, live_hub: LiveHub, chromium_path: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    key_file = tmp_path / "from-lead-partner.key"
    assert CliRunner().invoke(app, ["key", "generate", "--out", str(key_file)]).exit_code == 0
    ui = fresh_ui
    outside: list[str] = []
    errors: list[str] = []
    violations: dict[str, list[dict[str, Any]]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        # axe is injected as an inline script, which the page's policy forbids: this context alone bypasses it
        page = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True).new_page()
        page.set_default_timeout(30_000)  # the machine is shared: waits are generous, assertions are not
        expect.set_options(timeout=30_000)
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith("http://127.0.0.1:") else None)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "400" not in m.text else None)
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(ui.url)

        # Set up: enrol with the token, import the key file — no terminal.
        page.locator("#step0").wait_for(state="visible")
        expect(page.locator("#who")).to_contain_text("not enrolled")
        page.fill("#hub-url", live_hub.url)
        page.fill("#enrol-token", "pasted with a space")
        page.click("#enrol")
        expect(page.locator("#problems")).to_contain_text("That enrolment token is not in the right form.")
        assert "(422)" not in page.inner_text("#problems")
        _shot(page, "0-enrol-error")
        page.fill("#enrol-token", live_hub.enrolment_token("demo-ngo"))
        page.click("#enrol")
        expect(page.locator("#enrol-done")).to_contain_text(f"Enrolled as {NGO_NAME}")
        page.set_input_files("#key-file", str(key_file))
        page.click("#import-key")
        expect(page.locator("#key-done")).to_contain_text("fingerprint")
        violations["setup"] = _serious(page)
        _shot(page, "0-setup-done")
        page.click("#setup-next")

        # The export, in the NGO's own layout.
        page.set_input_files("#csv", str(FIXTURE))
        page.click("#read")
        page.locator("#step2").wait_for(state="visible")
        expect(page.locator("#notices")).to_contain_text("no postcode lookup file was given")
        columns = page.locator("#columns tbody tr")
        assert columns.count() == 12
        chosen = {
            page.locator(f"#col-{n}").get_attribute("data-column"): page.locator(f"#col-{n} option:checked").inner_text()
            for n in range(columns.count())
        }
        assert chosen["Type"] == "Type of exploitation"
        assert chosen["Where exploited"] == "Kind of place where exploited"
        assert chosen["Contact no"] == "Phone number"
        assert chosen["Client"] == "Full name"
        labels = page.locator("#col-0 option").all_inner_texts()
        assert labels, "the dropdown lists fields"
        assert not [x for x in labels if re.search(r"\w\.\w|_", x)], "no raw schema keys in the dropdown"

        def code_of(field: str, value: str) -> str:
            return page.locator(f"select[data-field='{field}'][data-value='{value}'] option:checked").inner_text()

        assert code_of("incident.exploitation_types", "forced to work in car wash") == "Labour"
        assert code_of("incident.exploitation_types", "cannabis farm") == "Criminal"
        assert code_of("incident.premises_type", "family home") == "Private household"
        assert code_of("incident.premises_type", "her home") == "Private household"
        assert code_of("incident.premises_type", "hotel") == "Other"
        assert code_of("person.nationality", "Albanian") == "Albania (AL)", "nationalities by name, with the code sent"
        car_wash = page.locator("#coded tr", has=page.locator("label", has_text=re.compile("^forced to work in car wash$")))
        assert car_wash.locator("td.num").inner_text() == "4", "each value with its count"
        expect(page.locator("#unknown-incident-exploitation_types")).to_contain_text("1 row(s) will be sent as Unknown")  # the blank "not known"
        assert page.locator("#coded tr.unknown").count() >= 1
        # Any code can be changed; unknown is highlighted with its count.
        nail = "select[data-field='incident.exploitation_types'][data-value='nail bar']"
        page.select_option(nail, "unknown")
        expect(page.locator("#unknown-incident-exploitation_types")).to_contain_text("3 row(s) will be sent as Unknown")
        page.select_option(nail, "labour")
        # Constants: everyone in this file is a potential victim.
        expect(page.locator("#constants")).to_contain_text("Not set")
        page.select_option("select[data-constant='person.role']", "potential_victim")
        violations["columns"] = _serious(page)
        _shot(page, "2-columns")

        page.click("#prepare")  # no quarter yet
        expect(page.locator("#problems")).to_contain_text("Choose the reporting quarter")
        assert "--quarter" not in page.inner_text("#problems")
        page.select_option("#quarter", "2026Q3")
        page.click("#prepare")
        page.locator("#step3:visible, #problems:visible").first.wait_for(timeout=180_000)
        assert page.locator("#problems").is_hidden(), page.inner_text("#problems")

        # The preview is honest: warnings, the manifest's risk, every note, every record, no hashes.
        bundle = read_bundle(next(iter(ui.workspace.bundles.values())))
        risk = bundle.manifest.privacy_report["risk"]
        persons = risk["persons"]
        assert persons == 26
        risk_text = page.inner_text("#risk")
        assert f"{risk['risk_before']['unique']} of {persons}" in risk_text
        assert f"{risk['risk_after']['unique']} of {persons}" in risk_text
        assert "age band" in risk_text
        expect(page.locator("#warnings")).to_contain_text("no postcode lookup file was given")
        sent_notes = notes(bundle)
        assert len(sent_notes) == 26
        shown = page.locator("#notes li")
        assert shown.count() == len(sent_notes)
        for n, note in enumerate(sent_notes):
            assert shown.nth(n).inner_text() == note, "every note in full, as sent"
        assert page.locator("#notes mark.ph").count() >= 26
        expect(page.locator("#page-status")).to_have_text("Page 1 of 2")
        seen = page.locator("#records tbody tr").count()
        page.click("#next-page")
        expect(page.locator("#page-status")).to_have_text("Page 2 of 2")
        seen += page.locator("#records tbody tr").count()
        assert seen == 26, "every case record, paged"
        assert page.locator("#records .badge").count() >= 1
        page.select_option("#table-choice", "persons")
        expect(page.locator("#records caption")).to_contain_text("People")
        people = page.inner_text("#records")
        assert "Potential victim" in people, "roles in words"
        assert "Albania" in people, "nationalities by name"
        assert "potential_victim" not in people, "codes only in the tooltip"
        assert not re.search(r"\bAL\b", people), "codes only in the tooltip"
        assert page.locator("#records td[title='sent as potential_victim']").count() == page.locator("#records tbody tr").count()
        assert "_" not in page.inner_text("#counts"), "table names in words"
        assert "People" in page.inner_text("#table-choice")
        assert not HASH.search(page.inner_text("#step3")), "no 64-character hashes on the page"
        violations["preview"] = _serious(page)
        _shot(page, "3-preview")

        # Terminal `preview` shows every scrubbed note in full too.
        out = CliRunner().invoke(app, ["preview", str(next(iter(ui.workspace.bundles.values())))]).output
        flat = " ".join(out.split())
        for note in sent_notes:
            assert " ".join(note.split()) in flat

        page.click("#send")
        page.get_by_text("Accepted by the hub").wait_for(timeout=60_000)
        receipt = page.inner_text("#receipt")
        assert "Submission number" in receipt
        assert "{" not in receipt
        assert "_" not in receipt, "table names in words, not person_keys"
        assert f"Sent as\n{NGO_NAME}" in receipt, "the organisation by its name, not demo-ngo"
        assert "demo-ngo" not in receipt
        title = parse_agreement(DEMO_AGREEMENT.read_text(encoding="utf-8")).title
        assert f"Agreement\n{title}" in receipt, "the agreement by its title, not demo-london"
        assert "demo-london" not in receipt
        kid = httpx.get(f"{live_hub.url}/api/v1/hub-key", timeout=60).json()["key_id"]
        grouped = "-".join(kid[i : i + 4] for i in range(0, len(kid), 4))
        assert f"Signed by\nthe hub's key with fingerprint {grouped}" in receipt, "the hub's key in words, every character kept"
        assert kid not in receipt, "the raw key id only in the tooltip"
        assert page.locator(f"#receipt dd[title='on the hub: {kid}']").count() == 1
        expect(page.locator("#saved-status")).to_contain_text("case-export")
        violations["receipt"] = _serious(page)
        _shot(page, "4-receipt")

        # Next quarter: the saved mapping is offered.
        page.goto(ui.url)
        page.locator("#step1").wait_for(state="visible")
        assert page.locator("#example option[value='saved:case-export']").count() == 1
        page.set_input_files("#csv", str(FIXTURE))
        page.click("#read")
        page.locator("#step2").wait_for(state="visible")
        page.select_option("#example", "saved:case-export")
        page.locator("body:not([data-busy])").wait_for(state="attached", timeout=60_000)
        expect(page.locator("select[data-constant='person.role'] option:checked")).to_have_text("Potential victim", timeout=30_000)
        assert code_of("incident.premises_type", "family home") == "Private household"
        _shot(page, "5-next-quarter")
        browser.close()
        expect.set_options(timeout=5_000)  # Playwright's default, for the tests that follow
    assert outside == []
    assert errors == []
    assert violations == {"setup": [], "columns": [], "preview": [], "receipt": []}
    saved = (tmp_path / "client" / "profiles" / "case-export.yaml").read_text(encoding="utf-8")
    assert "potential_victim" in saved
    assert "forced to work in car wash" in saved
    with live_hub.session() as session:
        roles = session.execute(text("select role, count(*) from persons where org_id = 'demo-ngo' group by role")).all()
        assert dict(roles) == {"potential_victim": 26}
        premises = dict(session.execute(text(
            "select premises_type, count(*) from incidents where org_id = 'demo-ngo' group by premises_type")).all())
        assert premises.get("care_home", 0) == 0
        assert premises.get("brothel_residential", 0) == 0
        assert premises["private_household"] == 7
        types = dict(session.execute(text(
            "select code, count(*) from incident_codes where field = 'exploitation_types' group by code")).all())
        assert types["labour"] == 4 + 2 + 4
        assert types["criminal"] == 4 + 1


def _upload(ui: RunningUI, path: Path, kind: str) -> dict[str, Any]:
    base, token = ui.url.split("/?t=")
    with path.open("rb") as handle:
        answer = httpx.post(base + "/api/files", headers={"X-Msht-Token": token}, files={"file": (path.name, handle)}, data={"kind": kind})
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_postcodes_not_in_the_lookup_are_a_warning_with_their_number(tmp_path: Path) -> None:
    from partner_client.demo_data import generate
    from tests.factories.client_home import make_home

    running = start(make_home(tmp_path / "client"), agreement_file=DEMO_AGREEMENT)
    try:
        without = _upload(running, FIXTURE, "export")
        assert any("no postcode lookup file was given" in n for n in without["notices"]), "warned before preparing"
        _upload(running, generate(tmp_path / "demo", seed=3, rows=5).postcodes, "postcodes")
        uploaded = _upload(running, FIXTURE, "export")
        assert uploaded["notices"] == []
        blank = _api(running, "/api/prepare", {"file_id": uploaded["file_id"], "profile_yaml": uploaded["profile_yaml"], "quarter": " "})
        assert blank.status_code == 400
        assert blank.json()["error"].startswith("Choose the reporting quarter")
        assert "--quarter" not in blank.text
        answer = _api(running, "/api/prepare", {
            "file_id": uploaded["file_id"], "profile_yaml": uploaded["profile_yaml"], "quarter": "2026Q3",
            "constants": {"person.role": "potential_victim"},
        })
        assert answer.status_code == 200, answer.text
        bundle = read_bundle(next(iter(running.workspace.bundles.values())))
        missing = bundle.manifest.privacy_report["coarsened"]["postcodes_not_found"]
        assert missing > 0, "the hand-written postcodes are not in the demo lookup"
        warnings = [w["message"] for w in answer.json()["warnings"]]
        assert f"{missing} postcode(s) not found in the postcode lookup file" in " ".join(warnings)
        risk = bundle.manifest.privacy_report["risk"]
        assert answer.json()["risk"]["unique_before"] == risk["risk_before"]["unique"]
        # the terminal's preview says the same figures as the manifest
        shown = " ".join(CliRunner().invoke(app, ["preview", str(next(iter(running.workspace.bundles.values())))]).output.split())
        before, after, persons = risk["risk_before"]["unique"], risk["risk_after"]["unique"], risk["persons"]
        assert f"Persons unique on them: {before} of {persons} before protection, {after} of {persons} as sent" in shown
    finally:
        running.stop()
