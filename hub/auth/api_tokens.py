"""API tokens for scripts (``msht_…``): stored as SHA-256 only, shown once."""

import hashlib
import secrets
from datetime import timedelta
from typing import Final

from fastapi import Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import ratelimit
from hub.auth import clock
from hub.auth.principal import Principal, principal_for
from hub.config import HubSettings
from hub.errors import NotAuthenticated
from hub.models import ApiToken, Organisation, User

API_TOKEN_PREFIX: Final = "msht_"  # noqa: S105 - a prefix, not a secret


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def create_api_token(session: Session, user: User, *, label: str, days: int = 90) -> str:
    """A new bearer token for scripts; only its SHA-256 is stored, so it is shown once."""
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = clock.now()
    session.add(
        ApiToken(
            user_id=user.id,
            token_sha256=_sha256(token),
            label=label[:120],
            created_at=now,
            expires_at=now + timedelta(days=days),
        )
    )
    session.flush()
    return token


def _from_api_token(session: Session, token: str) -> Principal:
    """The token's principal: token, user and organisation in one query (every API call does this)."""
    found = session.execute(
        select(ApiToken, User, Organisation)
        .join(User, User.id == ApiToken.user_id)
        .join(Organisation, Organisation.id == User.org_id)
        .where(ApiToken.token_sha256 == _sha256(token))
    ).first()
    if found is None:
        raise NotAuthenticated("the API token is not valid")
    row, user, _org = found  # the organisation is now in the session: principal_for reads it from there
    if row.revoked_at is not None or clock.aware(row.expires_at) <= clock.now():
        raise NotAuthenticated("the API token is not valid")
    return principal_for(session, user)


def count_bearer_failure(request: Request, session: Session, settings: HubSettings) -> None:
    """Count one failed bearer attempt (API or OIDC token) of the client address; 429 past the
    hourly limit. Only failures are counted and refused: a valid token is never locked out by
    someone else's guesses from the same address (a shared NAT, a proxy)."""
    key = "bearer-failure:" + _sha256(request.client.host if request.client else "unknown")[:32]
    session.rollback()  # the request fails anyway; release SQLite's write lock for the count
    ratelimit.guard(request.app.state.sessions, key, limit=settings.bearer_failures_per_hour)


def principal_from_api_token(request: Request, session: Session, settings: HubSettings, token: str) -> Principal:
    try:
        return _from_api_token(session, token)
    except NotAuthenticated:
        count_bearer_failure(request, session, settings)
        raise
