"""The sign-in page in headless Chromium: no console errors under the CSP, generic failure, HttpOnly session."""

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from hub.main import create_app
from tests.conftest import make_settings
from tests.factories.accounts import PASSWORD, add_user, transaction

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def hub_url(sqlite_url: str, tmp_path: Path) -> Iterator[str]:
    app = create_app(make_settings(sqlite_url, tmp_path))
    with transaction(app.state.sessions) as session:
        add_user(session, "bola", "borough_officer", "lb-newham")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    server.should_exit = True
    thread.join(timeout=30)
    sock.close()
    app.state.engine.dispose()


def test_sign_in_in_a_browser(hub_url: str, chromium_path: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    problems: list[str] = []
    outside: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path, args=["--no-sandbox"])
        page = browser.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" and "401" not in m.text else None)
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status == 404 else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(hub_url) else None)

        page.goto(f"{hub_url}/api/v1/session")
        page.goto(f"{hub_url}/login?next=/api/v1/session")
        page.fill("#username", "bola")
        page.fill("#password", "not the password")
        page.click("button[type=submit]")
        assert page.locator("#login-error").inner_text() == "Wrong username or password."
        page.screenshot(path=str(tmp_path / "login-failed.png"))

        page.fill("#username", "bola")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{hub_url}/api/v1/session")
        assert '"username":"bola"' in page.content().replace(" ", "")
        assert "msht_session" not in page.evaluate("document.cookie")  # HttpOnly
        cookie = next(c for c in page.context.cookies() if c["name"] == "msht_session")
        assert cookie["httpOnly"]
        assert cookie["sameSite"] == "Strict"
        browser.close()
    assert problems == []
    assert outside == []
