"""A partner sees the returns it owes and its operator's reminders, from a real hub: in `msht-client
status` and on the local page (the hub is the mailbox; there is no email)."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from hub.models import Organisation
from hub.returns import service
from hub.returns.grid import recent_quarters
from partner_client.cli import app
from partner_client.config import ClientSettings
from tests.browser import SCREENSHOTS
from tests.hubs import LiveHub, run_hub


def _enrol(hub: LiveHub, home: Path) -> str:
    """demo-ngo, enrolled, a member since 2024, reminded once about a quarter whose deadline passed."""
    late = recent_quarters(datetime.now(UTC).date())[-3]
    result = CliRunner().invoke(app, ["init", "--hub", hub.url, "--token", hub.enrolment_token("demo-ngo"), "--home", str(home)])
    assert result.exit_code == 0, result.output
    with hub.session() as s:
        s.execute(update(Organisation).where(Organisation.id == "demo-ngo").values(created_at=datetime(2024, 1, 1, tzinfo=UTC)))
        service.remind(s, agreement_id="demo-london", org_id="demo-ngo", quarter=late, actor="user:olive", on=datetime.now(UTC).date())
    return late


def test_status_lists_returns_owed_and_the_reminder(tmp_path: Path) -> None:
    with run_hub(tmp_path / "hub") as hub:
        late = _enrol(hub, tmp_path / "client")
        out = CliRunner().invoke(app, ["status", "--home", str(tmp_path / "client")]).output
    assert f"! Your {late} return (demo-london) is late" in out
    assert "The hub's operator reminded you on" in out
    assert out.count("is late") >= 1


@pytest.mark.browser
@pytest.mark.slow
def test_the_local_page_shows_returns_due(tmp_path: Path, chromium_path: str) -> None:
    from playwright.sync_api import sync_playwright

    from partner_client.ui.server import start
    from tests.browser import CHROMIUM_ARGS

    axe = Path(__file__).resolve().parents[1] / "vendor" / "axe.min.js"
    with run_hub(tmp_path / "hub") as hub:
        late = _enrol(hub, tmp_path / "client")
        running = start(ClientSettings(home=tmp_path / "client"))
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
                page = browser.new_context(bypass_csp=True).new_page()
                errors: list[str] = []
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.goto(running.url)
                page.get_by_text("Sending as demo-ngo").wait_for()
                page.click("#returns-load")
                page.locator("#returns-list").wait_for(state="visible")
                item = page.locator("#returns-list li.late", has_text=late)
                assert item.count() == 1
                assert "reminded you on" in item.inner_text()
                SCREENSHOTS.mkdir(parents=True, exist_ok=True)
                page.locator("#returns").screenshot(path=str(SCREENSHOTS / "client-returns-due.png"))
                page.add_script_tag(path=str(axe))
                result = page.evaluate("axe.run(document.getElementById('returns'), {resultTypes: ['violations']})")
                serious = [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")]
                browser.close()
            assert serious == []
            assert errors == []
        finally:
            running.stop()
