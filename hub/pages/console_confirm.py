"""Pages: the operator's changes that cannot be undone, each behind a confirmation with a typed reason.

Withdraw a submission, disable an organisation or a user, revoke a signing key, suspend or revoke
an agreement, run the retention purge: the button opens a page that says what will happen and
asks why; the reason goes into the action's audit entry. A missing reason, or a refusal from the
service, redraws the same page with an error summary and the reason kept.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Form, Path, Request, Response
from fastapi.responses import RedirectResponse

from anonymise import AgreementStatus
from hub.agreements import service as agreements
from hub.auth.pages import CsrfForm, OperatorPage, csrf_token
from hub.auth.principal import Principal
from hub.deps import SessionDep
from hub.errors import HubError, NotFound
from hub.models import OrgStatus, UserStatus
from hub.pages.errors import PageFailed, attempt
from hub.pages.forms import REASON_MAX, FieldError, reason_errors
from hub.pages.templating import templates
from hub.partners import service as partners
from hub.submissions import service as submissions

router = APIRouter(prefix="/console")

Operator = OperatorPage
Reason = Annotated[str, Form(max_length=REASON_MAX * 4)]
AgreementIdPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
Name = Annotated[str, Path(max_length=120)]


@dataclass(frozen=True)
class Confirmation:
    """What the confirmation page says: the question, the facts, what follows, the button."""

    title: str
    facts: list[tuple[str, str]]
    consequences: list[str]
    button: str
    back: str
    done: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _show(
    request: Request,
    operator: Principal,
    confirmation: Confirmation,
    *,
    reason: str = "",
    errors: list[FieldError] | None = None,
) -> Response:
    """Drawn with status 200 also when it comes back with problems, as every console form is."""
    context = {
        "principal": operator,
        "csrf_token": csrf_token(request),
        "notice": None,
        "c": confirmation,
        "action_url": request.url.path,
        "reason": reason,
        "errors": errors or [],
        "reason_max": REASON_MAX,
    }
    return templates.TemplateResponse(request, "console_confirm.html", context)


def _confirm(
    request: Request,
    session: SessionDep,
    operator: Principal,
    confirmation: Confirmation,
    reason: str,
    act: Callable[[str], object],
) -> Response:
    """Do ``act(reason)`` if the reason is given; otherwise, or if the service refuses, show the
    same page again with the problem in its error summary and the typed reason kept."""
    errors = reason_errors(reason)
    if errors:
        return _show(request, operator, confirmation, reason=reason, errors=errors)
    try:
        with attempt(session):
            act(reason.strip())
    except HubError as exc:
        problem = FieldError("reason", exc.detail)
        return _show(request, operator, confirmation, reason=reason, errors=[problem])
    return RedirectResponse(f"{confirmation.back}?notice={confirmation.done}", status_code=303)


# --- submissions --------------------------------------------------------------------------------


def _withdrawal(session: SessionDep, submission_id: str) -> Confirmation:
    sub = submissions.get_submission(session, submission_id)
    org = partners.get_org(session, sub.org_id)
    return Confirmation(
        title="Withdraw this submission?",
        facts=[
            ("Provider", f"{org.name} ({org.id})"),
            ("Agreement", f"{sub.agreement_id} version {sub.agreement_version}"),
            ("Quarter", sub.quarter),
            ("Received", sub.received_at.strftime("%d %B %Y, %H:%M")),
            ("Status", sub.status),
            ("Incidents in it", str(sub.record_counts.get("incidents", 0))),
        ],
        consequences=[
            "Every record of this submission is deleted from the hub, and leaves every figure at once.",
            "This cannot be undone: the provider would have to send the quarter again.",
        ],
        button="Withdraw and delete its records",
        back="/console/submissions",
        done="withdrawn",
    )


@router.get("/submissions/{submission_id}/withdraw")
def withdraw_form(
    request: Request, operator: Operator, session: SessionDep, submission_id: Annotated[str, Path(max_length=36)]
) -> Response:
    try:
        return _show(request, operator, _withdrawal(session, submission_id))
    except HubError as exc:
        raise PageFailed(exc, "/console/submissions") from exc


@router.post("/submissions/{submission_id}/withdraw")
def withdraw(
    request: Request,
    operator: Operator,
    _csrf: CsrfForm,
    session: SessionDep,
    submission_id: Annotated[str, Path(max_length=36)],
    reason: Reason = "",
) -> Response:
    try:
        confirmation = _withdrawal(session, submission_id)
    except HubError as exc:
        raise PageFailed(exc, "/console/submissions") from exc
    return _confirm(
        request,
        session,
        operator,
        confirmation,
        reason,
        lambda why: submissions.withdraw_submission(session, submission_id, actor=operator.actor, reason=why),
    )


def _purge(session: SessionDep) -> Confirmation:
    kept = [(a.title or a.id, f"records kept {a.retention_months} months") for a in agreements.current_agreements(session)]
    return Confirmation(
        title="Run the retention purge now?",
        facts=kept,
        consequences=[
            "The records of every submission received before its agreement's retention period are deleted.",
            "The submissions stay listed as purged; this cannot be undone.",
        ],
        button="Delete expired records now",
        back="/console/submissions",
        done="purged",
    )


@router.get("/purge")
def purge_form(request: Request, operator: Operator, session: SessionDep) -> Response:
    return _show(request, operator, _purge(session))


@router.post("/purge")
def purge(request: Request, operator: Operator, _csrf: CsrfForm, session: SessionDep, reason: Reason = "") -> Response:
    today = datetime.now(UTC).date()
    return _confirm(
        request,
        session,
        operator,
        _purge(session),
        reason,
        lambda why: agreements.purge_expired_records(session, today, actor=operator.actor, reason=why),
    )


# --- organisations, users, keys ----------------------------------------------------------------


def _org_disable(session: SessionDep, org_id: str) -> Confirmation:
    org = partners.get_org(session, org_id)
    keys = [k for k in partners.list_keys(session, org_id) if k.status == "active"]
    users = [u for u in partners.list_users(session, org_id) if u.status == UserStatus.active]
    return Confirmation(
        title=f"Disable {org.name}?",
        facts=[("Organisation", f"{org.name} ({org.id})"), ("Active signing keys", str(len(keys))), ("Active users", str(len(users)))],
        consequences=[
            "Every signing key it holds is revoked: it can no longer upload, and revoked keys stay revoked.",
            "Its users can no longer sign in. Enabling it again later needs a new enrolment token.",
        ],
        button=f"Disable {org.name}",
        back="/console/organisations",
        done="org-disabled",
    )


@router.get("/organisations/{org_id}/disable")
def org_disable_form(request: Request, operator: Operator, session: SessionDep, org_id: Name) -> Response:
    try:
        return _show(request, operator, _org_disable(session, org_id))
    except HubError as exc:
        raise PageFailed(exc, "/console/organisations") from exc


@router.post("/organisations/{org_id}/disable")
def org_disable(
    request: Request, operator: Operator, _csrf: CsrfForm, session: SessionDep, org_id: Name, reason: Reason = ""
) -> Response:
    try:
        if org_id == operator.org_id:
            raise HubError("you cannot disable your own organisation")
        confirmation = _org_disable(session, org_id)
    except HubError as exc:
        raise PageFailed(exc, "/console/organisations") from exc
    return _confirm(
        request,
        session,
        operator,
        confirmation,
        reason,
        lambda why: partners.set_org_status(session, org_id, OrgStatus.disabled, actor=operator.actor, reason=why),
    )


def _user_disable(session: SessionDep, username: str) -> Confirmation:
    user = partners.get_user(session, username)
    return Confirmation(
        title=f"Disable {user.display_name}?",
        facts=[("User", f"{user.display_name} ({user.username})"), ("Organisation", user.org_id), ("Role", user.role)],
        consequences=["Their sessions and API tokens end at once and they can no longer sign in."],
        button=f"Disable {user.display_name}",
        back="/console/organisations",
        done="user-disabled",
    )


@router.get("/users/{username}/disable")
def user_disable_form(request: Request, operator: Operator, session: SessionDep, username: Name) -> Response:
    try:
        return _show(request, operator, _user_disable(session, username))
    except HubError as exc:
        raise PageFailed(exc, "/console/organisations") from exc


@router.post("/users/{username}/disable")
def user_disable(
    request: Request, operator: Operator, _csrf: CsrfForm, session: SessionDep, username: Name, reason: Reason = ""
) -> Response:
    try:
        if username == operator.username:
            raise HubError("you cannot disable yourself")
        confirmation = _user_disable(session, username)
    except HubError as exc:
        raise PageFailed(exc, "/console/organisations") from exc
    return _confirm(
        request,
        session,
        operator,
        confirmation,
        reason,
        lambda why: partners.set_user_status(session, username, UserStatus.disabled, actor=operator.actor, reason=why),
    )


def _key_revoke(session: SessionDep, kid: str) -> Confirmation:
    key = next((k for k in partners.list_keys(session) if k.kid == kid), None)
    if key is None:
        raise NotFound("no partner key has this id")
    org = partners.get_org(session, key.org_id)
    return Confirmation(
        title=f"Revoke {org.name}'s signing key?",
        facts=[("Organisation", f"{org.name} ({org.id})"), ("Key id", kid), ("Registered", key.created_at.strftime("%d %B %Y"))],
        consequences=[
            "Uploads signed with this key are refused from now on; a revoked key is final.",
            "The organisation has to enrol a new key (with a new enrolment token) to upload again.",
        ],
        button="Revoke the key",
        back="/console/organisations",
        done="key-revoked",
    )


@router.get("/keys/{kid}/revoke")
def key_revoke_form(request: Request, operator: Operator, session: SessionDep, kid: Annotated[str, Path(max_length=64)]) -> Response:
    try:
        return _show(request, operator, _key_revoke(session, kid))
    except HubError as exc:
        raise PageFailed(exc, "/console/organisations") from exc


@router.post("/keys/{kid}/revoke")
def key_revoke(
    request: Request,
    operator: Operator,
    _csrf: CsrfForm,
    session: SessionDep,
    kid: Annotated[str, Path(max_length=64)],
    reason: Reason = "",
) -> Response:
    try:
        confirmation = _key_revoke(session, kid)
    except HubError as exc:
        raise PageFailed(exc, "/console/organisations") from exc
    return _confirm(
        request,
        session,
        operator,
        confirmation,
        reason,
        lambda why: partners.revoke_key(session, kid, actor=operator.actor, reason=why),
    )


# --- agreements ---------------------------------------------------------------------------------

AGREEMENT_VERBS: Final = {
    "suspend": (
        AgreementStatus.suspended,
        "suspended",
        "Its records leave every view at once; activating it again brings them back.",
    ),
    "revoke": (
        AgreementStatus.revoked,
        "revoked",
        "Its records leave every view for good: a revoked agreement cannot be activated again.",
    ),
}


def _agreement_change(session: SessionDep, agreement_id: str, verb: str) -> Confirmation:
    agreement = agreements.governing_agreement(session, agreement_id)
    if agreement is None:
        raise NotFound("no agreement has this id")
    _, done, consequence = AGREEMENT_VERBS[verb]
    return Confirmation(
        title=f"{verb.capitalize()} {agreement.title}?",
        facts=[
            ("Agreement", f"{agreement.title} ({agreement.id})"),
            ("Version", str(agreement.version)),
            ("Status now", agreement.status.value),
            ("Parties", str(len(agreement.parties))),
        ],
        consequences=[consequence, "The change is stored as a new version of the agreement."],
        button=f"{verb.capitalize()} the agreement",
        back=f"/console/agreements/{agreement_id}",
        done=done,
    )


def _agreement_form(request: Request, operator: Principal, session: SessionDep, agreement_id: str, verb: str) -> Response:
    try:
        return _show(request, operator, _agreement_change(session, agreement_id, verb))
    except HubError as exc:
        raise PageFailed(exc, "/console/agreements") from exc


def _agreement_do(
    request: Request, operator: Principal, session: SessionDep, agreement_id: str, verb: str, reason: str
) -> Response:
    try:
        confirmation = _agreement_change(session, agreement_id, verb)
    except HubError as exc:
        raise PageFailed(exc, "/console/agreements") from exc
    status = AGREEMENT_VERBS[verb][0]
    return _confirm(
        request,
        session,
        operator,
        confirmation,
        reason,
        lambda why: agreements.set_status(session, agreement_id, status, actor=operator.actor, reason=why),
    )


@router.get("/agreements/{agreement_id}/suspend")
def suspend_form(request: Request, operator: Operator, session: SessionDep, agreement_id: AgreementIdPath) -> Response:
    return _agreement_form(request, operator, session, agreement_id, "suspend")


@router.post("/agreements/{agreement_id}/suspend")
def suspend(
    request: Request, operator: Operator, _csrf: CsrfForm, session: SessionDep, agreement_id: AgreementIdPath, reason: Reason = ""
) -> Response:
    return _agreement_do(request, operator, session, agreement_id, "suspend", reason)


@router.get("/agreements/{agreement_id}/revoke")
def revoke_form(request: Request, operator: Operator, session: SessionDep, agreement_id: AgreementIdPath) -> Response:
    return _agreement_form(request, operator, session, agreement_id, "revoke")


@router.post("/agreements/{agreement_id}/revoke")
def revoke(
    request: Request, operator: Operator, _csrf: CsrfForm, session: SessionDep, agreement_id: AgreementIdPath, reason: Reason = ""
) -> Response:
    return _agreement_do(request, operator, session, agreement_id, "revoke", reason)
