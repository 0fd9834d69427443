"""The route dependencies that say who is calling, and the role checks built on them.

A request is authenticated by, in order: ``Authorization: Bearer`` with an API token
(``msht_…``) or an OIDC access token from the organisation's identity provider; else the
``msht_session`` cookie (:mod:`hub.auth.web_sessions`), whose unsafe methods need the CSRF header.
"""

import hmac
from collections.abc import Callable
from typing import Annotated, Final

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from anonymise import ViewerRole
from hub.auth.api_tokens import API_TOKEN_PREFIX, count_bearer_failure, principal_from_api_token
from hub.auth.oidc import principal_from_oidc
from hub.auth.principal import Principal
from hub.auth.web_sessions import SESSION_COOKIE, principal_from_session_cookie
from hub.config import HubSettings
from hub.deps import SecretsDep, SessionDep, SettingsDep
from hub.errors import Forbidden, NotAuthenticated
from hub.secrets import HubSecrets

CSRF_HEADER: Final = "x-csrf-token"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})


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
                return principal_from_api_token(request, session, settings, token)
            if settings.oidc_issuer:
                try:
                    return principal_from_oidc(request, session, settings, token)
                except NotAuthenticated:
                    count_bearer_failure(request, session, settings)
                    raise
            raise NotAuthenticated("the bearer token is not valid")
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    principal = principal_from_session_cookie(request, session, settings, secrets_, cookie)
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
