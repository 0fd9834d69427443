"""Who is calling, once authenticated: the principal every dependency hands a route."""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from anonymise import ViewerRole
from hub.errors import NotAuthenticated
from hub.models import Organisation, OrgStatus, User, UserStatus


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
