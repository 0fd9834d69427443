"""The caseworkers' page, driven in headless Chromium: choose CSV → mapping → preview → Send → receipt,
against a real hub; the page is loopback-only, needs its token, and leaves no file behind."""

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from partner_client.cli import app
from partner_client.config import ClientSettings
from partner_client.csvread import sniff
from partner_client.demo_data import generate
from partner_client.ui.server import RunningUI, start
from tests.hubs import DEMO_AGREEMENT, LiveHub, run_hub

BROWSER_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run",
]


@pytest.fixture
def live_hub(tmp_path: Path) -> Iterator[LiveHub]:
    """A live hub of its own for each test (the page's tests upload to it)."""
    with run_hub(tmp_path / "hub") as live:
        yield live


@pytest.fixture
def ui(tmp_path: Path, live_hub: LiveHub) -> Iterator[RunningUI]:
    home = tmp_path / "client"
    runner = CliRunner()
    result = runner.invoke(app, ["init", "--hub", live_hub.url, "--token", live_hub.enrolment_token("demo-police"), "--home", str(home)])
    assert result.exit_code == 0, result.output
    key = tmp_path / "linkage.key"
    assert runner.invoke(app, ["key", "generate", "--out", str(key)]).exit_code == 0
    assert runner.invoke(app, ["key", "import", str(key), "--home", str(home)]).exit_code == 0
    running = start(ClientSettings(home=home), agreement_file=DEMO_AGREEMENT)
    try:
        yield running
    finally:
        running.stop()


def test_the_page_refuses_requests_without_its_token(ui: RunningUI) -> None:
    base = ui.url.split("/?")[0]
    assert base.startswith("http://127.0.0.1:")
    assert httpx.get(base + "/").status_code == 403
    assert httpx.get(base + "/api/context").status_code == 403
    token = ui.url.split("t=")[1]
    assert httpx.get(base + "/api/context", headers={"X-Msht-Token": token}).status_code == 200
    assert httpx.get(base + "/api/context", headers={"X-Msht-Token": token, "Host": "evil.example:80"}).status_code == 403


@pytest.mark.browser
@pytest.mark.slow
def test_caseworker_sends_a_quarter_through_the_page(
    ui: RunningUI, live_hub: LiveHub, chromium_path: str, tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    exports = generate(tmp_path / "exports", seed=5, rows=40)
    workspace = ui.workspace.directory
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, headless=True, args=BROWSER_ARGS)
        page = browser.new_page()
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith("http://127.0.0.1:") else None)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(ui.url)
        page.get_by_text("Sending as demo-police").wait_for()
        page.set_input_files("#csv", str(exports.police_intel))
        page.click("#read")
        page.locator("#step2").wait_for(state="visible")
        headers = [h for h in sniff(exports.police_intel).headers if h]
        assert len(headers) >= 19
        assert page.locator("#columns select").count() == len(headers), "one choice per column of the file"
        page.select_option("#example", "example:police_intel")
        expect(page.locator("#profile")).to_have_value(re.compile("demo-police-1"), timeout=30_000)
        page.select_option("select[data-column='Grading']", "ignore")
        page.locator("body:not([data-busy])").wait_for(state="attached", timeout=60_000)  # the values read again
        page.select_option("#quarter", "2026Q3")
        page.click("#prepare")
        page.locator("#step3").wait_for(state="visible", timeout=120_000)
        assert "people" in page.inner_text("#counts"), "tables in words"
        assert "Re-identification risk" in (page.text_content("#review") or "")
        assert "unique" in page.inner_text("#risk")
        assert page.inner_text("#notes") == "No notes will leave."  # the agreement allows none from the police
        page.click("#send")
        page.get_by_text("Accepted by the hub").wait_for(timeout=60_000)
        assert "Signature" in page.inner_text("#receipt")
        assert "{" not in page.inner_text("#receipt")
        browser.close()
    assert outside == []
    assert errors == []
    with live_hub.session() as session:
        from sqlalchemy import text

        assert session.execute(text("select count(*) from submissions where org_id = 'demo-police'")).scalar() == 1
    ui.stop()
    assert not workspace.exists(), "files given to the page are deleted when it stops"


@pytest.mark.browser
@pytest.mark.slow
def test_the_page_shows_every_scrubbed_note_in_full(tmp_path: Path, live_hub: LiveHub, chromium_path: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    home = tmp_path / "ngo"
    runner = CliRunner()
    result = runner.invoke(app, ["init", "--hub", live_hub.url, "--token", live_hub.enrolment_token("demo-ngo"), "--home", str(home)])
    assert result.exit_code == 0, result.output
    key = tmp_path / "ngo.key"
    assert runner.invoke(app, ["key", "generate", "--out", str(key)]).exit_code == 0
    assert runner.invoke(app, ["key", "import", str(key), "--home", str(home)]).exit_code == 0
    exports = generate(tmp_path / "exports", seed=5, rows=12)
    running = start(ClientSettings(home=home), agreement_file=DEMO_AGREEMENT)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path, headless=True, args=BROWSER_ARGS)
            page = browser.new_page()
            page.goto(running.url)
            page.get_by_text("Sending as demo-ngo").wait_for()
            page.set_input_files("#csv", str(exports.partner_files["ngo"]))
            page.click("#read")
            page.locator("#step2").wait_for(state="visible")
            page.select_option("#example", "example:ngo_cases")
            expect(page.locator("#profile")).to_have_value(re.compile("demo-ngo-1"), timeout=30_000)
            # no lookup file was given on the page, so the example's lookup path is not used
            page.locator("body:not([data-busy])").wait_for(state="attached", timeout=60_000)  # the values read again
            expect(page.locator("#profile")).not_to_have_value(re.compile("postcode_lookup"))
            page.select_option("#quarter", "2026Q3")
            page.click("#prepare")
            page.locator("#step3:visible, #problems:visible").first.wait_for(timeout=120_000)
            assert page.locator("#problems").is_hidden(), page.inner_text("#problems")
            if os.environ.get("MSHT_SCREENSHOTS"):
                page.locator("#notes").scroll_into_view_if_needed()
                page.screenshot(path=str(Path(os.environ["MSHT_SCREENSHOTS"]) / "preview-page.png"), full_page=True)
                page.locator("#notes").screenshot(path=str(Path(os.environ["MSHT_SCREENSHOTS"]) / "preview-notes.png"))
            notes = page.locator("#notes li")
            assert notes.count() >= 1, "every scrubbed note is shown"
            assert page.locator("#notes mark.ph").count() >= notes.count(), "placeholders are highlighted"
            shown = page.inner_text("#notes")
            assert "<PERSON_" in shown
            assert "…" not in shown, "notes are shown in full, not cut"
            browser.close()
    finally:
        running.stop()


def test_wrong_quarter_is_explained_on_the_page_api(ui: RunningUI, tmp_path: Path) -> None:
    exports = generate(tmp_path / "exports", seed=5, rows=10)
    base, token = ui.url.split("/?t=")
    headers = {"X-Msht-Token": token}
    with exports.hospital_flags.open("rb") as handle:
        uploaded = httpx.post(base + "/api/files", headers=headers, files={"file": ("x.csv", handle)}, data={"kind": "export"}).json()
    example = httpx.get(f"{base}/api/examples/hospital_flags", params={"file_id": uploaded["file_id"]}, headers=headers).json()
    answer = httpx.post(
        base + "/api/prepare", headers=headers, timeout=120,
        json={"file_id": uploaded["file_id"], "profile_yaml": example["profile_yaml"], "quarter": "2026Q1"},
    )
    assert answer.status_code == 400
    assert "2026Q3" in answer.json()["hint"]
