"""Pages: the operator console — organisations and users, enrolment tokens, agreements, submissions, audit.

Operators only (everyone else gets the 403 page). Every change goes through the same service
function as the API and is written to the audit log there. Nothing here shows record-level
data: submissions appear as metadata (who, which quarter, when, how many rows).
"""

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Final

from fastapi import APIRouter, Form, Path, Query, Request, Response, UploadFile
from fastapi.responses import RedirectResponse

from anonymise import AgreementStatus, PartnerType, ViewerRole, check_agreement_text
from hub import audit
from hub.agreements import service as agreements
from hub.agreements.schemas import MAX_DOCUMENT_CHARS
from hub.alerts import service as alerts
from hub.auth.pages import CsrfForm, OperatorPage, csrf_token
from hub.auth.principal import Principal
from hub.deps import DB_INT_MAX, SessionDep
from hub.errors import HubError, NotFound
from hub.models import (
    OrgStatus,
    SubmissionStatus,
    UserStatus,
)
from hub.pages.errors import PageFailed, attempt
from hub.pages.forms import FieldError, add_org, contact_errors, user_errors
from hub.pages.templating import templates
from hub.partners import service as partners
from hub.returns.grid import build_grid
from hub.submissions import service as submissions

router = APIRouter(prefix="/console")

Operator = OperatorPage
AgreementIdPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]

NOTICES: Final = {
    "org-added": "Organisation added.",
    "org-disabled": "Organisation disabled: its signing keys are revoked and its users can no longer sign in.",
    "org-enabled": "Organisation enabled; it needs a new enrolment token to register a signing key.",
    "contact-set": "Named contact saved: other partners see it only once this organisation accepts a contact request.",
    "key-revoked": "Signing key revoked: uploads signed with it are refused.",
    "user-added": "User added.",
    "user-disabled": "User disabled; their sessions and tokens are ended.",
    "user-enabled": "User enabled.",
    "loaded": "New agreement version stored.",
    "activated": "Agreement activated (new version).",
    "suspended": "Agreement suspended (new version): its records left every view.",
    "revoked": "Agreement revoked (new version): its records left every view.",
    "withdrawn": "Submission withdrawn: its records are deleted.",
    "purged": "Retention purge done.",
    "saved": "Changes saved (and written to the audit log).",
    "password": "Password reset: the user's sessions and tokens are ended; give them the new password by a separate channel.",
}
VERBS: Final = {
    "activate": (AgreementStatus.active, "activated"),
    "suspend": (AgreementStatus.suspended, "suspended"),
    "revoke": (AgreementStatus.revoked, "revoked"),
}


def _today() -> date:
    return datetime.now(UTC).date()


def _page(
    request: Request, name: str, operator: Principal, context: dict[str, Any], status: int = 200
) -> Response:
    notice = request.query_params.get("notice")
    base = {
        "principal": operator,
        "csrf_token": csrf_token(request),
        "notice": NOTICES.get(notice or ""),
    }
    return templates.TemplateResponse(request, name, base | context, status_code=status)


def _done(url: str, notice: str) -> Response:
    return RedirectResponse(f"{url}?notice={notice}", status_code=303)


def _joined(session: SessionDep) -> dict[str, date]:
    return {o.id: o.created_at.date() for o in partners.list_orgs(session)}


# --- overview ----------------------------------------------------------------------------------


@router.get("")
def home(request: Request, operator: Operator, session: SessionDep) -> Response:
    current = agreements.current_agreements(session)
    grid = build_grid(current, submissions.all_submissions(session), _today(), _joined(session))
    report = audit.verify_recent(session)
    counts = {
        "organisations": partners.count_orgs(session),
        "users": partners.count_users(session),
        "agreements": len(current),
        "active_submissions": submissions.count_active(session),
    }
    context = {
        "counts": counts,
        "agreements": current,
        "missing": grid.missing(),
        "tally": grid.tally(),
        "quarters": grid.quarters,
        "names": {o.id: o.name for o in partners.list_orgs(session)},
        "report": report,
    }
    return _page(request, "console_home.html", operator, context)


# --- organisations, users, enrolment tokens ------------------------------------------------------


def _orgs_page(
    request: Request,
    session: SessionDep,
    operator: Principal,
    *,
    form: str = "",
    values: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
    status: int = 200,
) -> Response:
    """The organisations page; a failed form (``form``: add-org or add-user) is open again with its
    values and an error summary."""
    context = {
        "orgs": partners.list_orgs(session),
        "users": partners.list_users(session),
        "keys": partners.list_keys(session),
        "kinds": [k.value for k in PartnerType],
        "roles": [r.value for r in ViewerRole],
        "form": form,
        "values": values or {},
        "errors": errors or [],
    }
    return _page(request, "console_orgs.html", operator, context, status=status)


@router.get("/organisations")
def organisations(request: Request, operator: Operator, session: SessionDep) -> Response:
    return _orgs_page(request, session, operator)


@router.post("/organisations")
def add_organisation(
    request: Request,
    operator: Operator,
    _csrf: CsrfForm,
    session: SessionDep,
    org_id: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=200)] = "",
    kind: Annotated[str, Form(max_length=40)] = "",
    gss_code: Annotated[str, Form(max_length=9)] = "",
) -> Response:
    values = {"org_id": org_id, "org_name": name, "org_kind": kind, "gss_code": gss_code}
    errors = add_org(session, operator.actor, org_id=org_id, name=name, kind=kind, gss_code=gss_code)
    if errors:
        return _orgs_page(request, session, operator, form="add-org", values=values, errors=errors)
    return _done("/console/organisations", "org-added")


@router.post("/users")
def add_user(
    request: Request,
    operator: Operator,
    _csrf: CsrfForm,
    session: SessionDep,
    username: Annotated[str, Form(max_length=120)] = "",
    display_name: Annotated[str, Form(max_length=200)] = "",
    org_id: Annotated[str, Form(max_length=64)] = "",
    role: Annotated[str, Form(max_length=32)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    # the password is never sent back into the page
    values = {"username": username, "display_name": display_name, "user_org": org_id, "role": role}
    errors = user_errors(username, display_name, password)
    if role not in {r.value for r in ViewerRole}:
        errors.append(FieldError("role", "Choose a role"))
    if not errors:
        try:
            with attempt(session):
                partners.add_user(
                    session,
                    username=username,
                    display_name=display_name.strip(),
                    org_id=org_id,
                    role=ViewerRole(role),
                    password=password or None,
                    actor=operator.actor,
                )
        except HubError as exc:
            errors = [FieldError("user_org" if "organisation" in exc.detail else "username", exc.detail)]
        except ValueError:
            errors = [FieldError("password", "The password is not accepted: use at least 12 characters")]
    if errors:
        return _orgs_page(request, session, operator, form="add-user", values=values, errors=errors)
    return _done("/console/organisations", "user-added")


@router.post("/users/{username}/enable")
def user_enable(
    request: Request,
    operator: Operator,
    _csrf: CsrfForm,
    session: SessionDep,
    username: Annotated[str, Path(max_length=120)],
) -> Response:
    try:
        partners.set_user_status(session, username, UserStatus.active, actor=operator.actor)
    except HubError as exc:
        raise PageFailed(exc, "/console/organisations") from exc
    return _done("/console/organisations", "user-enabled")


@router.post("/organisations/{org_id}/enrolment-token")
def enrolment_token(
    request: Request,
    operator: Operator,
    _csrf: CsrfForm,
    session: SessionDep,
    org_id: Annotated[str, Path(max_length=64)],
    ttl_hours: Annotated[int, Form(ge=1, le=24 * 14)] = 72,
) -> Response:
    try:
        token = partners.issue_enrolment_token(
            session, org_id, operator.actor, timedelta(hours=ttl_hours)
        )
    except HubError as exc:
        raise PageFailed(exc, "/console/organisations") from exc
    context = {"org_id": org_id, "token": token, "ttl_hours": ttl_hours}
    return _page(request, "console_token.html", operator, context)


@router.post("/organisations/{org_id}/enable")
def org_enable(
    request: Request,
    operator: Operator,
    _csrf: CsrfForm,
    session: SessionDep,
    org_id: Annotated[str, Path(max_length=64)],
) -> Response:
    try:
        partners.set_org_status(session, org_id, OrgStatus.active, actor=operator.actor)
    except HubError as exc:
        raise PageFailed(exc, "/console/organisations") from exc
    return _done("/console/organisations", "org-enabled")


@router.post("/organisations/{org_id}/contact")
def org_contact(
    request: Request,
    operator: Operator,
    _csrf: CsrfForm,
    session: SessionDep,
    org_id: Annotated[str, Path(max_length=64)],
    contact: Annotated[str, Form(max_length=4000)] = "",  # longer than the field holds: checked in the form
) -> Response:
    """The named contact shown to another partner once a contact request about an alert is accepted (docs/alerts.md)."""
    errors = contact_errors(org_id, contact)
    if errors:
        values = {"contact_org": org_id, "contact": contact}
        return _orgs_page(request, session, operator, form="contact", values=values, errors=errors, status=422)
    try:
        alerts.set_contact(session, org_id, contact or None, actor=operator.actor)
    except HubError as exc:
        raise PageFailed(exc, "/console/organisations") from exc
    return _done("/console/organisations", "contact-set")


# --- agreements ----------------------------------------------------------------------------------


def _agreements_page(
    request: Request,
    session: SessionDep,
    operator: Principal,
    *,
    document: str = "",
    problems: list[Any] | None = None,
    checked: bool = False,
    status: int = 200,
) -> Response:
    """The list and the load form; problems are shown in place (status 200: the page rendered fine)."""
    context = {
        "agreements": agreements.current_agreements(session),
        "document": document,
        "problems": problems or [],
        "checked": checked,
    }
    return _page(request, "console_agreements.html", operator, context, status=status)


@router.get("/agreements")
def agreements_page(request: Request, operator: Operator, session: SessionDep) -> Response:
    return _agreements_page(request, session, operator)


@router.post("/agreements")
async def upload_agreement(
    request: Request,
    operator: Operator,
    _csrf: CsrfForm,
    session: SessionDep,
    document: Annotated[str, Form(max_length=MAX_DOCUMENT_CHARS)] = "",
    file: UploadFile | None = None,
    action: Annotated[str, Form(pattern="^(validate|load)$")] = "load",
) -> Response:
    if file is not None and file.filename:
        raw = await file.read(MAX_DOCUMENT_CHARS + 1)
        if len(raw) > MAX_DOCUMENT_CHARS:
            return _agreements_page(
                request, session, operator, problems=[_whole("the file is too large")], status=413
            )
        try:
            document = raw.decode("utf-8")
        except UnicodeDecodeError:
            return _agreements_page(
                request,
                session,
                operator,
                problems=[_whole("the file is not UTF-8 text")],
                status=422,
            )
    if not document.strip():
        return _agreements_page(
            request,
            session,
            operator,
            problems=[_whole("paste an agreement or choose a file")],
            status=422,
        )
    problems = check_agreement_text(document)
    if problems or action == "validate":
        rows = [
            {"path": p.path, "line": p.line, "column": p.column, "rule": p.message}
            for p in problems
        ]
        return _agreements_page(
            request,
            session,
            operator,
            document=document,
            problems=rows,
            checked=True,
        )
    try:
        with attempt(session):
            loaded = agreements.load_version(session, document, actor=operator.actor)
    except HubError as exc:
        return _agreements_page(
            request,
            session,
            operator,
            document=document,
            problems=[_whole(exc.detail)],
            status=exc.status_code,
        )
    return _done(f"/console/agreements/{loaded.id}", "loaded")


def _whole(rule: str) -> dict[str, Any]:
    return {"path": "", "line": None, "column": None, "rule": rule}


@router.get("/agreements/{agreement_id}")
def agreement_page(
    request: Request, operator: Operator, session: SessionDep, agreement_id: AgreementIdPath
) -> Response:
    agreement = agreements.governing_agreement(session, agreement_id)
    if agreement is None:
        raise PageFailed(_not_found(agreement_id), "/console/agreements")
    rows = agreements.versions(session, agreement_id)
    context = {
        "agreement": agreement,
        "versions": rows,
        "document": rows[0].document,
        "names": {o.id: o.name for o in partners.list_orgs(session)},
        "verbs": [
            verb
            for verb, (status, _) in VERBS.items()
            if status in agreements.ALLOWED_TRANSITIONS[agreement.status]
        ],
    }
    return _page(request, "console_agreement.html", operator, context)


def _not_found(agreement_id: str) -> HubError:
    return NotFound("no agreement has this id")


@router.get("/agreements/{agreement_id}/edit")
def edit_agreement(
    request: Request, operator: Operator, session: SessionDep, agreement_id: AgreementIdPath
) -> Response:
    latest = agreements.versions(session, agreement_id)
    if not latest:
        raise PageFailed(_not_found(agreement_id), "/console/agreements")
    return _agreements_page(
        request, session, operator, document=agreements.next_version_text(latest[0])
    )


@router.get("/agreements/{agreement_id}/diff")
def diff_page(
    request: Request,
    operator: Operator,
    session: SessionDep,
    agreement_id: AgreementIdPath,
    v1: Annotated[int, Query(ge=1, le=DB_INT_MAX)],
    v2: Annotated[int, Query(ge=1, le=DB_INT_MAX)],
) -> Response:
    try:
        text = agreements.diff(session, agreement_id, v1, v2)
    except HubError as exc:
        raise PageFailed(exc, f"/console/agreements/{agreement_id}") from exc
    lines = [(_line_kind(line), line.rstrip("\n")) for line in text.splitlines(keepends=True)]
    context = {"agreement_id": agreement_id, "v1": v1, "v2": v2, "lines": lines}
    return _page(request, "console_diff.html", operator, context)


def _line_kind(line: str) -> str:
    if line.startswith(("+++", "---")):
        return "head"
    return {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")


@router.post("/agreements/{agreement_id}/activate")
def activate(
    request: Request,
    operator: Operator,
    _csrf: CsrfForm,
    session: SessionDep,
    agreement_id: AgreementIdPath,
) -> Response:
    try:
        agreements.set_status(session, agreement_id, AgreementStatus.active, actor=operator.actor)
    except HubError as exc:
        raise PageFailed(exc, f"/console/agreements/{agreement_id}") from exc
    return _done(f"/console/agreements/{agreement_id}", "activated")


# --- submissions and withdrawals ---------------------------------------------------------------


@router.get("/submissions")
def submissions_page(request: Request, operator: Operator, session: SessionDep) -> Response:
    current = agreements.current_agreements(session)
    rows = submissions.all_submissions(session)
    grid = build_grid(current, rows, _today(), _joined(session))
    recent = [
        s for s in rows if s.status in (SubmissionStatus.active, SubmissionStatus.superseded)
    ][:200]
    names = {o.id: o.name for o in partners.list_orgs(session)}
    context = {"grid": grid, "recent": recent, "names": names}
    return _page(request, "console_submissions.html", operator, context)
