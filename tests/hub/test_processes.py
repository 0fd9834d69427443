"""Two real `msht-hub serve` processes on one database: sessions, logout, rate limits and token ids are shared."""

from datetime import timedelta

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from hub.db import make_engine, make_sessionmaker
from hub.partners import service
from tests.factories import PARTNER_TYP, FakePartner, upload_token
from tests.factories.accounts import PASSWORD, add_user, transaction

pytestmark = pytest.mark.slow

def test_two_processes_share_sessions_limits_and_token_ids(db_url: str, hub_processes: tuple[str, str]) -> None:
    engine = make_engine(db_url)
    private = Ed25519PrivateKey.generate()
    with transaction(make_sessionmaker(engine)) as session:
        add_user(session, "bola", "borough_officer", "lb-newham")
        token = service.issue_enrolment_token(session, "lb-newham", "test", timedelta(hours=1))
    engine.dispose()
    a, b = hub_processes
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
