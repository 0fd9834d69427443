"""Pages: the guided onboarding of a new partner — organisation, first user, enrolment token, agreement, first upload.

Each step's state is read from what the hub holds (users, tokens, keys, agreements, submissions),
so the flow resumes wherever it was left, by anyone. Every step calls the same service as the
rest of the console and is audited there (``org.add``, ``user.add``, ``enrolment.token``,
``agreement.add_party``); the agreement step is the existing add-partner form with its YAML diff.
A failed step is drawn again with its input and a GOV.UK error summary.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Final

from fastapi import APIRouter, Form, Path, Request, Response
from fastapi.responses import RedirectResponse

from anonymise import BY_GSS, PartnerType, PartyRole, ViewerRole
from hub.agreements import service as agreements
from hub.auth.pages import CsrfForm, OperatorPage, csrf_token
from hub.auth.principal import Principal
from hub.deps import SessionDep
from hub.errors import HubError
from hub.models import KeyStatus
from hub.pages.console_partner import PartnerFacts, partner_facts
from hub.pages.errors import PageFailed, attempt
from hub.pages.forms import FieldError, add_org, user_errors
from hub.pages.templating import templates
from hub.partners import service as partners

router = APIRouter(prefix="/console")
Operator = OperatorPage
OrgIdPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")]
STEPS: Final = ("Organisation", "First user", "Enrolment token", "Agreement", "First upload")
NOTICES: Final = {
    "org": "Organisation added. Next: its first user.",
    "user": "User added. Next: an enrolment token for its client.",
    "agreement": "Added to the agreement (new version stored).",
}


@dataclass(frozen=True)
class Progress:
    """Which steps are done (from the hub's own records) and which one is next."""

    done: tuple[bool, ...]
    token_waiting: bool
    """A token was issued and is still usable, but no key is registered yet."""

    @property
    def current(self) -> int:
        return next((i for i, d in enumerate(self.done) if not d), len(self.done))

    @property
    def complete(self) -> bool:
        return all(self.done)


def progress(f: PartnerFacts, now: datetime) -> Progress:
    enrolled = any(k.status == KeyStatus.active for k in f.keys)
    waiting = any(t.used_at is None and t.expires_at > now for t in f.tokens)
    in_agreement = any(PartyRole.provider in m.roles or PartyRole.recipient in m.roles for m in f.memberships)
    return Progress((True, bool(f.users), enrolled, in_agreement, bool(f.submissions)), waiting and not enrolled)


def under_way(f: PartnerFacts, p: Progress) -> bool:
    """Still being onboarded: until its first upload; an organisation that only receives figures, until it
    has a user and a place in an agreement. One that already sends returns is working, whatever it lacks
    (a provider that uploads from its client needs no console user); its own page shows what is missing."""
    if f.submissions:
        return False
    if f.memberships and not f.provides:
        return not (p.done[1] and p.done[3])
    return not p.complete


def _page(request: Request, operator: Principal, name: str, status: int = 200, **context: Any) -> Response:
    notice = NOTICES.get(request.query_params.get("notice") or "")
    base = {"principal": operator, "csrf_token": csrf_token(request), "notice": notice, "steps": STEPS}
    return templates.TemplateResponse(request, name, base | context, status_code=status)


def _start(request: Request, operator: Principal, session: SessionDep, *, values: dict[str, str] | None = None,
           errors: list[FieldError] | None = None, status: int = 200) -> Response:
    now = datetime.now(UTC)
    listed = []
    for org in partners.list_orgs(session):
        if org.id == operator.org_id or org.status != "active":  # the hub's own operators upload nothing
            continue
        facts = partner_facts(session, org.id)
        p = progress(facts, now)
        if under_way(facts, p):
            # an organisation that only receives figures needs no token and sends no upload
            needed = (0, 1, 3) if facts.memberships and not facts.provides else range(len(STEPS))
            listed.append((org, p, sum(p.done[i] for i in needed), len(needed)))
    return _page(request, operator, "console_onboarding_start.html", status, values=values or {}, errors=errors or [],
                 kinds=[k.value for k in PartnerType], boroughs=BY_GSS, under_way=listed)


@router.get("/onboard")
def start(request: Request, operator: Operator, session: SessionDep) -> Response:
    return _start(request, operator, session)


@router.post("/onboard")
def add_organisation(
    request: Request, operator: Operator, _csrf: CsrfForm, session: SessionDep,
    org_id: Annotated[str, Form(max_length=64)] = "", name: Annotated[str, Form(max_length=200)] = "",
    kind: Annotated[str, Form(max_length=40)] = "", gss_code: Annotated[str, Form(max_length=9)] = "",
) -> Response:
    values = {"org_id": org_id, "org_name": name, "org_kind": kind, "gss_code": gss_code}
    errors = add_org(session, operator.actor, org_id=org_id, name=name, kind=kind, gss_code=gss_code)
    if errors:
        return _start(request, operator, session, values=values, errors=errors, status=422)
    return RedirectResponse(f"/console/onboard/{org_id}?notice=org", status_code=303)


def _step(request: Request, operator: Principal, session: SessionDep, org_id: str, status: int = 200, **extra: Any) -> Response:
    try:
        facts = partner_facts(session, org_id)
    except HubError as exc:
        raise PageFailed(exc, "/console/onboard") from exc
    p = progress(facts, datetime.now(UTC))
    context = {
        "f": facts, "p": p, "values": {}, "errors": [], "token": None,
        "roles": [r.value for r in ViewerRole if r != ViewerRole.operator],
        "agreements": [a for a in agreements.current_agreements(session) if all(party.org != org_id for party in a.parties)],
    } | extra
    return _page(request, operator, "console_onboarding.html", status, **context)


@router.get("/onboard/{org_id}")
def step_page(request: Request, operator: Operator, session: SessionDep, org_id: OrgIdPath) -> Response:
    return _step(request, operator, session, org_id)


@router.post("/onboard/{org_id}/user")
def first_user(
    request: Request, operator: Operator, _csrf: CsrfForm, session: SessionDep, org_id: OrgIdPath,
    username: Annotated[str, Form(max_length=120)] = "", display_name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=32)] = "", password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    values = {"username": username, "display_name": display_name, "role": role}  # the password is never sent back
    errors = user_errors(username, display_name, password)
    if role not in {r.value for r in ViewerRole if r != ViewerRole.operator}:
        errors.append(FieldError("role", "Choose what this person does"))
    if not errors:
        try:
            with attempt(session):
                partners.add_user(session, username=username, display_name=display_name.strip(), org_id=org_id,
                                  role=ViewerRole(role), password=password or None, actor=operator.actor)
        except HubError as exc:
            errors = [FieldError("username", exc.detail)]
        except ValueError:
            errors = [FieldError("password", "The password is not accepted: use at least 12 characters")]
    if errors:
        return _step(request, operator, session, org_id, status=422, values=values, errors=errors)
    return RedirectResponse(f"/console/onboard/{org_id}?notice=user", status_code=303)


@router.post("/onboard/{org_id}/token")
def token(
    request: Request, operator: Operator, _csrf: CsrfForm, session: SessionDep, org_id: OrgIdPath,
    ttl_hours: Annotated[str, Form(max_length=6)] = "72",
) -> Response:
    hours = int(ttl_hours) if ttl_hours.strip().isdigit() else 0
    if not 1 <= hours <= 24 * 14:
        errors = [FieldError("ttl_hours", "Enter how many hours the token stays valid: a whole number from 1 to 336 (14 days)")]
        return _step(request, operator, session, org_id, status=422, values={"ttl_hours": ttl_hours}, errors=errors)
    try:
        with attempt(session):
            issued = partners.issue_enrolment_token(session, org_id, operator.actor, timedelta(hours=hours))
    except HubError as exc:
        return _step(request, operator, session, org_id, status=422, values={"ttl_hours": ttl_hours},
                     errors=[FieldError("ttl_hours", exc.detail)])
    # shown once, in this response only: never in a URL, never stored (the hub keeps its hash)
    return _step(request, operator, session, org_id, token=issued, ttl_hours=hours)
