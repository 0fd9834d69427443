"""Pooled borough and London statistics: the fixed questions, each answered and audited.

Each public function answers one fixed question for one signed-in principal: it asks
:mod:`hub.statistics.access` which providers' records may be used, reads the summed counts
of exactly those (:mod:`hub.statistics.queries`), assembles protected tables
(:mod:`hub.statistics.tables`), and appends an audit entry naming the providers whose data the
answer drew on. Nothing here commits.
"""

from collections.abc import Callable, Sequence
from typing import Final, TypeVar

from pydantic import BaseModel
from sqlalchemy.orm import Session

from anonymise import LONDON, Visibility, vocab
from hub import audit
from hub.auth.principal import Principal
from hub.errors import Forbidden, HubError
from hub.records import summaries
from hub.statistics import access, answers, figures, joint, linkage, linked, published, queries
from hub.statistics import routes as route_stats
from hub.statistics import tables as assembly
from hub.statistics.caching import BoundedCache
from hub.statistics.linkage import REPEAT_KEYS, SEVERAL, RepeatCounts
from hub.statistics.queries import Scope
from hub.statistics.route_nodes import label as route_label_of
from hub.statistics.schemas import (
    AreaTables,
    Breakdowns,
    Change,
    Coverage,
    CtdcRow,
    CtdcTable,
    Hotspots,
    Overview,
    ProviderQuarters,
    Repeats,
    RouteFlows,
    Table,
    Trend,
    Trends,
)
from hub.statistics.tables import SUSPECT, VICTIM

REPEATS_CACHED: Final = 64
A = TypeVar("A", Overview, Trends, Breakdowns, Hotspots, RouteFlows, CtdcTable, Repeats, Coverage)
_REPEATS: BoundedCache[tuple[object, ...], RepeatCounts] = BoundedCache(REPEATS_CACHED)


def _audited(what: str, visibility: Visibility, quarter: str | None) -> published.Audited:
    agreements = sorted({a for a, _ in visibility.sources})
    return published.Audited(
        target=f"stats:{what}:{visibility.scope}",
        agreement_id=agreements[0] if len(agreements) == 1 else None,
        providers=tuple(sorted(visibility.providers)),
        details={"scope": visibility.scope, "quarter": quarter, "agreements": agreements},
    )


def _served(
    session: Session, principal: Principal, question: tuple[str, str, str | None], compute: Callable[[], tuple[A, published.Audited]],
) -> A:
    """The answer (kept, or computed now: ``hub.statistics.published``) with its audit entry, written for every question."""
    answer, audited = published.answer(session, principal, question, compute)
    audit.record(
        session, actor=principal.actor, action="stats.read", target=audited.target, agreement_id=audited.agreement_id,
        providers=list(audited.providers), details=audited.details,
    )
    return answer


def overview_quarters(session: Session, principal: Principal, area: str) -> list[str]:
    """The quarters with any allowed record in ``area`` (for the quarter picker; no figures)."""
    return access.question(session, principal, area, None).quarters


# --- the questions --------------------------------------------------------------------------


def overview(session: Session, principal: Principal, area: str, quarter: str | None = None) -> Overview:
    return _served(session, principal, ("overview", area, quarter), lambda: _overview(session, principal, area, quarter))


def _overview(session: Session, principal: Principal, area: str, quarter: str | None) -> tuple[Overview, published.Audited]:
    answer, visibility = answers.overview(session, principal, area, quarter)
    audited = _audited("overview", visibility, answer.quarter)
    return _masked_changes(session, principal, area, _linked(session, principal, area, answer, visibility)), audited


def trends(session: Session, principal: Principal, area: str) -> Trends:
    return _served(session, principal, ("trends", area, None), lambda: _trends(session, principal, area))


def _trends(session: Session, principal: Principal, area: str) -> tuple[Trends, published.Audited]:
    visibility, scope, quarters, _ = access.question(session, principal, area, None)
    series: list[Trend] = []
    if scope.sources and quarters:
        full = [quarters[0]]
        while full[-1] != quarters[-1]:
            full.append(assembly.shift(full[-1], -1))
        series.append(assembly.per_quarter_series(queries.incidents_by_quarter(session, scope), full, visibility, "incidents", "Incidents"))
        people = queries.persons_by_quarter_and_role(session, scope, [VICTIM, SUSPECT])
        series.append(assembly.per_quarter_series(people[VICTIM], full, visibility, "potential_victims", "Potential victims"))
        series.append(assembly.per_quarter_series(people[SUSPECT], full, visibility, "suspects", "Suspects"))
        hidden = linked.PROTECTED
        series = [
            t.model_copy(update={"points": [
                p.model_copy(update=hidden) if _hidden_point(session, principal, area, t.key, p.key, quarters) else p for p in t.points
            ]})
            for t in series
        ]
        quarters = full
    trends = Trends(scope=area, quarters=quarters, series=series, privacy=figures.privacy(visibility))
    return trends, _audited("trends", visibility, None)


def breakdowns(session: Session, principal: Principal, area: str, quarter: str | None = None) -> Breakdowns:
    return _served(session, principal, ("breakdowns", area, quarter), lambda: _breakdowns(session, principal, area, quarter))


def _breakdowns(session: Session, principal: Principal, area: str, quarter: str | None) -> tuple[Breakdowns, published.Audited]:
    answer, visibility = answers.breakdowns(session, principal, area, quarter)
    return _linked(session, principal, area, answer, visibility), _audited("breakdowns", visibility, answer.quarter)


def premises_by_area(
    session: Session, principal: Principal, area: str, areas: Sequence[str], quarter: str | None = None
) -> AreaTables:
    """The "Premises" table of breakdowns for each of ``areas`` the principal may see, for the
    quarter asked or ``area``'s latest: the same cells with the same cross-table hide set as that
    area's breakdowns (``_hide``), so each figure is shown iff and as its breakdowns page shows it.
    Areas the agreements do not open to the principal are left out, never shown empty; with no
    quarter there is no table (breakdowns never publish an all-quarters sum)."""
    visibility, _, quarters, chosen = access.question(session, principal, area, quarter)
    tables: dict[str, Table] = {}
    drawn = set(visibility.providers)
    for each in dict.fromkeys([area, *areas]):
        if chosen is None:  # no quarter: breakdowns publish nothing
            break
        try:
            seen, scope, _, _ = access.question(session, principal, each, chosen)
        except Forbidden:
            continue
        if not scope.sources:
            continue
        table = assembly.incident_table(
            session, scope.with_quarter(chosen), seen, "premises_type", "Premises", vocab.PremisesType
        )
        hide = _hide(session, principal, each, chosen)  # what breakdowns of ``each`` hide, so the same cells
        tables[each] = Table.model_validate(linked.hidden({"tables": [table.model_dump()]}, hide)["tables"][0]) if hide else table
        drawn |= seen.providers
    agreements = sorted({a for a, _ in visibility.sources})
    audit.record(
        session, actor=principal.actor, action="stats.read", target=f"stats:premises:{area}",
        agreement_id=agreements[0] if len(agreements) == 1 else None, providers=sorted(drawn),
        details={"scope": area, "quarter": chosen, "agreements": agreements, "areas": sorted(tables)},
    )
    return AreaTables(
        scope=area, quarter=chosen, quarters=quarters, tables=tables, privacy=figures.privacy(visibility),
    )


def hotspots(session: Session, principal: Principal, area: str, quarter: str | None = None) -> Hotspots:
    return _served(session, principal, ("hotspots", area, quarter), lambda: _hotspots(session, principal, area, quarter))


def _hotspots(session: Session, principal: Principal, area: str, quarter: str | None) -> tuple[Hotspots, published.Audited]:
    answer, visibility = answers.hotspots(session, principal, area, quarter)
    return _linked(session, principal, area, answer, visibility), _audited("hotspots", visibility, answer.quarter)


def routes(session: Session, principal: Principal, area: str, quarter: str | None = None,
           direction: route_stats.Direction = "in") -> RouteFlows:
    """Potential victims by route for the scope (``out``: recruited in the borough), small flows
    rolled up; the "in" table is part of the scope's linked audit, so its cells hide with it."""
    direction = "in" if area == LONDON else direction
    return _served(session, principal, (f"routes_{direction}", area, quarter), lambda: _routes(session, principal, area, quarter, direction))


def _routes(
    session: Session, principal: Principal, area: str, quarter: str | None, direction: route_stats.Direction,
) -> tuple[RouteFlows, published.Audited]:
    visibility, scope, quarters, chosen = access.question(session, principal, area, quarter)
    q = scope.with_quarter(chosen)
    t, keys, seen, named = route_stats.route_table(session, principal, area, direction, visibility, q)
    if direction == "in" and chosen is not None and visibility.sources:
        hide = _hide(session, principal, area, chosen)
        t = Table.model_validate(linked.hidden({"tables": [t.model_dump()]}, hide)["tables"][0]) if hide else t
    return RouteFlows(
        scope=area, scope_name=access.scope_name(area), direction=direction,
        question=route_stats.question_text(area, direction), quarter=chosen, quarters=quarters, boroughs_named=named,
        flows=route_stats.flows(t, keys, named), table=t, privacy=t.privacy,
    ), _audited(f"routes_{direction}", seen, chosen)


def ctdc(session: Session, principal: Principal, area: str, quarter: str | None = None) -> CtdcTable:
    """The CTDC-comparable export of the scope's quarter, with the cells the linked audit hides."""
    return _served(session, principal, ("ctdc", area, quarter), lambda: _ctdc(session, principal, area, quarter))


def _ctdc(session: Session, principal: Principal, area: str, quarter: str | None) -> tuple[CtdcTable, published.Audited]:
    visibility, scope, _, chosen = access.question(session, principal, area, quarter)
    t, keys, _ = route_stats.ctdc_table(session, visibility, scope.with_quarter(chosen))
    if chosen is not None and visibility.sources:
        hide = _hide(session, principal, area, chosen)
        t = Table.model_validate(linked.hidden({"tables": [t.model_dump()]}, hide)["tables"][0]) if hide else t
    by_name = {f.key: f for f in t.rows}
    rows = [
        CtdcRow(citizenship=k.origin, citizenship_label=route_label_of(k.origin), country_of_exploitation=k.destination,
                country_of_exploitation_label=route_label_of(k.destination), figure=by_name[k.name])
        for k in keys
    ]
    return CtdcTable(scope=area, quarter=chosen, rows=rows, total=t.total, privacy=t.privacy), _audited("ctdc", visibility, chosen)


Linked = TypeVar("Linked", Overview, Breakdowns, Hotspots)
HEADLINE_CELLS: Final = {"incidents": "incidents:total", "potential_victims": "potential victims:total"}


def _hide(session: Session, principal: Principal, area: str, quarter: str) -> frozenset[str]:
    """The cells of ``area`` the joint audit of ``quarter`` hides (``hub.statistics.joint``)."""
    return joint.hide_sets(session, principal, quarter).get(area, frozenset())


def _linked(session: Session, principal: Principal, area: str, answer: Linked, visibility: Visibility) -> Linked:
    """``answer`` with the cells of :func:`_hide` hidden."""
    if answer.quarter is None or not visibility.sources:
        return answer
    hide = _hide(session, principal, area, answer.quarter)
    return type(answer).model_validate(linked.hidden(answer.model_dump(), hide)) if hide else answer


def _hidden_point(session: Session, principal: Principal, area: str, key: str, quarter: str, sent: Sequence[str]) -> bool:
    """Whether ``quarter``'s audit hides the headline ``key`` (a trend point, the other side of a change)."""
    cell = HEADLINE_CELLS.get(key)
    return cell is not None and quarter in sent and cell in _hide(session, principal, area, quarter)


def _masked_changes(session: Session, principal: Principal, area: str, answer: Overview) -> Overview:
    """No change against a quarter whose own audit hides the figure compared with (the change
    and its text would give the hidden figure back)."""
    headlines = []
    for h in answer.headlines:
        changes = [
            Change(against=c.against, quarter=c.quarter, percent=None, display=f"no comparison with {c.quarter}: no or small figures")
            if _hidden_point(session, principal, area, h.key, c.quarter, answer.quarters) else c
            for c in h.changes
        ]
        headlines.append(h.model_copy(update={"changes": changes}))
    return answer.model_copy(update={"headlines": headlines})


def _repeat_counts(session: Session, scope: Scope, visibility: Visibility) -> RepeatCounts:
    """Repeat people of the scope, counted, and kept per process until any submission changes.

    Grouping people is the one figure that cannot be summed from per-submission counts (who
    links to whom depends on which records are in scope), so its answer is kept, keyed on the
    question (area, allowed sources, each agreement's linkage rule), the summaries' generation,
    which every ingest, withdrawal and purge changes, and the active submissions it draws on:
    a stale answer is never served.
    """
    if not scope.sources:
        return RepeatCounts([])
    generation = summaries.generation(session)  # read before the records: see summaries._bump
    active = tuple(queries.active_submissions(session, scope))
    key = (generation, active, scope.area, scope.sources, tuple(sorted(visibility.linkage.items())))
    kept = _REPEATS.get(key)
    if kept is not None:
        return kept
    counted = linkage.count_people(linkage.people(queries.repeat_candidates(session, scope), visibility))
    _REPEATS.put(key, counted)
    return counted


def repeats(session: Session, principal: Principal, area: str) -> Repeats:
    return _served(session, principal, ("repeats", area, None), lambda: _repeats(session, principal, area))


def _repeats(session: Session, principal: Principal, area: str) -> tuple[Repeats, published.Audited]:
    visibility, scope, _, _ = access.question(session, principal, area, None)
    counts = _repeat_counts(session, scope, visibility).counts
    any_linkage = any(visibility.linkage_allowed(a) for a, _ in visibility.sources)
    providers = sorted(visibility.providers)
    cats = [rule.key for rule in REPEAT_KEYS]
    labels = {rule.key: rule.label for rule in REPEAT_KEYS}
    if not any_linkage:
        counts = [c for c in counts if not c.key.endswith("multi_partner")]
    rows = [(c.key, c.provider if c.provider in providers else SEVERAL, c.people) for c in counts]
    table = figures.table(
        id_="repeats", title="Repeat people (counts only)", unit="people", rows=rows, categories=cats,
        visibility=visibility, rules=visibility, additive=False, total_rows=[], labels=labels,
        note="People are matched by hub re-keyed match keys only; nobody is named or listed.",
    )
    rule = (
        "Cross-partner linkage is allowed by the agreement." if any_linkage
        else "The agreement does not allow linking people across partners: only repeats within one partner are counted."
    )
    return Repeats(scope=area, linkage=rule, table=table, privacy=table.privacy), _audited("repeats", visibility, None)


def coverage(session: Session, principal: Principal, area: str) -> Coverage:
    return _served(session, principal, ("coverage", area, None), lambda: _coverage(session, principal, area))


def _coverage(session: Session, principal: Principal, area: str) -> tuple[Coverage, published.Audited]:
    visibility, scope, _, latest = access.question(session, principal, area, None)
    q_scope = scope.with_quarter(latest)
    sent: dict[str, set[str]] = {}
    for provider, q in queries.submissions_by_provider(session, visibility.sources):
        sent.setdefault(provider, set()).add(q)
    all_q = sorted({q for qs in sent.values() for q in qs})
    pooled = []
    if scope.sources:
        hide = _hide(session, principal, area, latest) if latest is not None and visibility.sources else frozenset()
        for name, (filled, total) in sorted(queries.completeness(session, org_id=None, scope=q_scope).items()):
            share = figures.share(filled, total, visibility)
            if _gives_back_hidden(name, hide):
                share = share.model_copy(update={"percent": None, "display": "not available (small numbers)"})
            pooled.append(share.model_copy(update={"field": name}))
    own = [
        assembly.percent(filled, total, 1).model_copy(update={"field": name})
        for name, (filled, total) in sorted(queries.completeness(session, org_id=principal.org_id, scope=None, quarter=latest).items())
    ]
    return Coverage(
        scope=area,
        quarter=latest,
        quarters=all_q,
        providers=[ProviderQuarters(provider=p, quarters=sorted(qs)) for p, qs in sorted(sent.items())],
        pooled=pooled,
        own_org=principal.org_id,
        own=own,
        privacy=figures.privacy(visibility),
    ), _audited("coverage", visibility, latest)


def _gives_back_hidden(field: str, hide: frozenset[str]) -> bool:
    """Whether the pooled share of ``field`` is withheld by the joint audit.

    The audit sees every share as a cell of its system (``linked._coverage``: the published
    total times the percentage, give or take 2.5 points, bounds the filled count, and the filled
    and missing counts add up to the total) and hides the share's cell when that would narrow a
    small cell. Besides, an incident field's share is withheld whenever the audit hides its
    "not recorded" row or the incident total (the share would bound the hidden cell again).
    """
    if not hide:
        return False
    unit, _, column = field.partition(".")
    if f"{unit}:coverage:{column}" in hide:
        return True
    return unit == "incidents" and (f"incidents:{column}:{figures.NOT_RECORDED}" in hide or "incidents:total" in hide)


AHEAD: Final[dict[str, Callable[[Session, Principal, str], tuple[BaseModel, published.Audited]]]] = {
    "overview": lambda s, p, area: _overview(s, p, area, None),
    "breakdowns": lambda s, p, area: _breakdowns(s, p, area, None),
    "hotspots": lambda s, p, area: _hotspots(s, p, area, None),
    "trends": _trends,
    "coverage": _coverage,
    "repeats": _repeats,
}
"""The answers the audit worker makes ahead for each viewer class and area: each page's default (latest quarter)."""


def ahead(session: Session, principal: Principal, name: str, area: str) -> bool:
    """Make and keep the default answer ``name`` for ``area`` (no audit entry: nobody asked yet);
    False if it was kept already or the viewer may not ask it."""
    question = (name, area, None)
    if published.kept(session, principal, question):
        return False
    try:
        published.answer(session, principal, question, lambda: AHEAD[name](session, principal, area))
    except HubError:  # forbidden for this viewer: its question will say so
        return False
    return True
