"""Pooled borough and London statistics: who may see what, the figures, and the audit of each read.

Each public function answers one fixed question for one signed-in principal: it asks the
agreement rules (``anonymise.policy.visible_sources``) which providers' records may be used,
runs the GROUP BY queries over exactly those records, protects every table, and appends an
audit entry naming the providers whose data the answer drew on. Nothing here commits.
"""

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Final, Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from anonymise import vocab
from anonymise.agreement import Agreement
from anonymise.disclosure import protect_series
from anonymise.london import BY_GSS
from anonymise.policy import LONDON, Viewer, Visibility, visible_sources
from hub import audit
from hub.agreements.service import current_agreements
from hub.auth import Principal
from hub.errors import Forbidden, HubError, NotFound
from hub.models import AgreementVersion
from hub.records import summaries
from hub.statistics import figures, queries
from hub.statistics.hotspots import hotspot_table
from hub.statistics.queries import Scope
from hub.statistics.schemas import (
    Breakdowns,
    Change,
    Coverage,
    FieldCompleteness,
    Headline,
    Hotspots,
    Overview,
    ProviderQuarters,
    Rate,
    Repeats,
    Table,
    Trend,
    Trends,
)

QUARTER: Final = re.compile(r"^(19|20)[0-9]{2}-Q[1-4]$")
TOP_NATIONALITIES: Final = 10
VICTIM: Final = vocab.Role.potential_victim.value
SUSPECT: Final = vocab.Role.suspect.value


class BadQuestion(HubError):
    status_code = 400
    code = "bad_question"


def scope_name(area: str) -> str:
    return "London (all boroughs)" if area == LONDON else BY_GSS[area].name


_PARSED: dict[str, Agreement] = {}


def governing_agreements(session: Session) -> list[Agreement]:
    """``current_agreements``, parsing each stored version once per process (keyed by its
    SHA-256): parsing YAML on every statistics call cost more than the GROUP BYs."""
    newest = (
        select(AgreementVersion.agreement_id, func.max(AgreementVersion.version).label("v"))
        .group_by(AgreementVersion.agreement_id)
        .subquery()
    )
    rows = session.execute(
        select(AgreementVersion.sha256)
        .join(newest, (AgreementVersion.agreement_id == newest.c.agreement_id) & (AgreementVersion.version == newest.c.v))
        .order_by(AgreementVersion.agreement_id)
    ).scalars().all()
    if any(sha not in _PARSED for sha in rows):
        for agreement in current_agreements(session):
            row = session.execute(
                select(AgreementVersion.sha256).where(
                    AgreementVersion.agreement_id == agreement.id, AgreementVersion.version == agreement.version
                )
            ).scalar_one()
            _PARSED[row] = agreement
    return [_PARSED[sha] for sha in rows]


def viewer_of(principal: Principal) -> Viewer:
    return Viewer(principal.org_id, principal.org_kind, str(principal.role), principal.gss_code)


def visibility_for(session: Session, principal: Principal, area: str, today: date | None = None) -> Visibility:
    """What this principal may see for ``area``; 403 when no agreement opens another borough."""
    if area != LONDON and area not in BY_GSS:
        raise NotFound("no such borough: use a London GSS code (E09…) or 'london'")
    day = today or datetime.now(UTC).date()
    visibility = visible_sources(governing_agreements(session), viewer_of(principal), scope=area, today=day)
    if not visibility.sources and area != principal.gss_code:
        what = "pooled London figures" if area == LONDON else "this borough's detail"
        raise Forbidden(f"no agreement shares {what} with your organisation")
    return visibility


def _check_quarter(quarter: str | None) -> str | None:
    if quarter is not None and not QUARTER.match(quarter):
        raise BadQuestion("quarter must look like 2026-Q3")
    return quarter


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


def _shift(quarter: str, back: int) -> str:
    year, q = int(quarter[:4]), int(quarter[-1])
    index = year * 4 + (q - 1) - back
    return f"{index // 4}-Q{index % 4 + 1}"


def _per_quarter_series(
    rows: Sequence[tuple[str, str, int]], quarters: Sequence[str], visibility: Visibility, key: str, label: str
) -> Trend:
    """Quarterly counts, each protected on its own (a time series has no published total)."""
    pooled, per, _ = figures.pivot(rows, quarters)
    protected = figures.checked(protect_series(pooled, visibility, providers=per, additive=False, total=0), key)
    points = [
        figures.figure(protected.cells[i], q, q, visibility.min_count) for i, q in enumerate(quarters)
    ]
    return Trend(key=key, label=label, points=points)


def _changes(trend: Trend, quarter: str) -> list[Change]:
    by_q = {p.key: p for p in trend.points}
    out: list[Change] = []
    pairs: tuple[tuple[Literal["previous_quarter", "same_quarter_last_year"], int], ...] = (
        ("previous_quarter", 1), ("same_quarter_last_year", 4),
    )
    for against, back in pairs:
        other = _shift(quarter, back)
        now, then = by_q.get(quarter), by_q.get(other)
        percent: int | None = None
        if now is not None and then is not None and now.value is not None and then.value:
            percent = round(100 * (now.value - then.value) / then.value)
        text = f"{percent:+d}% against {other}" if percent is not None else f"no comparison with {other} (no or small figures)"
        out.append(Change(against=against, quarter=other, display=text, percent=percent))
    return out


def _context(session: Session, principal: Principal, area: str, quarter: str | None) -> tuple[Visibility, Scope, list[str], str | None]:
    visibility = visibility_for(session, principal, area)
    scope = Scope(area, visibility.sources)
    quarters = queries.submitted_quarters(session, scope)
    chosen = _check_quarter(quarter) or (quarters[-1] if quarters else None)
    return visibility, scope, quarters, chosen


def overview_quarters(session: Session, principal: Principal, area: str) -> list[str]:
    """The quarters with any allowed record in ``area`` (for the quarter picker; no figures)."""
    return _context(session, principal, area, None)[2]


# --- the questions --------------------------------------------------------------------------


def _rates(
    session: Session, scope: Scope, visibility: Visibility, totals: Sequence[tuple[str, str, int]] | None = None
) -> list[Rate]:
    rows = totals if totals is not None else queries.incidents_by_provider(session, scope)
    incidents = {p: n for _, p, n in rows}
    referred = queries.incidents_with_referral(session, scope, ["nrm", "duty_to_notify"])
    out = []
    for code, label in (("nrm", "Referred to the NRM"), ("duty_to_notify", "Duty to Notify report")):
        with_ = {p: n for k, p, n in referred if k == code}
        out.append(figures.rate(code, label, with_, incidents, visibility))
    return out


def _exploitation(
    session: Session, scope: Scope, visibility: Visibility, raw: Sequence[tuple[str, str, int]] | None = None,
    totals: Sequence[tuple[str, str, int]] | None = None,
) -> Table:
    if raw is None:
        raw = queries.incident_codes(session, scope, "exploitation_types")
    rows = figures.folded(raw)
    lines = [(k, p, n) for k, p, n in queries.incident_field(session, scope, "county_lines") if k == "yes"]
    rows += [("county_lines", p, n) for _, p, n in lines]
    cats = figures.categories_for(vocab.ExploitationType, [r for r in rows if r[0] != "county_lines"])
    cats.append("county_lines")
    return figures.table(
        id_="exploitation_types", title="Exploitation types", unit="incidents", rows=rows, categories=cats,
        visibility=visibility, rules=visibility, additive=False,
        total_rows=totals if totals is not None else queries.incidents_by_provider(session, scope),
        labels={"county_lines": "of which county lines (flagged)"},
        note="An incident may involve several types, so the rows add up to more than the total.",
    )


def _incident_table(session: Session, scope: Scope, visibility: Visibility, name: str, title: str, voc: Iterable[str]) -> Table:
    rows = figures.folded(queries.incident_field(session, scope, name))
    return figures.table(
        id_=name, title=title, unit="incidents", rows=rows, categories=figures.categories_for(voc, rows),
        visibility=visibility, rules=visibility,
    )


def _person_table(
    session: Session, scope: Scope, visibility: Visibility, name: str, title: str, voc: Iterable[str] | None,
    raw: Sequence[tuple[str, str, int]] | None = None,
) -> Table:
    if raw is None:
        raw = queries.person_field(session, scope, name, VICTIM)
    if voc is None:  # nationality: the top N, the rest as "other"
        totals: dict[str, int] = {}
        for k, _, n in raw:
            if k not in figures.MARKERS:
                totals[k] = totals.get(k, 0) + n
        ranked = sorted((k for k, n in totals.items() if n >= visibility.min_count), key=lambda k: (-totals[k], k))
        top = ranked[:TOP_NATIONALITIES]
        rows = figures.folded(raw, keep=top)
        cats = [*top, figures.OTHER, figures.NOT_RECORDED]
    else:
        rows = figures.folded(raw)
        cats = figures.categories_for(voc, rows)
    return figures.table(
        id_=name, title=title, unit="potential victims", rows=rows, categories=cats, visibility=visibility, rules=visibility,
    )


def _codes_table(
    session: Session, scope: Scope, visibility: Visibility, field: str, title: str, voc: Iterable[str],
    raw: Sequence[tuple[str, str, int]], totals: Sequence[tuple[str, str, int]],
) -> Table:
    rows = figures.folded(raw)
    return figures.table(
        id_=field, title=title, unit="incidents", rows=rows, categories=figures.categories_for(voc, rows),
        visibility=visibility, rules=visibility, additive=False,
        total_rows=totals,
        note="An incident may record several, so the rows add up to more than the total.",
    )


def _referral_table(
    visibility: Visibility, name: str, title: str, voc: Iterable[str], raw: Sequence[tuple[str, str, int]]
) -> Table:
    rows = figures.folded(raw)
    return figures.table(
        id_=name, title=title, unit="referrals", rows=rows, categories=figures.categories_for(voc, rows),
        visibility=visibility, rules=visibility,
    )


def overview(session: Session, principal: Principal, area: str, quarter: str | None = None) -> Overview:
    visibility, scope, quarters, chosen = _context(session, principal, area, quarter)
    headlines: list[Headline] = []
    rates: list[Rate] = []
    tables: list[Table] = []
    if scope.sources:
        all_q = sorted({*quarters, *([chosen] if chosen else [])})
        ages = queries.person_field_by_quarter(session, scope, "age_group", VICTIM)  # one scan, two uses
        victims: dict[tuple[str, str], int] = {}
        for q, _, o, n in ages:
            victims[(q, o)] = victims.get((q, o), 0) + n
        series = [
            ("incidents", "Incidents", queries.incidents_by_quarter(session, scope)),
            ("potential_victims", "Potential victims", [(q, o, n) for (q, o), n in victims.items()]),
        ]
        for key, label, rows in series:
            trend = _per_quarter_series(rows, all_q, visibility, key, label)
            point = next((p for p in trend.points if p.key == chosen), None)
            if point is not None and chosen is not None:
                headlines.append(Headline(key=key, label=label, figure=point, changes=_changes(trend, chosen)))
        q_scope = scope.with_quarter(chosen)
        totals = [("all", p, n) for q, p, n in series[0][2] if q == chosen]
        rates = _rates(session, q_scope, visibility, totals)
        tables = [
            _exploitation(session, q_scope, visibility, totals=totals),
            _person_table(
                session, q_scope, visibility, "age_group", "Adults and children", vocab.AgeGroup,
                [(k, o, n) for q, k, o, n in ages if q == chosen],
            ),
        ]
    _audit(session, principal, "overview", visibility, chosen)
    return Overview(
        scope=area, scope_name=scope_name(area), quarter=chosen, quarters=quarters, headlines=headlines,
        rates=rates, tables=tables, privacy=figures.privacy(visibility, visibility.providers),
    )


def trends(session: Session, principal: Principal, area: str) -> Trends:
    visibility, scope, quarters, _ = _context(session, principal, area, None)
    series: list[Trend] = []
    if scope.sources and quarters:
        full = [quarters[0]]
        while full[-1] != quarters[-1]:
            full.append(_shift(full[-1], -1))
        series.append(_per_quarter_series(queries.incidents_by_quarter(session, scope), full, visibility, "incidents", "Incidents"))
        people = queries.persons_by_quarter_and_role(session, scope, [VICTIM, SUSPECT])
        series.append(_per_quarter_series(people[VICTIM], full, visibility, "potential_victims", "Potential victims"))
        series.append(_per_quarter_series(people[SUSPECT], full, visibility, "suspects", "Suspects"))
        quarters = full
    _audit(session, principal, "trends", visibility, None)
    return Trends(scope=area, quarters=quarters, series=series, privacy=figures.privacy(visibility, visibility.providers))


def breakdowns(session: Session, principal: Principal, area: str, quarter: str | None = None) -> Breakdowns:
    visibility, scope, _, chosen = _context(session, principal, area, quarter)
    q = scope.with_quarter(chosen)
    tables: list[Table] = []
    cross = []
    rates: list[Rate] = []
    if scope.sources:
        totals = queries.incidents_by_provider(session, q)
        codes = queries.all_codes(session, q, ["exploitation_types", "methods_of_control"])
        people = queries.person_profile(session, q, VICTIM)
        referrals = queries.referral_profile(session, q)

        def codes_of(field: str) -> list[tuple[str, str, int]]:
            return [(c, o, n) for f, c, o, n in codes if f == field]

        def people_by(i: int) -> list[tuple[str, str, int]]:
            return [(str(r[i]), str(r[4]), int(r[5])) for r in people]

        def referrals_by(i: int) -> list[tuple[str, str, int]]:
            return [(str(r[i]), str(r[3]), int(r[4])) for r in referrals]

        tables = [
            _exploitation(session, q, visibility, codes_of("exploitation_types"), totals),
            _person_table(session, q, visibility, "age_group", "Adults and children", vocab.AgeGroup, people_by(1)),
            _person_table(session, q, visibility, "age_band", "Age band at exploitation", vocab.AgeBand, people_by(2)),
            _person_table(session, q, visibility, "gender", "Gender", vocab.Gender, people_by(0)),
            _person_table(session, q, visibility, "nationality", "Nationality", None, people_by(3)),
            _incident_table(session, q, visibility, "premises_type", "Premises", vocab.PremisesType),
            _codes_table(session, q, visibility, "methods_of_control", "Methods of control", vocab.ControlMethod, codes_of("methods_of_control"), totals),
            _referral_table(visibility, "reasonable_grounds", "Reasonable grounds decisions", vocab.GroundsDecision, referrals_by(1)),
            _referral_table(visibility, "conclusive_grounds", "Conclusive grounds decisions", vocab.GroundsDecision, referrals_by(2)),
            _referral_table(visibility, "police_outcome", "Police outcomes", vocab.PoliceOutcome, referrals_by(0)),
        ]
        genders = ["female", "male", "other_gender", figures.NOT_RECORDED]
        folded_rows = [
            (a if a in ("female", "male") or a in figures.MARKERS else "other_gender", b, o, n) for a, b, _, _, o, n in people
        ]
        cross = [
            figures.cross_table(
                id_="gender_by_age_group", title="Gender by adult/child", unit="potential victims", rows=folded_rows,
                row_cats=genders, col_cats=["adult", "child", figures.NOT_RECORDED], visibility=visibility, rules=visibility,
            )
        ]
        rates = _rates(session, q, visibility, totals)
    _audit(session, principal, "breakdowns", visibility, chosen)
    return Breakdowns(scope=area, quarter=chosen, tables=tables, cross=cross, rates=rates, privacy=figures.privacy(visibility, visibility.providers))


def hotspots(session: Session, principal: Principal, area: str, quarter: str | None = None) -> Hotspots:
    visibility, scope, _, chosen = _context(session, principal, area, quarter)
    q = scope.with_quarter(chosen)
    rows = queries.hotspot_cells(session, q, visibility.view_h3_resolution) if scope.sources else []
    cells, table = hotspot_table(rows, visibility)
    _audit(session, principal, "hotspots", visibility, chosen)
    return Hotspots(
        scope=area, quarter=chosen, resolution=visibility.view_h3_resolution, cells=cells, table=table,
        privacy=table.privacy,
    )


def _people(appearances: Sequence[queries.Appearance], visibility: Visibility) -> list[tuple[str, set[int], set[str]]]:
    """Group appearances into people: joined when they share a match key within one agreement,
    and across providers only where that agreement allows cross-partner linkage."""
    parent = list(range(len(appearances)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[tuple[str, str, int, str], int] = {}
    for i, a in enumerate(appearances):
        realm = "" if visibility.linkage_allowed(a.agreement_id) else a.provider
        for k, value in enumerate(a.keys):
            if value is None:
                continue
            slot = (a.agreement_id, realm, k, value)
            if slot in first:
                parent[find(i)] = find(first[slot])
            else:
                first[slot] = i
    groups: dict[int, tuple[str, set[int], set[str]]] = {}
    for i, a in enumerate(appearances):
        _role, incidents, providers = groups.setdefault(find(i), (a.role, set(), set()))
        incidents.add(a.incident_id)
        providers.add(a.provider)
    return list(groups.values())


REPEAT_KEYS: Final = (
    ("victims_repeat", "Potential victims seen in more than one incident", VICTIM, 2, 1),
    ("suspects_repeat", "Suspects seen in more than one incident", SUSPECT, 2, 1),
    ("victims_multi_partner", "Potential victims known to two or more partners", VICTIM, 1, 2),
    ("suspects_multi_partner", "Suspects known to two or more partners", SUSPECT, 1, 2),
)
RepeatCounts = tuple[list[tuple[str, str, int]], frozenset[str]]
"""(key, owning provider or "(several)", people), and every provider the people came from"""
_REPEATS: "OrderedDict[tuple[object, ...], RepeatCounts]" = OrderedDict()
_REPEATS_LOCK = threading.Lock()
REPEATS_CACHED: Final = 64


def _count_people(people: Sequence[tuple[str, set[int], set[str]]]) -> RepeatCounts:
    counts: dict[tuple[str, str], int] = {}
    for key, _, role, min_incidents, min_partners in REPEAT_KEYS:
        for r, incidents, provs in people:
            if r == role and len(incidents) >= min_incidents and len(provs) >= min_partners:
                owner = next(iter(provs)) if len(provs) == 1 else "(several)"
                counts[(key, owner)] = counts.get((key, owner), 0) + 1
    return [(k, o, n) for (k, o), n in sorted(counts.items())], frozenset(p for *_, provs in people for p in provs)


def _repeat_counts(session: Session, scope: Scope, visibility: Visibility) -> RepeatCounts:
    """Repeat people of the scope, counted, and kept per process until any submission changes.

    Grouping people is the one figure that cannot be summed from per-submission counts (who
    links to whom depends on which records are in scope), so its answer is kept, keyed on the
    question (area, allowed sources, each agreement's linkage rule), the summaries' generation,
    which every ingest, withdrawal and purge changes, and the active submissions it draws on:
    a stale answer is never served.
    """
    if not scope.sources:
        return [], frozenset()
    generation = summaries.generation(session)  # read before the records: see summaries._bump
    active = tuple(queries.active_submissions(session, scope))
    key = (generation, active, scope.area, scope.sources, tuple(sorted(visibility.linkage.items())))
    with _REPEATS_LOCK:
        if key in _REPEATS:
            _REPEATS.move_to_end(key)
            return _REPEATS[key]
    counted = _count_people(_people(queries.repeat_candidates(session, scope), visibility))
    with _REPEATS_LOCK:
        _REPEATS[key] = counted
        while len(_REPEATS) > REPEATS_CACHED:
            _REPEATS.popitem(last=False)
    return counted


def repeats(session: Session, principal: Principal, area: str) -> Repeats:
    visibility, scope, _, _ = _context(session, principal, area, None)
    counts, contributors = _repeat_counts(session, scope, visibility)
    any_linkage = any(visibility.linkage_allowed(a) for a, _ in visibility.sources)
    providers = sorted(visibility.providers)
    cats = [k for k, *_ in REPEAT_KEYS]
    labels = {k: label for k, label, *_ in REPEAT_KEYS}
    if not any_linkage:
        counts = [c for c in counts if not c[0].endswith("multi_partner")]
    rows = [(k, p if p in providers else "(several)", n) for k, p, n in counts]
    table = figures.table(
        id_="repeats", title="Repeat people (counts only)", unit="people", rows=rows, categories=cats,
        visibility=visibility, rules=visibility, additive=False, total_rows=[], labels=labels,
        note="People are matched by hub re-keyed match keys only; nobody is named or listed.",
        contributors=set(contributors),
    )
    linkage = (
        "Cross-partner linkage is allowed by the agreement." if any_linkage
        else "The agreement does not allow linking people across partners: only repeats within one partner are counted."
    )
    _audit(session, principal, "repeats", visibility, None)
    return Repeats(scope=area, linkage=linkage, table=table, privacy=table.privacy)


def _percent(filled: int, total: int, min_count: int) -> FieldCompleteness:
    return FieldCompleteness(field="", percent=None, display="no records") if total == 0 else FieldCompleteness(
        field="", percent=round(100 * filled / total), display=f"{round(100 * filled / total)}%"
    ) if total >= min_count else FieldCompleteness(field="", percent=None, display=f"fewer than {min_count} records")


def coverage(session: Session, principal: Principal, area: str) -> Coverage:
    visibility, scope, _, latest = _context(session, principal, area, None)
    q_scope = scope.with_quarter(latest)
    sent: dict[str, set[str]] = {}
    for provider, q in queries.submissions_by_provider(session, visibility.sources):
        sent.setdefault(provider, set()).add(q)
    all_q = sorted({q for qs in sent.values() for q in qs})
    pooled = []
    if scope.sources:
        for name, (filled, total) in sorted(queries.completeness(session, org_id=None, scope=q_scope).items()):
            f = _percent(filled, total, visibility.min_count)
            # Pooled shares are rounded to 5 points so they cannot be turned back into counts.
            if f.percent is not None:
                f = FieldCompleteness(field=name, percent=5 * round(f.percent / 5), display=f"{5 * round(f.percent / 5)}%")
            pooled.append(f.model_copy(update={"field": name}))
    own = [
        _percent(filled, total, 1).model_copy(update={"field": name})
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
