"""Route statistics: potential victims by where they were recruited, moved through and exploited.

One question per scope and direction, answered as one additive table (the rolled-up flows of
:mod:`hub.statistics.rollup` partition the people counted) protected like every other table
(``figures.table``: primary suppression, cell-key perturbation, secondary suppression, the
provider-differencing rule). Its "in" table is also a table of the scope's linked audit
(``service._hide``): its total is the same cell as the overview's potential victims.

Borough names are flow ends only where the agreements open borough detail. For London, the
flows are drawn from the partners whose grants open every borough's detail to the viewer
(``borough_sources``); with none, London's boroughs are one place, "London".
"""

import dataclasses
from typing import Final, Literal, NamedTuple

from sqlalchemy.orm import Session

from anonymise import BY_GSS, LONDON, Visibility
from hub.auth.principal import Principal
from hub.errors import Forbidden
from hub.statistics import access, figures, queries
from hub.statistics.places import boundaries
from hub.statistics.queries import RouteCount, Scope
from hub.statistics.rollup import FlowKey, RawFlow, placed, roll_up
from hub.statistics.route_nodes import AREA_POINTS, OTHER_LONDON, chain, label, route_label
from hub.statistics.schemas import Flow, Table

Direction = Literal["in", "out"]
UNIT: Final = "potential victims"
UNIT_OUT: Final = "potential victims recruited in the borough"
UNIT_DETAIL: Final = "potential victims (partners sharing borough detail)"
DETAIL_NOTE: Final = (
    "Borough-to-borough flows draw only on the partners whose agreements open every borough's detail to you."
)


def question_text(area: str, direction: Direction) -> str:
    name = access.scope_name(area)
    if area == LONDON:
        return "People exploited in London: where they were recruited and how they travelled, borough to borough and county lines"
    if direction == "out":
        return f"People recruited in {name}: where they were exploited"
    return f"People exploited in {name}: where they were recruited and how they travelled"


def borough_sources(session: Session, principal: Principal, london: Visibility) -> frozenset[tuple[str, str]]:
    """The London sources whose records this viewer may see in every borough's detail."""
    allowed = set(london.sources)
    for gss in BY_GSS:
        try:
            allowed &= access.visibility_for(session, principal, gss).sources
        except Forbidden:
            return frozenset()
        if not allowed:
            break
    return frozenset(allowed)


def _raw(rows: list[RouteCount], boroughs_named: bool, origin_of_all: str | None = None) -> list[RawFlow]:
    """``origin_of_all``: the borough every counted person was recruited in ("out"), kept as the
    origin at every level, so only destinations and routes roll up."""
    out = []
    for r in rows:
        origin = chain(r.recruitment_country, r.recruitment_area)
        if origin_of_all is not None:
            origin = (origin_of_all,) * 4
        destination = chain(r.exploitation_country, r.exploitation_area)
        if not boroughs_named:  # London's boroughs are one place
            origin = origin[1:2] + origin[1:] if origin[0] in BY_GSS else origin
            destination = destination[1:2] + destination[1:] if destination[0] in BY_GSS else destination
        out.append(RawFlow(origin, r.transit, destination, r.provider, r.n))
    return out


def end_label(code: str, boroughs_named: bool) -> str:
    """A flow end in words: London's boroughs rolled together are "London" when none is named."""
    return "London" if code == OTHER_LONDON and not boroughs_named else label(code)


def flow_label(key: FlowKey, boroughs_named: bool) -> str:
    start, end = end_label(key.origin, boroughs_named), end_label(key.destination, boroughs_named)
    return f"{start} → {route_label(key.transit)} → {end}"


def table(rows: list[RouteCount], visibility: Visibility, unit: str, *, boroughs_named: bool,
          origin_of_all: str | None = None) -> tuple[Table, list[FlowKey]]:
    """The protected table of the rolled-up flows (rows keyed ``origin|transit|destination``)."""
    rolled = roll_up(_raw(rows, boroughs_named, origin_of_all), visibility.min_count)
    keys = sorted({k for k, _, _ in rolled})
    out = figures.table(
        id_="routes", title="Routes", unit=unit, rows=[(k.name, p, n) for k, p, n in rolled],
        categories=[k.name for k in keys], visibility=visibility, rules=visibility,
        labels={k.name: flow_label(k, boroughs_named) for k in keys},
        note="Flows smaller than the disclosure threshold are rolled up to a region, then to 'elsewhere', not shown small.",
    )
    return out, keys


def point(code: str) -> tuple[float, float] | None:
    """(longitude, latitude) of a flow end on the map: a borough's middle, or a listed UK area's."""
    b = boundaries().get(code)
    if b is not None:
        west, south, east, north = b.bbox
        return round((west + east) / 2, 4), round((south + north) / 2, 4)
    return AREA_POINTS.get(code)


def flows(t: Table, keys: list[FlowKey], boroughs_named: bool) -> list[Flow]:
    by_name = {f.key: f for f in t.rows}
    out = []
    for k in keys:
        start, end = end_label(k.origin, boroughs_named), end_label(k.destination, boroughs_named)
        out.append(Flow(
            origin=k.origin, origin_label=start, transit=k.transit, transit_label=route_label(k.transit),
            destination=k.destination, destination_label=end, figure=by_name[k.name],
            origin_point=point(k.origin), destination_point=point(k.destination),
        ))
    return sorted(out, key=lambda f: (f.figure.value is None, -(f.figure.value or 0), f.origin_label, f.destination_label))


def scope_for(session: Session, principal: Principal, area: str, direction: Direction, visibility: Visibility,
              scope: Scope) -> tuple[Scope, Visibility, str, bool]:
    """What the route question reads: its scope, visibility, unit, and whether boroughs are named."""
    if area != LONDON:
        return scope, visibility, UNIT_OUT if direction == "out" else UNIT, True
    detail = borough_sources(session, principal, visibility)
    if not detail:
        return scope, visibility, UNIT, False
    if detail == visibility.sources:
        return scope, visibility, UNIT, True
    left_out = {provider: "borough" for _, provider in visibility.sources - detail}
    narrowed = dataclasses.replace(
        visibility, sources=detail, explanations=(*visibility.explanations, DETAIL_NOTE),
        excluded={**visibility.excluded, **left_out},
    )
    return Scope(area, detail, scope.quarter), narrowed, UNIT_DETAIL, True


def route_table(session: Session, principal: Principal, area: str, direction: Direction, visibility: Visibility,
                scope: Scope) -> tuple[Table, list[FlowKey], Visibility, bool]:
    """The protected route table of one question (before the linked audit's hiding)."""
    q_scope, seen, unit, named = scope_for(session, principal, area, direction, visibility, scope)
    outbound = direction == "out" and area != LONDON
    rows = queries.route_counts(session, q_scope, outbound=outbound) if q_scope.sources else []
    t, keys = table(rows, seen, unit, boroughs_named=named, origin_of_all=area if outbound else None)
    return t, keys, seen, named


class Citizenship(NamedTuple):
    """Which CTDC cell the potential victims of one citizenship and country of exploitation (as
    recorded) are counted in: what the linked audit lines against the nationality breakdown."""

    nationality: str
    exploitation_country: str
    cell: str


def ctdc_table(session: Session, visibility: Visibility, scope: Scope) -> tuple[Table, list[FlowKey], list[Citizenship]]:
    """Potential victims by country of citizenship × country of exploitation, CTDC's layout: small
    cells rolled up (country → region → elsewhere) on both sides, then protected like any table;
    with the cell each recorded (citizenship, country of exploitation) pair is counted in."""
    rows = queries.citizenship_counts(session, scope) if scope.sources else []
    raw = [
        RawFlow(chain(r.nationality, ""), "", chain(r.exploitation_country, ""), r.provider, r.n) for r in rows
    ]
    rolled = roll_up(raw, visibility.min_count)
    keys = sorted({k for k, _, _ in rolled})
    t = figures.table(
        id_="ctdc", title="Citizenship by country of exploitation", unit=UNIT,
        rows=[(k.name, p, n) for k, p, n in rolled], categories=[k.name for k in keys], visibility=visibility,
        rules=visibility, labels={k.name: f"{label(k.origin)} → {label(k.destination)}" for k in keys},
        note="CTDC-comparable: citizenship × country of exploitation; small cells rolled up to a region, then 'elsewhere'.",
    )
    members = sorted({
        Citizenship(r.nationality, r.exploitation_country, k.name) for r, k in zip(rows, placed(raw, visibility.min_count), strict=True)
    })
    return t, keys, members
