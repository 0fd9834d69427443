"""Pages: one partner on one page — who it is, its users and keys, its agreements, returns and audit trail.

Every place the console names a partner links here. Metadata only: submissions appear by
quarter, status and row counts; audit entries by who, what and when.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from sqlalchemy.orm import Session

from anonymise import Agreement, PartyRole
from hub import audit
from hub.agreements import service as agreements
from hub.auth.pages import OperatorPage, csrf_token
from hub.deps import SessionDep
from hub.errors import HubError
from hub.models import (
    EnrolmentToken,
    KeyStatus,
    Organisation,
    PartnerKey,
    ReturnReminder,
    Submission,
    User,
)
from hub.pages.console_audit import details, org_names, target_words, what, when, who
from hub.pages.errors import PageFailed
from hub.pages.plain import grant_text
from hub.pages.templating import templates
from hub.partners import service as partners
from hub.returns import service as returns
from hub.submissions import service as submissions

router = APIRouter(prefix="/console")
Operator = OperatorPage
OrgIdPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")]


@dataclass(frozen=True)
class Membership:
    """The partner in one agreement: its roles, who may see what it provides, what it may see."""

    agreement: Agreement
    roles: tuple[PartyRole, ...]
    shares_with: list[str]
    sees: list[str]


@dataclass(frozen=True)
class PartnerFacts:
    org: Organisation
    users: list[User]
    keys: list[PartnerKey]
    tokens: list[EnrolmentToken]
    memberships: list[Membership]
    submissions: list[Submission]
    owed: list[returns.Owed]
    reminders: list[ReturnReminder]
    checked: datetime | None
    """When the partner last read its returns from the hub (None: never)."""

    @property
    def active_keys(self) -> int:
        return sum(1 for k in self.keys if k.status == KeyStatus.active)

    @property
    def agreement_titles(self) -> dict[str, str]:
        """Each agreement's title by its id, to name agreements in words (the id stays in the link)."""
        return {m.agreement.id: m.agreement.title for m in self.memberships}

    @property
    def provides(self) -> bool:
        return any(PartyRole.provider in m.roles for m in self.memberships)


def _memberships(org: Organisation, current: list[Agreement], names: dict[str, str]) -> list[Membership]:
    out = []
    for a in current:
        party = next((p for p in a.parties if p.org == org.id), None)
        if party is None:
            continue
        shares = [grant_text(g) for r in a.sharing if r.provider == org.id for g in r.grants]
        sees = [
            f"{names.get(r.provider, r.provider)}: {g.level.value.replace('_', ' ')}"
            for r in a.sharing for g in r.grants
            if g.org == org.id or (g.kind is not None and g.kind.value == org.kind)
        ]
        out.append(Membership(a, party.roles, shares, sees))
    return out


def partner_facts(session: Session, org_id: str) -> PartnerFacts:
    org = partners.get_org(session, org_id)
    users = partners.list_users(session, org_id)
    return PartnerFacts(
        org=org,
        users=users,
        keys=partners.list_keys(session, org_id),
        tokens=partners.enrolment_tokens(session, org_id),
        memberships=_memberships(org, agreements.current_agreements(session), {o.id: o.name for o in partners.list_orgs(session)}),
        submissions=submissions.partner_submissions(session, org_id),
        owed=returns.owed(session, returns.today(), org_id),
        reminders=returns.reminders_sent(session, org_id),
        checked=returns.last_checked(session, org_id),
    )


def _audit_rows(session: Session, facts: PartnerFacts) -> list[dict[str, Any]]:
    targets = [f"org:{facts.org.id}", *(f"user:{u.username}" for u in facts.users),
               *(f"submission:{s.id}" for s in facts.submissions), *(f"key:{k.kid}" for k in facts.keys)]
    actors = [f"partner:{facts.org.id}", *(f"user:{u.username}" for u in facts.users)]
    entries = audit.about(session, targets=targets, actors=actors, limit=30)
    names = org_names(session, (e.target for e in entries))
    return [
        {"id": e.id, "when": when(e.at), "iso": e.at.isoformat(timespec="seconds"), "who": who(e.actor),
         "action": e.action, "what": what(e.action), "target": e.target, "target_words": target_words(e.target, names),
         "details": details(dict(e.details or {}))}
        for e in entries
    ]


@router.get("/organisations/{org_id}")
def partner_page(request: Request, operator: Operator, session: SessionDep, org_id: OrgIdPath) -> Response:
    try:
        facts = partner_facts(session, org_id)
    except HubError as exc:
        raise PageFailed(exc, "/console/organisations") from exc
    context = {
        "principal": operator, "csrf_token": csrf_token(request), "notice": None, "f": facts,
        "audit_rows": _audit_rows(session, facts), "now": datetime.now(UTC),
    }
    return templates.TemplateResponse(request, "console_partner.html", context)
