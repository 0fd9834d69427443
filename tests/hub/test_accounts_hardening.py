"""Accounts after the independent attack (issue 17): NIST passwords (L4), failed bearer attempts
that lock out no valid token and trusted proxies only by setting (L5), operators who cannot lock
the hub out (L6)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from hub.passwords import PasswordRefused, checked
from tests.conftest import TEST_PSEUDONYM_KEY, TEST_SESSION_KEY, make_settings
from tests.factories import HubUnderTest, add_user_token
from tests.hub.accounts import add_user
from tests.hub.conftest import _free_port

ZWSP = "\u200b"


@pytest.mark.parametrize(
    "password",
    [" " * 12, ZWSP * 12, "\u3000" * 12, "123456789012", "passwordpassword", "qwertyuiop123", "aaaaaaaaaaaa",
     "correct horse\u200bbattery", "tab\there is fine?x", "short one"],
)
def test_weak_or_invisible_passwords_are_refused(password: str) -> None:
    with pytest.raises(PasswordRefused) as refused:
        checked(password)
    assert password not in str(refused.value)


def test_normalised_passwords_sign_in_alike() -> None:
    assert checked("ｃｏｒｒｅｃｔ ｈｏｒｓｅ ｂａｔｔｅｒｙ") == "correct horse battery"
    assert checked("a long enough passphrase, with ümlauts") == "a long enough passphrase, with ümlauts"


@pytest.mark.parametrize("password", [" " * 12, ZWSP * 12, "123456789012"])
def test_the_api_refuses_the_attack_passwords(hub: HubUnderTest, password: str) -> None:
    token = hub.arrange(add_user_token, "hub-ops", "operator", "ops-one")
    response = hub.client.post(
        "/api/v1/users",
        json={"username": "weak.user", "display_name": "W", "org_id": "hub-ops", "role": "analyst", "password": password},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code in (400, 422), response.text
    assert password not in response.text


def test_a_fullwidth_password_signs_in_with_its_ascii_twin(hub: HubUnderTest) -> None:
    from tests.hub.accounts import login

    hub.arrange(add_user, "wide", "analyst", "ngo-a", password="ｃｏｒｒｅｃｔ ｈｏｒｓｅ ｂａｔｔｅｒｙ")
    login(hub.client, "wide", "correct horse battery")


# --- L6: operators cannot lock the hub out ---------------------------------------------------


def test_an_operator_cannot_disable_themselves_or_the_last_operator(hub: HubUnderTest) -> None:
    token = hub.arrange(add_user_token, "hub-ops", "operator", "ops-one")
    headers = {"Authorization": f"Bearer {token}"}
    own = hub.client.post("/api/v1/users/ops-one/disable", headers=headers)
    assert own.status_code == 409, own.text
    assert hub.client.get("/api/v1/orgs", headers=headers).status_code == 200  # still signed in
    own_org = hub.client.post("/api/v1/orgs/hub-ops/disable", headers=headers)
    assert own_org.status_code == 409, own_org.text
    second = hub.arrange(add_user_token, "hub-ops", "operator", "ops-two")
    assert hub.client.post("/api/v1/users/ops-two/disable", headers=headers).status_code == 200
    assert hub.client.get("/api/v1/orgs", headers={"Authorization": f"Bearer {second}"}).status_code == 401


def test_the_last_operator_cannot_be_disabled_from_the_command_line(hub: HubUnderTest) -> None:
    from hub.errors import Conflict
    from hub.models import UserStatus
    from hub.partners import service

    hub.arrange(add_user_token, "hub-ops", "operator", "ops-one")
    with pytest.raises(Conflict):
        hub.arrange(service.set_user_status, "ops-one", UserStatus.disabled, actor="cli:root")


# --- L5: failed bearer attempts and proxies --------------------------------------------------


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
