"""HTTP routes of hub.statistics: the JSON API under /api/v1/stats and CSV exports (the PDF report is hub.pages.report_pdf)."""

from fastapi import APIRouter, Response

from hub.auth.dependencies import CurrentPrincipal
from hub.deps import SessionDep
from hub.statistics import comparison, service
from hub.statistics.exports import boroughs_csv, ctdc_csv, routes_csv, tables_csv
from hub.statistics.routes import Direction
from hub.statistics.schemas import (
    BoroughComparison,
    Breakdowns,
    Coverage,
    CtdcTable,
    Hotspots,
    Overview,
    Repeats,
    RouteFlows,
    Trends,
)

router = APIRouter(prefix="/api/v1/stats", tags=["statistics"])


@router.get("/london/boroughs")
def boroughs(principal: CurrentPrincipal, session: SessionDep, quarter: str | None = None) -> BoroughComparison:
    """Each borough's own published headline, with residents and rates per 100,000."""
    return comparison.boroughs(session, principal, quarter)


@router.get("/{scope}/overview")
def overview(scope: str, principal: CurrentPrincipal, session: SessionDep, quarter: str | None = None) -> Overview:
    return service.overview(session, principal, scope, quarter)


@router.get("/{scope}/trends")
def trends(scope: str, principal: CurrentPrincipal, session: SessionDep) -> Trends:
    return service.trends(session, principal, scope)


@router.get("/{scope}/breakdowns")
def breakdowns(scope: str, principal: CurrentPrincipal, session: SessionDep, quarter: str | None = None) -> Breakdowns:
    return service.breakdowns(session, principal, scope, quarter)


@router.get("/{scope}/hotspots")
def hotspots(scope: str, principal: CurrentPrincipal, session: SessionDep, quarter: str | None = None) -> Hotspots:
    return service.hotspots(session, principal, scope, quarter)


@router.get("/{scope}/routes")
def routes(scope: str, principal: CurrentPrincipal, session: SessionDep, quarter: str | None = None,
           direction: Direction = "in") -> RouteFlows:
    return service.routes(session, principal, scope, quarter, direction)


@router.get("/{scope}/ctdc")
def ctdc(scope: str, principal: CurrentPrincipal, session: SessionDep, quarter: str | None = None) -> CtdcTable:
    return service.ctdc(session, principal, scope, quarter)


@router.get("/{scope}/repeats")
def repeats(scope: str, principal: CurrentPrincipal, session: SessionDep) -> Repeats:
    return service.repeats(session, principal, scope)


@router.get("/{scope}/coverage")
def coverage(scope: str, principal: CurrentPrincipal, session: SessionDep) -> Coverage:
    return service.coverage(session, principal, scope)


def _download(body: str | bytes, media_type: str, filename: str) -> Response:
    return Response(body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/{scope}/breakdowns.csv")
def breakdowns_csv(scope: str, principal: CurrentPrincipal, session: SessionDep, quarter: str | None = None) -> Response:
    b = service.breakdowns(session, principal, scope, quarter)
    body = tables_csv(b.tables, b.cross, scope=scope, quarter=b.quarter)
    return _download(body, "text/csv; charset=utf-8", f"msht-{scope}-{b.quarter or 'all'}-breakdowns.csv")


@router.get("/{scope}/hotspots.csv")
def hotspots_csv(scope: str, principal: CurrentPrincipal, session: SessionDep, quarter: str | None = None) -> Response:
    h = service.hotspots(session, principal, scope, quarter)
    return _download(tables_csv([h.table], scope=scope, quarter=h.quarter), "text/csv; charset=utf-8", f"msht-{scope}-hotspots.csv")


@router.get("/london/boroughs.csv")
def boroughs_download(principal: CurrentPrincipal, session: SessionDep, quarter: str | None = None) -> Response:
    c = comparison.boroughs(session, principal, quarter)
    return _download(boroughs_csv(c), "text/csv; charset=utf-8", f"msht-london-{c.quarter or 'all'}-borough-rates.csv")


@router.get("/{scope}/routes.csv")
def routes_download(scope: str, principal: CurrentPrincipal, session: SessionDep, quarter: str | None = None,
                    direction: Direction = "in") -> Response:
    r = service.routes(session, principal, scope, quarter, direction)
    return _download(routes_csv(r), "text/csv; charset=utf-8", f"msht-{scope}-{r.quarter or 'all'}-routes-{r.direction}.csv")


@router.get("/{scope}/ctdc.csv")
def ctdc_download(scope: str, principal: CurrentPrincipal, session: SessionDep, quarter: str | None = None) -> Response:
    c = service.ctdc(session, principal, scope, quarter)
    return _download(ctdc_csv(c), "text/csv; charset=utf-8", f"msht-{scope}-{c.quarter or 'all'}-ctdc.csv")
