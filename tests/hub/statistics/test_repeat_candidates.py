"""Repeat-people candidates: the fast query finds exactly the rows a naive in-scope count finds."""

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from hub.db import make_engine, make_sessionmaker
from hub.models import Incident, Person, Submission
from hub.records import summaries
from hub.statistics import queries
from hub.statistics.queries import LONDON, Scope
from tests.factories.stats_seed import CAMDEN, NEWHAM, QUARTERS, add_incidents, seed

ALL = frozenset({("demo-london", p) for p in ("demo-ngo", "lb-newham", "demo-hospital", "demo-police")})


def naive(session: Session, scope: Scope) -> list[int]:
    """Person ids in scope sharing any match key value with a row of another incident in scope."""
    keys = (Person.mk_name_dob, Person.mk_initial_surname_dob, Person.mk_sorted_tokens_yob, Person.mk_surname_dob_sex)
    stmt = (
        select(Person.id, Person.incident_id, *keys)
        .join(Incident, Incident.id == Person.incident_id)
        .join(Submission, Submission.id == Incident.submission_id)
        .where(Submission.status == "active")
        .where(tuple_(Submission.agreement_id, Submission.org_id).in_(sorted(scope.sources)))
    )
    if scope.area != LONDON:
        stmt = stmt.where(Incident.la_gss_code == scope.area)
    rows = session.execute(stmt).all()
    spans: dict[tuple[int, str], set[int]] = {}
    for r in rows:
        for k, value in enumerate(r[2:]):
            if value is not None:
                spans.setdefault((k, value), set()).add(int(r[1]))
    return sorted(
        int(r[0]) for r in rows if any(v is not None and len(spans[(k, v)]) > 1 for k, v in enumerate(r[2:]))
    )


@pytest.fixture
def factory(db_url: str) -> Iterator[Any]:
    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def _person(session: Session, incident_id: int, keys: list[str | None], seq: int = 9) -> None:
    incident = session.get(Incident, incident_id)
    assert incident is not None
    session.add(
        Person(
            incident_id=incident_id, submission_id=incident.submission_id, org_id=incident.org_id, person_seq=seq,
            mk_name_dob=keys[0], mk_initial_surname_dob=keys[1], mk_sorted_tokens_yob=keys[2], mk_surname_dob_sex=keys[3],
            role="potential_victim", gender="female", age_band="24-26", age_group="adult", nationality="GB", relationship="unknown",
        )
    )


def _added(session: Session, *, provider: str, gss: str, n: int) -> list[int]:
    before = session.scalar(select(func.max(Incident.id))) or 0
    add_incidents(session, provider=provider, quarter=QUARTERS[-1], gss=gss, n=n, premises="street")
    session.flush()
    return list(session.scalars(select(Incident.id).where(Incident.id > before).order_by(Incident.id)))


@pytest.mark.parametrize("maintained", ["one submission at a time", "all at once", "rebuilt"])
def test_candidates_match_a_naive_in_scope_count(factory: Any, maintained: str) -> None:
    with factory() as s:
        seed(s, per_quarter=12, quarters=QUARTERS[-2:])
        ngo = _added(s, provider="demo-ngo", gss=NEWHAM, n=3)
        police = _added(s, provider="demo-police", gss=CAMDEN, n=2)
        # one value twice in the same incident: not a repeat; one value across boroughs and
        # providers: a repeat in London, not in Newham, nor for a viewer of one provider only.
        _person(s, ngo[0], ["v1.same-incident", None, None, None], 7)
        _person(s, ngo[0], ["v1.same-incident", None, None, None], 8)
        _person(s, ngo[1], [None, None, "v1.across", None])
        _person(s, police[0], [None, None, "v1.across", None])
        _person(s, ngo[2], [None, "v1.newham-only", None, "v1.x"])
        _person(s, ngo[1], [None, "v1.newham-only", None, None], 10)
        s.flush()
        submissions = sorted(s.scalars(select(Submission.id)))
        if maintained == "one submission at a time":  # as ingest does, in any order
            for sid in reversed(submissions):
                summaries.refresh(s, [sid])
        elif maintained == "all at once":
            summaries.refresh(s, submissions)
        else:
            summaries.rebuild(s)
        scopes = [
            Scope(area, sources)
            for area in (NEWHAM, CAMDEN, "london")
            for sources in (ALL, frozenset({("demo-london", "demo-ngo")}), frozenset({("demo-london", "demo-police"), ("demo-london", "demo-ngo")}))
        ]
        for scope in scopes:
            found = [a.person_id for a in queries.repeat_candidates(s, scope)]
            assert found == naive(s, scope), scope
        london = {a.person_id for a in queries.repeat_candidates(s, Scope("london", ALL))}
        newham = {a.person_id for a in queries.repeat_candidates(s, Scope(NEWHAM, ALL))}
        across = set(s.scalars(select(Person.id).where(Person.mk_sorted_tokens_yob == "v1.across")))
        same = set(s.scalars(select(Person.id).where(Person.mk_name_dob == "v1.same-incident")))
        assert across <= london
        assert not across & newham
        assert not same & london
        s.rollback()
