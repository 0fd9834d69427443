"""Summary counts and the repeat-people index, maintained with each submission's records.

Every dashboard figure is a sum of per-submission counts: a submission's records never change
once stored (a new upload supersedes it, a withdrawal or purge deletes its records), so its
counts are computed once, in the transaction that stores it, by ``GROUP BY`` statements run in
the database. A statistics question then sums a few hundred summary rows of the active
submissions the viewer may see instead of scanning every record: answers are the same numbers
(tests compare both ways), fetched in milliseconds at a million incidents.

``linked_persons`` does the same for repeat people: the person rows whose match key also appears
on a person of another incident, so counting repeat people reads those rows only.

Each refresh or removal bumps ``stats_generation`` in ``hub_state``; answers cached in a process
(repeat people) are keyed on it.
"""

import secrets
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import h3
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    literal_column,
    select,
    text,
    union,
    union_all,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from hub.models import (
    HubState,
    Incident,
    IncidentCode,
    LinkedPerson,
    Person,
    Referral,
    StatCount,
    Submission,
)
from hub.records import clusters

LONDON: Final = "london"
GENERATION: Final = "stats_generation"
_LINK_LOCK: Final = 0x6D736874_6C696E6B  # "mshtlink"
MARKERS: Final = ("unknown", "not_asked", "not_applicable")
MATCH_KEYS: Final = (
    Person.mk_name_dob,
    Person.mk_initial_surname_dob,
    Person.mk_sorted_tokens_yob,
    Person.mk_surname_dob_sex,
)
INCIDENT_FILLED: Final[dict[str, InstrumentedAttribute[str | None]]] = {
    "incidents.source_channel": Incident.source_channel,
    "incidents.premises_type": Incident.premises_type,
    "incidents.county_lines": Incident.county_lines,
    "incidents.exploitation_scope": Incident.exploitation_scope,
    "incidents.la_gss_code": Incident.la_gss_code,
    "incidents.h3_cell": Incident.h3_cell,
}
PERSON_FILLED: Final[dict[str, InstrumentedAttribute[str | None]]] = {
    "persons.gender": Person.gender,
    "persons.age_band": Person.age_band,
    "persons.nationality": Person.nationality,
    "persons.relationship": Person.relationship,
    "persons.mk_name_dob": Person.mk_name_dob,
}
# measure -> the category columns, in k1..k5 order (documented here, read by queries.py)
INCIDENT_PROFILE: Final = (Incident.premises_type, Incident.county_lines, Incident.source_channel, Incident.exploitation_scope)
PERSON_PROFILE: Final = (Person.role, Person.gender, Person.age_group, Person.age_band, Person.nationality)
REFERRAL_PROFILE: Final = (
    Referral.police_outcome, Referral.reasonable_grounds, Referral.conclusive_grounds, Referral.referral_type,
    Referral.first_responder_type,
)
EMPTY: Final[ColumnElement[str]] = literal_column("''")  # inline, so SELECT and GROUP BY render the same expression
H3_LEVELS: Final = (7, 6, 5)  # parents kept beside each stored cell (k2, k3, k4)
KEYS: Final = ("k1", "k2", "k3", "k4", "k5")
COLUMNS: Final = ("submission_id", "area", "quarter", "measure", *KEYS, "n")


def _area() -> ColumnElement[str]:
    return func.coalesce(Incident.la_gss_code, EMPTY)


def _filled(column: InstrumentedAttribute[str | None]) -> ColumnElement[int]:
    return func.sum(case((and_(column.is_not(None), column.not_in(MARKERS)), 1), else_=0))


def _measure(name: str, keys: Sequence[ColumnElement[str] | InstrumentedAttribute[str] | InstrumentedAttribute[str | None]],
             count: ColumnElement[int], base: Select[Any], submissions: Collection[str] | None) -> Select[Any]:
    """``SELECT submission, area, quarter, measure, k1..k5, n … GROUP BY`` over ``base``'s joins, per borough."""
    cats = [func.coalesce(k, EMPTY) for k in keys]
    stmt = base.with_only_columns(
        Incident.submission_id,
        _area().label("area"),
        Incident.quarter,
        literal(name).label("measure"),
        *(c.label(KEYS[i]) for i, c in enumerate(cats)),
        *(literal("").label(k) for k in KEYS[len(cats):]),
        count.label("n"),
    )
    if submissions is not None:
        stmt = stmt.where(Incident.submission_id.in_(list(submissions)))
    return stmt.group_by(Incident.submission_id, Incident.quarter, _area(), *cats)


def _bases() -> tuple[Select[Any], Select[Any], Select[Any], Select[Any]]:
    incidents = select(Incident.id).select_from(Incident)
    return (
        incidents,
        incidents.join(Person, Person.incident_id == Incident.id),
        incidents.join(IncidentCode, IncidentCode.incident_id == Incident.id),
        incidents.join(Referral, Referral.incident_id == Incident.id),
    )


def _statements(submissions: Collection[str] | None) -> list[Select[Any]]:
    incidents, persons, codes, referrals = _bases()
    distinct = func.count(func.distinct(Incident.id))
    return [
        _measure("incident_profile", INCIDENT_PROFILE, func.count(Incident.id), incidents, submissions),
        _measure("person_profile", PERSON_PROFILE, func.count(Person.id), persons, submissions),
        _measure("codes", [IncidentCode.field, IncidentCode.code], distinct, codes, submissions),
        _measure("referral_profile", REFERRAL_PROFILE, func.count(Referral.id), referrals, submissions),
        _measure("referred", [Referral.referral_type], distinct, referrals, submissions),
        _measure("filled", [IncidentCode.field], distinct, codes.where(IncidentCode.code.not_in(MARKERS)), submissions),
    ]


def _row(sid: str, area: str, quarter: str, measure: str, keys: Sequence[str], n: int) -> dict[str, object]:
    return {"submission_id": sid, "area": area, "quarter": quarter, "measure": measure, "n": n,
            **{k: keys[i] if i < len(keys) else "" for i, k in enumerate(KEYS)}}


def _h3_rows(session: Session, submissions: Collection[str] | None) -> list[dict[str, object]]:
    """Incidents per H3 cell as stored (k1), and its parents at the resolutions in ``H3_LEVELS``
    (k2…): a hotspot map then groups by the column of the viewer's resolution in SQL."""
    stmt = (
        select(Incident.submission_id, _area(), Incident.quarter, Incident.h3_cell, func.count(Incident.id))
        .group_by(Incident.submission_id, Incident.quarter, _area(), Incident.h3_cell)
    )
    if submissions is not None:
        stmt = stmt.where(Incident.submission_id.in_(list(submissions)))
    out = []
    for sid, area, quarter, cell, n in session.execute(stmt):
        if cell is None:
            keys = [""] * (1 + len(H3_LEVELS))
        else:
            native = h3.get_resolution(cell)
            keys = [cell, *(h3.cell_to_parent(cell, r) if native > r else cell for r in H3_LEVELS)]
        out.append(_row(sid, area, quarter, "h3", keys, int(n)))
    return out


def _filled_rows(session: Session, submissions: Collection[str] | None) -> list[dict[str, object]]:
    """Persons with a real relationship and name-and-DOB key: the two filled counts no profile holds."""
    _, persons, _, _ = _bases()
    extra = {name: PERSON_FILLED[name] for name in ("persons.relationship", "persons.mk_name_dob")}
    stmt = persons.with_only_columns(
        Incident.submission_id, _area(), Incident.quarter, *(_filled(c) for c in extra.values())
    ).group_by(Incident.submission_id, Incident.quarter, _area())
    if submissions is not None:
        stmt = stmt.where(Incident.submission_id.in_(list(submissions)))
    out: list[dict[str, object]] = []
    for sid, area, quarter, *sums in session.execute(stmt):
        out += [_row(sid, area, quarter, "filled", [name], int(n or 0)) for name, n in zip(extra, sums, strict=True)]
    return out


# Counts read off the profiles already summarised (a few hundred rows) instead of the records:
# measure -> (from measure, category columns kept, a filled field and the column it is in)
_DERIVED: Final = (
    ("incidents", "incident_profile", (), None),
    ("persons", "person_profile", ("k1", "k3"), None),
    ("filled", "incident_profile", (), ("incidents.premises_type", "k1")),
    ("filled", "incident_profile", (), ("incidents.county_lines", "k2")),
    ("filled", "incident_profile", (), ("incidents.source_channel", "k3")),
    ("filled", "incident_profile", (), ("incidents.exploitation_scope", "k4")),
    ("filled", "incident_profile", (), ("incidents.la_gss_code", "area")),
    ("filled", "h3", (), ("incidents.h3_cell", "k1")),
    ("filled", "person_profile", (), ("persons.gender", "k2")),
    ("filled", "person_profile", (), ("persons.age_band", "k4")),
    ("filled", "person_profile", (), ("persons.nationality", "k5")),
)


def _derived(submissions: Collection[str] | None) -> list[Select[Any]]:
    out: list[Select[Any]] = []
    for measure, source, kept, filled in _DERIVED:
        cols = [getattr(StatCount, k) for k in kept]
        if filled is None:
            n: ColumnElement[int] = func.sum(StatCount.n)
            keys: list[ColumnElement[str]] = cols
        else:
            value = getattr(StatCount, filled[1])
            n = func.sum(case((value.not_in((*MARKERS, "")), StatCount.n), else_=0))
            keys = [literal(filled[0])]
        columns: list[Any] = [
            StatCount.submission_id, StatCount.area, StatCount.quarter, literal(measure),
            *(k.label(KEYS[i]) for i, k in enumerate(keys)), *(literal("").label(k) for k in KEYS[len(keys):]), n,
        ]
        stmt = select(*columns).where(StatCount.measure == source)
        if submissions is not None:
            stmt = stmt.where(StatCount.submission_id.in_(list(submissions)))
        out.append(stmt.group_by(StatCount.submission_id, StatCount.area, StatCount.quarter, *cols))
    return out


def _bump(session: Session) -> None:
    """A new random generation: no read-modify-write, so concurrent writers need no lock."""
    now = datetime.now(UTC)
    value = secrets.token_hex(8)
    updated = session.execute(update(HubState).where(HubState.name == GENERATION).values(value=value, updated_at=now))
    if not getattr(updated, "rowcount", 0):
        session.add(HubState(name=GENERATION, value=value, updated_at=now))
        session.flush()


def generation(session: Session) -> str:
    """Changes whenever any summary changes: part of the key of every cached answer."""
    return session.scalar(select(HubState.value).where(HubState.name == GENERATION)) or "0"


def _drop(session: Session, ids: list[str]) -> None:
    session.execute(delete(StatCount).where(StatCount.submission_id.in_(ids)))
    session.execute(delete(LinkedPerson).where(LinkedPerson.submission_id.in_(ids)))


def forget(session: Session, submission_ids: Collection[str]) -> None:
    """Drop the summaries of these submissions (their records are being deleted)."""
    ids = list(submission_ids)
    if not ids:
        return
    _drop(session, ids)
    _bump(session)


def _write_counts(session: Session, submissions: Collection[str] | None) -> None:
    session.execute(insert(StatCount).from_select(list(COLUMNS), union_all(*_statements(submissions))))
    computed = _filled_rows(session, submissions) + _h3_rows(session, submissions)
    if computed:
        session.execute(insert(StatCount), computed)
    session.execute(insert(StatCount).from_select(list(COLUMNS), union_all(*_derived(submissions))))
    # London: every incident lies in one area, so even distinct-incident counts add up across areas
    keys = [getattr(StatCount, k) for k in KEYS]
    london = select(
        StatCount.submission_id, literal(LONDON), StatCount.quarter, StatCount.measure, *keys, func.sum(StatCount.n)
    ).where(StatCount.area != LONDON)
    if submissions is not None:
        london = london.where(StatCount.submission_id.in_(list(submissions)))
    london = london.group_by(StatCount.submission_id, StatCount.quarter, StatCount.measure, *keys)
    session.execute(insert(StatCount).from_select(list(COLUMNS), london))


def _link(session: Session, submissions: Collection[str] | None) -> None:
    """Add to ``linked_persons`` every person row (of any submission) whose match key is shared
    with a person of another incident, where one side is in ``submissions`` (``None``: all)."""
    matched = []
    for key in MATCH_KEYS:
        inner = aliased(Person)
        value = getattr(inner, key.key)
        if submissions is None:  # everything: one GROUP BY per key
            values = (
                select(value).select_from(inner).where(value.is_not(None)).group_by(value)
                .having(func.min(inner.incident_id) != func.max(inner.incident_id))
            )
        else:  # the new rows' values that appear on another incident: one index probe per new row
            other = aliased(Person)
            values = (
                select(value).select_from(inner)
                .where(inner.submission_id.in_(list(submissions)), value.is_not(None))
                .where(exists().where(getattr(other, key.key) == value, other.incident_id != inner.incident_id))
            )
        target = aliased(Person)
        matched.append(select(target.id).where(getattr(target, key.key).in_(values)))
    matched.append(clusters.clustered_persons())  # linked by the hub's model (any key), not only exact keys
    ids = union(*matched).subquery()
    already = select(LinkedPerson.person_id).where(LinkedPerson.person_id == Person.id).exists()
    rows = (
        select(Person.id, Person.submission_id, _area(), Person.incident_id, Person.role, *MATCH_KEYS)
        .select_from(Person)
        .join(ids, ids.c.id == Person.id)
        .join(Incident, Incident.id == Person.incident_id)
        .where(~already)
    )
    names = ["person_id", "submission_id", "area", "incident_id", "role", *(k.key for k in MATCH_KEYS)]
    session.execute(insert(LinkedPerson).from_select(names, rows))


def refresh(session: Session, submission_ids: Collection[str]) -> None:
    """(Re)compute the summaries of these submissions from their stored records."""
    ids = list(submission_ids)
    if not ids:
        return
    _drop(session, ids)
    _write_counts(session, ids)
    if session.get_bind().dialect.name == "postgresql":
        # Two uploads stored at once cannot see each other's rows: linking waits for the other
        # to commit, then sees it (SQLite's write lock already serialises whole transactions).
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LINK_LOCK})
    _link(session, ids)
    _bump(session)


def rebuild(session: Session) -> int:
    """Recompute every summary from the records (after a migration, or to check them);
    returns the number of summary rows written."""
    session.execute(delete(StatCount))
    session.execute(delete(LinkedPerson))
    for agreement_id in sorted(set(session.scalars(select(Submission.agreement_id)))):
        clusters.relink(session, agreement_id)
    _write_counts(session, None)
    _link(session, None)
    _bump(session)
    return int(session.scalar(select(func.count()).select_from(StatCount)) or 0)


def missing(session: Session) -> list[str]:
    """Submissions holding records but no summaries (e.g. stored before summaries existed)."""
    summarised = select(StatCount.submission_id).where(StatCount.submission_id == Submission.id).exists()
    has_records = select(Incident.id).where(Incident.submission_id == Submission.id).exists()
    return list(session.scalars(select(Submission.id).where(has_records, ~summarised)))
