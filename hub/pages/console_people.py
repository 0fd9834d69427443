"""Pages: edit an organisation (its display name, a borough's GSS code) and a user (name, role),
and reset a user's password — each form says what will change and needs a typed reason, kept in
the audit log by the partners service; a refused change is shown in the form with the input kept.
"""

from typing import Annotated, Any, Final

from fastapi import APIRouter, Form, Path, Request, Response
from fastapi.responses import RedirectResponse

from anonymise import BY_GSS, PartnerType, ViewerRole
from hub.auth.pages import CsrfForm, OperatorPage, csrf_token
from hub.auth.principal import Principal
from hub.deps import SessionDep
from hub.errors import HubError
from hub.pages.errors import PageFailed, attempt
from hub.pages.forms import GSS_CODE, REASON_MAX, FieldError, reason_errors
from hub.pages.templating import templates
from hub.partners import service as partners

router = APIRouter(prefix="/console")
Operator = OperatorPage
OrgIdPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
UsernamePath = Annotated[str, Path(min_length=1, max_length=120)]
Reason = Annotated[str, Form(max_length=REASON_MAX + 50)]
PASSWORD_MIN: Final = 12
ROLE_NAMES: Final = {
    "borough_officer": "Borough officer (their borough's dashboard)",
    "analyst": "Analyst (pooled London figures)",
    "operator": "Operator (this console)",
    "partner_uploader": "Partner uploader (sends data, sees no figures)",
}


def _page(request: Request, operator: Principal, name: str, context: dict[str, Any], status: int = 200) -> Response:
    base = {"principal": operator, "csrf_token": csrf_token(request), "notice": None, "errors": [], "reason_max": REASON_MAX}
    return templates.TemplateResponse(request, name, base | context, status_code=status)


def _org_or_fail(session: SessionDep, org_id: str) -> Any:
    try:
        return partners.get_org(session, org_id)
    except HubError as exc:
        raise PageFailed(exc, "/console/organisations") from exc


def _user_or_fail(session: SessionDep, username: str) -> Any:
    try:
        return partners.get_user(session, username)
    except HubError as exc:
        raise PageFailed(exc, "/console/organisations") from exc


@router.get("/organisations/{org_id}/edit")
def edit_org_form(request: Request, operator: Operator, session: SessionDep, org_id: OrgIdPath) -> Response:
    org = _org_or_fail(session, org_id)
    form = {"name": org.name, "gss_code": org.gss_code or "", "reason": ""}
    return _page(request, operator, "console_edit_org.html", {"org": org, "form": form, "boroughs": BY_GSS})


@router.post("/organisations/{org_id}/edit")
def edit_org(
    request: Request, operator: Operator, _csrf: CsrfForm, session: SessionDep, org_id: OrgIdPath,
    name: Annotated[str, Form(max_length=200)] = "", gss_code: Annotated[str, Form(max_length=9)] = "", reason: Reason = "",
) -> Response:
    org = _org_or_fail(session, org_id)
    form = {"name": name, "gss_code": gss_code, "reason": reason}
    errors: list[FieldError] = []
    if not name.strip():
        errors.append(FieldError("name", "Enter the organisation's name as people know it"))
    borough = org.kind == PartnerType.LocalGovernmentOrganisation.value
    if borough and not GSS_CODE.match(gss_code):
        errors.append(FieldError("gss_code", "Choose the borough"))
    errors += reason_errors(reason)
    if not errors:
        try:
            with attempt(session):
                partners.edit_org(
                    session, org_id, name=name.strip(), gss_code=gss_code if borough else None, actor=operator.actor, reason=reason.strip(),
                )
        except HubError as exc:
            errors = [FieldError("name", exc.detail)]
        else:
            return RedirectResponse("/console/organisations?notice=saved", status_code=303)
    return _page(request, operator, "console_edit_org.html", {"org": org, "form": form, "boroughs": BY_GSS, "errors": errors}, 422)


def _user_context(user: Any, form: dict[str, Any], errors: list[FieldError] | None = None, which: str = "") -> dict[str, Any]:
    return {"user": user, "form": form, "roles": ROLE_NAMES, "errors": errors or [], "which": which}


@router.get("/users/{username}/edit")
def edit_user_form(request: Request, operator: Operator, session: SessionDep, username: UsernamePath) -> Response:
    user = _user_or_fail(session, username)
    form = {"display_name": user.display_name, "role": user.role, "reason": "", "password_reason": ""}
    return _page(request, operator, "console_edit_user.html", _user_context(user, form))


@router.post("/users/{username}/edit")
def edit_user(
    request: Request, operator: Operator, _csrf: CsrfForm, session: SessionDep, username: UsernamePath,
    display_name: Annotated[str, Form(max_length=200)] = "", role: Annotated[str, Form(max_length=32)] = "", reason: Reason = "",
) -> Response:
    user = _user_or_fail(session, username)
    form = {"display_name": display_name, "role": role, "reason": reason, "password_reason": ""}
    errors: list[FieldError] = []
    if not display_name.strip():
        errors.append(FieldError("display_name", "Enter the person's name"))
    if role not in ROLE_NAMES:
        errors.append(FieldError("role", "Choose a role"))
    errors += reason_errors(reason)
    if not errors:
        try:
            with attempt(session):
                partners.edit_user(
                    session, username, display_name=display_name.strip(), role=ViewerRole(role), actor=operator.actor, reason=reason.strip(),
                )
        except HubError as exc:
            errors = [FieldError("role", exc.detail)]
        else:
            return RedirectResponse("/console/organisations?notice=saved", status_code=303)
    return _page(request, operator, "console_edit_user.html", _user_context(user, form, errors, "edit"), 422)


@router.post("/users/{username}/password")
def reset_password(
    request: Request, operator: Operator, _csrf: CsrfForm, session: SessionDep, username: UsernamePath,
    password: Annotated[str, Form(max_length=200)] = "", password_again: Annotated[str, Form(max_length=200)] = "",
    password_reason: Reason = "",
) -> Response:
    user = _user_or_fail(session, username)
    form = {"display_name": user.display_name, "role": user.role, "reason": "", "password_reason": password_reason}
    errors: list[FieldError] = []
    if len(password) < PASSWORD_MIN:
        errors.append(FieldError("password", f"A password needs at least {PASSWORD_MIN} characters"))
    elif password != password_again:
        errors.append(FieldError("password_again", "The two passwords are not the same"))
    errors += [FieldError("password_reason", e.message) for e in reason_errors(password_reason)]
    if not errors:
        try:
            with attempt(session):
                partners.set_password(session, username, password, actor=operator.actor, reason=password_reason.strip())
        except HubError as exc:
            errors = [FieldError("password", exc.detail)]
        else:
            return RedirectResponse("/console/organisations?notice=password", status_code=303)
    return _page(request, operator, "console_edit_user.html", _user_context(user, form, errors, "password"), 422)
