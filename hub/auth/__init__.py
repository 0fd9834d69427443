"""Who is calling: local passwords, web sessions, API tokens, OIDC bearer tokens, and the role dependencies.

A request is authenticated by, in order: ``Authorization: Bearer`` with an API token
(``msht_…``, stored as SHA-256 only) or an OIDC access token from the organisation's identity
provider; else the ``msht_session`` cookie, a short-lived HS256 token naming a server-side
``WebSession`` row, so logout and disabling a user take effect in every hub process at once.
"""

import functools
import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Final
from urllib.parse import quote

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from fastapi import Depends, Form, Request, Response
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from anonymise.agreement import ViewerRole
from hub import ratelimit
from hub.auth.tokens import decode_jwt
from hub.config import HubSettings
from hub.deps import SecretsDep, SessionDep, SettingsDep
from hub.errors import Forbidden, NotAuthenticated
from hub.models import ApiToken, Organisation, OrgStatus, User, UserStatus, WebSession
from hub.secrets import HubSecrets

SESSION_COOKIE: Final = "msht_session"
SESSION_TYP: Final = "msht-session+jwt"
SESSION_ISSUER: Final = "msht-hub"
SESSION_AUDIENCE: Final = "msht-hub-web"
SESSION_MAX_HOURS: Final = 12
API_TOKEN_PREFIX: Final = "msht_"  # noqa: S105 - a prefix, not a secret
CSRF_HEADER: Final = "x-csrf-token"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
MIN_PASSWORD_CHARS: Final = 12

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so both cases cost the same (made on first use)."""
    return _hasher.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Principal:
    user_id: int | None
    username: str
    display_name: str
    org_id: str
    org_kind: str
    gss_code: str | None
    role: ViewerRole

    @property
    def actor(self) -> str:
        """How the audit log names this caller."""
        return f"user:{self.username}"


# --- passwords ------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValueError(f"a password needs at least {MIN_PASSWORD_CHARS} characters")
    return _hasher.hash(password)


def authenticate_password(session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, or None (same work either way)."""
    user = session.scalar(select(User).where(User.username == username))
    stored = user.password_hash if user is not None and user.password_hash else _dummy_hash()
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None or not user.password_hash or user.status != UserStatus.active:
        return None
    org = session.get(Organisation, user.org_id)
    if org is None or org.status != OrgStatus.active:
        return None  # a disabled organisation's users sign in nowhere (principal_for refuses them too)
    if _hasher.check_needs_rehash(stored):
        user.password_hash = _hasher.hash(password)
    return user


def principal_for(session: Session, user: User) -> Principal:
    org = session.get(Organisation, user.org_id)
    if user.status != UserStatus.active or org is None or org.status != OrgStatus.active:
        raise NotAuthenticated("this account is disabled")
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        org_id=org.id,
        org_kind=org.kind,
        gss_code=org.gss_code,
        role=ViewerRole(user.role),
    )


# --- web sessions ---------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def session_cookie_token(secrets_: HubSecrets, sid: str, username: str, expires_at: datetime) -> str:
    now = _now()
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
    now = _now()
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
        update(WebSession).where(WebSession.id == sid, WebSession.revoked_at.is_(None)).values(revoked_at=_now())
    )


def revoke_user_credentials(session: Session, user_id: int) -> None:
    """End every session and API token of a user (used when disabling the account)."""
    now = _now()
    session.execute(
        update(WebSession).where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None)).values(revoked_at=now)
    )
    session.execute(
        update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
    )


def _from_session_cookie(
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
    now = _now()
    if row is None or row.revoked_at is not None or _aware(row.expires_at) <= now:
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
    if _aware(row.expires_at) - now < lifetime / 2:  # sliding renewal, capped
        cap = _aware(row.created_at) + timedelta(hours=SESSION_MAX_HOURS)
        new_expiry = min(now + lifetime, cap)
        if new_expiry > _aware(row.expires_at):
            row.expires_at = new_expiry
            request.state.renewed_session = session_cookie_token(secrets_, row.id, user.username, new_expiry)
    return principal


# --- API tokens -----------------------------------------------------------------------------


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def create_api_token(session: Session, user: User, *, label: str, days: int = 90) -> str:
    """A new bearer token for scripts; only its SHA-256 is stored, so it is shown once."""
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = _now()
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


def _from_api_token(session: Session, token: str, limit: ratelimit.Usage | None = None) -> Principal:
    """The token's principal; with ``limit``, refused (429) for an address past its failed
    attempts, read in the same round trip: every API call does this."""
    columns = (limit.current, limit.previous) if limit is not None else ()
    found = session.execute(
        select(ApiToken, User, Organisation, *columns)
        .join(User, User.id == ApiToken.user_id)
        .join(Organisation, Organisation.id == User.org_id)
        .where(ApiToken.token_sha256 == _sha256(token))
    ).first()
    if found is None:
        raise NotAuthenticated("the API token is not valid")
    row, user, _org, *used = found  # the organisation is now in the session: principal_for reads it from there
    if limit is not None:
        limit.refuse_if_spent(*used)
    if row.revoked_at is not None or _aware(row.expires_at) <= _now():
        raise NotAuthenticated("the API token is not valid")
    return principal_for(session, user)


def _api_token_principal(request: Request, session: Session, settings: HubSettings, token: str) -> Principal:
    """``_from_api_token``, refused (429) for a client address past its hourly failed attempts."""
    key = "bearer-failure:" + _sha256(request.client.host if request.client else "unknown")[:32]
    try:
        return _from_api_token(session, token, ratelimit.usage(key, limit=settings.bearer_failures_per_hour))
    except NotAuthenticated:
        session.rollback()  # the request fails anyway; release SQLite's write lock for the count
        ratelimit.guard(request.app.state.sessions, key, limit=settings.bearer_failures_per_hour)
        raise


# --- dependencies ---------------------------------------------------------------------------


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, credential = header.partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise NotAuthenticated("use Authorization: Bearer <token>")
    return credential.strip()


def resolve_principal(
    request: Request, session: Session, settings: HubSettings, secrets_: HubSecrets, *, cookie_only: bool = False
) -> Principal | None:
    if not cookie_only:
        token = _bearer(request)
        if token is not None:
            if token.startswith(API_TOKEN_PREFIX):
                return _api_token_principal(request, session, settings, token)
            if settings.oidc_issuer:
                from hub.auth.oidc import principal_from_oidc

                return principal_from_oidc(request, session, settings, token)
            raise NotAuthenticated("the bearer token is not valid")
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    principal = _from_session_cookie(request, session, settings, secrets_, cookie)
    if principal is not None and not cookie_only and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), str(request.state.csrf_token).encode()):
            raise Forbidden(f"a cookie-authenticated {request.method} needs the {CSRF_HEADER} header")
    return principal


def _optional(
    request: Request, session: SessionDep, settings: SettingsDep, secrets_: SecretsDep
) -> Principal | None:
    return resolve_principal(request, session, settings, secrets_)


async def _current(principal: Annotated[Principal | None, Depends(_optional)]) -> Principal:  # no I/O: no thread hop
    if principal is None:
        raise NotAuthenticated("sign in, or send a bearer token")
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(_optional)]
CurrentPrincipal = Annotated[Principal, Depends(_current)]


def require_roles(*roles: ViewerRole) -> Callable[..., Principal]:
    """A dependency admitting only callers with one of ``roles`` (403 for others)."""
    allowed = frozenset(roles)

    def _check(principal: CurrentPrincipal) -> Principal:
        if principal.role not in allowed:
            raise Forbidden("your role may not do this")
        return principal

    return _check


RequireOperator = Annotated[Principal, Depends(require_roles(ViewerRole.operator))]


# --- pages ----------------------------------------------------------------------------------


class LoginRedirect(Exception):
    """Raised by page dependencies when nobody is signed in; main.py turns it into a redirect."""

    def __init__(self, next_url: str) -> None:
        super().__init__("sign in needed")
        self.location = "/login?next=" + quote(next_url, safe="/")


class PageForbidden(Exception):
    """Raised by page dependencies for a signed-in user whose role may not see the page."""


def _page_target(request: Request) -> str:
    url = request.url.path
    return url + ("?" + request.url.query if request.url.query else "")


def page_roles(*roles: ViewerRole) -> Callable[..., Principal]:
    """A page dependency: redirect to /login when signed out, 403 page when the role is wrong."""
    allowed = frozenset(roles) if roles else frozenset(ViewerRole)

    def _check(request: Request, session: SessionDep, settings: SettingsDep, secrets_: SecretsDep) -> Principal:
        principal = resolve_principal(request, session, settings, secrets_, cookie_only=True)
        if principal is None:
            raise LoginRedirect(_page_target(request))
        request.state.principal = principal
        if principal.role not in allowed:
            raise PageForbidden
        return principal

    return _check


PagePrincipal = Annotated[Principal, Depends(page_roles())]
OperatorPage = Annotated[Principal, Depends(page_roles(ViewerRole.operator))]


def csrf_token(request: Request) -> str:
    """The signed-in session's CSRF token, for the hidden field of every form."""
    return str(getattr(request.state, "csrf_token", ""))


def _check_csrf(request: Request, principal: PagePrincipal, csrf_token: Annotated[str, Form()] = "") -> Principal:
    expected = getattr(request.state, "csrf_token", "")
    if not expected or not hmac.compare_digest(csrf_token.encode(), str(expected).encode()):
        raise Forbidden("the form has expired or did not come from this site; reload the page")
    return principal


CsrfForm = Annotated[Principal, Depends(_check_csrf)]

