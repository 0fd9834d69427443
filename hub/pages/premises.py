"""Page: "Where to look" — incidents per 100 premises of each type per borough, with the method and its caveats.

Rendered from the same service call as ``/api/v1/stats/{area}/premises``, so the page never
shows a figure the API would not; the register's counts are all it knows of any premises.
"""

from fastapi import APIRouter, Request, Response

from anonymise import BY_GSS, LONDON
from hub.auth.pages import PageForbidden, PagePrincipal, csrf_token
from hub.deps import SessionDep
from hub.errors import Forbidden
from hub.pages.dashboard import PAGES
from hub.pages.templating import templates
from hub.premises import service

router = APIRouter()


@router.get("/dashboard/{area}/where-to-look")
def where_to_look_page(
    area: str, request: Request, principal: PagePrincipal, session: SessionDep, quarter: str | None = None
) -> Response:
    try:
        data = service.indicators(session, principal, area, quarter)
    except Forbidden as exc:
        raise PageForbidden from exc
    scopes = [(LONDON, "London")]
    if principal.gss_code in BY_GSS:
        scopes.insert(0, (principal.gss_code, BY_GSS[principal.gss_code].name))
    return templates.TemplateResponse(
        request,
        "dashboard_premises.html",
        {
            "principal": principal, "csrf_token": csrf_token(request), "area": area, "area_name": data.scope_name,
            "page": "where", "pages": PAGES, "scopes": scopes, "data": data, "quarters": data.quarters,
        },
    )
