"""Fixtures shared by the hub's tests: a migrated hub under test and a partner enrolled in an agreement."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_PSEUDONYM_KEY, TEST_SESSION_KEY, make_settings
from tests.factories import FakePartner, HubUnderTest, add_agreement, add_partner, start_hub


@pytest.fixture
def hub(db_url: str, tmp_path: Path) -> Iterator[HubUnderTest]:
    """A hub app on a fresh migrated database (SQLite, and PostgreSQL when configured)."""
    running = start_hub(make_settings(db_url, tmp_path))
    yield running
    running.client.close()
    running.app.state.engine.dispose()


@pytest.fixture
def partner(hub: HubUnderTest) -> FakePartner:
    """ngo-one, enrolled, provider in an active agreement with ngo-two."""
    made: FakePartner = hub.arrange(add_partner, "ngo-one")
    hub.arrange(add_agreement, ["ngo-one", "ngo-two"])
    return made


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def hubs(db_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two real `msht-hub serve` processes on one database; yields their base URLs."""
    make_settings(db_url, tmp_path)  # writes the hub signing key file both processes read
    env = os.environ | {
        "MSHT_DATABASE_URL": db_url,
        "MSHT_PSEUDONYM_KEY": TEST_PSEUDONYM_KEY,
        "MSHT_SESSION_KEY": TEST_SESSION_KEY,
        "MSHT_SIGNING_KEY_FILE": str(tmp_path / "hub-signing.pem"),
    }
    procs, urls = [], []
    for _ in range(2):
        port = _free_port()
        procs.append(
            subprocess.Popen(
                [str(Path(sys.executable).parent / "msht-hub"), "serve"],
                env=env | {"MSHT_PORT": str(port)},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url, proc in zip(urls, procs, strict=True):
            for _ in range(600):
                if proc.poll() is not None:
                    raise AssertionError(proc.stderr.read().decode() if proc.stderr else "hub exited")
                try:
                    if httpx.get(f"{url}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                raise AssertionError("hub did not start")
        yield urls[0], urls[1]
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
            if proc.stderr:
                proc.stderr.close()
