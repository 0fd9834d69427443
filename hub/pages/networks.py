"""Pages: networks — the list and a link chart for an analyst or police holding a ``networks`` grant, counts for borough officers.

Rendered from the same service calls as ``/api/v1/networks``. The chart (Cytoscape.js, vendored
in /static/vendor with its licence) is drawn by /static/networks.js from the JSON the page
carries; the table beside it is the accessible version, and its buttons expand one node at a time.
"""

from fastapi import APIRouter, Request, Response

from anonymise import BY_GSS, LONDON, vocab
from hub.auth.pages import PageForbidden, PagePrincipal
from hub.deps import SessionDep
from hub.errors import Forbidden
from hub.networks import service
from hub.pages.dashboard import render

router = APIRouter()


@router.get("/dashboard/{area}/networks")
def networks_page(
    area: str, request: Request, principal: PagePrincipal, session: SessionDep, borough: str | None = None,
    type: str | None = None, min_size: int = 2, since: str | None = None, until: str | None = None,
) -> Response:
    if area != LONDON and area not in BY_GSS:
        raise PageForbidden
    try:
        service.sources_for(session, principal)
    except Forbidden:
        try:
            counts = service.counts(session, principal, area if area != LONDON else None)
        except Forbidden as exc:
            raise PageForbidden from exc
        return render(request, session, principal, area, "networks", "dashboard_network_counts.html", data=counts)
    data = service.list_networks(session, principal, borough=borough or None, kind=type or None, min_size=min_size,
                                 since=since or None, until=until or None)
    return render(
        request, session, principal, area, "networks", "dashboard_networks.html", data=data,
        boroughs=sorted(((g, b.name) for g, b in BY_GSS.items()), key=lambda x: x[1]),
        types=[t.value for t in vocab.ExploitationType if t.value not in {"unknown", "not_asked", "not_applicable"}],
        chosen={"borough": borough or "", "type": type or "", "min_size": min_size, "since": since or "", "until": until or ""},
    )


@router.get("/dashboard/{area}/networks/{number}")
def chart_page(
    area: str, number: int, request: Request, principal: PagePrincipal, session: SessionDep, expand: str | None = None
) -> Response:
    try:
        data = service.chart(session, principal, number, expand=expand)
    except Forbidden as exc:
        raise PageForbidden from exc
    return render(request, session, principal, area, "networks", "dashboard_network_chart.html", data=data)
