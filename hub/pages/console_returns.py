"""Pages: the returns providers still owe, and reminders left at the hub for them (the hub is the mailbox).

The list comes from the same grid as the submissions page. A reminder is sent only after a
confirmation page that names every provider and quarter it goes to; each one is audited with
who sent it. The partner sees it in ``msht-client status`` and on its local page.
"""

import re
from typing import Annotated, Final

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse

from hub.auth.pages import CsrfForm, OperatorPage, csrf_token
from hub.auth.principal import Principal
from hub.deps import SessionDep
from hub.errors import HubError
from hub.pages.errors import attempt
from hub.pages.forms import FieldError
from hub.pages.templating import templates
from hub.partners import service as partners
from hub.returns import service as returns

router = APIRouter(prefix="/console")
Operator = OperatorPage
TARGET: Final = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}\|[a-z0-9][a-z0-9-]{1,63}\|(19|20)[0-9]{2}-Q[1-4]$")
Targets = Annotated[list[str], Query(max_length=500)]


def _key(o: returns.Owed) -> str:
    return f"{o.agreement_id}|{o.org_id}|{o.quarter}"


def _render(request: Request, operator: Principal, session: SessionDep, name: str, **context: object) -> Response:
    names = {o.id: o.name for o in partners.list_orgs(session)}
    base = {"principal": operator, "csrf_token": csrf_token(request), "names": names,
            "notice": "Reminder(s) left at the hub: the partner sees them in msht-client status and on its local page."
            if request.query_params.get("notice") == "reminded" else None}
    return templates.TemplateResponse(request, name, base | context)


@router.get("/returns")
def returns_page(request: Request, operator: Operator, session: SessionDep) -> Response:
    owed = returns.owed(session, returns.today())
    late_quarters = sorted({o.quarter for o in owed if o.late})
    return _render(request, operator, session, "console_returns.html", owed=owed, key=_key, late_quarters=late_quarters)


def _chosen(session: SessionDep, targets: list[str], quarter: str, late: bool) -> list[returns.Owed]:
    owed = returns.owed(session, returns.today())
    wanted = {t for t in targets if TARGET.match(t)}
    return [o for o in owed if _key(o) in wanted or (quarter and o.quarter == quarter and (o.late or not late))]


@router.get("/returns/remind")
def remind_form(
    request: Request, operator: Operator, session: SessionDep, target: Targets = [],  # noqa: B006 - FastAPI reads it, never mutated
    quarter: Annotated[str, Query(pattern=r"^((19|20)[0-9]{2}-Q[1-4])?$")] = "",
) -> Response:
    chosen = _chosen(session, target, quarter, late=True)
    return _render(request, operator, session, "console_remind.html", chosen=chosen, key=_key, errors=[])


@router.post("/returns/remind")
def remind(
    request: Request, operator: Operator, _csrf: CsrfForm, session: SessionDep,
    target: Annotated[list[str], Form(max_length=500)] = [],  # noqa: B006 - FastAPI reads it, never mutated
) -> Response:
    chosen = _chosen(session, target, "", late=False)
    errors: list[FieldError] = []
    if not chosen:
        errors.append(FieldError("confirm-button", "None of these returns is still owed: nothing was sent"))
    else:
        try:
            with attempt(session):
                returns.remind_many(session, chosen, actor=operator.actor, on=returns.today())
        except HubError as exc:
            errors.append(FieldError("confirm-button", exc.detail))
    if errors:
        return _render(request, operator, session, "console_remind.html", chosen=chosen, key=_key, errors=errors)
    return RedirectResponse("/console/returns?notice=reminded", status_code=303)
