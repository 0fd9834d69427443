"""Pages: the borough officers' dashboard (overview, trends, hotspot map, breakdowns, repeats, coverage, report).

Server-rendered from the same service functions as the JSON API, so a page never shows a
figure the API would not. Every chart is drawn by /static/charts.js from the data table printed
beside it (the table is the accessible version); the hotspot map is SVG drawn here from H3 cell
boundaries over approximate borough outlines — no tile server, nothing fetched elsewhere.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import h3
from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from anonymise import BOROUGHS, BY_GSS, LONDON, ViewerRole, borough_outlines
from hub.auth.pages import PageForbidden, PagePrincipal, csrf_token
from hub.auth.principal import Principal
from hub.deps import SessionDep
from hub.errors import Forbidden
from hub.pages.templating import templates
from hub.statistics import access, service
from hub.statistics.schemas import HotspotCell

router = APIRouter()

PAGES: Final = (
    ("overview", "Overview", ""),
    ("trends", "Trends", "/trends"),
    ("hotspots", "Hotspot map", "/hotspots"),
    ("breakdowns", "Breakdowns", "/breakdowns"),
    ("repeats", "Repeat people", "/repeats"),
    ("coverage", "Data coverage", "/coverage"),
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


def _render(request: Request, principal: Principal, area: str, page: str, template: str, **context: Any) -> Response:
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
            **context,
        },
    )


def _guarded(call: Callable[[], Any]) -> Any:
    """Run a service call; another borough's detail becomes the 403 page, not a JSON error."""
    try:
        return call()
    except Forbidden as exc:
        raise PageForbidden from exc


@router.get("/dashboard/{area}")
def overview_page(area: str, request: Request, principal: PagePrincipal, session: SessionDep, quarter: str | None = None) -> Response:
    data = _guarded(lambda: service.overview(session, principal, area, quarter))
    return _render(request, principal, area, "overview", "dashboard_overview.html", data=data)


@router.get("/dashboard/{area}/trends")
def trends_page(area: str, request: Request, principal: PagePrincipal, session: SessionDep) -> Response:
    data = _guarded(lambda: service.trends(session, principal, area))
    return _render(request, principal, area, "trends", "dashboard_trends.html", data=data)


@router.get("/dashboard/{area}/breakdowns")
def breakdowns_page(area: str, request: Request, principal: PagePrincipal, session: SessionDep, quarter: str | None = None) -> Response:
    data = _guarded(lambda: service.breakdowns(session, principal, area, quarter))
    quarters = _guarded(lambda: service.overview_quarters(session, principal, area))
    return _render(request, principal, area, "breakdowns", "dashboard_breakdowns.html", data=data, quarters=quarters)


@router.get("/dashboard/{area}/hotspots")
def hotspots_page(area: str, request: Request, principal: PagePrincipal, session: SessionDep, quarter: str | None = None) -> Response:
    data = _guarded(lambda: service.hotspots(session, principal, area, quarter))
    quarters = _guarded(lambda: service.overview_quarters(session, principal, area))
    return _render(request, principal, area, "hotspots", "dashboard_hotspots.html", data=data, quarters=quarters, map=hotspot_map(area, data.cells))


@router.get("/dashboard/{area}/repeats")
def repeats_page(area: str, request: Request, principal: PagePrincipal, session: SessionDep) -> Response:
    data = _guarded(lambda: service.repeats(session, principal, area))
    return _render(request, principal, area, "repeats", "dashboard_repeats.html", data=data)


@router.get("/dashboard/{area}/coverage")
def coverage_page(area: str, request: Request, principal: PagePrincipal, session: SessionDep) -> Response:
    data = _guarded(lambda: service.coverage(session, principal, area))
    return _render(request, principal, area, "coverage", "dashboard_coverage.html", data=data)


@router.get("/dashboard/{area}/report")
def report_page(area: str, request: Request, principal: PagePrincipal, session: SessionDep, quarter: str | None = None) -> Response:
    data = _guarded(lambda: service.overview(session, principal, area, quarter))
    details = _guarded(lambda: service.breakdowns(session, principal, area, data.quarter))
    return _render(request, principal, area, "report", "report_quarterly.html", data=data, details=details)


# --- the hotspot map ------------------------------------------------------------------------


@dataclass(frozen=True)
class Shape:
    points: str
    label: str
    value: int | None
    display: str
    cell: str
    shade: int


@dataclass(frozen=True)
class MapView:
    width: float
    height: float
    boroughs: list[tuple[str, str, bool, list[str]]]  # gss, name, highlighted, polygon point strings
    cells: list[Shape]
    labels: list[tuple[float, float, str]]


class _Projection:
    """Equirectangular projection scaled by cos(latitude) around the map's centre, fit to a box."""

    def __init__(self, rings: Sequence[Sequence[tuple[float, float]]]) -> None:
        lats = [lat for ring in rings for lat, _ in ring]
        lons = [lon for ring in rings for _, lon in ring]
        self.k = math.cos(math.radians((min(lats) + max(lats)) / 2))
        self.lat0, self.lon0 = max(lats), min(lons)
        span_x = (max(lons) - min(lons)) * self.k or 1e-6
        span_y = (max(lats) - min(lats)) or 1e-6
        self.scale = MAP_WIDTH / span_x
        self.height = span_y * self.scale

    def xy(self, lat: float, lon: float) -> tuple[float, float]:
        return (lon - self.lon0) * self.k * self.scale, (self.lat0 - lat) * self.scale

    def points(self, ring: Sequence[tuple[float, float]]) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in (self.xy(lat, lon) for lat, lon in ring))


def hotspot_map(area: str, cells: Sequence[HotspotCell]) -> MapView:
    outlines = borough_outlines(7)
    focus = [outlines[area]] if area in outlines else list(outlines.values())
    cell_rings = [list(h3.cell_to_boundary(c.cell)) for c in cells]
    proj = _Projection([ring for polys in focus for ring in polys] + cell_rings)
    top = max((c.figure.value or 0 for c in cells), default=0)
    boroughs = [
        (gss, BY_GSS[gss].name, gss == area, [proj.points(ring) for ring in polys]) for gss, polys in sorted(outlines.items())
    ]
    shapes = [
        Shape(
            points=proj.points(ring),
            label=c.figure.label,
            value=c.figure.value,
            display=c.figure.display,
            cell=c.cell,
            shade=1 + min(4, int(4 * (c.figure.value or 0) / top)) if top else 1,
        )
        for c, ring in zip(cells, cell_rings, strict=True)
    ]
    shown = [b for b in BOROUGHS if area == LONDON or b.gss == area]
    labels = [(*proj.xy(b.lat, b.lon), b.name) for b in shown]
    return MapView(width=MAP_WIDTH, height=round(proj.height, 1), boroughs=boroughs, cells=shapes, labels=labels)
