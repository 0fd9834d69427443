"""Repeat-people candidates: the fast query finds exactly the rows a naive in-scope count of the hub's clusters finds."""

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from hub.db import make_engine, make_sessionmaker
from hub.models import Incident, Person, PersonCluster, PersonKey, Submission
from hub.records import clusters, summaries
from hub.statistics import queries
from hub.statistics.queries import LONDON, Scope
from tests.factories.stats_seed import CAMDEN, NEWHAM, QUARTERS, add_incidents, seed

ALL = frozenset({("demo-london", p) for p in ("demo-ngo", "lb-newham", "demo-hospital", "demo-police")})


def naive(session: Session, scope: Scope) -> list[int]:
    """Person ids in scope whose hub person id (cluster) spans another incident in scope."""
    stmt = (
        select(Person.id, Person.incident_id, PersonCluster.cluster_id)
        .join(PersonCluster, PersonCluster.person_id == Person.id)
        .join(Incident, Incident.id == Person.incident_id)
        .join(Submission, Submission.id == Incident.submission_id)
        .where(Submission.status == "active")
        .where(tuple_(Submission.agreement_id, Submission.org_id).in_(sorted(scope.sources)))
    )
    if scope.area != LONDON:
        stmt = stmt.where(Incident.la_gss_code == scope.area)
    rows = session.execute(stmt).all()
    spans: dict[int, set[int]] = {}
    for r in rows:
        spans.setdefault(int(r[2]), set()).add(int(r[1]))
    return sorted(int(r[0]) for r in rows if len(spans[int(r[2])]) > 1)


@pytest.fixture
def factory(db_url: str) -> Iterator[Any]:
    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


_SAME_PERSON_KINDS = ("name_dob", "initial_surname_dob", "canon_sorted_dob", "metaphone_dob", "nysiis_dob", "match_rating_dob")


def _person(session: Session, incident_id: int, who: str, seq: int = 9) -> None:
    """A person row whose linkage keys are all ``who``'s: rows of one ``who`` are one person to the model."""
    incident = session.get(Incident, incident_id)
    assert incident is not None
    session.add(
        Person(
            incident_id=incident_id, submission_id=incident.submission_id, org_id=incident.org_id, person_seq=seq,
            role="potential_victim", gender="female", age_band="24-26", age_group="adult", nationality="GB", relationship="unknown",
        )
    )
    for n, kind in enumerate(_SAME_PERSON_KINDS):
        key = int.from_bytes(hashlib.sha256(f"{who}/{n}".encode()).digest()[:7], "big")
        session.add(PersonKey(incident_id=incident_id, submission_id=incident.submission_id, person_seq=seq, kind=kind, key=key))


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
        _person(s, ngo[0], "same-incident", 7)
        _person(s, ngo[0], "same-incident", 8)
        _person(s, ngo[1], "across")
        _person(s, police[0], "across")
        _person(s, ngo[2], "newham-only")
        _person(s, ngo[1], "newham-only", 10)
        for n, incident in enumerate(police[1:] + ngo[2:]):  # people seen once
            _person(s, incident, f"once-{n}", 11)
        s.flush()
        clusters.relink(s, "demo-london")  # as ingest does before the summaries
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
        across = set(s.scalars(select(Person.id).where(Person.person_seq == 9, Person.incident_id.in_([ngo[1], police[0]]))))
        same = set(s.scalars(select(Person.id).where(Person.incident_id == ngo[0], Person.person_seq.in_([7, 8]))))
        assert len(across) == len(same) == 2
        assert len(set(s.scalars(select(PersonCluster.cluster_id).where(PersonCluster.person_id.in_(across))))) == 1
        assert across <= london
        assert not across & newham
        assert not same & london
        s.rollback()
