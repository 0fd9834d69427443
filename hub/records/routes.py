"""Route summaries: potential victims counted by where they were recruited, moved and exploited.

Three measures, each one ``GROUP BY`` over persons joined to their incident, written with the
other summaries of a submission (:mod:`hub.records.summaries`):

* ``routes_in`` — per borough where the incident was recorded (``la_gss_code``): what
  "people exploited in Newham were recruited in …" and London's flows read;
* ``routes_out`` — the same counts per borough of *recruitment* (``recruitment_area``): what
  "people recruited in Newham were exploited in …" reads (a county line run from Newham
  counts here under Newham even when it was recorded elsewhere);
* ``citizenship_routes`` — nationality × country of exploitation × country of recruitment,
  the CTDC-comparable layout of the exports.

The unit is the potential victim (``persons.role``), as in CTDC's published tables; the key sum
is of the persons' record keys, so each published flow has its own cell key.
"""

from collections.abc import Collection, Sequence
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, func, literal, select
from sqlalchemy.orm import InstrumentedAttribute

from hub.models import Incident, Person
from hub.records.measure import EMPTY, KEYS, Measure

VICTIM: Final = "potential_victim"
ROUTE_CATEGORIES: Final = ("recruitment_country", "transit", "exploitation_country", "recruitment_area", "exploitation_area")
ROUTES_IN: Final = Measure("routes_in", ROUTE_CATEGORIES)
ROUTES_OUT: Final = Measure("routes_out", ROUTE_CATEGORIES)
CITIZENSHIP: Final = Measure("citizenship_routes", ("nationality", "exploitation_country", "recruitment_country"))
MEASURES: Final = (ROUTES_IN, ROUTES_OUT, CITIZENSHIP)


def _exploited_in() -> ColumnElement[str]:
    """Where in the UK the exploitation took place: the area given, else where the incident was recorded."""
    return func.coalesce(Incident.exploitation_area, Incident.la_gss_code, EMPTY)


def _select(measure: Measure, area: ColumnElement[str], cats: Sequence[ColumnElement[str] | InstrumentedAttribute[str]],
            submissions: Collection[str] | None) -> Select[Any]:
    columns: list[Any] = [
        Incident.submission_id, area.label("area"), Incident.quarter, literal(measure.name).label("measure"),
        *(c.label(KEYS[i]) for i, c in enumerate(cats)),
        *(literal("").label(k) for k in KEYS[len(cats):]),
        func.count(Person.id).label("n"), func.sum(Person.record_key).label("key_sum"),
    ]
    stmt = (
        select(*columns)
        .select_from(Incident)
        .join(Person, Person.incident_id == Incident.id)
        .where(Person.role == VICTIM)
    )
    if submissions is not None:
        stmt = stmt.where(Incident.submission_id.in_(list(submissions)))
    return stmt.group_by(Incident.submission_id, Incident.quarter, area, *cats)


def statements(submissions: Collection[str] | None) -> list[Select[Any]]:
    """The ``INSERT … SELECT`` bodies of the route measures (columns as ``summaries.COLUMNS``)."""
    route: list[ColumnElement[str] | InstrumentedAttribute[str]] = [
        Incident.recruitment_country, Incident.transit_countries, Incident.exploitation_country,
        func.coalesce(Incident.recruitment_area, EMPTY), _exploited_in(),
    ]
    recorded = func.coalesce(Incident.la_gss_code, EMPTY)
    return [
        _select(ROUTES_IN, recorded, route, submissions),
        _select(ROUTES_OUT, func.coalesce(Incident.recruitment_area, EMPTY), route, submissions),
        _select(CITIZENSHIP, recorded, [Person.nationality, Incident.exploitation_country, Incident.recruitment_country], submissions),
    ]
