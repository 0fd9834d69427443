"""Pages: the borough officers' dashboard (overview, trends, hotspot map, breakdowns, repeats, coverage, report).

Server-rendered from the same service functions as the JSON API, so a page never shows a
figure the API would not. Every chart is drawn by /static/charts.js from the data table printed
beside it (the table is the accessible version); the hotspot map is SVG drawn by
hub.pages.hotspot_map over the real borough boundaries — no tile server, nothing fetched elsewhere.
"""

from collections.abc import Callable
from typing import Any, Final, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from anonymise import BY_GSS, LONDON, ViewerRole
from hub.auth.pages import PageForbidden, PagePrincipal, csrf_token
from hub.auth.principal import Principal
from hub.deps import SessionDep
from hub.errors import Forbidden
from hub.pages.hotspot_map import hotspot_map, rate_map
from hub.pages.templating import templates
from hub.partners import service as partners
from hub.statistics import access, comparison, service

router = APIRouter()

PAGES: Final = (
    ("overview", "Overview", ""),
    ("trends", "Trends", "/trends"),
    ("hotspots", "Hotspot map", "/hotspots"),
    ("breakdowns", "Breakdowns", "/breakdowns"),
    ("repeats", "Repeat people", "/repeats"),
    ("coverage", "Data coverage", "/coverage"),
    ("routes", "Routes", "/routes"),
    ("where", "Where to look", "/where-to-look"),
    ("networks", "Networks", "/networks"),
    ("report", "Quarterly report", "/report"),
)
MAP_WIDTH: Final = 640.0


@router.get("/")
def landing(principal: PagePrincipal) -> Response:
    """Borough officers land on their borough; operators on the console; others on London."""
    if principal.role == ViewerRole.operator:
        return RedirectResponse("/console", status_code=303)
    if principal.gss_code and principal.gss_code in BY_GSS:
        return RedirectResponse(f"/dashboard/{principal.gss_code}", status_code=303)
    return RedirectResponse(f"/dashboard/{LONDON}", status_code=303)


def render(
    request: Request, session: Session, principal: Principal, area: str, page: str, template: str, **context: Any
) -> Response:
    scopes = [(LONDON, "London")]
    if principal.gss_code in BY_GSS:
        scopes.insert(0, (principal.gss_code, BY_GSS[principal.gss_code].name))
    return templates.TemplateResponse(
        request,
        template,
        {
            "principal": principal,
            "csrf_token": csrf_token(request),
            "area": area,
            "area_name": access.scope_name(area) if area == LONDON or area in BY_GSS else area,
            "page": page,
            "pages": PAGES,
            "scopes": scopes,
            "org_names": org_names(session),
            **context,
        },
    )


def org_names(session: Session) -> dict[str, str]:
    """Every organisation's display name by its id, for naming partners instead of their ids."""
    return {o.id: o.name for o in partners.list_orgs(session)}


def _guarded(call: Callable[[], Any]) -> Any:
    """Run a service call; another borough's detail becomes the 403 page, not a JSON error."""
    try:
        return call()
    except Forbidden as exc:
        raise PageForbidden from exc


@router.get("/dashboard/{area}")
def overview_page(area: str, request: Request, principal: PagePrincipal, session: SessionDep, quarter: str | None = None) -> Response:
    data = _guarded(lambda: service.overview(session, principal, area, quarter))
    where = _guarded(lambda: service.hotspots(session, principal, area, data.quarter)) if data.quarter else None
    repeats = _guarded(lambda: service.repeats(session, principal, area)) if data.quarter else None
    return render(
        request, session, principal, area, "overview", "dashboard_overview.html", data=data, where=where,
        repeats=repeats,
    )


@router.get("/dashboard/london/boroughs")
def boroughs_page(request: Request, principal: PagePrincipal, session: SessionDep, quarter: str | None = None) -> Response:
    """Its own page, not part of the London overview: each borough's published headline costs that
    borough's linked-table audit the first time it is asked (seconds each on the demo's data)."""
    boroughs = _guarded(lambda: comparison.boroughs(session, principal, quarter))
    quarters = _guarded(lambda: service.overview_quarters(session, principal, LONDON))
    return render(request, session, principal, LONDON, "overview", "dashboard_boroughs.html", boroughs=boroughs, quarters=quarters)


@router.get("/dashboard/{area}/trends")
def trends_page(area: str, request: Request, principal: PagePrincipal, session: SessionDep) -> Response:
    data = _guarded(lambda: service.trends(session, principal, area))
    return render(request, session, principal, area, "trends", "dashboard_trends.html", data=data)


@router.get("/dashboard/{area}/breakdowns")
def breakdowns_page(area: str, request: Request, principal: PagePrincipal, session: SessionDep, quarter: str | None = None) -> Response:
    data = _guarded(lambda: service.breakdowns(session, principal, area, quarter))
    quarters = _guarded(lambda: service.overview_quarters(session, principal, area))
    return render(request, session, principal, area, "breakdowns", "dashboard_breakdowns.html", data=data, quarters=quarters)


@router.get("/dashboard/{area}/hotspots")
def hotspots_page(
    area: str, request: Request, principal: PagePrincipal, session: SessionDep, quarter: str | None = None,
    show: Literal["counts", "rate"] = "counts",
) -> Response:
    """``show=rate`` shades boroughs by published incidents per 100,000 residents instead of the
    hotspot areas by count; asked for only on that toggle, because it costs every open borough's
    own overview (the borough comparison)."""
    data = _guarded(lambda: service.hotspots(session, principal, area, quarter))
    quarters = _guarded(lambda: service.overview_quarters(session, principal, area))
    if show == "rate":
        rates = _guarded(lambda: comparison.boroughs(session, principal, data.quarter)) if data.quarter else None
        drawn = rate_map(area, rates.rows if rates else [])
    else:
        rates, drawn = None, hotspot_map(area, data.cells)
    return render(
        request, session, principal, area, "hotspots", "dashboard_hotspots.html", data=data, quarters=quarters,
        map=drawn, show=show, rates=rates,
    )


@router.get("/dashboard/{area}/repeats")
def repeats_page(area: str, request: Request, principal: PagePrincipal, session: SessionDep) -> Response:
    data = _guarded(lambda: service.repeats(session, principal, area))
    quarters = _guarded(lambda: service.overview_quarters(session, principal, area))
    return render(request, session, principal, area, "repeats", "dashboard_repeats.html", data=data, quarters=quarters)


@router.get("/dashboard/{area}/coverage")
def coverage_page(area: str, request: Request, principal: PagePrincipal, session: SessionDep) -> Response:
    data = _guarded(lambda: service.coverage(session, principal, area))
    return render(request, session, principal, area, "coverage", "dashboard_coverage.html", data=data)


@router.get("/dashboard/{area}/report")
def report_page(area: str, request: Request, principal: PagePrincipal, session: SessionDep, quarter: str | None = None) -> Response:
    data = _guarded(lambda: service.overview(session, principal, area, quarter))
    details = _guarded(lambda: service.breakdowns(session, principal, area, data.quarter))
    return render(request, session, principal, area, "report", "report_quarterly.html", data=data, details=details)
