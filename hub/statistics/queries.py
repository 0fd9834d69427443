"""The aggregate SQL behind every figure: sums of per-submission summary counts, over allowed, active submissions only.

Every query here reads ``stat_counts`` (see :mod:`hub.records.summaries`, written with each
submission's records) for *active* submissions whose ``(agreement_id, provider)`` pair the
viewer's visibility allows, in the borough asked for (or all of London). Each returns raw
``(key, provider, count)`` rows: per-provider counts are what the disclosure layer needs to stop
a provider subtracting its own records. Nothing here is ever sent to a caller unprotected.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import ColumnElement, Select, and_, func, select, tuple_
from sqlalchemy.orm import Session

from hub.models import LinkedPerson, PersonCluster, StatCount, Submission, SubmissionStatus
from hub.records.summaries import H3_LEVELS, INCIDENT_FILLED, LONDON, PERSON_FILLED

Row = tuple[str, str, int]
"""(category key, provider org id, count)"""

# field name -> the summary column holding it (see the profiles in hub.records.summaries)
INCIDENT_FIELDS: Final = {"premises_type": "k1", "county_lines": "k2", "source_channel": "k3", "exploitation_scope": "k4"}
PERSON_FIELDS: Final = {"gender": "k2", "age_group": "k3", "age_band": "k4", "nationality": "k5"}
COMPLETENESS_FIELDS: Final = tuple(INCIDENT_FILLED)
PERSON_COMPLETENESS: Final = tuple(PERSON_FILLED)


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
    session: Session, scope: Scope | None, measure: str, keys: Sequence[str], *where: ColumnElement[bool],
    org_id: str | None = None, quarter: str | None = None,
) -> list[tuple[Any, ...]]:
    """``(key…, provider, count)``: the measure's counts summed over the scope's submissions,
    grouped by the summary columns ``keys``; or over one provider's own active submissions."""
    cols = [getattr(StatCount, k) for k in keys]
    stmt: Select[Any] = (
        select(*cols, Submission.org_id, func.sum(StatCount.n))
        .select_from(StatCount)
        .join(Submission, Submission.id == StatCount.submission_id)
        .where(StatCount.measure == measure, *where)
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
    return [(*r[:-1], int(r[-1])) for r in session.execute(stmt.group_by(*cols, Submission.org_id))]


def _rows(rows: list[tuple[Any, ...]]) -> list[Row]:
    return [(str(k), str(o), n) for k, o, n in rows]


def incidents_by_quarter(session: Session, scope: Scope) -> list[Row]:
    return _rows(_summed(session, scope, "incidents", ["quarter"]))


def persons_by_quarter(session: Session, scope: Scope, role: str) -> list[Row]:
    return _rows(_summed(session, scope, "persons", ["quarter"], StatCount.k1 == role))


def persons_by_quarter_and_role(session: Session, scope: Scope, roles: Sequence[str]) -> dict[str, list[Row]]:
    """Role → ``persons_by_quarter`` rows, for several roles in one query."""
    out: dict[str, list[Row]] = {role: [] for role in roles}
    for role, quarter, org, n in _summed(session, scope, "persons", ["k1", "quarter"], StatCount.k1.in_(list(roles))):
        out[str(role)].append((str(quarter), str(org), n))
    return out


def person_field_by_quarter(session: Session, scope: Scope, name: str, role: str) -> list[tuple[str, str, str, int]]:
    """(quarter, value, provider, persons): ``person_field`` for every quarter in one query;
    summed over the values it is ``persons_by_quarter``."""
    # every quarter: the narrow "persons" counts (role, adult/child) where they answer it
    measure, column = ("persons", "k2") if name == "age_group" else ("person_profile", PERSON_FIELDS[name])
    rows = _summed(session, scope, measure, ["quarter", column], StatCount.k1 == role)
    return [(str(q), str(k), str(o), n) for q, k, o, n in rows]


def incident_field(session: Session, scope: Scope, name: str) -> list[Row]:
    return _rows(_summed(session, scope, "incident_profile", [INCIDENT_FIELDS[name]]))


def incident_codes(session: Session, scope: Scope, field: str) -> list[Row]:
    """Multi-valued codes: incidents carrying each code (an incident may carry several)."""
    return _rows(_summed(session, scope, "codes", ["k2"], StatCount.k1 == field))


def person_field(session: Session, scope: Scope, name: str, role: str) -> list[Row]:
    return _rows(_summed(session, scope, "person_profile", [PERSON_FIELDS[name]], StatCount.k1 == role))


def incidents_with_referral(session: Session, scope: Scope, referral_types: Sequence[str]) -> list[Row]:
    """Per referral type: incidents with at least one referral of that type."""
    return _rows(_summed(session, scope, "referred", ["k1"], StatCount.k1.in_(list(referral_types))))


def incidents_by_provider(session: Session, scope: Scope) -> list[Row]:
    return [("all", str(o), n) for o, n in _summed(session, scope, "incidents", [])]


def hotspot_cells(session: Session, scope: Scope, resolution: int = 15) -> list[tuple[str | None, str, int]]:
    """(cell, provider, incidents), cells at ``resolution`` where the summaries keep it (coarser
    ones as stored; finer, or below the coarsest kept, the caller lifts)."""
    column = "k1"
    for i, level in enumerate(H3_LEVELS, start=2):
        if resolution <= level:
            column = f"k{i}"
    return [(str(cell) or None, str(o), n) for cell, o, n in _summed(session, scope, "h3", [column])]


@dataclass(frozen=True)
class Appearance:
    """One person row that shares a match key with another row in scope (no key values kept)."""

    person_id: int
    incident_id: int
    agreement_id: str
    provider: str
    role: str
    keys: tuple[str | None, ...]


def repeat_candidates(session: Session, scope: Scope) -> list[Appearance]:
    """Person rows in scope whose hub person id (``person_clusters``) spans another incident in scope.

    Reads ``linked_persons`` (rows sharing a key with another incident anywhere or in a cluster
    of the hub's linkage model, kept at ingest: a superset) for the scope's active submissions,
    joined to each row's cluster, then keeps a row only where its cluster spans two or more
    incidents *within the scope* — exact, because every clustered row is in the index. Cluster
    ids are compared here and never leave this module (the caller groups appearances into
    people and publishes counts only).
    """
    if not scope.sources:
        return []
    keys: list[Any] = [PersonCluster.cluster_id]
    stmt = _active(
        select(
            LinkedPerson.person_id, LinkedPerson.incident_id, Submission.agreement_id, Submission.org_id,
            LinkedPerson.role, *keys,
        ).join(Submission, Submission.id == LinkedPerson.submission_id)
        .outerjoin(PersonCluster, PersonCluster.person_id == LinkedPerson.person_id),
        scope,
    )
    if scope.area != LONDON:
        stmt = stmt.where(LinkedPerson.area == scope.area)
    rows = session.execute(stmt).all()
    spans: dict[tuple[int, str], set[int]] = {}
    for r in rows:
        for k in range(len(keys)):
            if r[5 + k] is not None:
                spans.setdefault((k, str(r[5 + k])), set()).add(r[1])
    found = [
        Appearance(int(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]), tuple(None if v is None else str(v) for v in r[5:]))
        for r in rows
        if any(r[5 + k] is not None and len(spans[(k, str(r[5 + k]))]) > 1 for k in range(len(keys)))
    ]
    return sorted(found, key=lambda a: a.person_id)


def submissions_by_provider(session: Session, sources: Collection[tuple[str, str]]) -> list[tuple[str, str]]:
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
    return [(str(o), str(q)) for o, q in session.execute(stmt)]


def completeness(
    session: Session, *, org_id: str | None, scope: Scope | None, quarter: str | None = None
) -> dict[str, tuple[int, int]]:
    """Field → (records with a real value, records): for one provider's own active records
    (``org_id``) of a quarter, or for everything in a scope."""

    def summed(measure: str, keys: Sequence[str]) -> list[tuple[Any, ...]]:
        return _summed(session, scope, measure, keys, org_id=org_id, quarter=quarter)

    incidents = sum(n for _, n in summed("incidents", []))
    persons = sum(n for *_, n in summed("persons", ["k1"]))
    filled: dict[str, int] = {}
    for name, _, n in summed("filled", ["k1"]):
        filled[str(name)] = filled.get(str(name), 0) + n
    out: dict[str, tuple[int, int]] = {}
    for name in COMPLETENESS_FIELDS:
        out[name] = (filled.get(name, 0), incidents)
    for name in PERSON_COMPLETENESS:
        out[name] = (filled.get(name, 0), persons)
    for name, n in filled.items():
        if "." not in name:  # a multi-valued field: incidents with any real code
            out[f"incidents.{name}"] = (n, incidents)
    return out


def person_profile(session: Session, scope: Scope, role: str) -> list[tuple[str, str, str, str, str, int]]:
    """(gender, age_group, age_band, nationality, provider, persons): one query feeds every person table."""
    rows = _summed(session, scope, "person_profile", ["k2", "k3", "k4", "k5"], StatCount.k1 == role)
    return [(str(a), str(b), str(c), str(d), str(o), n) for a, b, c, d, o, n in rows]


def referral_profile(session: Session, scope: Scope) -> list[tuple[str, str, str, str, int]]:
    """(police outcome, reasonable grounds, conclusive grounds, provider, referrals) in one query."""
    rows = _summed(session, scope, "referral_profile", ["k1", "k2", "k3"])
    return [(str(a), str(b), str(c), str(o), n) for a, b, c, o, n in rows]


def all_codes(session: Session, scope: Scope, fields: Sequence[str]) -> list[tuple[str, str, str, int]]:
    """(field, code, provider, incidents) for several multi-valued fields in one query."""
    rows = _summed(session, scope, "codes", ["k1", "k2"], StatCount.k1.in_(list(fields)))
    return [(str(f), str(c), str(o), n) for f, c, o, n in rows]


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
