"""Web sessions: the ``msht_session`` cookie, a short-lived HS256 token naming a server-side
``WebSession`` row, so logout and disabling a user take effect in every hub process at once."""

import secrets
from datetime import datetime, timedelta
from typing import Final

import jwt
from fastapi import Request, Response
from sqlalchemy import update
from sqlalchemy.orm import Session

from hub.auth import clock
from hub.auth.principal import Principal, principal_for
from hub.auth.tokens import decode_jwt
from hub.config import HubSettings
from hub.errors import NotAuthenticated
from hub.models import ApiToken, User, WebSession
from hub.secrets import HubSecrets

SESSION_COOKIE: Final = "msht_session"
SESSION_TYP: Final = "msht-session+jwt"
SESSION_ISSUER: Final = "msht-hub"
SESSION_AUDIENCE: Final = "msht-hub-web"
SESSION_MAX_HOURS: Final = 12


def session_cookie_token(secrets_: HubSecrets, sid: str, username: str, expires_at: datetime) -> str:
    now = clock.now()
    claims = {
        "iss": SESSION_ISSUER,
        "aud": SESSION_AUDIENCE,
        "sub": username,
        "sid": sid,
        "iat": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
    }
    return jwt.encode(claims, secrets_.session_key, algorithm="HS256", headers={"typ": SESSION_TYP})


def start_session(
    session: Session, settings: HubSettings, secrets_: HubSecrets, user: User
) -> tuple[str, WebSession]:
    """Create the server-side session row and the cookie token that names it."""
    now = clock.now()
    row = WebSession(
        id=secrets.token_urlsafe(32),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + timedelta(minutes=settings.session_minutes),
    )
    session.add(row)
    session.flush()
    return session_cookie_token(secrets_, row.id, user.username, row.expires_at), row


def set_session_cookie(response: Response, settings: HubSettings, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_MAX_HOURS * 3600,  # the token inside expires much sooner; the row decides
        path="/",
        secure=settings.https,
        httponly=True,
        samesite="strict",
    )


def end_session(session: Session, sid: str) -> None:
    session.execute(
        update(WebSession).where(WebSession.id == sid, WebSession.revoked_at.is_(None)).values(revoked_at=clock.now())
    )


def revoke_user_credentials(session: Session, user_id: int) -> None:
    """End every session and API token of a user (used when disabling the account)."""
    now = clock.now()
    session.execute(
        update(WebSession).where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None)).values(revoked_at=now)
    )
    session.execute(
        update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
    )


def principal_from_session_cookie(
    request: Request, session: Session, settings: HubSettings, secrets_: HubSecrets, token: str
) -> Principal | None:
    try:
        claims = decode_jwt(
            token,
            key=secrets_.session_key,
            algorithms=["HS256"],
            audience=SESSION_AUDIENCE,
            issuer=SESSION_ISSUER,
            typ=SESSION_TYP,
            leeway=5,
            required=("exp", "iat", "aud", "iss", "sid", "sub"),
        )
    except NotAuthenticated:
        return None
    row = session.get(WebSession, str(claims["sid"]))
    now = clock.now()
    if row is None or row.revoked_at is not None or clock.aware(row.expires_at) <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or user.username != claims["sub"]:
        return None
    try:
        principal = principal_for(session, user)
    except NotAuthenticated:
        return None
    request.state.csrf_token = row.csrf_token
    request.state.session_id = row.id
    lifetime = timedelta(minutes=settings.session_minutes)
    if clock.aware(row.expires_at) - now < lifetime / 2:  # sliding renewal, capped
        cap = clock.aware(row.created_at) + timedelta(hours=SESSION_MAX_HOURS)
        new_expiry = min(now + lifetime, cap)
        if new_expiry > clock.aware(row.expires_at):
            row.expires_at = new_expiry
            request.state.renewed_session = session_cookie_token(secrets_, row.id, user.username, new_expiry)
    return principal
