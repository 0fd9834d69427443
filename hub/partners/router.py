"""HTTP routes of hub.partners: parse, call one service function, return."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request

from hub import ratelimit
from hub.auth.dependencies import CurrentPrincipal, RequireOperator
from hub.auth.pages import csrf_token
from hub.auth.partner import PartnerCall
from hub.deps import SecretsDep, SessionDep, SettingsDep
from hub.models import OrgStatus, UserStatus
from hub.partners import service
from hub.partners.schemas import (
    EnrolIn,
    EnrolmentTokenIn,
    EnrolmentTokenOut,
    EnrolOut,
    KeyOut,
    OrgIn,
    OrgOut,
    RotateIn,
    SessionOut,
    UserIn,
    UserOut,
)

router = APIRouter(prefix="/api/v1", tags=["partners"])


@router.get("/orgs", summary="Every organisation (operators)")
def list_orgs(_: RequireOperator, session: SessionDep) -> list[OrgOut]:
    return [OrgOut.model_validate(o, from_attributes=True) for o in service.list_orgs(session)]


@router.post("/orgs", status_code=201, summary="Add an organisation (operators)")
def add_org(body: OrgIn, principal: RequireOperator, session: SessionDep) -> OrgOut:
    org = service.add_org(
        session, org_id=body.id, name=body.name, kind=body.kind, gss_code=body.gss_code, actor=principal.actor
    )
    return OrgOut.model_validate(org, from_attributes=True)


@router.post("/orgs/{org_id}/disable", summary="Disable an organisation and revoke its keys (operators)")
def disable_org(org_id: str, principal: RequireOperator, session: SessionDep) -> OrgOut:
    org = service.set_org_status(session, org_id, OrgStatus.disabled, actor=principal.actor)
    return OrgOut.model_validate(org, from_attributes=True)


@router.post(
    "/orgs/{org_id}/enrolment-tokens", status_code=201, summary="Issue a one-time enrolment token (operators)"
)
def enrolment_token(
    org_id: str, body: EnrolmentTokenIn, principal: RequireOperator, session: SessionDep
) -> EnrolmentTokenOut:
    ttl = timedelta(hours=body.ttl_hours)
    token, row = service.issue_enrolment(session, org_id, principal.actor, ttl)
    return EnrolmentTokenOut(token=token, org_id=org_id, expires_at=row.expires_at)


@router.get("/users", summary="Every user account (operators)")
def list_users(
    _: RequireOperator, session: SessionDep, org: Annotated[str | None, Query()] = None
) -> list[UserOut]:
    return [UserOut.model_validate(u, from_attributes=True) for u in service.list_users(session, org)]


@router.post("/users", status_code=201, summary="Add a user account (operators)")
def add_user(body: UserIn, principal: RequireOperator, session: SessionDep) -> UserOut:
    user = service.add_user(
        session,
        username=body.username,
        display_name=body.display_name,
        org_id=body.org_id,
        role=body.role,
        password=body.password,
        actor=principal.actor,
    )
    return UserOut.model_validate(user, from_attributes=True)


@router.post("/users/{username}/disable", summary="Disable a user; ends their sessions and tokens (operators)")
def disable_user(username: str, principal: RequireOperator, session: SessionDep) -> UserOut:
    user = service.set_user_status(session, username, UserStatus.disabled, actor=principal.actor)
    return UserOut.model_validate(user, from_attributes=True)


@router.post("/enrol", status_code=201, summary="Register a partner's Ed25519 public key with a one-time token")
def enrol(
    body: EnrolIn, request: Request, session: SessionDep, settings: SettingsDep, secrets: SecretsDep
) -> EnrolOut:
    client = request.client.host if request.client else "unknown"
    ratelimit.guard(request.app.state.sessions, f"enrol:{client}", limit=settings.enrol_limit_per_hour)
    key = service.enrol(session, token=body.token, public_key=body.public_key)
    org = service.get_org(session, key.org_id)
    return EnrolOut(kid=key.kid, org_id=key.org_id, org_name=org.name, hub_public_key=secrets.signing_public_key_b64)


@router.get("/keys", summary="Partner signing keys (operators)")
def list_keys(
    _: RequireOperator, session: SessionDep, org: Annotated[str | None, Query()] = None
) -> list[KeyOut]:
    return [KeyOut.model_validate(k, from_attributes=True) for k in service.list_keys(session, org)]


@router.post("/keys/{kid}/revoke", summary="Revoke a partner key at once (operators)")
def revoke_key(kid: str, principal: RequireOperator, session: SessionDep) -> KeyOut:
    key = service.revoke_key(session, kid, actor=principal.actor)
    return KeyOut.model_validate(key, from_attributes=True)


@router.get("/session", summary="Who you are signed in as, and the CSRF token for cookie-authenticated writes")
def whoami(principal: CurrentPrincipal, request: Request) -> SessionOut:
    return SessionOut(
        username=principal.username,
        display_name=principal.display_name,
        org_id=principal.org_id,
        role=principal.role.value,
        gss_code=principal.gss_code,
        csrf_token=csrf_token(request) or None,
    )


@router.post("/keys/rotate", status_code=201, summary="Replace the calling partner's key (signed with the current key)")
def rotate_key(body: RotateIn, partner: PartnerCall, session: SessionDep, secrets: SecretsDep) -> EnrolOut:
    key = service.rotate_key(session, current_kid=partner.kid, public_key=body.public_key)
    org = service.get_org(session, key.org_id)
    return EnrolOut(kid=key.kid, org_id=key.org_id, org_name=org.name, hub_public_key=secrets.signing_public_key_b64)
