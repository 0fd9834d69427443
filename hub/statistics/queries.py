"""The aggregate SQL behind every figure: sums of per-submission summary counts, over allowed, active submissions only.

Every query here reads ``stat_counts`` (see :mod:`hub.records.summaries`, written with each
submission's records) for *active* submissions whose ``(agreement_id, provider)`` pair the
viewer's visibility allows, in the borough asked for (or all of London). A summary's columns
are asked for by the names its measure gives them (``PERSON_PROFILE.column("gender")``). Each
query returns named rows with per-provider counts: what the disclosure layer needs to stop a
provider subtracting its own records. Nothing here is ever sent to a caller unprotected.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

from sqlalchemy import ColumnElement, Row, Select, and_, func, select, tuple_
from sqlalchemy.orm import Session

from anonymise import KeyedCount
from hub.models import LinkedPerson, PersonCluster, StatCount, Submission, SubmissionStatus
from hub.records.measure import Measure
from hub.records.routes import CITIZENSHIP, ROUTE_CATEGORIES, ROUTES_IN, ROUTES_OUT
from hub.records.summaries import (
    CODE_FIELDS,
    CODES,
    FILLED,
    H3,
    H3_LEVELS,
    INCIDENT_FILLED,
    INCIDENT_PROFILE,
    INCIDENTS,
    LONDON,
    PERSON_FILLED,
    PERSON_PROFILE,
    PERSONS,
    REFERRAL_PROFILE,
    REFERRED,
)

INCIDENT_FIELDS: Final = INCIDENT_PROFILE.categories
"""the incident fields ``incident_field`` answers"""
COMPLETENESS_FIELDS: Final = tuple(INCIDENT_FILLED)
PERSON_COMPLETENESS: Final = tuple(PERSON_FILLED)
CODE_COMPLETENESS: Final = tuple(f"incidents.{name}" for name in CODE_FIELDS)
"""the multi-valued fields' shares (``completeness`` lists only those with a code in scope)"""


class Count(NamedTuple):
    """One category's count from one provider."""

    key: str
    provider: str
    n: int


class QuarterCount(NamedTuple):
    quarter: str
    key: str
    provider: str
    n: int


class CellCount(NamedTuple):
    cell: str | None
    provider: str
    n: int


class CodeCount(NamedTuple):
    field: str
    code: str
    provider: str
    n: int


class PersonProfile(NamedTuple):
    gender: str
    age_group: str
    age_band: str
    nationality: str
    provider: str
    n: int


class ReferralProfile(NamedTuple):
    police_outcome: str
    reasonable_grounds: str
    conclusive_grounds: str
    provider: str
    n: int


class ProviderQuarter(NamedTuple):
    provider: str
    quarter: str


@dataclass(frozen=True)
class Scope:
    """What one statistics question may read: the borough (or London) and the allowed sources."""

    area: str  # a borough GSS code or "london"
    sources: frozenset[tuple[str, str]]
    quarter: str | None = None

    def with_quarter(self, quarter: str | None) -> "Scope":
        return Scope(self.area, self.sources, quarter)


def _source_filter(sources: Collection[tuple[str, str]]) -> ColumnElement[bool]:
    pairs = sorted(sources)
    by_agreement: dict[str, list[str]] = {}
    for agreement, provider in pairs:
        by_agreement.setdefault(agreement, []).append(provider)
    if len(by_agreement) == 1:  # the common case: a plain IN
        (agreement, providers), = by_agreement.items()
        return and_(Submission.agreement_id == agreement, Submission.org_id.in_(providers))
    return tuple_(Submission.agreement_id, Submission.org_id).in_(pairs)


def _active(stmt: Select[Any], scope: Scope) -> Select[Any]:
    """Restrict a select joined to ``Submission`` to the scope's active, allowed submissions."""
    return stmt.where(Submission.status == SubmissionStatus.active.value, _source_filter(scope.sources))


def _summed(
    session: Session, scope: Scope | None, measure: Measure, keys: Sequence[str], *where: ColumnElement[bool],
    org_id: str | None = None, quarter: str | None = None,
) -> Sequence[Row[Any]]:
    """Rows of the measure's counts summed over the scope's submissions (or over one provider's
    own active submissions), grouped by ``keys`` (``"quarter"`` or the measure's categories);
    each row names its keys, ``provider`` and ``n``."""
    cols = [StatCount.quarter if k == "quarter" else measure.column(k) for k in keys]
    named: list[Any] = [c.label(k) for c, k in zip(cols, keys, strict=True)]
    stmt: Select[Any] = (
        select(*named, Submission.org_id.label("provider"), func.sum(StatCount.n).label("n"),
               func.sum(StatCount.key_sum).label("key_sum"))
        .select_from(StatCount)
        .join(Submission, Submission.id == StatCount.submission_id)
        .where(StatCount.measure == measure.name, *where)
    )
    if scope is not None:
        if not scope.sources:
            return []
        stmt = _active(stmt, scope).where(StatCount.area == scope.area)
        quarter = scope.quarter
    else:
        stmt = stmt.where(Submission.status == SubmissionStatus.active.value, Submission.org_id == org_id, StatCount.area == LONDON)
    if quarter is not None:
        stmt = stmt.where(StatCount.quarter == quarter)
    return session.execute(stmt.group_by(*cols, Submission.org_id)).all()


def _keyed(row: Row[Any]) -> int:
    """A row's count with its records' key sum (its cell key: anonymise.perturb)."""
    return KeyedCount(int(row.n), int(row.key_sum or 0))


def _counts(rows: Sequence[Row[Any]], key: str) -> list[Count]:
    return [Count(str(getattr(r, key)), str(r.provider), _keyed(r)) for r in rows]


def incidents_by_quarter(session: Session, scope: Scope) -> list[Count]:
    return _counts(_summed(session, scope, INCIDENTS, ["quarter"]), "quarter")


def persons_by_quarter(session: Session, scope: Scope, role: str) -> list[Count]:
    return _counts(_summed(session, scope, PERSONS, ["quarter"], PERSONS.column("role") == role), "quarter")


def persons_by_quarter_and_role(session: Session, scope: Scope, roles: Sequence[str]) -> dict[str, list[Count]]:
    """Role → ``persons_by_quarter`` rows, for several roles in one query."""
    out: dict[str, list[Count]] = {role: [] for role in roles}
    for r in _summed(session, scope, PERSONS, ["role", "quarter"], PERSONS.column("role").in_(list(roles))):
        out[str(r.role)].append(Count(str(r.quarter), str(r.provider), _keyed(r)))
    return out


def person_field_by_quarter(session: Session, scope: Scope, name: str, role: str) -> list[QuarterCount]:
    """``person_field`` for every quarter in one query; summed over the values it is ``persons_by_quarter``."""
    # every quarter: the narrow "persons" counts (role, adult/child) where they answer it
    measure = PERSONS if name == "age_group" else PERSON_PROFILE
    rows = _summed(session, scope, measure, ["quarter", name], measure.column("role") == role)
    return [QuarterCount(str(r.quarter), str(getattr(r, name)), str(r.provider), _keyed(r)) for r in rows]


def incident_field(session: Session, scope: Scope, name: str) -> list[Count]:
    return _counts(_summed(session, scope, INCIDENT_PROFILE, [name]), name)


def incident_codes(session: Session, scope: Scope, field: str) -> list[Count]:
    """Multi-valued codes: incidents carrying each code (an incident may carry several)."""
    return _counts(_summed(session, scope, CODES, ["code"], CODES.column("field") == field), "code")


def person_field(session: Session, scope: Scope, name: str, role: str) -> list[Count]:
    return _counts(_summed(session, scope, PERSON_PROFILE, [name], PERSON_PROFILE.column("role") == role), name)


def incidents_with_referral(session: Session, scope: Scope, referral_types: Sequence[str]) -> list[Count]:
    """Per referral type: incidents with at least one referral of that type."""
    column = REFERRED.column("referral_type")
    return _counts(_summed(session, scope, REFERRED, ["referral_type"], column.in_(list(referral_types))), "referral_type")


def incidents_by_provider(session: Session, scope: Scope) -> list[Count]:
    return [Count("all", str(r.provider), _keyed(r)) for r in _summed(session, scope, INCIDENTS, [])]


def hotspot_cells(session: Session, scope: Scope, resolution: int = 15) -> list[CellCount]:
    """Incidents per cell at ``resolution`` where the summaries keep it (coarser ones as stored;
    finer, or below the coarsest kept, the caller lifts)."""
    column = "cell"
    for level in H3_LEVELS:
        if resolution <= level:
            column = f"cell_r{level}"
    return [CellCount(str(getattr(r, column)) or None, str(r.provider), _keyed(r)) for r in _summed(session, scope, H3, [column])]


@dataclass(frozen=True)
class Appearance:
    """One person row that shares a match key with another row in scope (no key values kept)."""

    person_id: int
    incident_id: int
    agreement_id: str
    provider: str
    role: str
    keys: tuple[str | None, ...]
    record_key: int = 0


def repeat_candidates(session: Session, scope: Scope) -> list[Appearance]:
    """Person rows in scope whose hub person id (``person_clusters``) spans another incident in scope.

    Reads ``linked_persons`` (rows sharing a key with another incident anywhere, or in a cluster
    of the hub's linkage model: a superset kept at ingest) for the scope's active submissions,
    each with its cluster, then keeps a row only where its cluster spans two or more incidents
    *within the scope* — exact, because every clustered row is in the index. Cluster ids are
    compared here and never leave this module (the caller groups appearances into people and
    publishes counts only).
    """
    if not scope.sources:
        return []
    cluster: list[Any] = [PersonCluster.cluster_id]
    stmt = _active(
        select(
            LinkedPerson.person_id, LinkedPerson.incident_id, Submission.agreement_id,
            Submission.org_id.label("provider"), LinkedPerson.role, *cluster, LinkedPerson.record_key,
        ).join(Submission, Submission.id == LinkedPerson.submission_id)
        .outerjoin(PersonCluster, PersonCluster.person_id == LinkedPerson.person_id),
        scope,
    )
    if scope.area != LONDON:
        stmt = stmt.where(LinkedPerson.area == scope.area)
    rows = [
        Appearance(int(r.person_id), int(r.incident_id), str(r.agreement_id), str(r.provider), str(r.role),
                   (None if r.cluster_id is None else str(r.cluster_id),), int(r.record_key or 0))
        for r in session.execute(stmt)
    ]
    spans: dict[tuple[int, str], set[int]] = {}
    for a in rows:
        for k, value in enumerate(a.keys):
            if value is not None:
                spans.setdefault((k, value), set()).add(a.incident_id)
    found = [
        a for a in rows
        if any(value is not None and len(spans[(k, value)]) > 1 for k, value in enumerate(a.keys))
    ]
    return sorted(found, key=lambda a: a.person_id)


def submissions_by_provider(session: Session, sources: Collection[tuple[str, str]]) -> list[ProviderQuarter]:
    """(provider, quarter) for every active submission of an allowed pair."""
    pairs = sorted(sources)
    if not pairs:
        return []
    stmt = (
        select(Submission.org_id, Submission.quarter)
        .where(Submission.status == SubmissionStatus.active.value)
        .where(tuple_(Submission.agreement_id, Submission.org_id).in_(pairs))
        .distinct()
    )
    return [ProviderQuarter(str(o), str(q)) for o, q in session.execute(stmt)]


class Completeness(NamedTuple):
    filled: int
    """records with a real value"""
    total: int


def completeness(
    session: Session, *, org_id: str | None, scope: Scope | None, quarter: str | None = None
) -> dict[str, Completeness]:
    """Field → how many records hold a real value: for one provider's own active records
    (``org_id``) of a quarter, or for everything in a scope."""

    def summed(measure: Measure, keys: Sequence[str]) -> Sequence[Row[Any]]:
        return _summed(session, scope, measure, keys, org_id=org_id, quarter=quarter)

    incidents = sum(_keyed(r) for r in summed(INCIDENTS, []))
    persons = sum(_keyed(r) for r in summed(PERSONS, ["role"]))
    filled: dict[str, int] = {}
    for r in summed(FILLED, ["field"]):
        filled[str(r.field)] = filled.get(str(r.field), 0) + _keyed(r)
    out: dict[str, Completeness] = {}
    for name in COMPLETENESS_FIELDS:
        out[name] = Completeness(filled.get(name, 0), incidents)
    for name in PERSON_COMPLETENESS:
        out[name] = Completeness(filled.get(name, 0), persons)
    for name, n in filled.items():
        if "." not in name:  # a multi-valued field: incidents with any real code
            out[f"incidents.{name}"] = Completeness(n, incidents)
    return out


def person_profile(session: Session, scope: Scope, role: str) -> list[PersonProfile]:
    """Victims per gender, adult/child, age band and nationality: one query feeds every person table."""
    names = ["gender", "age_group", "age_band", "nationality"]
    rows = _summed(session, scope, PERSON_PROFILE, names, PERSON_PROFILE.column("role") == role)
    return [
        PersonProfile(str(r.gender), str(r.age_group), str(r.age_band), str(r.nationality), str(r.provider), _keyed(r))
        for r in rows
    ]


def referral_profile(session: Session, scope: Scope) -> list[ReferralProfile]:
    """Referrals per police outcome, reasonable and conclusive grounds decision, in one query."""
    rows = _summed(session, scope, REFERRAL_PROFILE, ["police_outcome", "reasonable_grounds", "conclusive_grounds"])
    return [
        ReferralProfile(str(r.police_outcome), str(r.reasonable_grounds), str(r.conclusive_grounds), str(r.provider), _keyed(r))
        for r in rows
    ]


def all_codes(session: Session, scope: Scope, fields: Sequence[str]) -> list[CodeCount]:
    """Incidents per code of several multi-valued fields, in one query."""
    rows = _summed(session, scope, CODES, ["field", "code"], CODES.column("field").in_(list(fields)))
    return [CodeCount(str(r.field), str(r.code), str(r.provider), _keyed(r)) for r in rows]


def active_submissions(session: Session, scope: Scope) -> list[str]:
    """Ids of the active submissions of the scope's allowed sources, sorted (a tiny table)."""
    if not scope.sources:
        return []
    stmt = _active(select(Submission.id), scope).order_by(Submission.id)
    return [str(i) for i in session.scalars(stmt)]


def submitted_quarters(session: Session, scope: Scope) -> list[str]:
    """Quarters with an active submission from an allowed source (a tiny table: no record scan)."""
    pairs = sorted(scope.sources)
    if not pairs:
        return []
    stmt = (
        select(Submission.quarter)
        .where(Submission.status == SubmissionStatus.active.value)
        .where(tuple_(Submission.agreement_id, Submission.org_id).in_(pairs))
        .distinct()
    )
    return sorted(str(q) for q in session.scalars(stmt))


class RouteCount(NamedTuple):
    """Potential victims of one route (``hub.records.routes``) from one provider."""

    recruitment_country: str
    transit: str
    exploitation_country: str
    recruitment_area: str
    exploitation_area: str
    provider: str
    n: int


def route_counts(session: Session, scope: Scope, outbound: bool = False) -> list[RouteCount]:
    """Victims by route whose exploitation was recorded in the scope (``outbound``: who were
    recruited in the scope's borough), summed over the scope's allowed submissions."""
    measure = ROUTES_OUT if outbound else ROUTES_IN
    rows = _summed(session, scope, measure, list(ROUTE_CATEGORIES))
    return [
        RouteCount(str(r.recruitment_country), str(r.transit), str(r.exploitation_country), str(r.recruitment_area),
                   str(r.exploitation_area), str(r.provider), _keyed(r))
        for r in rows
    ]


class CitizenshipCount(NamedTuple):
    nationality: str
    exploitation_country: str
    provider: str
    n: int


def citizenship_counts(session: Session, scope: Scope) -> list[CitizenshipCount]:
    """Victims by country of citizenship × country of exploitation (CTDC's layout)."""
    rows = _summed(session, scope, CITIZENSHIP, ["nationality", "exploitation_country"])
    return [CitizenshipCount(str(r.nationality), str(r.exploitation_country), str(r.provider), _keyed(r)) for r in rows]
