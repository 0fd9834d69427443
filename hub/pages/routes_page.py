"""Page: "Routes" — where people were recruited, how they travelled and where they were exploited.

Rendered from the same service call as ``/api/v1/stats/{area}/routes``, so the page never shows
a figure the API would not: a Sankey diagram and a flow map of the published flows, and the
table of every flow with its privacy label.
"""

from fastapi import APIRouter, Request, Response

from anonymise import BY_GSS
from hub.auth.pages import PageForbidden, PagePrincipal
from hub.deps import SessionDep
from hub.errors import Forbidden
from hub.pages.dashboard import render
from hub.pages.flow_svg import flow_map, sankey
from hub.statistics import service
from hub.statistics.routes import Direction

router = APIRouter()


@router.get("/dashboard/{area}/routes")
def routes_page(
    area: str, request: Request, principal: PagePrincipal, session: SessionDep, quarter: str | None = None,
    direction: Direction = "in",
) -> Response:
    try:
        data = service.routes(session, principal, area, quarter, direction)
    except Forbidden as exc:
        raise PageForbidden from exc
    drawn = sankey(data.flows)
    return render(
        request, session, principal, area, "routes", "dashboard_routes.html", area_name=data.scope_name, data=data,
        quarters=data.quarters, sankey=drawn, drawn_total=sum(n.value for n in drawn.nodes if n.side == "left"),
        map=flow_map(data.flows), area_name_of=BY_GSS,
    )
