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
from dataclasses import dataclass
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
    select,
    text,
    union,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from hub.db import stats_changed
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
from hub.records import clusters, routes
from hub.records.measure import COLUMNS, EMPTY, KEYS, Measure

H3_LEVELS: Final = (7, 6, 5)  # parents kept beside each stored cell
LONDON: Final = "london"
GENERATION: Final = "stats_generation"
QUARTER_STAMP: Final = "stats_quarter:"
_LINK_LOCK: Final = 0x6D736874_6C696E6B  # "mshtlink"
MARKERS: Final = ("unknown", "not_asked", "not_applicable")
CODE_FIELDS: Final = ("exploitation_types", "labour_sectors", "methods_of_control", "recruitment_methods")
"""Multi-valued incident fields, stored one row per code in ``incident_codes``."""
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
INCIDENT_PROFILE: Final = Measure("incident_profile", ("premises_type", "county_lines", "source_channel", "exploitation_scope"))
PERSON_PROFILE: Final = Measure("person_profile", ("role", "gender", "age_group", "age_band", "nationality"))
CODES: Final = Measure("codes", ("field", "code"))
REFERRAL_PROFILE: Final = Measure(
    "referral_profile", ("police_outcome", "reasonable_grounds", "conclusive_grounds", "referral_type", "first_responder_type")
)
REFERRED: Final = Measure("referred", ("referral_type",))
FILLED: Final = Measure("filled", ("field",))
H3: Final = Measure("h3", ("cell", *(f"cell_r{level}" for level in H3_LEVELS)))
"""incidents per H3 cell as stored, and per parent cell at each resolution in ``H3_LEVELS``"""
INCIDENTS: Final = Measure("incidents", ())
PERSONS: Final = Measure("persons", ("role", "age_group"))
"""the narrow person counts the all-quarter series read (6 rows per submission and area)"""
MEASURES: Final = {m.name: m for m in (
    INCIDENT_PROFILE, PERSON_PROFILE, CODES, REFERRAL_PROFILE, REFERRED, FILLED, H3, INCIDENTS, PERSONS, *routes.MEASURES,
)}
_SOURCES: Final[dict[str, tuple[InstrumentedAttribute[str] | InstrumentedAttribute[str | None], ...]]] = {
    "incident_profile": (Incident.premises_type, Incident.county_lines, Incident.source_channel, Incident.exploitation_scope),
    "person_profile": (Person.role, Person.gender, Person.age_group, Person.age_band, Person.nationality),
    "referral_profile": (
        Referral.police_outcome, Referral.reasonable_grounds, Referral.conclusive_grounds, Referral.referral_type,
        Referral.first_responder_type,
    ),
}
"""the record column each profile category is counted from"""


def _area() -> ColumnElement[str]:
    return func.coalesce(Incident.la_gss_code, EMPTY)


def _filled(column: InstrumentedAttribute[str | None], value: Any = 1) -> ColumnElement[int]:
    """Rows with a real value in ``column`` (or the sum of ``value`` over them)."""
    return func.sum(case((and_(column.is_not(None), column.not_in(MARKERS)), value), else_=0))


def _measure(measure: Measure, keys: Sequence[ColumnElement[str] | InstrumentedAttribute[str] | InstrumentedAttribute[str | None]],
             count: ColumnElement[int], base: Select[Any], submissions: Collection[str] | None,
             key_sum: ColumnElement[int] | None = None) -> Select[Any]:
    """``SELECT submission, area, quarter, measure, categories…, n, key_sum … GROUP BY`` over
    ``base``'s joins, per borough (``key_sum``: of the incidents' record keys unless given)."""
    if len(keys) != len(measure.categories):
        raise ValueError(f"measure {measure.name} has {len(measure.categories)} categories, not {len(keys)}")
    cats = [func.coalesce(k, EMPTY) for k in keys]
    stmt = base.with_only_columns(
        Incident.submission_id,
        _area().label("area"),
        Incident.quarter,
        literal(measure.name).label("measure"),
        *(c.label(KEYS[i]) for i, c in enumerate(cats)),
        *(literal("").label(k) for k in KEYS[len(cats):]),
        count.label("n"),
        (key_sum if key_sum is not None else func.sum(Incident.record_key)).label("key_sum"),
    )
    if submissions is not None:
        stmt = stmt.where(Incident.submission_id.in_(list(submissions)))
    return stmt.group_by(Incident.submission_id, Incident.quarter, _area(), *cats)


def _distinct_incidents(
    measure: Measure, keys: Sequence[InstrumentedAttribute[str]], base: Select[Any], submissions: Collection[str] | None
) -> Select[Any]:
    """Like :func:`_measure`, counting distinct incidents per category, with the key sum of those
    incidents (each once, however many rows of the join it has)."""
    if len(keys) != len(measure.categories):
        raise ValueError(f"measure {measure.name} has {len(measure.categories)} categories, not {len(keys)}")
    inner = base.with_only_columns(
        Incident.id, Incident.submission_id, _area().label("area"), Incident.quarter, Incident.record_key,
        *(func.coalesce(k, EMPTY).label(KEYS[i]) for i, k in enumerate(keys)),
    ).distinct()
    if submissions is not None:
        inner = inner.where(Incident.submission_id.in_(list(submissions)))
    sub = inner.subquery()
    cats = [sub.c[KEYS[i]] for i in range(len(keys))]
    return select(
        sub.c.submission_id, sub.c.area, sub.c.quarter, literal(measure.name).label("measure"),
        *(c.label(KEYS[i]) for i, c in enumerate(cats)),
        *(literal("").label(k) for k in KEYS[len(cats):]),
        func.count().label("n"), func.sum(sub.c.record_key).label("key_sum"),
    ).group_by(sub.c.submission_id, sub.c.quarter, sub.c.area, *cats)


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
    # each code is stored once per incident (submissions.ingest), so a code's rows are distinct incidents
    return [
        _measure(INCIDENT_PROFILE, _SOURCES[INCIDENT_PROFILE.name], func.count(Incident.id), incidents, submissions),
        _measure(PERSON_PROFILE, _SOURCES[PERSON_PROFILE.name], func.count(Person.id), persons, submissions,
                 func.sum(Person.record_key)),
        _measure(CODES, [IncidentCode.field, IncidentCode.code], func.count(Incident.id), codes, submissions),
        _measure(REFERRAL_PROFILE, _SOURCES[REFERRAL_PROFILE.name], func.count(Referral.id), referrals, submissions,
                 func.sum(Referral.record_key)),
        _distinct_incidents(REFERRED, [Referral.referral_type], referrals, submissions),
        _distinct_incidents(FILLED, [IncidentCode.field], codes.where(IncidentCode.code.not_in(MARKERS)), submissions),
        *routes.statements(submissions),
    ]


def _row(sid: str, area: str, quarter: str, measure: Measure, keys: Sequence[str], n: int, key_sum: int) -> dict[str, object]:
    if len(keys) != len(measure.categories):
        raise ValueError(f"measure {measure.name} has {len(measure.categories)} categories, not {len(keys)}")
    return {"submission_id": sid, "area": area, "quarter": quarter, "measure": measure.name, "n": n, "key_sum": key_sum,
            **{k: keys[i] if i < len(keys) else "" for i, k in enumerate(KEYS)}}


def _h3_rows(session: Session, submissions: Collection[str] | None) -> list[dict[str, object]]:
    """Incidents per H3 cell as stored, and its parents at the resolutions in ``H3_LEVELS``:
    a hotspot map then groups by the column of the viewer's resolution in SQL (measure ``H3``)."""
    stmt = (
        select(Incident.submission_id, _area(), Incident.quarter, Incident.h3_cell, func.count(Incident.id),
               func.sum(Incident.record_key))
        .group_by(Incident.submission_id, Incident.quarter, _area(), Incident.h3_cell)
    )
    if submissions is not None:
        stmt = stmt.where(Incident.submission_id.in_(list(submissions)))
    out = []
    for sid, area, quarter, cell, n, key_sum in session.execute(stmt):
        if cell is None:
            keys = [""] * (1 + len(H3_LEVELS))
        else:
            native = h3.get_resolution(cell)
            keys = [cell, *(h3.cell_to_parent(cell, r) if native > r else cell for r in H3_LEVELS)]
        out.append(_row(sid, area, quarter, H3, keys, int(n), int(key_sum or 0)))
    return out


def _filled_rows(session: Session, submissions: Collection[str] | None) -> list[dict[str, object]]:
    """Persons with a real relationship and name-and-DOB key: the two filled counts no profile holds."""
    _, persons, _, _ = _bases()
    extra = {name: PERSON_FILLED[name] for name in ("persons.relationship", "persons.mk_name_dob")}
    stmt = persons.with_only_columns(
        Incident.submission_id, _area(), Incident.quarter, *(_filled(c) for c in extra.values()),
        *(_filled(c, Person.record_key) for c in extra.values()),
    ).group_by(Incident.submission_id, Incident.quarter, _area())
    if submissions is not None:
        stmt = stmt.where(Incident.submission_id.in_(list(submissions)))
    out: list[dict[str, object]] = []
    for sid, area, quarter, *sums in session.execute(stmt):
        counts, key_sums = sums[: len(extra)], sums[len(extra):]
        out += [
            _row(sid, area, quarter, FILLED, [name], int(n or 0), int(k or 0))
            for name, n, k in zip(extra, counts, key_sums, strict=True)
        ]
    return out


@dataclass(frozen=True)
class Derived:
    """Counts read off a profile already summarised (a few hundred rows) instead of the records:
    either the source's counts summed over the categories it drops (``kept`` stay), or, for
    ``FILLED``, the rows whose ``category`` holds a real value, counted as ``field``."""

    measure: Measure
    source: Measure
    kept: tuple[str, ...] = ()
    field: str | None = None
    category: str | None = None  # a category of ``source``, or "area"


_DERIVED: Final = (
    Derived(INCIDENTS, INCIDENT_PROFILE),
    Derived(PERSONS, PERSON_PROFILE, kept=("role", "age_group")),
    Derived(FILLED, INCIDENT_PROFILE, field="incidents.premises_type", category="premises_type"),
    Derived(FILLED, INCIDENT_PROFILE, field="incidents.county_lines", category="county_lines"),
    Derived(FILLED, INCIDENT_PROFILE, field="incidents.source_channel", category="source_channel"),
    Derived(FILLED, INCIDENT_PROFILE, field="incidents.exploitation_scope", category="exploitation_scope"),
    Derived(FILLED, INCIDENT_PROFILE, field="incidents.la_gss_code", category="area"),
    Derived(FILLED, H3, field="incidents.h3_cell", category="cell"),
    Derived(FILLED, PERSON_PROFILE, field="persons.gender", category="gender"),
    Derived(FILLED, PERSON_PROFILE, field="persons.age_band", category="age_band"),
    Derived(FILLED, PERSON_PROFILE, field="persons.nationality", category="nationality"),
)


def _derived(submissions: Collection[str] | None) -> list[Select[Any]]:
    out: list[Select[Any]] = []
    for d in _DERIVED:
        cols: list[Any] = [d.source.column(k) for k in d.kept]
        if d.field is None or d.category is None:
            if d.kept != d.measure.categories:
                raise ValueError(f"{d.measure.name} keeps {d.measure.categories} of {d.source.name}, not {d.kept}")
            n: ColumnElement[int] = func.sum(StatCount.n)
            key_sum: ColumnElement[int] = func.sum(StatCount.key_sum)
            keys: list[ColumnElement[str]] = list(cols)
        else:
            value = StatCount.area if d.category == "area" else d.source.column(d.category)
            n = func.sum(case((value.not_in((*MARKERS, "")), StatCount.n), else_=0))
            key_sum = func.sum(case((value.not_in((*MARKERS, "")), StatCount.key_sum), else_=0))
            keys = [literal(d.field)]
        columns: list[Any] = [
            StatCount.submission_id, StatCount.area, StatCount.quarter, literal(d.measure.name),
            *(k.label(KEYS[i]) for i, k in enumerate(keys)), *(literal("").label(k) for k in KEYS[len(keys):]), n, key_sum,
        ]
        stmt = select(*columns).where(StatCount.measure == d.source.name)
        if submissions is not None:
            stmt = stmt.where(StatCount.submission_id.in_(list(submissions)))
        out.append(stmt.group_by(StatCount.submission_id, StatCount.area, StatCount.quarter, *cols))
    return out


def _bump(session: Session) -> None:
    """A new random generation: no read-modify-write, so concurrent writers need no lock."""
    stats_changed(session)
    now = datetime.now(UTC)
    value = secrets.token_hex(8)
    updated = session.execute(update(HubState).where(HubState.name == GENERATION).values(value=value, updated_at=now))
    if not getattr(updated, "rowcount", 0):
        session.add(HubState(name=GENERATION, value=value, updated_at=now))
        session.flush()


def _stamp_quarters(session: Session, submission_ids: Collection[str]) -> None:
    """A new random stamp for each quarter of these submissions (``quarter_stamp``)."""
    quarters = sorted({str(q) for q in session.scalars(select(Submission.quarter).where(Submission.id.in_(list(submission_ids))))})
    now = datetime.now(UTC)
    for quarter in quarters:
        name, value = QUARTER_STAMP + quarter, secrets.token_hex(8)
        updated = session.execute(update(HubState).where(HubState.name == name).values(value=value, updated_at=now))
        if getattr(updated, "rowcount", 0):
            continue
        try:
            with session.begin_nested():
                session.add(HubState(name=name, value=value, updated_at=now))
        except IntegrityError:  # another writer made the row first: stamp over it
            session.execute(update(HubState).where(HubState.name == name).values(value=value, updated_at=now))


def quarter_stamp(session: Session, quarter: str) -> str:
    """Changes whenever the summaries of a submission of ``quarter`` are written or dropped: with
    the quarter's active submissions, what the hide sets of that quarter are keyed on."""
    return session.scalar(select(HubState.value).where(HubState.name == QUARTER_STAMP + quarter)) or "0"


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
    _stamp_quarters(session, ids)
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
        StatCount.submission_id, literal(LONDON), StatCount.quarter, StatCount.measure, *keys, func.sum(StatCount.n),
        func.sum(StatCount.key_sum),
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
    rows = (
        select(Person.id, Person.submission_id, _area(), Person.incident_id, Person.role, Person.record_key, *MATCH_KEYS)
        .select_from(Person)
        .join(ids, ids.c.id == Person.id)
        .join(Incident, Incident.id == Person.incident_id)
    )
    names = ["person_id", "submission_id", "area", "incident_id", "role", "record_key", *(k.key for k in MATCH_KEYS)]
    if session.get_bind().dialect.name == "postgresql":
        # No anti-join against the table this statement fills: planned on an empty
        # linked_persons (estimated at one row) it ran as a nested loop that re-scanned the
        # statement's own new rows for every candidate, quadratic in the upload (minutes at
        # 100,000 rows). The primary key skips the persons linked already, whatever the plan.
        session.execute(
            pg_insert(LinkedPerson).from_select(names, rows).on_conflict_do_nothing(index_elements=["person_id"])
        )
        return
    already = select(LinkedPerson.person_id).where(LinkedPerson.person_id == Person.id).exists()
    session.execute(insert(LinkedPerson).from_select(names, rows.where(~already)))


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
        # Fresh statistics for the tables linking reads: planned on stale ones (a bulk load
        # after the last ANALYZE) the anti-join below was estimated at one row and ran as a
        # nested loop for minutes. ANALYZE counts this transaction's own new rows; it runs
        # under the link lock, which already serialises this step.
        session.execute(text("ANALYZE persons, incidents, linked_persons"))
    _link(session, ids)
    _stamp_quarters(session, ids)
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
    _stamp_quarters(session, list(session.scalars(select(Submission.id))))
    _bump(session)
    return int(session.scalar(select(func.count()).select_from(StatCount)) or 0)


def missing(session: Session) -> list[str]:
    """Submissions holding records but no summaries (e.g. stored before summaries existed)."""
    summarised = select(StatCount.submission_id).where(StatCount.submission_id == Submission.id).exists()
    has_records = select(Incident.id).where(Incident.submission_id == Submission.id).exists()
    return list(session.scalars(select(Submission.id).where(has_records, ~summarised)))
