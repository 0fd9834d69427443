"""Summary counts give exactly the figures a GROUP BY over the records gives, however they were kept."""

from collections import Counter
from collections.abc import Iterator
from typing import Any

import h3
import pytest
from sqlalchemy import ColumnElement, Select, and_, case, func, select, tuple_, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from hub.cli import app as cli_app
from hub.db import make_engine, make_sessionmaker, migrate
from hub.models import Incident, IncidentCode, LinkedPerson, Person, Referral, StatCount, Submission
from hub.records import store as records
from hub.records import summaries
from hub.statistics import queries
from hub.statistics.queries import LONDON, Scope
from tests.factories.stats_seed import CAMDEN, NEWHAM, QUARTERS, TOWER_HAMLETS, add_incidents, seed

PROVIDERS = ("demo-ngo", "lb-newham", "demo-hospital", "demo-police")
ALL = frozenset(("demo-london", p) for p in PROVIDERS)
SOME = frozenset(("demo-london", p) for p in PROVIDERS[:2])
MARKERS = ("unknown", "not_asked", "not_applicable")


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as s:
        yield s
        s.rollback()
    engine.dispose()


def _scoped(stmt: Select[Any], scope: Scope) -> Select[Any]:
    stmt = stmt.join(Submission, Submission.id == Incident.submission_id).where(
        Submission.status == "active", tuple_(Submission.agreement_id, Submission.org_id).in_(sorted(scope.sources))
    )
    if scope.area != LONDON:
        stmt = stmt.where(Incident.la_gss_code == scope.area)
    if scope.quarter is not None:
        stmt = stmt.where(Incident.quarter == scope.quarter)
    return stmt


def _raw(session: Session, scope: Scope, keys: list[Any], count: ColumnElement[int], join: Any = None, *where: Any) -> Counter[tuple[Any, ...]]:
    stmt = select(*keys, Incident.org_id, count).select_from(Incident)
    if join is not None:
        stmt = stmt.join(join, join.incident_id == Incident.id)
    stmt = _scoped(stmt.where(*where), scope).group_by(*keys, Incident.org_id)
    return Counter({tuple("" if v is None else str(v) for v in r[:-1]): int(r[-1]) for r in session.execute(stmt)})


def _as_counter(rows: list[tuple[Any, ...]]) -> Counter[tuple[Any, ...]]:
    out: Counter[tuple[Any, ...]] = Counter()
    for r in rows:
        out[tuple("" if v is None else str(v) for v in r[:-1])] += int(r[-1])
    return +out


def _filled(column: Any) -> ColumnElement[int]:
    return func.sum(case((and_(column.is_not(None), column.not_in(MARKERS)), 1), else_=0))


def _assert_same(session: Session, scope: Scope) -> None:
    victim = "potential_victim"
    checks: list[tuple[str, Counter[tuple[Any, ...]], Counter[tuple[Any, ...]]]] = [
        ("incidents by quarter", _as_counter(queries.incidents_by_quarter(session, scope)),
         _raw(session, scope, [Incident.quarter], func.count(Incident.id))),
        ("victims by quarter", _as_counter(queries.persons_by_quarter(session, scope, victim)),
         _raw(session, scope, [Incident.quarter], func.count(Person.id), Person, Person.role == victim)),
        ("person profile", _as_counter(queries.person_profile(session, scope, victim)),
         _raw(session, scope, [Person.gender, Person.age_group, Person.age_band, Person.nationality], func.count(Person.id), Person, Person.role == victim)),
        ("codes", _as_counter(queries.all_codes(session, scope, ["exploitation_types", "methods_of_control"])),
         _raw(session, scope, [IncidentCode.field, IncidentCode.code], func.count(func.distinct(Incident.id)), IncidentCode)),
        ("referral profile", _as_counter(queries.referral_profile(session, scope)),
         _raw(session, scope, [Referral.police_outcome, Referral.reasonable_grounds, Referral.conclusive_grounds], func.count(Referral.id), Referral)),
        ("referred", _as_counter(queries.incidents_with_referral(session, scope, ["nrm", "duty_to_notify"])),
         _raw(session, scope, [Referral.referral_type], func.count(func.distinct(Incident.id)), Referral, Referral.referral_type.in_(["nrm", "duty_to_notify"]))),
        ("hotspots", _as_counter(queries.hotspot_cells(session, scope)),
         _raw(session, scope, [Incident.h3_cell], func.count(Incident.id))),
    ]
    for name in queries.INCIDENT_FIELDS:
        checks.append((name, _as_counter(queries.incident_field(session, scope, name)),
                       _raw(session, scope, [getattr(Incident, name)], func.count(Incident.id))))
    raw_cells = _raw(session, scope, [Incident.h3_cell], func.count(Incident.id))
    for resolution in (7, 6, 5, 3):  # cells lifted to the viewer's resolution in SQL (3: lifted later)
        lifted: Counter[tuple[Any, ...]] = Counter()
        for (cell, org), n in raw_cells.items():
            up = max(resolution, 5)
            lifted[(h3.cell_to_parent(cell, up) if cell and h3.get_resolution(cell) > up else cell, org)] += n
        checks.append((f"hotspots at {resolution}", _as_counter(queries.hotspot_cells(session, scope, resolution)), lifted))
    assert checks
    for label, ours, theirs in checks:
        assert +theirs, f"{label} in {scope}: the GROUP BY found nothing, so the comparison would hold on nothing"
        assert ours == +theirs, (label, scope)
    ours_filled = queries.completeness(session, org_id=None, scope=scope)
    inc = session.execute(_scoped(select(func.count(Incident.id), _filled(Incident.premises_type), _filled(Incident.h3_cell)).select_from(Incident), scope)).one()
    per = session.execute(_scoped(select(func.count(Person.id), _filled(Person.nationality)).select_from(Incident).join(Person, Person.incident_id == Incident.id), scope)).one()
    assert ours_filled["incidents.premises_type"] == (int(inc[1] or 0), inc[0]), scope
    assert ours_filled["incidents.h3_cell"] == (int(inc[2] or 0), inc[0]), scope
    assert ours_filled["persons.nationality"] == (int(per[1] or 0), per[0]), scope


def _dataset(session: Session) -> None:
    seed(session, per_quarter=15, quarters=QUARTERS[-3:])
    add_incidents(session, provider="demo-ngo", quarter=QUARTERS[-1], gss=None, n=3)  # type: ignore[arg-type]  # no borough
    def submission(org: str, quarter: str) -> Submission:
        return session.scalars(select(Submission).where(Submission.org_id == org, Submission.quarter == quarter)).one()

    submission("demo-hospital", QUARTERS[-1]).status = "superseded"  # its summaries stay; it must drop out
    withdrawn = submission("demo-police", QUARTERS[-2])
    records.delete(session, [withdrawn.id])
    withdrawn.status = "withdrawn"
    session.flush()


SCOPES = [
    Scope(area, sources, quarter)
    for area in (NEWHAM, CAMDEN, TOWER_HAMLETS, LONDON)
    for sources in (ALL, SOME)
    for quarter in (None, QUARTERS[-1])
]


def test_summaries_answer_as_the_records_do(session: Session) -> None:
    _dataset(session)
    for scope in SCOPES:
        _assert_same(session, scope)


def test_own_organisation_scorecard_matches_its_records(session: Session) -> None:
    _dataset(session)
    ours = queries.completeness(session, org_id="demo-ngo", scope=None, quarter=QUARTERS[-1])
    stmt = (
        select(func.count(Incident.id), _filled(Incident.la_gss_code)).join(Submission, Submission.id == Incident.submission_id)
        .where(Submission.status == "active", Incident.org_id == "demo-ngo", Incident.quarter == QUARTERS[-1])
    )
    total, filled = session.execute(stmt).one()
    assert total > 0
    assert ours["incidents.la_gss_code"] == (filled, total)
    assert filled < total  # the three incidents without a borough count as not filled


def _content(session: Session) -> tuple[Counter[tuple[Any, ...]], set[int]]:
    rows = session.execute(select(StatCount.submission_id, StatCount.area, StatCount.quarter, StatCount.measure,
                                  StatCount.k1, StatCount.k2, StatCount.k3, StatCount.k4, StatCount.k5, StatCount.n))
    return Counter(tuple(r) for r in rows), set(session.scalars(select(LinkedPerson.person_id)))


def test_rebuild_equals_what_ingest_kept_and_forget_removes(session: Session) -> None:
    _dataset(session)
    kept = _content(session)
    assert kept[0]
    assert kept[1]
    before = summaries.generation(session)
    summaries.rebuild(session)
    rebuilt = _content(session)
    assert rebuilt[0] == kept[0]
    assert rebuilt[1] >= kept[1]  # ingest keeps a superset of the linked rows still matching
    assert summaries.generation(session) != before
    every = list(session.scalars(select(Submission.id)))
    summaries.forget(session, every)
    assert _content(session) == (Counter(), set())
    assert summaries.missing(session)  # records without summaries are found again


def test_migrate_computes_missing_summaries(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    migrate(url)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        seed(s, per_quarter=5, quarters=QUARTERS[-1:])
        s.execute(update(StatCount).values(n=0))
        summaries.forget(s, list(s.scalars(select(Submission.id))))  # as a database from before summaries
        s.commit()
    monkeypatch.setenv("MSHT_DATABASE_URL", url)
    result = CliRunner().invoke(cli_app, ["migrate"])
    assert result.exit_code == 0, result.output
    assert "summaries computed for 4 submission(s)" in result.output
    with make_sessionmaker(engine)() as s:
        assert not summaries.missing(s)
        total = s.scalar(select(func.sum(StatCount.n)).where(StatCount.measure == "incidents", StatCount.area == LONDON))
        assert total == s.scalar(select(func.count(Incident.id)))
    result = CliRunner().invoke(cli_app, ["stats", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "summaries rebuilt" in result.output
    engine.dispose()


def _submission_with_person(session: Session, sid: str, org: str, key: str) -> int:
    from datetime import UTC, datetime

    session.add(Submission(id=sid, org_id=org, agreement_id="demo-london", agreement_version=1, quarter=QUARTERS[-1],
                           status="active", bundle_sha256=sid.replace("-", "").ljust(64, "0"), signing_kid="k",
                           manifest={}, receipt={}, record_counts={}, received_at=datetime.now(UTC)))
    session.flush()
    incident = Incident(submission_id=sid, org_id=org, agreement_id="demo-london", quarter=QUARTERS[-1], incident_key="k" + sid,
                        first_known_month="2026-07", source_channel="outreach", county_lines="no", premises_type="street",
                        exploitation_scope="uk_only", la_gss_code=NEWHAM)
    session.add(incident)
    session.flush()
    person = Person(incident_id=incident.id, submission_id=sid, org_id=org, person_seq=1, mk_name_dob=key, role="potential_victim",
                    gender="female", age_band="24-26", age_group="adult", nationality="GB", relationship="unknown")
    session.add(person)
    session.flush()
    return person.id


def test_two_uploads_stored_at_once_still_link_their_people(db_url: str) -> None:
    """Each upload's transaction cannot see the other's rows; linking must not miss the pair."""
    import threading

    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    with factory() as s:
        seed(s, per_quarter=1, quarters=QUARTERS[-1:], providers=())
        s.commit()
    first_linked = threading.Event()
    ids: dict[str, int] = {}
    errors: list[BaseException] = []

    def upload(sid: str, org: str, *, first: bool) -> None:
        try:
            with factory() as s:
                if not first:
                    first_linked.wait(10)
                ids[sid] = _submission_with_person(s, sid, org, "v1.shared-by-two-uploads")
                summaries.refresh(s, [sid])
                if first:
                    first_linked.set()
                    threading.Event().wait(0.5)  # the other upload links meanwhile (or waits for us)
                s.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=upload, args=("00000000-0000-4000-8000-00000000000a", "demo-ngo"), kwargs={"first": True}),
        threading.Thread(target=upload, args=("00000000-0000-4000-8000-00000000000b", "demo-police"), kwargs={"first": False}),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with factory() as s:
        linked = set(s.scalars(select(LinkedPerson.person_id)))
    engine.dispose()
    assert set(ids.values()) <= linked
