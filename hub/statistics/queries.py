"""The aggregate SQL behind every figure: GROUP BY in the database, over allowed, active records only.

Every query here starts from :func:`scoped_incidents`: incidents of *active* submissions whose
``(agreement_id, provider)`` pair the viewer's visibility allows, in the borough asked for (or
all of London). Each returns raw ``(key, provider, count)`` rows: per-provider counts are what
the disclosure layer needs to stop a provider subtracting its own records. Nothing here is
ever sent to a caller unprotected.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVarTuple

from sqlalchemy import ColumnElement, Select, and_, case, func, literal, or_, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from hub.models import Incident, IncidentCode, Person, Referral, Submission, SubmissionStatus

LONDON: Final = "london"
Ts = TypeVarTuple("Ts")

Row = tuple[str, str, int]
"""(category key, provider org id, count)"""

INCIDENT_FIELDS: Final[dict[str, InstrumentedAttribute[str]]] = {
    "premises_type": Incident.premises_type,
    "county_lines": Incident.county_lines,
    "source_channel": Incident.source_channel,
    "exploitation_scope": Incident.exploitation_scope,
}
PERSON_FIELDS: Final[dict[str, InstrumentedAttribute[str]]] = {
    "gender": Person.gender,
    "age_band": Person.age_band,
    "age_group": Person.age_group,
    "nationality": Person.nationality,
    "relationship": Person.relationship,
}
REFERRAL_FIELDS: Final[dict[str, InstrumentedAttribute[str]]] = {
    "police_outcome": Referral.police_outcome,
    "reasonable_grounds": Referral.reasonable_grounds,
    "conclusive_grounds": Referral.conclusive_grounds,
    "first_responder_type": Referral.first_responder_type,
    "referral_type": Referral.referral_type,
}
MATCH_KEYS: Final = (
    Person.mk_name_dob,
    Person.mk_initial_surname_dob,
    Person.mk_sorted_tokens_yob,
    Person.mk_surname_dob_sex,
)


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
    if len(by_agreement) == 1:  # the common case; a plain IN uses the index on org_id
        (agreement, providers), = by_agreement.items()
        return and_(Incident.agreement_id == agreement, Incident.org_id.in_(providers))
    return tuple_(Incident.agreement_id, Incident.org_id).in_(pairs)


def scoped(stmt: Select[*Ts], scope: Scope) -> Select[*Ts]:
    """Restrict a select over ``Incident`` to the scope: active submissions, allowed pairs, area."""
    stmt = stmt.join(Submission, Submission.id == Incident.submission_id).where(
        Submission.status == SubmissionStatus.active.value, _source_filter(scope.sources)
    )
    if scope.area != LONDON:
        stmt = stmt.where(Incident.la_gss_code == scope.area)
    if scope.quarter is not None:
        stmt = stmt.where(Incident.quarter == scope.quarter)
    return stmt


def _rows(session: Session, stmt: Select[str, str, int]) -> list[Row]:
    return [(str(k) if k is not None else "", str(o), int(n)) for k, o, n in session.execute(stmt)]


def incidents_by_quarter(session: Session, scope: Scope) -> list[Row]:
    stmt = select(Incident.quarter, Incident.org_id, func.count(Incident.id)).select_from(Incident)
    return _rows(session, scoped(stmt, scope).group_by(Incident.quarter, Incident.org_id))


def persons_by_quarter(session: Session, scope: Scope, role: str) -> list[Row]:
    stmt = (
        select(Incident.quarter, Incident.org_id, func.count(Person.id))
        .select_from(Incident)
        .join(Person, Person.incident_id == Incident.id)
        .where(Person.role == role)
    )
    return _rows(session, scoped(stmt, scope).group_by(Incident.quarter, Incident.org_id))


def persons_by_quarter_and_role(session: Session, scope: Scope, roles: Sequence[str]) -> dict[str, list[Row]]:
    """Role → ``persons_by_quarter`` rows, for several roles in one scan of the persons."""
    stmt = (
        select(Person.role, Incident.quarter, Incident.org_id, func.count(Person.id))
        .select_from(Incident)
        .join(Person, Person.incident_id == Incident.id)
        .where(Person.role.in_(list(roles)))
    )
    out: dict[str, list[Row]] = {role: [] for role in roles}
    for role, quarter, org, n in session.execute(scoped(stmt, scope).group_by(Person.role, Incident.quarter, Incident.org_id)):
        out[str(role)].append((str(quarter), str(org), int(n)))
    return out


def person_field_by_quarter(session: Session, scope: Scope, name: str, role: str) -> list[tuple[str, str, str, int]]:
    """(quarter, value, provider, persons): ``person_field`` for every quarter in one scan; summed
    over the values it is ``persons_by_quarter``."""
    column = PERSON_FIELDS[name]
    stmt = (
        select(Incident.quarter, column, Incident.org_id, func.count(Person.id))
        .select_from(Incident)
        .join(Person, Person.incident_id == Incident.id)
        .where(Person.role == role)
    )
    result = session.execute(scoped(stmt, scope).group_by(Incident.quarter, column, Incident.org_id))
    return [(str(q), str(k) if k is not None else "", str(o), int(n)) for q, k, o, n in result]


def incident_field(session: Session, scope: Scope, name: str) -> list[Row]:
    column = INCIDENT_FIELDS[name]
    stmt = select(column, Incident.org_id, func.count(Incident.id)).select_from(Incident)
    return _rows(session, scoped(stmt, scope).group_by(column, Incident.org_id))


def incident_codes(session: Session, scope: Scope, field: str) -> list[Row]:
    """Multi-valued codes: incidents carrying each code (an incident may carry several)."""
    stmt = (
        select(IncidentCode.code, Incident.org_id, func.count(func.distinct(Incident.id)))
        .select_from(Incident)
        .join(IncidentCode, IncidentCode.incident_id == Incident.id)
        .where(IncidentCode.field == field)
    )
    return _rows(session, scoped(stmt, scope).group_by(IncidentCode.code, Incident.org_id))


def person_field(session: Session, scope: Scope, name: str, role: str) -> list[Row]:
    column = PERSON_FIELDS[name]
    stmt = (
        select(column, Incident.org_id, func.count(Person.id))
        .select_from(Incident)
        .join(Person, Person.incident_id == Incident.id)
        .where(Person.role == role)
    )
    return _rows(session, scoped(stmt, scope).group_by(column, Incident.org_id))


def person_cross(session: Session, scope: Scope, row: str, col: str, role: str) -> list[tuple[str, str, str, int]]:
    r, c = PERSON_FIELDS[row], PERSON_FIELDS[col]
    stmt = (
        select(r, c, Incident.org_id, func.count(Person.id))
        .select_from(Incident)
        .join(Person, Person.incident_id == Incident.id)
        .where(Person.role == role)
    )
    result = session.execute(scoped(stmt, scope).group_by(r, c, Incident.org_id))
    return [(str(a), str(b), str(o), int(n)) for a, b, o, n in result]


def referral_field(session: Session, scope: Scope, name: str) -> list[Row]:
    column = REFERRAL_FIELDS[name]
    stmt = (
        select(column, Incident.org_id, func.count(Referral.id))
        .select_from(Incident)
        .join(Referral, Referral.incident_id == Incident.id)
    )
    return _rows(session, scoped(stmt, scope).group_by(column, Incident.org_id))


def incidents_with_referral(session: Session, scope: Scope, referral_types: Sequence[str]) -> list[Row]:
    """Per referral type: incidents with at least one referral of that type."""
    stmt = (
        select(Referral.referral_type, Incident.org_id, func.count(func.distinct(Incident.id)))
        .select_from(Incident)
        .join(Referral, Referral.incident_id == Incident.id)
        .where(Referral.referral_type.in_(list(referral_types)))
    )
    return _rows(session, scoped(stmt, scope).group_by(Referral.referral_type, Incident.org_id))


def incidents_by_provider(session: Session, scope: Scope) -> list[Row]:
    stmt = select(literal("all"), Incident.org_id, func.count(Incident.id)).select_from(Incident)
    return _rows(session, scoped(stmt, scope).group_by(Incident.org_id))


def hotspot_cells(session: Session, scope: Scope) -> list[tuple[str | None, str, int]]:
    stmt = select(Incident.h3_cell, Incident.org_id, func.count(Incident.id)).select_from(Incident)
    result = session.execute(scoped(stmt, scope).group_by(Incident.h3_cell, Incident.org_id))
    return [(cell, str(o), int(n)) for cell, o, n in result]


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
    """Person rows whose any match key also appears on another person row in scope.

    The database returns a superset: scoped persons whose key value is also on a person row
    of another incident anywhere (a correlated ``EXISTS``: for London, one query per key that
    PostgreSQL runs as a hash semi-join over the persons table alone; for one borough, one
    query for all keys, an index probe per scoped row). Rows are then kept only where the value
    spans two or more incidents *within the scope* — exact, because every in-scope row carrying
    such a value was fetched. SQLite probes an index per row for the ``EXISTS`` whatever the
    scope, so there each key's values spanning two incidents come from a scoped ``GROUP BY``.
    (The earlier shape joined a scoped ``GROUP BY … HAVING count(DISTINCT incident)`` back to
    the scoped persons: two scans, a join and a sort of every key value per key.)
    Keys are hub re-keyed pseudonyms: they are compared here and never leave this module
    (the caller groups appearances into people and publishes counts only).
    """
    found: dict[int, Appearance] = {}
    sqlite = session.get_bind().dialect.name == "sqlite"
    columns = (Person.id, Person.incident_id, Incident.agreement_id, Incident.org_id, Person.role, *MATCH_KEYS)

    def elsewhere(key: InstrumentedAttribute[str | None]) -> ColumnElement[bool]:
        other = aliased(Person)
        return (
            select(literal(1))
            .select_from(other)
            .where(getattr(other, key.key) == key, other.incident_id != Person.incident_id)
            .exists()
        )

    def keep(rows: Sequence[Any], index: int) -> None:
        incidents: dict[str, set[int]] = {}
        for r in rows:
            if r[5 + index] is not None:
                incidents.setdefault(str(r[5 + index]), set()).add(int(r[1]))
        for r in rows:
            if r[5 + index] is not None and len(incidents[str(r[5 + index])]) > 1 and int(r[0]) not in found:
                found[int(r[0])] = Appearance(int(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]), tuple(r[5:]))

    base = select(*columns).select_from(Incident).join(Person, Person.incident_id == Incident.id)
    if not sqlite and scope.area != LONDON:  # one borough: index probes per scoped row, all keys in one scan
        rows = session.connection().execute(scoped(base.where(or_(*(elsewhere(k) for k in MATCH_KEYS))), scope)).all()
        for index in range(len(MATCH_KEYS)):
            keep(rows, index)
        return [found[i] for i in sorted(found)]
    for index, key in enumerate(MATCH_KEYS):
        condition = elsewhere(key)
        if sqlite:  # SQLite runs the EXISTS as one index probe per scoped row: a scoped GROUP BY is faster there
            condition = key.in_(
                scoped(
                    select(key).select_from(Incident).join(Person, Person.incident_id == Incident.id).where(key.is_not(None)),
                    scope,
                )
                .group_by(key)
                .having(func.min(Person.incident_id) != func.max(Person.incident_id))  # two incidents or more
            )
        keep(session.connection().execute(scoped(base.where(key.is_not(None), condition), scope)).all(), index)
    return [found[i] for i in sorted(found)]


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


MARKERS: Final = ("unknown", "not_asked", "not_applicable")
COMPLETENESS_FIELDS: Final[dict[str, InstrumentedAttribute[str | None]]] = {
    "incidents.source_channel": Incident.source_channel,
    "incidents.premises_type": Incident.premises_type,
    "incidents.county_lines": Incident.county_lines,
    "incidents.exploitation_scope": Incident.exploitation_scope,
    "incidents.la_gss_code": Incident.la_gss_code,
    "incidents.h3_cell": Incident.h3_cell,
}
PERSON_COMPLETENESS: Final[dict[str, InstrumentedAttribute[str | None]]] = {
    "persons.gender": Person.gender,
    "persons.age_band": Person.age_band,
    "persons.nationality": Person.nationality,
    "persons.relationship": Person.relationship,
    "persons.mk_name_dob": Person.mk_name_dob,
}


def _filled(column: InstrumentedAttribute[str | None]) -> ColumnElement[int]:
    return func.sum(case((and_(column.is_not(None), column.not_in(MARKERS)), 1), else_=0))


def completeness(
    session: Session, *, org_id: str | None, scope: Scope | None, quarter: str | None = None
) -> dict[str, tuple[int, int]]:
    """Field → (records with a real value, records): for one provider's own active records
    (``org_id``) of a quarter, or for everything in a scope."""

    def where(stmt: Select[*Ts]) -> Select[*Ts]:
        if scope is not None:
            return scoped(stmt, scope)
        stmt = stmt.join(Submission, Submission.id == Incident.submission_id).where(
            Submission.status == SubmissionStatus.active.value, Incident.org_id == org_id
        )
        return stmt.where(Incident.quarter == quarter) if quarter is not None else stmt

    out: dict[str, tuple[int, int]] = {}
    inc = session.execute(
        where(select(func.count(Incident.id), *(_filled(c) for c in COMPLETENESS_FIELDS.values())).select_from(Incident))
    ).one()
    for i, name in enumerate(COMPLETENESS_FIELDS, start=1):
        out[name] = (int(inc[i] or 0), int(inc[0] or 0))
    per = session.execute(
        where(
            select(func.count(Person.id), *(_filled(c) for c in PERSON_COMPLETENESS.values()))
            .select_from(Incident)
            .join(Person, Person.incident_id == Incident.id)
        )
    ).one()
    for i, name in enumerate(PERSON_COMPLETENESS, start=1):
        out[name] = (int(per[i] or 0), int(per[0] or 0))
    codes = session.execute(
        where(
            select(IncidentCode.field, func.count(func.distinct(IncidentCode.incident_id)))
            .select_from(Incident)
            .join(IncidentCode, IncidentCode.incident_id == Incident.id)
            .where(IncidentCode.code.not_in(MARKERS))
        ).group_by(IncidentCode.field)
    ).all()
    for field_name, n in codes:
        out[f"incidents.{field_name}"] = (int(n), int(inc[0] or 0))
    return out


def person_profile(session: Session, scope: Scope, role: str) -> list[tuple[str, str, str, str, str, int]]:
    """(gender, age_group, age_band, nationality, provider, persons): one scan feeds every person table."""
    cols = (Person.gender, Person.age_group, Person.age_band, Person.nationality)
    stmt = (
        select(*cols, Incident.org_id, func.count(Person.id))
        .select_from(Incident)
        .join(Person, Person.incident_id == Incident.id)
        .where(Person.role == role)
    )
    result = session.execute(scoped(stmt, scope).group_by(*cols, Incident.org_id))
    return [(str(a), str(b), str(c), str(d), str(o), int(n)) for a, b, c, d, o, n in result]


def referral_profile(session: Session, scope: Scope) -> list[tuple[str, str, str, str, int]]:
    """(police outcome, reasonable grounds, conclusive grounds, provider, referrals) in one scan."""
    cols = (Referral.police_outcome, Referral.reasonable_grounds, Referral.conclusive_grounds)
    stmt = select(*cols, Incident.org_id, func.count(Referral.id)).select_from(Incident).join(
        Referral, Referral.incident_id == Incident.id
    )
    result = session.execute(scoped(stmt, scope).group_by(*cols, Incident.org_id))
    return [(str(a), str(b), str(c), str(o), int(n)) for a, b, c, o, n in result]


def all_codes(session: Session, scope: Scope, fields: Sequence[str]) -> list[tuple[str, str, str, int]]:
    """(field, code, provider, incidents) for several multi-valued fields in one scan."""
    stmt = (
        select(IncidentCode.field, IncidentCode.code, Incident.org_id, func.count(func.distinct(Incident.id)))
        .select_from(Incident)
        .join(IncidentCode, IncidentCode.incident_id == Incident.id)
        .where(IncidentCode.field.in_(list(fields)))
    )
    result = session.execute(scoped(stmt, scope).group_by(IncidentCode.field, IncidentCode.code, Incident.org_id))
    return [(str(f), str(c), str(o), int(n)) for f, c, o, n in result]


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
