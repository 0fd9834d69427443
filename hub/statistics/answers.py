"""The fixed questions answered from the summaries, protected table by table but not yet audited
across tables: what :mod:`hub.statistics.service` serves once the joint audit's hide set is
applied, and what that audit (:mod:`hub.statistics.joint`) reads. Nothing here is served as it is,
writes the audit log or commits.
"""

from sqlalchemy.orm import Session

from anonymise import Visibility, protect_series, vocab
from hub.auth.principal import Principal
from hub.statistics import access, figures, queries
from hub.statistics import routes as route_stats
from hub.statistics import tables as assembly
from hub.statistics.hotspots import hotspot_table
from hub.statistics.queries import Count, Scope
from hub.statistics.schemas import Breakdowns, Headline, Hotspots, Overview, Rate, Table
from hub.statistics.tables import VICTIM

__all__ = ["breakdowns", "coverage_body", "hotspots", "overview", "routes_body"]


def overview(session: Session, principal: Principal, area: str, quarter: str | None) -> tuple[Overview, Visibility]:
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



def breakdowns(session: Session, principal: Principal, area: str, quarter: str | None) -> tuple[Breakdowns, Visibility]:
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



def hotspots(session: Session, principal: Principal, area: str, quarter: str | None) -> tuple[Hotspots, Visibility]:
    visibility, scope, _, chosen = access.question(session, principal, area, quarter)
    q = scope.with_quarter(chosen)
    rows = queries.hotspot_cells(session, q, visibility.view_h3_resolution) if scope.sources else []
    cells, table = hotspot_table(rows, visibility)
    return Hotspots(
        scope=area, quarter=chosen, resolution=visibility.view_h3_resolution, cells=cells, table=table,
        privacy=table.privacy,
    ), visibility



def routes_body(session: Session, principal: Principal, area: str, quarter: str, visibility: Visibility) -> dict[str, object]:
    """The "in" route table as the linked audit reads it."""
    scope = Scope(area, visibility.sources, quarter)
    t = route_stats.route_table(session, principal, area, "in", visibility, scope)[0]
    c, _, members = route_stats.ctdc_table(session, visibility, scope)
    return {
        "tables": [t.model_dump(), c.model_dump()], "privacy": t.privacy.model_dump(),
        "citizenship": [m._asdict() for m in members],  # the audit's only: never served
    }


def coverage_body(session: Session, area: str, quarter: str, visibility: Visibility) -> dict[str, object]:
    """The pooled coverage shares of ``quarter`` as the linked audit reads them, before its hide set:
    every field (each code field too, filled or not, so London's cells and the boroughs' line up)
    and the published totals: the persons', which no page shows, and the incidents' even where the
    headline is hidden (the audit assumes the intruder knows both)."""
    counts = queries.completeness(session, org_id=None, scope=Scope(area, visibility.sources, quarter))
    incidents = counts[queries.COMPLETENESS_FIELDS[0]].total
    persons = counts[queries.PERSON_COMPLETENESS[0]].total
    for name in queries.CODE_COMPLETENESS:
        counts.setdefault(name, queries.Completeness(0, incidents))
    pooled = [figures.share(filled, total, visibility).model_copy(update={"field": name}) for name, (filled, total) in sorted(counts.items())]
    return {
        "pooled": [s.model_dump() for s in pooled],
        "totals": {name: protect_series([n], visibility).cells[0].value for name, n in (("incidents", incidents), ("persons", persons))},
        "privacy": figures.privacy(visibility, visibility.providers).model_dump(),
    }
