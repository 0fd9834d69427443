"""Rules and SQL of hub.partners: organisations, users, enrolment tokens and partner keys; every change audited."""

import base64
import binascii
import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from anonymise import PartnerType, ViewerRole
from hub import audit
from hub.auth.api_tokens import create_api_token
from hub.auth.partner import active_key
from hub.auth.passwords import hash_password
from hub.auth.web_sessions import revoke_user_credentials
from hub.errors import Conflict, HubError, NotAuthenticated, NotFound
from hub.models import (
    ApiToken,
    EnrolmentToken,
    KeyStatus,
    Organisation,
    OrgStatus,
    PartnerKey,
    User,
    UserStatus,
)

ENROL_TOKEN_PREFIX: Final = "msht-enrol-"  # noqa: S105 - a prefix, not a secret


def _now() -> datetime:
    return datetime.now(UTC)


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- organisations --------------------------------------------------------------------------


def add_org(
    session: Session, *, org_id: str, name: str, kind: PartnerType, gss_code: str | None, actor: str
) -> Organisation:
    if kind == PartnerType.LocalGovernmentOrganisation and gss_code is None:
        raise HubError("a borough (LocalGovernmentOrganisation) needs its GSS code")
    if session.get(Organisation, org_id) is not None:
        raise Conflict("an organisation with this id exists already")
    org = Organisation(id=org_id, name=name, kind=kind.value, gss_code=gss_code, status=OrgStatus.active, created_at=_now())
    session.add(org)
    session.flush()
    audit.record(session, actor=actor, action="org.add", target=f"org:{org_id}", details={"kind": kind.value, "gss_code": gss_code})
    return org


def list_orgs(session: Session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).order_by(Organisation.id)))


def count_orgs(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Organisation)) or 0)


def count_users(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(User)) or 0)


def user_exists(session: Session, username: str) -> bool:
    return session.scalar(select(User.id).where(User.username == username)) is not None


def get_org(session: Session, org_id: str) -> Organisation:
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("no organisation has this id")
    return org


def set_org_status(
    session: Session, org_id: str, status: OrgStatus, *, actor: str, reason: str | None = None
) -> Organisation:
    org = get_org(session, org_id)
    if status == OrgStatus.disabled:
        members = session.scalars(select(User.id).where(User.org_id == org_id))
        _keep_an_operator(session, actor=actor, leaving=set(members))
    org.status = status.value
    if status == OrgStatus.disabled:
        for key in active_keys(session, org_id):
            _revoke(session, key)
    audit.record(session, actor=actor, action=f"org.{status.value}", target=f"org:{org_id}", details=_why(reason))
    return org


# --- users ----------------------------------------------------------------------------------


def add_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    org_id: str,
    role: ViewerRole,
    password: str | None,
    actor: str,
) -> User:
    org = get_org(session, org_id)
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise Conflict("a user with this username exists already")
    if role == ViewerRole.borough_officer and org.kind != PartnerType.LocalGovernmentOrganisation:
        raise HubError("a borough officer belongs to a borough (LocalGovernmentOrganisation)")
    try:
        password_hash = hash_password(password) if password is not None else None
    except ValueError as exc:
        raise HubError(str(exc)) from exc
    user = User(
        username=username,
        display_name=display_name,
        org_id=org.id,
        role=role.value,
        password_hash=password_hash,
        status=UserStatus.active,
        created_at=_now(),
    )
    session.add(user)
    session.flush()
    audit.record(session, actor=actor, action="user.add", target=f"user:{username}", details={"org": org.id, "role": role.value})
    return user


def list_users(session: Session, org_id: str | None = None) -> list[User]:
    stmt = select(User).order_by(User.username)
    if org_id is not None:
        stmt = stmt.where(User.org_id == org_id)
    return list(session.scalars(stmt))


def get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound("no user has this username")
    return user


def _active_operators(session: Session) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(Organisation, Organisation.id == User.org_id)
            .where(User.role == ViewerRole.operator.value, User.status == UserStatus.active,
                   Organisation.status == OrgStatus.active)
            .with_for_update()
        )
    )


def _keep_an_operator(session: Session, *, actor: str, leaving: set[int]) -> None:
    """Refuse a change that locks the caller out, or leaves the hub with no active operator."""
    operators = _active_operators(session)
    if any(f"user:{u.username}" == actor for u in operators if u.id in leaving):
        raise Conflict("you cannot disable your own account (or its organisation); ask another operator")
    if operators and all(u.id in leaving for u in operators):
        raise Conflict("this would leave the hub without an active operator; add another operator first")


def set_user_status(
    session: Session, username: str, status: UserStatus, *, actor: str, reason: str | None = None
) -> User:
    user = get_user(session, username)
    if status == UserStatus.disabled:
        _keep_an_operator(session, actor=actor, leaving={user.id})
    user.status = status.value
    if status == UserStatus.disabled:
        revoke_user_credentials(session, user.id)
    audit.record(session, actor=actor, action=f"user.{status.value}", target=f"user:{username}", details=_why(reason))
    return user


def set_password(session: Session, username: str, password: str, *, actor: str, reason: str | None = None) -> None:
    """A new password; every session and API token of the user ends (they sign in again)."""
    user = get_user(session, username)
    try:
        user.password_hash = hash_password(password)
    except ValueError as exc:
        raise HubError(str(exc)) from exc
    revoke_user_credentials(session, user.id)
    audit.record(session, actor=actor, action="user.password", target=f"user:{username}", details=_why(reason))


def edit_user(session: Session, username: str, *, display_name: str, role: ViewerRole, actor: str, reason: str | None = None) -> User:
    """Rename a user or change their role (a borough officer belongs to a borough; the last active
    operator keeps the role). A role change ends the user's sessions and tokens, so it applies at once."""
    user = get_user(session, username)
    org = get_org(session, user.org_id)
    if role == ViewerRole.borough_officer and org.kind != PartnerType.LocalGovernmentOrganisation:
        raise HubError("a borough officer belongs to a borough (LocalGovernmentOrganisation)")
    changed = [f for f, old, new in (("display_name", user.display_name, display_name), ("role", user.role, role.value)) if old != new]
    if user.role == ViewerRole.operator.value and role != ViewerRole.operator:
        _keep_an_operator(session, actor=actor, leaving={user.id})
    details: dict[str, object] = {"changed": changed, **_why(reason)}
    if "role" in changed:
        details |= {"role_from": user.role, "role_to": role.value}
        revoke_user_credentials(session, user.id)
    user.display_name, user.role = display_name, role.value
    audit.record(session, actor=actor, action="user.edit", target=f"user:{username}", details=details)
    return user


def edit_org(session: Session, org_id: str, *, name: str, gss_code: str | None, actor: str, reason: str | None = None) -> Organisation:
    """Rename an organisation (the display name every page shows) or correct a borough's GSS code."""
    org = get_org(session, org_id)
    if org.kind == PartnerType.LocalGovernmentOrganisation and gss_code is None:
        raise HubError("a borough (LocalGovernmentOrganisation) needs its GSS code")
    changed = [f for f, old, new in (("name", org.name, name), ("gss_code", org.gss_code, gss_code)) if old != new]
    org.name, org.gss_code = name, gss_code
    audit.record(session, actor=actor, action="org.edit", target=f"org:{org_id}", details={"changed": changed, **_why(reason)})
    return org


def issue_api_token(session: Session, username: str, *, label: str, days: int, actor: str) -> str:
    user = get_user(session, username)
    if user.status != UserStatus.active:
        raise Conflict("this user is disabled")
    token = create_api_token(session, user, label=label, days=days)
    audit.record(session, actor=actor, action="user.api_token", target=f"user:{username}", details={"days": days})
    return token


def list_api_tokens(session: Session, username: str) -> list[ApiToken]:
    user = get_user(session, username)
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)))


def revoke_api_token(session: Session, token_id: int, *, actor: str) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound("no API token has this id")
    if row.revoked_at is None:
        row.revoked_at = _now()
        audit.record(session, actor=actor, action="user.api_token_revoked", target=f"api_token:{token_id}")
    return row


# --- enrolment and keys ---------------------------------------------------------------------


def issue_enrolment_token(session: Session, org_id: str, created_by: str, ttl: timedelta) -> str:
    """A one-time token that lets the organisation register one signing key before it expires."""
    return issue_enrolment(session, org_id, created_by, ttl)[0]


def issue_enrolment(
    session: Session, org_id: str, created_by: str, ttl: timedelta
) -> tuple[str, EnrolmentToken]:
    org = get_org(session, org_id)
    if org.status != OrgStatus.active:
        raise Conflict("this organisation is disabled")
    token = ENROL_TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = _now()
    row = EnrolmentToken(
        org_id=org_id, token_sha256=_sha256(token), created_by=created_by[:120], created_at=now, expires_at=now + ttl
    )
    session.add(row)
    session.flush()
    audit.record(
        session, actor=created_by, action="enrolment.token", target=f"org:{org_id}",
        details={"token_id": row.id, "ttl_seconds": int(ttl.total_seconds())},
    )
    return token, row


def key_id(public_key: bytes) -> str:
    """The RFC 7638 JWK thumbprint of an Ed25519 key: stable, and derived from the key alone."""
    x = base64.urlsafe_b64encode(public_key).rstrip(b"=").decode()
    jwk = '{"crv":"Ed25519","kty":"OKP","x":"' + x + '"}'
    return base64.urlsafe_b64encode(hashlib.sha256(jwk.encode()).digest()).rstrip(b"=").decode()


def parse_public_key(value: str) -> bytes:
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise HubError("public_key must be base64") from exc
    if len(raw) != 32:
        raise HubError("public_key must be a raw 32-byte Ed25519 key")
    Ed25519PublicKey.from_public_bytes(raw)
    return raw


def enrol(session: Session, *, token: str, public_key: str) -> PartnerKey:
    """Consume the enrolment token (atomically: a second use fails everywhere) and register the key."""
    raw = parse_public_key(public_key)
    now = _now()
    consumed = session.execute(
        update(EnrolmentToken)
        .where(
            EnrolmentToken.token_sha256 == _sha256(token),
            EnrolmentToken.used_at.is_(None),
            EnrolmentToken.expires_at > now,
        )
        .values(used_at=now)
        .returning(EnrolmentToken.id, EnrolmentToken.org_id)
    ).first()
    if consumed is None:
        raise NotAuthenticated("the enrolment token is unknown, expired or already used")
    org = get_org(session, consumed.org_id)
    if org.status != OrgStatus.active:
        raise NotAuthenticated("the enrolment token's organisation is disabled")
    kid = key_id(raw)
    if session.get(PartnerKey, kid) is not None:
        raise Conflict("this public key is registered already; generate a new key pair")
    key = PartnerKey(kid=kid, org_id=org.id, public_key=raw, status=KeyStatus.active, created_at=now)
    session.add(key)
    session.flush()
    audit.record(
        session, actor=f"partner:{org.id}", action="partner.enrol", target=f"key:{kid}",
        details={"token_id": consumed.id},
    )
    return key


def active_keys(session: Session, org_id: str) -> list[PartnerKey]:
    return list(
        session.scalars(select(PartnerKey).where(PartnerKey.org_id == org_id, PartnerKey.status == KeyStatus.active))
    )


def list_keys(session: Session, org_id: str | None = None) -> list[PartnerKey]:
    stmt = select(PartnerKey).order_by(PartnerKey.org_id, PartnerKey.created_at)
    if org_id is not None:
        stmt = stmt.where(PartnerKey.org_id == org_id)
    return list(session.scalars(stmt))


def _revoke(session: Session, key: PartnerKey) -> None:
    key.status = KeyStatus.revoked
    key.revoked_at = _now()


def revoke_key(session: Session, kid: str, *, actor: str, reason: str | None = None) -> PartnerKey:
    key = session.get(PartnerKey, kid)
    if key is None:
        raise NotFound("no partner key has this id")
    if key.status == KeyStatus.revoked:
        return key
    _revoke(session, key)
    audit.record(session, actor=actor, action="partner.revoke_key", target=f"key:{kid}",
                 details={"org": key.org_id} | _why(reason))
    return key


def rotate_key(session: Session, *, current_kid: str, public_key: str) -> PartnerKey:
    """Register a new key for the organisation of ``current_kid`` (already authenticated) and revoke the old one."""
    current = active_key(session, current_kid)
    if current is None:
        raise NotAuthenticated("the current key is not active")
    raw = parse_public_key(public_key)
    kid = key_id(raw)
    if session.get(PartnerKey, kid) is not None:
        raise Conflict("this public key is registered already; generate a new key pair")
    now = _now()
    new = PartnerKey(kid=kid, org_id=current.org_id, public_key=raw, status=KeyStatus.active, created_at=now)
    session.add(new)
    _revoke(session, current)
    session.flush()
    audit.record(
        session, actor=f"partner:{current.org_id}", action="partner.rotate_key", target=f"key:{kid}",
        details={"previous": current_kid},
    )
    return new


def _why(reason: str | None) -> dict[str, object]:
    """The operator's typed reason for a change that cannot be undone, kept in the audit entry."""
    return {"reason": reason} if reason else {}


def enrolment_tokens(session: Session, org_id: str) -> list[EnrolmentToken]:
    """An organisation's enrolment tokens, newest first (only their hashes are kept: state, never the token)."""
    stmt = select(EnrolmentToken).where(EnrolmentToken.org_id == org_id).order_by(EnrolmentToken.created_at.desc())
    return list(session.scalars(stmt))
