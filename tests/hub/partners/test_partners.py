"""Organisations, users, one-time enrolment, key rotation and revocation — all audited, on a real database."""

import base64
import hashlib
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from hub import audit
from hub.auth.api_tokens import create_api_token
from hub.main import create_app
from hub.models import AuditEntry, EnrolmentToken, PartnerKey
from hub.partners import service
from tests.conftest import make_settings
from tests.factories import PARTNER_TYP, FakePartner, upload_token
from tests.factories.accounts import add_user, transaction


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[FastAPI]:
    app = create_app(make_settings(db_url, tmp_path))
    yield app
    app.state.engine.dispose()


@pytest.fixture
def operator(app: FastAPI) -> dict[str, str]:
    with transaction(app.state.sessions) as session:
        user = add_user(session, "olive", "operator", "hub-ops")
        token = create_api_token(session, user, label="test")
    return {"Authorization": f"Bearer {token}"}


def _b64_public(private: Ed25519PrivateKey) -> str:
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def _enrol_token(client: TestClient, auth: dict[str, str], org: str = "ngo-one", ttl_hours: int = 1) -> str:
    response = client.post(f"/api/v1/orgs/{org}/enrolment-tokens", json={"ttl_hours": ttl_hours}, headers=auth)
    assert response.status_code == 201, response.text
    return str(response.json()["token"])


def _add_ngo(client: TestClient, auth: dict[str, str], org: str = "ngo-one") -> None:
    response = client.post("/api/v1/orgs", json={"id": org, "name": "Unseen Test", "kind": "NGO"}, headers=auth)
    assert response.status_code == 201, response.text


def _actions(app: FastAPI) -> list[str]:
    with transaction(app.state.sessions) as session:
        return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    raise AssertionError


def test_orgs_and_users_by_operator(app: FastAPI, operator: dict[str, str]) -> None:
    with TestClient(app) as client:
        borough = {"id": "lb-hackney", "name": "Hackney", "kind": "LocalGovernmentOrganisation", "gss_code": "E09000012"}
        assert client.post("/api/v1/orgs", json=borough, headers=operator).status_code == 201
        assert client.post("/api/v1/orgs", json=borough, headers=operator).status_code == 409
        no_gss = {"id": "lb-x", "name": "X", "kind": "LocalGovernmentOrganisation"}
        assert client.post("/api/v1/orgs", json=no_gss, headers=operator).status_code == 400
        bad = client.post("/api/v1/orgs", json={"id": "Bad Id!", "name": "Jane Doe", "kind": "Gang"}, headers=operator)
        assert bad.status_code == 422
        assert "Jane" not in bad.text
        assert "Gang" not in bad.text
        user = {"username": "hana", "display_name": "Hana", "org_id": "lb-hackney", "role": "borough_officer", "password": "a long enough password"}
        created = client.post("/api/v1/users", json=user, headers=operator)
        assert created.status_code == 201
        assert "password" not in created.text
        assert client.post("/api/v1/users", json=user | {"username": "x2", "password": "short"}, headers=operator).status_code == 422
        officer_at_ngo = user | {"username": "wrong", "org_id": "hub-ops"}
        assert client.post("/api/v1/users", json=officer_at_ngo, headers=operator).status_code == 400
        assert [u["username"] for u in client.get("/api/v1/users?org=lb-hackney", headers=operator).json()] == ["hana"]
        assert {o["id"] for o in client.get("/api/v1/orgs", headers=operator).json()} == {"hub-ops", "lb-hackney"}
    assert _actions(app) == ["org.add", "user.add"]


def test_enrolment_token_is_one_time_and_stored_hashed(app: FastAPI, operator: dict[str, str]) -> None:
    private = Ed25519PrivateKey.generate()
    with TestClient(app) as client:
        _add_ngo(client, operator)
        token = _enrol_token(client, operator)
        response = client.post("/api/v1/enrol", json={"token": token, "public_key": _b64_public(private)})
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["org_id"] == "ngo-one"
        assert body["hub_public_key"] == app.state.secrets.signing_public_key_b64
        hub_key = Ed25519PublicKey.from_public_bytes(base64.b64decode(body["hub_public_key"]))
        assert hub_key is not None
        again = client.post("/api/v1/enrol", json={"token": token, "public_key": _b64_public(Ed25519PrivateKey.generate())})
        assert again.status_code == 401
        keys = client.get("/api/v1/keys?org=ngo-one", headers=operator).json()
        assert [k["kid"] for k in keys] == [body["kid"]]
    with transaction(app.state.sessions) as session:
        row = session.scalars(select(EnrolmentToken)).one()
        assert row.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
        assert row.used_at is not None
        dump = " ".join(str(v) for v in session.execute(text("SELECT * FROM enrolment_tokens")).one())
        assert token not in dump
        assert service.active_key(session, body["kid"]) is not None
    assert _actions(app) == ["org.add", "enrolment.token", "partner.enrol"]


def test_expired_and_unknown_tokens_refused(app: FastAPI, operator: dict[str, str]) -> None:
    with TestClient(app) as client:
        _add_ngo(client, operator)
        token = _enrol_token(client, operator)
        with transaction(app.state.sessions) as session:
            session.execute(update(EnrolmentToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        key = _b64_public(Ed25519PrivateKey.generate())
        assert client.post("/api/v1/enrol", json={"token": token, "public_key": key}).status_code == 401
        assert client.post("/api/v1/enrol", json={"token": "msht-enrol-" + "x" * 40, "public_key": key}).status_code == 401
    with transaction(app.state.sessions) as session:
        assert session.scalars(select(PartnerKey)).all() == []


@pytest.mark.parametrize("public_key", ["not base64 at all!!" * 3, base64.b64encode(b"x" * 31).decode() + "AAAAAAAAAAAA", base64.b64encode(b"y" * 33).decode()])
def test_bad_public_key_refused_and_token_kept(app: FastAPI, operator: dict[str, str], public_key: str) -> None:
    with TestClient(app) as client:
        _add_ngo(client, operator)
        token = _enrol_token(client, operator)
        response = client.post("/api/v1/enrol", json={"token": token, "public_key": public_key})
        assert response.status_code in (400, 422)
        assert public_key not in response.text
        good = client.post("/api/v1/enrol", json={"token": token, "public_key": _b64_public(Ed25519PrivateKey.generate())})
        assert good.status_code == 201  # a refused attempt does not burn the token


def test_concurrent_enrolment_with_one_token_registers_one_key(app: FastAPI, operator: dict[str, str]) -> None:
    with TestClient(app) as client:
        _add_ngo(client, operator)
        token = _enrol_token(client, operator)
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def attempt() -> None:
        with TestClient(app) as client:
            barrier.wait()
            response = client.post("/api/v1/enrol", json={"token": token, "public_key": _b64_public(Ed25519PrivateKey.generate())})
            statuses.append(response.status_code)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [201, 401, 401, 401]
    with transaction(app.state.sessions) as session:
        assert len(session.scalars(select(PartnerKey)).all()) == 1


def _enrol(client: TestClient, auth: dict[str, str]) -> FakePartner:
    private = Ed25519PrivateKey.generate()
    token = _enrol_token(client, auth)
    body = client.post("/api/v1/enrol", json={"token": token, "public_key": _b64_public(private)}).json()
    return FakePartner(org_id=body["org_id"], kid=body["kid"], private_key=private)


def test_revoke_by_operator(app: FastAPI, operator: dict[str, str]) -> None:
    with TestClient(app) as client:
        _add_ngo(client, operator)
        partner = _enrol(client, operator)
        response = client.post(f"/api/v1/keys/{partner.kid}/revoke", headers=operator)
        assert response.status_code == 200
        assert response.json()["status"] == "revoked"
        assert client.post("/api/v1/keys/nope/revoke", headers=operator).status_code == 404
        rotate = client.post(
            "/api/v1/keys/rotate",
            json={"public_key": _b64_public(Ed25519PrivateKey.generate())},
            headers={"Authorization": f"Bearer {upload_token(partner, typ=PARTNER_TYP)}"},
        )
        assert rotate.status_code == 401  # a revoked key cannot rotate itself back in
    with transaction(app.state.sessions) as session:
        assert service.active_key(session, partner.kid) is None
    assert _actions(app)[-1] == "partner.revoke_key"


def test_rotation_signed_by_current_key(app: FastAPI, operator: dict[str, str]) -> None:
    new_private = Ed25519PrivateKey.generate()
    with TestClient(app) as client:
        _add_ngo(client, operator)
        partner = _enrol(client, operator)
        auth = {"Authorization": f"Bearer {upload_token(partner, typ=PARTNER_TYP)}"}
        response = client.post("/api/v1/keys/rotate", json={"public_key": _b64_public(new_private)}, headers=auth)
        assert response.status_code == 201, response.text
        new_kid = response.json()["kid"]
        replay = client.post("/api/v1/keys/rotate", json={"public_key": _b64_public(Ed25519PrivateKey.generate())}, headers=auth)
        assert replay.status_code == 401
        keys = {k["kid"]: k["status"] for k in client.get("/api/v1/keys", headers=operator).json()}
        assert keys == {partner.kid: "revoked", new_kid: "active"}
    with transaction(app.state.sessions) as session:
        assert service.active_key(session, partner.kid) is None
        assert service.active_key(session, new_kid) is not None


def test_key_id_is_rfc7638_thumbprint() -> None:
    # RFC 8037 appendix A.3: the thumbprint of its example Ed25519 key
    x = base64.urlsafe_b64decode("11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
    assert service.key_id(x) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


def test_disabling_org_revokes_its_keys(app: FastAPI, operator: dict[str, str]) -> None:
    with TestClient(app) as client:
        _add_ngo(client, operator)
        partner = _enrol(client, operator)
        assert client.post("/api/v1/orgs/ngo-one/disable", headers=operator).json()["status"] == "disabled"
        response = client.post("/api/v1/orgs/ngo-one/enrolment-tokens", json={}, headers=operator)
        assert response.status_code == 409
    with transaction(app.state.sessions) as session:
        assert service.active_key(session, partner.kid) is None


def test_partner_api_needs_operator(app: FastAPI) -> None:
    with transaction(app.state.sessions) as session:
        officer = add_user(session, "bola", "borough_officer", "lb-newham")
        token = create_api_token(session, officer, label="t")
    with TestClient(app) as client:
        auth = {"Authorization": f"Bearer {token}"}
        for method, path in [("get", "/api/v1/orgs"), ("post", "/api/v1/orgs/lb-newham/enrolment-tokens"), ("get", "/api/v1/keys"), ("post", "/api/v1/keys/x/revoke"), ("get", "/api/v1/users")]:
            kwargs: dict[str, Any] = {"json": {}} if method == "post" else {}
            assert getattr(client, method)(path, headers=auth, **kwargs).status_code == 403, path


def test_partner_lists_access_events_on_its_data(app: FastAPI, operator: dict[str, str]) -> None:
    with TestClient(app) as client:
        _add_ngo(client, operator)
        partner = _enrol(client, operator)
        with transaction(app.state.sessions) as session:
            audit.record(session, actor="user:bola", action="stats.read", target="borough:E09000025", agreement_id="london", providers=["ngo-one", "police-met"])
            audit.record(session, actor="user:bola", action="stats.read", target="borough:E09000025", agreement_id="london", providers=["police-met"])
        response = client.get("/api/v1/audit/partner", headers={"Authorization": f"Bearer {upload_token(partner, typ=PARTNER_TYP)}"})
        assert response.status_code == 200, response.text
        assert [(e["actor"], e["action"]) for e in response.json()] == [("user:bola", "stats.read")]
