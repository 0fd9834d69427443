"""Partner API authentication: a short-lived JWT signed with the partner's registered Ed25519 key.

Every partner call carries ``Authorization: Bearer <JWT>`` with

- header ``alg`` = ``EdDSA``, ``kid`` = the registered key id, ``typ`` = ``msht-upload+jwt`` for
  uploads and ``msht-partner+jwt`` for every other partner call (status, withdraw);
- claims ``iss`` = the partner's organisation id (the key's owner), ``aud`` = ``msht-hub``
  (a fixed audience, so a hub behind several URLs or a proxy needs no per-URL tokens),
  ``iat``, ``exp`` at most ``upload_token_max_seconds`` (5 minutes) after ``iat``, a unique
  ``jti`` (remembered in the database, so a second use is refused by any hub process), and for
  uploads ``bundle_sha256`` = the hex SHA-256 of the exact request body.

A revoked key, a disabled organisation or any failed check is a 401 with a message that names
the check, never the token's contents.
"""

import hmac
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Final

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi import Depends, Request
from sqlalchemy.orm import Session

from hub.auth.replay import remember_jti
from hub.auth.tokens import decode_jwt
from hub.config import HubSettings
from hub.deps import SessionDep, SettingsDep
from hub.errors import NotAuthenticated
from hub.models import KeyStatus, Organisation, OrgStatus, PartnerKey

AUDIENCE: Final = "msht-hub"
UPLOAD_TYP: Final = "msht-upload+jwt"
PARTNER_TYP: Final = "msht-partner+jwt"
ALGORITHMS: Final = ("EdDSA",)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Partner:
    """An authenticated partner call: who, with which key, and the token's claims."""

    org_id: str
    kid: str
    public_key: Ed25519PublicKey
    claims: dict[str, Any]

    @property
    def actor(self) -> str:
        return f"partner:{self.org_id}"


def active_key(session: Session, kid: str) -> PartnerKey | None:
    """The partner key ``kid`` if it is active and its organisation is too; None otherwise."""
    key = session.get(PartnerKey, kid)
    if key is None or key.status != KeyStatus.active:
        return None
    org = session.get(Organisation, key.org_id)
    if org is None or org.status != OrgStatus.active:
        return None
    return key


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, credential = header.partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise NotAuthenticated("send Authorization: Bearer <partner token>")
    return credential.strip()


def authenticate(
    session: Session,
    settings: HubSettings,
    token: str,
    *,
    typ: str,
    bundle_sha256: str | None = None,
) -> Partner:
    """Verify a partner token end to end and remember its ``jti``; raise NotAuthenticated otherwise."""
    try:
        return _authenticate(session, settings, token, typ=typ, bundle_sha256=bundle_sha256)
    except NotAuthenticated as exc:
        log.info("partner token refused (%s): %s", typ, exc.detail)  # the hub's own wording, no token content
        raise


def verify_token(session: Session, settings: HubSettings, token: str, *, typ: str) -> Partner:
    """Check key, signature, type, audience, issuer and lifetime — but neither body nor ``jti``.

    Uploads call this before reading the body, so only an enrolled partner can make the hub read
    a large request; :func:`authenticate` then checks everything.
    """
    try:
        return _verify(session, settings, token, typ=typ)
    except NotAuthenticated as exc:
        log.info("partner token refused (%s): %s", typ, exc.detail)
        raise


def _verify(session: Session, settings: HubSettings, token: str, *, typ: str) -> Partner:
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise NotAuthenticated("token is malformed") from exc
    kid = header.get("kid")
    if not isinstance(kid, str) or not 0 < len(kid) <= 64:
        raise NotAuthenticated("token names no registered key (kid)")
    key = active_key(session, kid)
    if key is None:
        raise NotAuthenticated("token key is unknown or revoked")
    public_key = Ed25519PublicKey.from_public_bytes(key.public_key)
    claims = decode_jwt(
        token,
        key=public_key,
        algorithms=list(ALGORITHMS),
        audience=AUDIENCE,
        issuer=key.org_id,
        typ=typ,
        max_lifetime=settings.upload_token_max_seconds,
        required=("exp", "iat", "aud", "iss", "jti"),
    )
    return Partner(org_id=key.org_id, kid=kid, public_key=public_key, claims=claims)


def _authenticate(
    session: Session, settings: HubSettings, token: str, *, typ: str, bundle_sha256: str | None
) -> Partner:
    partner = _verify(session, settings, token, typ=typ)
    claims = partner.claims
    if bundle_sha256 is not None:
        bound = claims.get("bundle_sha256")
        if not isinstance(bound, str) or not hmac.compare_digest(bound.lower(), bundle_sha256):
            raise NotAuthenticated("token is not bound to this bundle (bundle_sha256)")
    jti = claims.get("jti")
    if not isinstance(jti, str):
        raise NotAuthenticated("token id (jti) is missing")
    remember_jti(session, jti=jti, issuer=partner.org_id, expires_at=datetime.fromtimestamp(claims["exp"], UTC))
    return partner


def _partner_call(request: Request, session: SessionDep, settings: SettingsDep) -> Partner:
    return authenticate(session, settings, bearer_token(request), typ=PARTNER_TYP)


def _upload_caller(request: Request, settings: SettingsDep) -> Partner:
    # Its own short transaction, not the request's: on SQLite a transaction holds the write lock,
    # which must not stay taken while a large body streams in.
    token = bearer_token(request)
    with request.app.state.sessions() as session:
        return verify_token(session, settings, token, typ=UPLOAD_TYP)


PartnerCall = Annotated[Partner, Depends(_partner_call)]
"""A dependency: the partner behind a ``msht-partner+jwt`` token (status, withdraw)."""

UploadCaller = Annotated[Partner, Depends(_upload_caller)]
"""A dependency: a valid ``msht-upload+jwt`` token, checked before the body is read."""
