"""The assembled app: health, API docs without a CDN, strict security headers, safe errors, no anonymous API."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

import hub.main
from hub.auth.replay import remember_jti
from hub.main import CSP, create_app
from hub.models import UsedTokenId, WebSession
from tests.conftest import make_settings
from tests.factories.accounts import add_user, transaction

# API routes anyone may call.
PUBLIC_API = {
    ("POST", "/api/v1/enrol"),  # authenticated by its one-time token in the body
    ("GET", "/api/v1/hub-key"),  # the hub's public receipt-signing key
}


@pytest.fixture
def app(sqlite_url: str, tmp_path: Path) -> Iterator[FastAPI]:
    app = create_app(make_settings(sqlite_url, tmp_path))
    yield app
    app.state.engine.dispose()


def test_nothing_built_at_import_time() -> None:
    assert not any(isinstance(value, FastAPI) for value in vars(hub.main).values())


def test_healthz(app: FastAPI) -> None:
    with TestClient(app) as client:
        assert client.get("/healthz").json() == {"status": "ok"}


def test_csp_names_no_external_origin() -> None:
    assert "default-src" in CSP
    for directive in CSP.split(";"):
        name, *sources = directive.split()
        assert all(s in {"'self'", "'none'", "data:"} for s in sources), name
    assert "'unsafe-inline'" not in CSP
    assert "'unsafe-eval'" not in CSP


@pytest.mark.parametrize("path", ["/healthz", "/docs", "/openapi.json", "/login", "/static/app.css", "/no-such-page", "/api/v1/orgs"])
def test_security_headers_on_every_response(app: FastAPI, path: str) -> None:
    with TestClient(app) as client:
        headers = client.get(path).headers
    assert headers["content-security-policy"] == CSP
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    assert "strict-transport-security" not in headers  # plain http here
    if not path.startswith("/static/"):
        assert headers["cache-control"] == "no-store"


def test_docs_served_by_the_hub_alone(app: FastAPI) -> None:
    with TestClient(app) as client:
        page = client.get("/docs")
        schema = client.get("/openapi.json").json()
    assert page.status_code == 200
    assert "/api/v1/enrol" in page.text
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page.text)
    assert "/api/v1/audit/verify" in schema["paths"]


def test_validation_errors_never_echo_input(app: FastAPI) -> None:
    secret = "Jane Doe 07700 900123"
    with TestClient(app) as client:
        response = client.post("/api/v1/enrol", json={"token": secret, "public_key": secret, "extra": secret})
    assert response.status_code == 422
    assert "Jane" not in response.text
    assert response.json()["problems"]


def test_api_refuses_anonymous_callers(app: FastAPI) -> None:
    checked, open_routes = 0, []
    with TestClient(app) as client:
        for route, operations in app.openapi()["paths"].items():
            if not route.startswith("/api/"):
                continue
            path = re.sub(r"\{[^}]+\}", "x", route)
            for method in (m.upper() for m in operations):
                if (method, route) in PUBLIC_API:
                    continue
                response = client.request(method, path, json={})
                if response.status_code != 401:
                    open_routes.append(f"{method} {route} -> {response.status_code}")
                checked += 1
    assert open_routes == []
    assert checked >= 10


def test_startup_purges_expired_shared_state(app: FastAPI) -> None:
    now = datetime.now(UTC)
    with transaction(app.state.sessions) as session:
        user = add_user(session, "olive", "operator", "hub-ops")
        remember_jti(session, jti="old", issuer="x", expires_at=now - timedelta(hours=1))
        remember_jti(session, jti="live", issuer="x", expires_at=now + timedelta(hours=1))
        session.add(WebSession(id="s-old", user_id=user.id, csrf_token="c", created_at=now - timedelta(hours=2), expires_at=now - timedelta(hours=1)))
    with TestClient(app):
        pass
    with transaction(app.state.sessions) as session:
        assert list(session.scalars(select(UsedTokenId.jti))) == ["live"]
        assert session.scalar(select(func.count()).select_from(WebSession)) == 0


def test_hsts_over_https(sqlite_url: str, tmp_path: Path) -> None:
    app = create_app(make_settings(sqlite_url, tmp_path, base_url="https://hub.example.org"))
    with TestClient(app, base_url="https://testserver") as client:
        assert client.get("/healthz").headers["strict-transport-security"].startswith("max-age=")
    app.state.engine.dispose()
