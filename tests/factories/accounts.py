"""Test helpers for people: organisations, local users, signed-in TestClients (synthetic, fixed test passwords)."""

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from anonymise.agreement import ViewerRole
from hub.auth.passwords import hash_password
from hub.db import session_scope
from hub.models import Organisation, User

PASSWORD = "correct horse battery staple"

transaction = contextmanager(session_scope)
"""``with transaction(factory) as session:`` commits or rolls back, and always closes the session."""


def add_org(session: Session, org_id: str = "lb-newham", *, kind: str = "LocalGovernmentOrganisation", gss_code: str | None = "E09000025") -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        org = Organisation(id=org_id, name=f"Test {org_id}", kind=kind, gss_code=gss_code, status="active", created_at=datetime.now(UTC))
        session.add(org)
        session.flush()
    return org


@functools.cache
def _hash(password: str) -> str:
    return hash_password(password)  # argon2 is slow by design: hash each test password once


def add_user(session: Session, username: str, role: ViewerRole | str, org_id: str = "lb-newham", *, password: str = PASSWORD) -> User:
    """An active user in ``org_id`` (an operator's org is created as a hub operator organisation)."""
    if session.get(Organisation, org_id) is None:
        if ViewerRole(role) == ViewerRole.borough_officer or org_id.startswith("lb-"):
            add_org(session, org_id)
        else:
            add_org(session, org_id, kind="CentralGovernmentOrganisation", gss_code=None)
    user = User(username=username, display_name=username.title(), org_id=org_id, role=str(ViewerRole(role)), password_hash=_hash(password), status="active", created_at=datetime.now(UTC))
    session.add(user)
    session.flush()
    return user


def login(client: TestClient, username: str, password: str = PASSWORD, *, next_url: str = "/") -> None:
    """Sign ``client`` in through the real login form; raises if the hub refuses."""
    page = client.get("/login")
    assert page.status_code == 200, page.text
    token = client.cookies.get("msht_login_csrf")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": next_url},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    assert client.cookies.get("msht_session")


def csrf_of(client: TestClient) -> str:
    """The session's CSRF token, as a page would embed it (read from the WebSession row by the hub)."""
    response = client.get("/api/v1/session")
    assert response.status_code == 200, response.text
    return str(response.json()["csrf_token"])


@contextmanager
def signed_in(db_url: str, tmp_path: Path, username: str) -> Iterator[TestClient]:
    """A TestClient of a hub on ``db_url``, signed in as ``username``, with the statistics'
    in-memory answers and hide-set copies cleared before and after (a test's figures are its own)."""
    from hub.main import create_app
    from hub.statistics import hidesets, published
    from tests.conftest import make_settings

    published.clear()
    hidesets.forget_copies()
    try:
        with TestClient(create_app(make_settings(db_url, tmp_path)), base_url="http://127.0.0.1") as client:
            login(client, username)
            yield client
    finally:
        published.clear()
        hidesets.forget_copies()
