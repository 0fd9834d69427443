"""Pooled borough and London statistics: the fixed questions, each answered and audited.

Each public function answers one fixed question for one signed-in principal: it asks
:mod:`hub.statistics.access` which providers' records may be used, reads the summed counts
of exactly those (:mod:`hub.statistics.queries`), assembles protected tables
(:mod:`hub.statistics.tables`), and appends an audit entry naming the providers whose data the
answer drew on. Nothing here commits.
"""

from collections.abc import Sequence
from typing import Final, TypeVar

from sqlalchemy.orm import Session

from anonymise import BY_GSS, LONDON, Visibility, vocab
from hub import audit
from hub.auth.principal import Principal
from hub.errors import Forbidden
from hub.records import summaries
from hub.statistics import access, figures, hidesets, linkage, linked, queries
from hub.statistics import routes as route_stats
from hub.statistics import tables as assembly
from hub.statistics.caching import BoundedCache
from hub.statistics.hotspots import hotspot_table
from hub.statistics.linkage import REPEAT_KEYS, SEVERAL, RepeatCounts
from hub.statistics.queries import Count, Scope
from hub.statistics.route_nodes import label as route_label_of
from hub.statistics.schemas import (
    AreaTables,
    Breakdowns,
    Change,
    Coverage,
    CtdcRow,
    CtdcTable,
    Headline,
    Hotspots,
    Overview,
    ProviderQuarters,
    Rate,
    Repeats,
    RouteFlows,
    Table,
    Trend,
    Trends,
)
from hub.statistics.tables import SUSPECT, VICTIM

REPEATS_CACHED: Final = 64
_REPEATS: BoundedCache[tuple[object, ...], RepeatCounts] = BoundedCache(REPEATS_CACHED)


def _audit(session: Session, principal: Principal, what: str, visibility: Visibility, quarter: str | None) -> None:
    agreements = sorted({a for a, _ in visibility.sources})
    audit.record(
        session,
        actor=principal.actor,
        action="stats.read",
        target=f"stats:{what}:{visibility.scope}",
        agreement_id=agreements[0] if len(agreements) == 1 else None,
        providers=sorted(visibility.providers),
        details={"scope": visibility.scope, "quarter": quarter, "agreements": agreements},
    )


def overview_quarters(session: Session, principal: Principal, area: str) -> list[str]:
    """The quarters with any allowed record in ``area`` (for the quarter picker; no figures)."""
    return access.question(session, principal, area, None).quarters


# --- the questions --------------------------------------------------------------------------


def overview(session: Session, principal: Principal, area: str, quarter: str | None = None) -> Overview:
    answer, visibility = _overview(session, principal, area, quarter)
    _audit(session, principal, "overview", visibility, answer.quarter)
    return _masked_changes(session, principal, area, _linked(session, principal, area, answer, visibility))


def _overview(session: Session, principal: Principal, area: str, quarter: str | None) -> tuple[Overview, Visibility]:
    visibility, scope, quarters, chosen = access.question(session, principal, area, quarter)
    headlines: list[Headline] = []
    rates: list[Rate] = []
    tables: list[Table] = []
    if scope.sources:
        all_q = sorted({*quarters, *([chosen] if chosen else [])})
        ages = queries.person_field_by_quarter(session, scope, "age_group", VICTIM)  # one scan, two uses
        victims: dict[tuple[str, str], int] = {}
        for a in ages:
            victims[(a.quarter, a.provider)] = victims.get((a.quarter, a.provider), 0) + a.n
        incidents = queries.incidents_by_quarter(session, scope)
        series: list[tuple[str, str, list[Count]]] = [
            ("incidents", "Incidents", incidents),
            ("potential_victims", "Potential victims", [Count(q, o, n) for (q, o), n in victims.items()]),
        ]
        for key, label, rows in series:
            trend = assembly.per_quarter_series(rows, all_q, visibility, key, label)
            point = next((p for p in trend.points if p.key == chosen), None)
            if point is not None and chosen is not None:
                headlines.append(Headline(key=key, label=label, figure=point, changes=assembly.changes(trend, chosen)))
        q_scope = scope.with_quarter(chosen)
        totals = [Count("all", c.provider, c.n) for c in incidents if c.key == chosen]
        rates = assembly.rates(session, q_scope, visibility, totals)
        tables = [
            assembly.exploitation(session, q_scope, visibility, totals=totals),
            assembly.person_table(
                session, q_scope, visibility, "age_group", "Adults and children", vocab.AgeGroup,
                [Count(a.key, a.provider, a.n) for a in ages if a.quarter == chosen],
            ),
        ]
    return Overview(
        scope=area, scope_name=access.scope_name(area), quarter=chosen, quarters=quarters, headlines=headlines,
        rates=rates, tables=tables, privacy=figures.privacy(visibility, visibility.providers),
    ), visibility


def trends(session: Session, principal: Principal, area: str) -> Trends:
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
    _audit(session, principal, "trends", visibility, None)
    return Trends(scope=area, quarters=quarters, series=series, privacy=figures.privacy(visibility, visibility.providers))


def breakdowns(session: Session, principal: Principal, area: str, quarter: str | None = None) -> Breakdowns:
    answer, visibility = _breakdowns(session, principal, area, quarter)
    _audit(session, principal, "breakdowns", visibility, answer.quarter)
    return _linked(session, principal, area, answer, visibility)


def _breakdowns(session: Session, principal: Principal, area: str, quarter: str | None) -> tuple[Breakdowns, Visibility]:
    visibility, scope, _, chosen = access.question(session, principal, area, quarter)
    q = scope.with_quarter(chosen)
    tables: list[Table] = []
    cross = []
    rates: list[Rate] = []
    if scope.sources:
        totals = queries.incidents_by_provider(session, q)
        codes = queries.all_codes(session, q, ["exploitation_types", "methods_of_control"])
        people = queries.person_profile(session, q, VICTIM)
        referrals = queries.referral_profile(session, q)

        def codes_of(field: str) -> list[Count]:
            return [Count(c.code, c.provider, c.n) for c in codes if c.field == field]

        def people_by(name: str) -> list[Count]:
            return [Count(str(getattr(p, name)), p.provider, p.n) for p in people]

        def referrals_by(name: str) -> list[Count]:
            return [Count(str(getattr(r, name)), r.provider, r.n) for r in referrals]

        tables = [
            assembly.exploitation(session, q, visibility, codes_of("exploitation_types"), totals),
            assembly.person_table(session, q, visibility, "age_group", "Adults and children", vocab.AgeGroup, people_by("age_group")),
            assembly.person_table(session, q, visibility, "age_band", "Age band at exploitation", vocab.AgeBand, people_by("age_band")),
            assembly.person_table(session, q, visibility, "gender", "Gender", vocab.Gender, people_by("gender")),
            assembly.person_table(session, q, visibility, "nationality", "Nationality", None, people_by("nationality")),
            assembly.incident_table(session, q, visibility, "premises_type", "Premises", vocab.PremisesType),
            assembly.codes_table(session, q, visibility, "methods_of_control", "Methods of control", vocab.ControlMethod, codes_of("methods_of_control"), totals),
            assembly.referral_table(visibility, "reasonable_grounds", "Reasonable grounds decisions", vocab.GroundsDecision, referrals_by("reasonable_grounds")),
            assembly.referral_table(visibility, "conclusive_grounds", "Conclusive grounds decisions", vocab.GroundsDecision, referrals_by("conclusive_grounds")),
            assembly.referral_table(visibility, "police_outcome", "Police outcomes", vocab.PoliceOutcome, referrals_by("police_outcome")),
        ]
        genders = ["female", "male", "other_gender", figures.NOT_RECORDED]
        folded_rows = [
            (p.gender if p.gender in ("female", "male") or p.gender in figures.MARKERS else "other_gender", p.age_group, p.provider, p.n)
            for p in people
        ]
        cross = [
            figures.cross_table(
                id_="gender_by_age_group", title="Gender by adult/child", unit="potential victims", rows=folded_rows,
                row_cats=genders, col_cats=["adult", "child", figures.NOT_RECORDED], visibility=visibility, rules=visibility,
            )
        ]
        rates = assembly.rates(session, q, visibility, totals)
    return Breakdowns(
        scope=area, quarter=chosen, tables=tables, cross=cross, rates=rates, privacy=figures.privacy(visibility, visibility.providers),
    ), visibility


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
        scope=area, quarter=chosen, quarters=quarters, tables=tables, privacy=figures.privacy(visibility, visibility.providers),
    )


def hotspots(session: Session, principal: Principal, area: str, quarter: str | None = None) -> Hotspots:
    answer, visibility = _hotspots(session, principal, area, quarter)
    _audit(session, principal, "hotspots", visibility, answer.quarter)
    return _linked(session, principal, area, answer, visibility)


def _hotspots(session: Session, principal: Principal, area: str, quarter: str | None) -> tuple[Hotspots, Visibility]:
    visibility, scope, _, chosen = access.question(session, principal, area, quarter)
    q = scope.with_quarter(chosen)
    rows = queries.hotspot_cells(session, q, visibility.view_h3_resolution) if scope.sources else []
    cells, table = hotspot_table(rows, visibility)
    return Hotspots(
        scope=area, quarter=chosen, resolution=visibility.view_h3_resolution, cells=cells, table=table,
        privacy=table.privacy,
    ), visibility


def routes(session: Session, principal: Principal, area: str, quarter: str | None = None,
           direction: route_stats.Direction = "in") -> RouteFlows:
    """Potential victims by route for the scope (``out``: recruited in the borough), small flows
    rolled up; the "in" table is part of the scope's linked audit, so its cells hide with it."""
    direction = "in" if area == LONDON else direction
    visibility, scope, quarters, chosen = access.question(session, principal, area, quarter)
    q = scope.with_quarter(chosen)
    t, keys, seen, named = route_stats.route_table(session, principal, area, direction, visibility, q)
    if direction == "in" and chosen is not None and visibility.sources:
        hide = _hide(session, principal, area, chosen)
        t = Table.model_validate(linked.hidden({"tables": [t.model_dump()]}, hide)["tables"][0]) if hide else t
    _audit(session, principal, f"routes_{direction}", seen, chosen)
    return RouteFlows(
        scope=area, scope_name=access.scope_name(area), direction=direction,
        question=route_stats.question_text(area, direction), quarter=chosen, quarters=quarters, boroughs_named=named,
        flows=route_stats.flows(t, keys, named), table=t, privacy=t.privacy,
    )


def ctdc(session: Session, principal: Principal, area: str, quarter: str | None = None) -> CtdcTable:
    """The CTDC-comparable export of the scope's quarter, with the cells the linked audit hides."""
    visibility, scope, _, chosen = access.question(session, principal, area, quarter)
    t, keys = route_stats.ctdc_table(session, visibility, scope.with_quarter(chosen))
    if chosen is not None and visibility.sources:
        hide = _hide(session, principal, area, chosen)
        t = Table.model_validate(linked.hidden({"tables": [t.model_dump()]}, hide)["tables"][0]) if hide else t
    _audit(session, principal, "ctdc", visibility, chosen)
    by_name = {f.key: f for f in t.rows}
    rows = [
        CtdcRow(citizenship=k.origin, citizenship_label=route_label_of(k.origin), country_of_exploitation=k.destination,
                country_of_exploitation_label=route_label_of(k.destination), figure=by_name[k.name])
        for k in keys
    ]
    return CtdcTable(scope=area, quarter=chosen, rows=rows, total=t.total, privacy=t.privacy)


Linked = TypeVar("Linked", Overview, Breakdowns, Hotspots)
HEADLINE_CELLS: Final = {"incidents": "incidents:total", "potential_victims": "potential victims:total"}


def _hide(session: Session, principal: Principal, area: str, quarter: str) -> frozenset[str]:
    """The cells of ``area`` that :func:`_hide_sets` hides for ``quarter``."""
    return _hide_sets(session, principal, quarter).get(area, frozenset())


def _hide_sets(session: Session, principal: Principal, quarter: str) -> hidesets.HideSets:
    """The cells the audit across everything this viewer can fetch for ``quarter`` must hide, by
    area: overview, breakdowns and hotspots of London and of every borough it may see, as one
    system (``hub.statistics.linked.joint``: London is the sum of the boroughs drawing on its
    sources, plus the rest), so no small cell is narrowed to +-1 by combining tables or by
    differencing London against the boroughs. Computed once per summaries generation and
    viewer class and stored in the database (``hub.statistics.hidesets``), so every process
    serves the same answer."""
    generation = summaries.generation(session)
    seen: dict[str, Visibility] = {}
    complete = True
    quarters_of: dict[tuple[object, ...], list[str]] = {}
    for each in (LONDON, *sorted(BY_GSS)):
        try:
            visibility = access.visibility_for(session, principal, each)
        except Forbidden:
            complete = False
            continue
        sources = tuple(sorted(visibility.sources))
        if sources not in quarters_of:
            quarters_of[sources] = queries.submitted_quarters(session, Scope(each, visibility.sources))
        if sources and quarter in quarters_of[sources]:
            seen[each] = visibility
    london = seen.get(LONDON)
    complete = complete and london is not None and all(
        b in seen and seen[b].sources == london.sources for b in BY_GSS
    )
    pooled = [b for b, v in seen.items() if b != LONDON and london is not None and v.sources <= london.sources]
    key = (
        quarter, complete,
        tuple((a, tuple(sorted(v.sources)), v.min_count, v.rounding_base, v.view_h3_resolution) for a, v in seen.items()),
    )
    name = hidesets.digest(key)
    hide = hidesets.load(session, name, generation)
    if hide is None:
        fetched = {
            each: {
                "overview": _overview(session, principal, each, quarter)[0].model_dump(),
                "breakdowns": _breakdowns(session, principal, each, quarter)[0].model_dump(),
                "hotspots": _hotspots(session, principal, each, quarter)[0].model_dump(),
                "routes": _routes_body(session, principal, each, quarter, visibility),
            }
            for each, visibility in seen.items()
        }
        names = linked.protected(linked.joint(fetched, london=LONDON, pooled=pooled, complete=complete))
        grouped: dict[str, set[str]] = {each: set() for each in seen}
        for n in names:
            each, _, cell = n.partition("/")
            if each in grouped:
                grouped[each].add(cell)
        hide = {each: frozenset(cells) for each, cells in grouped.items()}
        hidesets.store(session, name, generation, hide)
    return hide


def _routes_body(session: Session, principal: Principal, area: str, quarter: str, visibility: Visibility) -> dict[str, object]:
    """The "in" route table as the linked audit reads it."""
    scope = Scope(area, visibility.sources, quarter)
    t = route_stats.route_table(session, principal, area, "in", visibility, scope)[0]
    c = route_stats.ctdc_table(session, visibility, scope)[0]
    return {"tables": [t.model_dump(), c.model_dump()], "privacy": t.privacy.model_dump()}


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
        return RepeatCounts([], frozenset())
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
    visibility, scope, _, _ = access.question(session, principal, area, None)
    counts, contributors = _repeat_counts(session, scope, visibility)
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
        contributors=set(contributors),
    )
    rule = (
        "Cross-partner linkage is allowed by the agreement." if any_linkage
        else "The agreement does not allow linking people across partners: only repeats within one partner are counted."
    )
    _audit(session, principal, "repeats", visibility, None)
    return Repeats(scope=area, linkage=rule, table=table, privacy=table.privacy)


def coverage(session: Session, principal: Principal, area: str) -> Coverage:
    visibility, scope, _, latest = access.question(session, principal, area, None)
    q_scope = scope.with_quarter(latest)
    sent: dict[str, set[str]] = {}
    for provider, q in queries.submissions_by_provider(session, visibility.sources):
        sent.setdefault(provider, set()).add(q)
    all_q = sorted({q for qs in sent.values() for q in qs})
    pooled = []
    if scope.sources:
        for name, (filled, total) in sorted(queries.completeness(session, org_id=None, scope=q_scope).items()):
            pooled.append(figures.share(filled, total, visibility).model_copy(update={"field": name}))
    own = [
        assembly.percent(filled, total, 1).model_copy(update={"field": name})
        for name, (filled, total) in sorted(queries.completeness(session, org_id=principal.org_id, scope=None, quarter=latest).items())
    ]
    _audit(session, principal, "coverage", visibility, latest)
    return Coverage(
        scope=area,
        quarter=latest,
        quarters=all_q,
        providers=[ProviderQuarters(provider=p, quarters=sorted(qs)) for p, qs in sorted(sent.items())],
        pooled=pooled,
        own_org=principal.org_id,
        own=own,
        privacy=figures.privacy(visibility, sent),
    )
