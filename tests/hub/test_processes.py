"""Two real `msht-hub serve` processes on one database: sessions, logout, rate limits and token ids are shared."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.db import make_engine, make_sessionmaker
from hub.partners import service
from tests.conftest import TEST_PSEUDONYM_KEY, TEST_SESSION_KEY, make_settings
from tests.factories import PARTNER_TYP, FakePartner, upload_token
from tests.hub.accounts import PASSWORD, add_user, transaction

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def hubs(db_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    make_settings(db_url, tmp_path)  # the signing key file
    env = os.environ | {
        "MSHT_DATABASE_URL": db_url,
        "MSHT_PSEUDONYM_KEY": TEST_PSEUDONYM_KEY,
        "MSHT_SESSION_KEY": TEST_SESSION_KEY,
        "MSHT_SIGNING_KEY_FILE": str(tmp_path / "hub-signing.pem"),
    }
    procs, urls = [], []
    for _ in range(2):
        port = _port()
        procs.append(subprocess.Popen(
            [str(BIN / "msht-hub"), "serve"], env=env | {"MSHT_PORT": str(port)},
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        ))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url, proc in zip(urls, procs, strict=True):
            for _ in range(300):
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


def test_two_processes_share_sessions_limits_and_token_ids(db_url: str, hubs: tuple[str, str]) -> None:
    engine = make_engine(db_url)
    private = Ed25519PrivateKey.generate()
    with transaction(make_sessionmaker(engine)) as session:
        add_user(session, "bola", "borough_officer", "lb-newham")
        token = service.issue_enrolment_token(session, "lb-newham", "test", timedelta(hours=1))
    engine.dispose()
    a, b = hubs
    with httpx.Client(base_url=a) as on_a, httpx.Client(base_url=b) as on_b:
        # sign in on A, use the session on B, sign out on A: B refuses it at once
        on_a.get("/login")
        csrf = on_a.cookies["msht_login_csrf"]
        response = on_a.post("/login", data={"username": "bola", "password": PASSWORD, "csrf_token": csrf, "next": "/"})
        assert response.status_code == 303
        cookie = {"Cookie": f"msht_session={on_a.cookies['msht_session']}"}
        me = on_b.get("/api/v1/session", headers=cookie)
        assert me.status_code == 200
        assert on_a.post("/logout", data={"csrf_token": me.json()["csrf_token"]}).status_code == 303
        assert on_b.get("/api/v1/session", headers=cookie).status_code == 401

        # a partner token used on A is a replay on B
        import base64

        from cryptography.hazmat.primitives import serialization

        raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        kid = on_b.post("/api/v1/enrol", json={"token": token, "public_key": base64.b64encode(raw).decode()}).json()["kid"]
        assert on_a.post("/api/v1/enrol", json={"token": token, "public_key": base64.b64encode(raw[::-1]).decode()}).status_code in (400, 401)
        partner = FakePartner(org_id="lb-newham", kid=kid, private_key=private)
        bearer = {"Authorization": f"Bearer {upload_token(partner, typ=PARTNER_TYP)}"}
        assert on_a.get("/api/v1/audit/partner", headers=bearer).status_code == 200
        replay = on_b.get("/api/v1/audit/partner", headers=bearer)
        assert replay.status_code == 401
        assert "already used" in replay.json()["detail"]

        # failed sign-ins count across both processes
        statuses = []
        for i in range(11):
            client = on_a if i % 2 else on_b
            client.get("/login")
            statuses.append(client.post("/login", data={"username": "bola", "password": "wrong guess here", "csrf_token": client.cookies["msht_login_csrf"]}).status_code)
        assert statuses[:9] == [401] * 9  # one attempt was the successful sign-in above
        assert statuses[9:] == [429, 429]
