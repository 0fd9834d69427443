"""Page: "Where to look" — incidents per 100 premises of each type per borough, with the method and its caveats.

Rendered from the same service call as ``/api/v1/stats/{area}/premises``, so the page never
shows a figure the API would not; the register's counts are all it knows of any premises.
"""

from fastapi import APIRouter, Request, Response

from hub.auth.pages import PageForbidden, PagePrincipal
from hub.deps import SessionDep
from hub.errors import Forbidden
from hub.pages.dashboard import render
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
    return render(
        request, session, principal, area, "where", "dashboard_premises.html", area_name=data.scope_name, data=data,
        quarters=data.quarters,
    )
