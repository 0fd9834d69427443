"""Support for browser tests: headless Chromium's arguments, screenshots, a watched page (the hub itself: tests/hubs.py)."""

from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, ConsoleMessage, Page, Request

SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@dataclass
class Watched:
    """A page whose every request URL and console or page error is recorded."""

    page: Page
    requests: list[str]
    errors: list[str]


def open_watched(browser: Browser, *, width: int = 1366, height: int = 900) -> Watched:
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    watched = Watched(page, [], [])

    def on_request(request: Request) -> None:
        watched.requests.append(request.url)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            watched.errors.append(message.text)

    page.on("request", on_request)
    page.on("console", on_console)
    page.on("pageerror", lambda exc: watched.errors.append(str(exc)))
    return watched
