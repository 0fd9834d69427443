"""Sign-in, sessions, CSRF, API tokens and role checks, through the real app on a migrated database."""

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import jwt
import pytest
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from anonymise.agreement import ViewerRole
from hub.auth.api_tokens import create_api_token
from hub.auth.pages import CsrfForm, PagePrincipal, csrf_token, page_roles
from hub.auth.principal import Principal
from hub.main import create_app
from hub.models import ApiToken, AuditEntry, WebSession
from hub.pages.login import safe_next
from tests.conftest import make_settings
from tests.factories.accounts import PASSWORD, add_user, csrf_of, login, transaction

probe = APIRouter()


@probe.get("/probe/page")
def _page(principal: PagePrincipal) -> dict[str, str]:
    return {"username": principal.username}


@probe.get("/probe/operator-page")
def _operator_page(principal: Annotated[Principal, Depends(page_roles(ViewerRole.operator))]) -> dict[str, str]:
    return {"username": principal.username}


@probe.post("/probe/form")
def _form(principal: CsrfForm) -> dict[str, str]:
    return {"username": principal.username}


@probe.get("/probe/csrf")
def _csrf(principal: PagePrincipal, request: Request) -> dict[str, str]:
    return {"csrf": csrf_token(request)}


def _app(db_url: str, tmp_path: Path, **overrides: object) -> FastAPI:
    app = create_app(make_settings(db_url, tmp_path, **overrides))
    app.include_router(probe)
    with transaction(app.state.sessions) as session:
        add_user(session, "olive", ViewerRole.operator, "hub-ops")
        add_user(session, "bola", ViewerRole.borough_officer, "lb-newham")
    return app


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[FastAPI]:
    app = _app(db_url, tmp_path)
    yield app
    app.state.engine.dispose()


def _post_login(client: TestClient, username: str, password: str, *, csrf: str | None = None, next_url: str = "/") -> Any:
    client.get("/login")
    token = client.cookies.get("msht_login_csrf") if csrf is None else csrf
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token, "next": next_url}, follow_redirects=False)


def test_login_sets_strict_session_cookie_and_signs_in(app: FastAPI) -> None:
    with TestClient(app) as client:
        response = _post_login(client, "bola", PASSWORD, next_url="/probe/page")
        assert response.status_code == 303
        assert response.headers["location"] == "/probe/page"
        cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("msht_session="))
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie
        assert "Secure" not in cookie
        assert client.get("/probe/page").json() == {"username": "bola"}
        me = client.get("/api/v1/session").json()
        assert me["role"] == "borough_officer"
        assert me["gss_code"] == "E09000025"
        assert me["csrf_token"]


def test_secure_cookie_over_https(db_url: str, tmp_path: Path) -> None:
    app = _app(db_url, tmp_path, base_url="https://hub.example.org")
    with TestClient(app, base_url="https://testserver") as client:
        response = _post_login(client, "bola", PASSWORD)
        cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("msht_session="))
        assert "Secure" in cookie
        assert "max-age=31536000" in client.get("/healthz").headers["strict-transport-security"]
    app.state.engine.dispose()


def test_wrong_password_and_unknown_user_look_the_same(app: FastAPI) -> None:
    with TestClient(app) as client:
        wrong = _post_login(client, "bola", "not the password at all")
        unknown = _post_login(client, "nobody", "not the password at all")
        assert wrong.status_code == unknown.status_code == 401
        assert "Wrong username or password." in wrong.text
        assert "Wrong username or password." in unknown.text
        assert "nobody" not in unknown.text
        assert client.get("/api/v1/session").status_code == 401
    with transaction(app.state.sessions) as session:
        entries = session.execute(select(AuditEntry.action, AuditEntry.target)).all()
        assert [tuple(e) for e in entries] == [("session.login_failed", "user:bola")]  # never the unknown name


def test_disabled_user_cannot_sign_in(app: FastAPI) -> None:
    with transaction(app.state.sessions) as session:
        session.execute(text("UPDATE users SET status = 'disabled' WHERE username = 'bola'"))
    with TestClient(app) as client:
        assert _post_login(client, "bola", PASSWORD).status_code == 401


def test_login_form_needs_its_csrf_token(app: FastAPI) -> None:
    with TestClient(app) as client:
        assert _post_login(client, "bola", PASSWORD, csrf="forged").status_code == 403
        client.cookies.clear()
        response = client.post("/login", data={"username": "bola", "password": PASSWORD}, follow_redirects=False)
        assert response.status_code == 403
        assert not client.cookies.get("msht_session")


@pytest.mark.slow
def test_login_attempts_rate_limited_in_the_database(app: FastAPI) -> None:
    with TestClient(app) as client:
        for _ in range(10):
            assert _post_login(client, "bola", "wrong password guess").status_code == 401
        response = _post_login(client, "bola", PASSWORD)
        assert response.status_code == 429
        assert "Too many" in response.text
    # a second "process" sharing the database sees the same count
    with transaction(app.state.sessions) as session:
        assert session.execute(text("SELECT sum(count) FROM rate_counters WHERE key LIKE 'login:user:%'")).scalar_one() == 11
    with TestClient(app) as client:
        assert _post_login(client, "olive", PASSWORD).status_code == 303


@pytest.mark.parametrize(
    ("raw", "safe"),
    [("/dashboard?q=1", "/dashboard?q=1"), ("//evil.example/x", "/"), ("https://evil.example", "/"),
     ("/\\evil.example", "/"), ("", "/"), ("/ok\r\nSet-Cookie: x", "/"), ("javascript:alert(1)", "/")],
)
def test_next_is_never_another_site(raw: str, safe: str) -> None:
    assert safe_next(raw) == safe


def test_login_redirect_ignores_external_next(app: FastAPI) -> None:
    with TestClient(app) as client:
        response = _post_login(client, "bola", PASSWORD, next_url="//evil.example/")
        assert response.headers["location"] == "/"


def test_pages_redirect_to_login_and_refuse_wrong_role(app: FastAPI) -> None:
    with TestClient(app) as client:
        response = client.get("/probe/page?x=1", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/probe/page%3Fx%3D1"
        login(client, "bola")
        response = client.get("/probe/operator-page")
        assert response.status_code == 403
        assert "Not allowed" in response.text
    with TestClient(app) as client:
        login(client, "olive")
        assert client.get("/probe/operator-page").json() == {"username": "olive"}


def test_forms_need_the_session_csrf_token(app: FastAPI) -> None:
    with TestClient(app) as client:
        login(client, "bola")
        token = client.get("/probe/csrf").json()["csrf"]
        assert token
        assert token == csrf_of(client)
        assert client.post("/probe/form", data={"csrf_token": "nope"}).status_code == 403
        assert client.post("/probe/form", data={}).status_code == 403
        assert client.post("/probe/form", data={"csrf_token": token}).json() == {"username": "bola"}
    with TestClient(app) as other:  # another user's token does not work for this session
        login(other, "olive")
        assert other.post("/probe/form", data={"csrf_token": token}).status_code == 403


def test_cookie_authenticated_api_writes_need_csrf_header(app: FastAPI) -> None:
    body = {"id": "ngo-two", "name": "NGO Two", "kind": "NGO"}
    with TestClient(app) as client:
        login(client, "olive")
        assert client.post("/api/v1/orgs", json=body).status_code == 403
        assert client.post("/api/v1/orgs", json=body, headers={"X-CSRF-Token": "wrong"}).status_code == 403
        assert client.post("/api/v1/orgs", json=body, headers={"X-CSRF-Token": csrf_of(client)}).status_code == 201


def test_logout_ends_the_session_everywhere(db_url: str, tmp_path: Path) -> None:
    """Two apps on one database stand for two hub processes behind a load balancer."""
    first = _app(db_url, tmp_path)
    second = create_app(make_settings(db_url, tmp_path))
    with TestClient(first) as a, TestClient(second) as b:
        login(a, "bola")
        stolen = a.cookies.get("msht_session")
        b.cookies.set("msht_session", stolen or "")
        assert b.get("/api/v1/session").json()["username"] == "bola"
        token = a.get("/probe/csrf").json()["csrf"]
        response = a.post("/logout", data={"csrf_token": token}, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/login"
        assert b.get("/api/v1/session").status_code == 401  # the copied cookie is dead too
        assert a.get("/api/v1/session").status_code == 401
    with transaction(first.state.sessions) as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["session.login", "session.logout"]
    first.state.engine.dispose()
    second.state.engine.dispose()


def test_logout_needs_csrf(app: FastAPI) -> None:
    with TestClient(app) as client:
        login(client, "bola")
        assert client.post("/logout", data={"csrf_token": "x"}).status_code == 403
        assert client.get("/api/v1/session").status_code == 200


def test_disabling_a_user_ends_sessions_and_tokens(app: FastAPI) -> None:
    with transaction(app.state.sessions) as session:
        bola = session.scalar(text("SELECT id FROM users WHERE username = 'bola'"))
        from hub.models import User

        token = create_api_token(session, session.get(User, bola), label="script")  # type: ignore[arg-type]
    with TestClient(app) as client, TestClient(app) as operator:
        login(client, "bola")
        assert client.get("/api/v1/session").status_code == 200
        assert client.get("/api/v1/session", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        login(operator, "olive")
        response = operator.post("/api/v1/users/bola/disable", headers={"X-CSRF-Token": csrf_of(operator)})
        assert response.status_code == 200
        assert response.json()["status"] == "disabled"
        assert client.get("/api/v1/session").status_code == 401
        client.cookies.clear()
        assert client.get("/api/v1/session", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_forged_or_expired_session_cookie_is_not_a_session(app: FastAPI) -> None:
    with TestClient(app) as client:
        login(client, "bola")
        real = client.get("/api/v1/session")
        assert real.status_code == 200
        claims = jwt.decode(client.cookies["msht_session"], options={"verify_signature": False})
        forged = jwt.encode(claims, "attacker-key-0123456789abcdef0123456789", algorithm="HS256", headers={"typ": "msht-session+jwt"})
        client.cookies.clear()
        client.cookies.set("msht_session", forged)
        assert client.get("/api/v1/session").status_code == 401
    with TestClient(app) as client:
        login(client, "bola")
        with transaction(app.state.sessions) as session:
            session.execute(update(WebSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        assert client.get("/api/v1/session").status_code == 401


def test_session_renewed_while_in_use(db_url: str, tmp_path: Path) -> None:
    app = _app(db_url, tmp_path, session_minutes=30)
    with TestClient(app) as client:
        login(client, "bola")
        first = client.cookies["msht_session"]
        with transaction(app.state.sessions) as session:  # 10 of 30 minutes left: past half-life
            session.execute(update(WebSession).values(expires_at=datetime.now(UTC) + timedelta(minutes=10)))
        response = client.get("/api/v1/session")
        assert response.status_code == 200
        assert "msht_session=" in response.headers["set-cookie"]
        renewed = jwt.decode(client.cookies["msht_session"], options={"verify_signature": False})
        assert renewed["exp"] >= jwt.decode(first, options={"verify_signature": False})["exp"]
        assert renewed["exp"] > (datetime.now(UTC) + timedelta(minutes=29)).timestamp()
        with transaction(app.state.sessions) as session:
            row = session.scalars(select(WebSession)).one()
            left = row.expires_at.replace(tzinfo=UTC) - datetime.now(UTC)
            assert timedelta(minutes=29) < left <= timedelta(minutes=30)
    app.state.engine.dispose()


def test_api_tokens_stored_as_sha256_only(app: FastAPI) -> None:
    from hub.models import User

    with transaction(app.state.sessions) as session:
        user = session.scalars(select(User).where(User.username == "olive")).one()
        token = create_api_token(session, user, label="nightly export", days=1)
    assert token.startswith("msht_")
    with transaction(app.state.sessions) as session:
        row = session.scalars(select(ApiToken)).one()
        assert row.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
        dump = " ".join(str(v) for v in session.execute(text("SELECT * FROM api_tokens")).one())
        assert token not in dump
    with TestClient(app) as client:
        auth = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/orgs", headers=auth).status_code == 200
        assert client.post("/api/v1/orgs", json={"id": "ngo-x", "name": "X", "kind": "NGO"}, headers=auth).status_code == 201  # no CSRF for bearer
        assert client.get("/api/v1/orgs", headers={"Authorization": f"Bearer {token}x"}).status_code == 401
        assert client.get("/api/v1/orgs", headers={"Authorization": f"Basic {token}"}).status_code == 401
        assert client.get("/api/v1/orgs", headers={"Authorization": "Bearer not-an-api-token"}).status_code == 401
    with transaction(app.state.sessions) as session:
        session.execute(update(ApiToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    with TestClient(app) as client:
        response = client.get("/api/v1/orgs", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"


def test_roles_enforced_on_operator_api(app: FastAPI) -> None:
    with TestClient(app) as client:
        login(client, "bola")
        assert client.get("/api/v1/orgs").status_code == 403
        assert client.get("/api/v1/users").status_code == 403
        assert client.get("/api/v1/keys").status_code == 403
    with TestClient(app) as client:
        assert client.get("/api/v1/orgs").status_code == 401
