"""Bearer tokens from the organisation's own identity provider (OIDC): keys from its JWKS, role and org from claims."""

from typing import Final

import jwt
from fastapi import Request
from jwt import PyJWKClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from anonymise.agreement import ViewerRole
from hub.auth import Principal
from hub.config import HubSettings
from hub.errors import NotAuthenticated
from hub.models import Organisation, OrgStatus, User, UserStatus
from hub.tokens import decode_jwt

JWKS_CACHE_SECONDS: Final = 300


def jwks_client(request: Request, settings: HubSettings) -> PyJWKClient:
    """One JWKS client per app (keys cached; refetched when an unknown ``kid`` appears)."""
    client: PyJWKClient | None = getattr(request.app.state, "jwks_client", None)
    if client is None:
        if not settings.oidc_jwks_url:
            raise NotAuthenticated("OIDC is not configured on this hub")
        client = PyJWKClient(settings.oidc_jwks_url, cache_keys=True, lifespan=JWKS_CACHE_SECONDS, timeout=5)
        request.app.state.jwks_client = client
    return client


def principal_from_oidc(request: Request, session: Session, settings: HubSettings, token: str) -> Principal:
    """Verify an access token from the configured issuer and map its claims onto a local org and role."""
    if not (settings.oidc_issuer and settings.oidc_audience):
        raise NotAuthenticated("OIDC is not configured on this hub")
    try:
        signing_key = jwks_client(request, settings).get_signing_key_from_jwt(token)
    except (jwt.PyJWKClientError, jwt.DecodeError) as exc:
        raise NotAuthenticated("the identity provider's key for this token was not found") from exc
    claims = decode_jwt(
        token,
        key=signing_key,
        algorithms=settings.oidc_algorithms,
        audience=settings.oidc_audience,
        issuer=settings.oidc_issuer,
        typ=settings.oidc_token_type,
        required=("exp", "iat", "aud", "iss", "sub"),
    )
    role_value, org_id = claims.get(settings.oidc_role_claim), claims.get(settings.oidc_org_claim)
    try:
        role = ViewerRole(str(role_value))
    except ValueError as exc:
        raise NotAuthenticated(f"the token's {settings.oidc_role_claim} claim is not a hub role") from exc
    org = session.get(Organisation, str(org_id)) if isinstance(org_id, str) else None
    if org is None or org.status != OrgStatus.active:
        raise NotAuthenticated(f"the token's {settings.oidc_org_claim} claim is not an active organisation")
    username = str(claims.get("preferred_username") or claims["sub"])[:120]
    local = session.scalar(select(User).where(User.username == username))
    if local is not None and (local.status != UserStatus.active or local.org_id != org.id):
        raise NotAuthenticated("this account is disabled or belongs to another organisation")
    return Principal(
        user_id=local.id if local is not None else None,
        username=username,
        display_name=str(claims.get("name") or username)[:200],
        org_id=org.id,
        org_kind=org.kind,
        gss_code=org.gss_code,
        role=role,
    )
