"""Request and response bodies of hub.partners (separate from the table models)."""

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from anonymise import GssCode, OrgId, PartnerType, ViewerRole

Username = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{1,119}$")]


class In(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)


class OrgIn(In):
    id: OrgId
    name: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
    kind: PartnerType
    gss_code: GssCode | None = None


class OrgOut(BaseModel):
    id: str
    name: str
    kind: str
    gss_code: str | None
    status: str
    created_at: datetime


class UserIn(In):
    username: Username
    display_name: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
    org_id: OrgId
    role: ViewerRole
    password: Annotated[str, StringConstraints(min_length=12, max_length=1000)] | None = Field(
        default=None, description="Omit for accounts that sign in through the identity provider only."
    )


class UserOut(BaseModel):
    id: int
    username: str
    display_name: str
    org_id: str
    role: str
    status: str
    created_at: datetime


class EnrolmentTokenIn(In):
    ttl_hours: int = Field(default=72, ge=1, le=24 * 14, strict=True)  # `true` is not 1 hour


class EnrolmentTokenOut(BaseModel):
    token: str = Field(description="Shown once: hand it to the partner through a separate channel.")
    org_id: str
    expires_at: datetime


class EnrolIn(In):
    token: Annotated[str, StringConstraints(min_length=16, max_length=200)]
    public_key: Annotated[str, StringConstraints(min_length=40, max_length=64)] = Field(
        description="Base64 of the partner's raw 32-byte Ed25519 public key."
    )


class EnrolOut(BaseModel):
    kid: str
    org_id: str
    org_name: str = Field(description="The organisation's display name, for the partner's own pages.")
    hub_public_key: str = Field(description="Base64 of the hub's raw Ed25519 key that signs receipts.")


class KeyOut(BaseModel):
    kid: str
    org_id: str
    status: str
    created_at: datetime
    revoked_at: datetime | None


class SessionOut(BaseModel):
    username: str
    display_name: str
    org_id: str
    role: str
    gss_code: str | None
    csrf_token: str | None = Field(description="Send as X-CSRF-Token on cookie-authenticated writes.")


class RotateIn(In):
    public_key: Annotated[str, StringConstraints(min_length=40, max_length=64)] = Field(
        description="Base64 of the new raw 32-byte Ed25519 public key; the calling key is revoked."
    )
