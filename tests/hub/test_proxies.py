"""X-Forwarded-For is believed only from MSHT_TRUSTED_PROXIES (issue 17, L5); failed bearer attempts lock out no valid token."""

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_PSEUDONYM_KEY, TEST_SESSION_KEY, make_settings
from tests.factories import add_user_token
from tests.hubs import HubUnderTest, _free_port


def test_failed_bearer_attempts_never_lock_out_a_valid_token(hub: HubUnderTest) -> None:
    good = hub.arrange(add_user_token, "hub-ops", "operator", "ops-one")
    limit = hub.settings.bearer_failures_per_hour
    statuses = [hub.client.get("/api/v1/orgs", headers={"Authorization": f"Bearer msht_{i:043d}"}).status_code
                for i in range(limit + 2)]
    assert statuses[:limit] == [401] * limit
    assert statuses[-1] == 429
    assert hub.client.get("/api/v1/orgs", headers={"Authorization": f"Bearer {good}"}).status_code == 200


def _serve(tmp_path: Path, db_url: str, **env: str) -> tuple[subprocess.Popen[bytes], str]:
    make_settings(db_url, tmp_path)
    port = _free_port()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "msht-hub"), "serve"],
        env=os.environ | {"MSHT_DATABASE_URL": db_url, "MSHT_PSEUDONYM_KEY": TEST_PSEUDONYM_KEY,
                          "MSHT_SESSION_KEY": TEST_SESSION_KEY, "MSHT_SIGNING_KEY_FILE": str(tmp_path / "hub-signing.pem"),
                          "MSHT_PORT": str(port), "MSHT_BEARER_FAILURES_PER_HOUR": "3", **env},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.terminate()
    raise AssertionError("hub did not start")


@pytest.mark.parametrize("trusted", ["", "127.0.0.1"])
def test_x_forwarded_for_is_believed_only_from_trusted_proxies(sqlite_url: str, tmp_path: Path, trusted: str) -> None:
    proc, url = _serve(tmp_path, sqlite_url, MSHT_TRUSTED_PROXIES=trusted)
    try:
        statuses = [
            httpx.get(f"{url}/api/v1/orgs", headers={"Authorization": f"Bearer msht_{i:043d}",
                                                     "X-Forwarded-For": f"198.51.100.{i}"}).status_code
            for i in range(5)
        ]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    if trusted:  # each forwarded address is its own client: nobody reaches the limit
        assert statuses == [401] * 5
    else:  # the header is ignored: one address, limited after 3 failures
        assert statuses == [401, 401, 401, 429, 429]
