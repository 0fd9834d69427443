"""Bearer tokens from the organisation's own identity provider (OIDC): keys from its JWKS, role and org from claims."""

from typing import Final

import jwt
from fastapi import Request
from jwt import PyJWKClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from anonymise import ViewerRole
from hub.auth.principal import Principal
from hub.auth.tokens import decode_jwt
from hub.config import HubSettings
from hub.errors import NotAuthenticated
from hub.models import Organisation, OrgStatus, User, UserStatus

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


def _mapped(value: object, mapping: dict[str, str]) -> str | None:
    """The one hub value a claim maps to: a string, or a list (e.g. groups) of which exactly one maps."""
    values = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    if not mapping:
        hits = {v for v in values if isinstance(v, str)}
    else:
        hits = {mapping[v] for v in values if isinstance(v, str) and v in mapping}
    return hits.pop() if len(hits) == 1 else None


def principal_from_oidc(request: Request, session: Session, settings: HubSettings, token: str) -> Principal:
    """Verify an access token from the configured issuer and map its claims onto a local org and role."""
    if not (settings.oidc_issuer and settings.oidc_audience):
        raise NotAuthenticated("OIDC is not configured on this hub")
    try:
        signing_key = jwks_client(request, settings).get_signing_key_from_jwt(token)
    except jwt.PyJWTError as exc:  # any header the reader refuses (a ``crit`` list, a bad ``kid``) is a 401
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
    role_value = _mapped(claims.get(settings.oidc_role_claim), settings.oidc_role_map)
    org_id = _mapped(claims.get(settings.oidc_org_claim), settings.oidc_org_map)
    try:
        role = ViewerRole(str(role_value))
    except ValueError as exc:
        raise NotAuthenticated(f"the token's {settings.oidc_role_claim} claim is not a hub role") from exc
    org = session.get(Organisation, org_id) if org_id is not None else None
    if org is None or org.status != OrgStatus.active:
        raise NotAuthenticated(f"the token's {settings.oidc_org_claim} claim is not an active organisation")
    username = str(claims.get("preferred_username") or claims["sub"])[:120]
    local = session.scalar(select(User).where(User.username == username))
    if local is not None and (local.status != UserStatus.active or local.org_id != org.id):
        raise NotAuthenticated("this account is disabled or belongs to another organisation")
    if local is not None and local.role != role.value:
        raise NotAuthenticated("the token's role differs from the hub's own account of this name; ask an operator")
    return Principal(
        user_id=local.id if local is not None else None,
        username=username,
        display_name=str(claims.get("name") or username)[:200],
        org_id=org.id,
        org_kind=org.kind,
        gss_code=org.gss_code,
        role=role,
    )
