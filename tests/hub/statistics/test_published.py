"""Kept statistics answers (``hub.statistics.published``, issue 12's speed): equal to the answer
computed afresh, never one viewer class's answer for another, a new answer after any change of
records or agreement, every question audited, and the worker's answers made ahead the same."""

from collections.abc import Callable
from contextlib import contextmanager
from typing import Any, Final

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from anonymise import LONDON, ViewerRole
from hub.auth.principal import Principal
from hub.db import make_engine, make_sessionmaker, session_scope
from hub.errors import HubError
from hub.models import AuditEntry
from hub.statistics import hidesets, precompute, published, service
from tests.factories.accounts import add_user
from tests.factories.stats_seed import (
    CAMDEN,
    NEWHAM,
    QUARTERS,
    TOWER_HAMLETS,
    add_incidents,
    add_orgs,
    demo_agreement_text,
    load_agreement,
    officers_see_boroughs,
    seed,
)

LGO: Final = "LocalGovernmentOrganisation"
NEWHAM_OFFICER: Final = Principal(None, "newham.officer", "N", "lb-newham", LGO, NEWHAM, ViewerRole.borough_officer)
CAMDEN_OFFICER: Final = Principal(None, "camden.officer", "C", "lb-camden", LGO, CAMDEN, ViewerRole.borough_officer)
ANALYST: Final = Principal(None, "analyst", "A", "hub-operator", "CentralGovernmentOrganisation", None, ViewerRole.analyst)
PRINCIPALS: Final = (NEWHAM_OFFICER, CAMDEN_OFFICER, ANALYST)
AREAS: Final = (LONDON, NEWHAM, TOWER_HAMLETS, CAMDEN)
Question = Callable[[Session, Principal, str], Any]
QUESTIONS: Final[dict[str, Question]] = {
    "overview": service.overview,
    "overview of the quarter before": lambda s, p, a: service.overview(s, p, a, QUARTERS[-2]),
    "trends": service.trends,
    "breakdowns": service.breakdowns,
    "hotspots": service.hotspots,
    "coverage": service.coverage,
    "repeats": service.repeats,
    "routes in": service.routes,
    "routes out": lambda s, p, a: service.routes(s, p, a, None, "out"),
    "ctdc": service.ctdc,
}


def _fill(s: Session) -> None:
    add_orgs(s)
    load_agreement(s, officers_see_boroughs(demo_agreement_text(), (NEWHAM, CAMDEN)))  # Tower Hamlets: own officers only
    seed(s, seed_=5, per_quarter=10, quarters=QUARTERS[-2:], with_agreement=False)
    for p in PRINCIPALS:
        add_user(s, p.username, str(p.role), p.org_id)


@pytest.fixture
def scope(db_url: str) -> Any:
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    with contextmanager(session_scope)(factory) as s:
        _fill(s)
    yield lambda: contextmanager(session_scope)(factory)
    engine.dispose()


def _ask(scope: Any, question: Question, principal: Principal, area: str, *, kept: bool) -> str | None:
    """The JSON of the answer (None where the viewer may not ask), kept or computed afresh."""
    with scope() as s:
        try:
            if kept:
                return str(question(s, principal, area).model_dump_json())
            with published.uncached():
                return str(question(s, principal, area).model_dump_json())
        except HubError:
            return None


def _every_answer(scope: Any, *, kept: bool) -> dict[tuple[str, str, str], str | None]:
    return {
        (name, p.username, area): _ask(scope, question, p, area, kept=kept)
        for name, question in QUESTIONS.items() for p in PRINCIPALS for area in AREAS
    }


def test_a_kept_answer_equals_the_answer_computed_afresh(scope: Any) -> None:
    fresh = _every_answer(scope, kept=False)
    assert len(published._KEPT) == 0, "an uncached question keeps nothing"
    answered = [k for k, v in fresh.items() if v is not None]
    assert len(answered) >= len(QUESTIONS) * len(PRINCIPALS), "every viewer answers every question somewhere"
    assert any(v is None for v in fresh.values()), "and some areas are forbidden to some viewers"
    first = _every_answer(scope, kept=True)
    assert len(published._KEPT) >= len(answered) - len(PRINCIPALS) * len(AREAS)  # routes in London = routes out
    hidesets.forget_copies()
    again = _every_answer(scope, kept=True)  # served from what was kept
    assert first == fresh
    assert again == fresh


def test_one_viewer_never_gets_the_answer_kept_for_another(scope: Any) -> None:
    fresh = _every_answer(scope, kept=False)
    differing = [
        (name, area) for name in QUESTIONS for area in AREAS
        if len({fresh[(name, p.username, area)] for p in PRINCIPALS if fresh[(name, p.username, area)] is not None}) > 1
    ]
    assert differing, "some question has different answers for different viewers"
    for name, area in differing:
        for p in PRINCIPALS:  # each asks after the others' answers are kept
            for other in PRINCIPALS:
                _ask(scope, QUESTIONS[name], other, area, kept=True)
            assert _ask(scope, QUESTIONS[name], p, area, kept=True) == fresh[(name, p.username, area)]


def test_a_change_of_records_or_of_the_agreement_is_answered_afresh(scope: Any) -> None:
    before = _ask(scope, service.overview, NEWHAM_OFFICER, NEWHAM, kept=True)
    assert _ask(scope, service.overview, NEWHAM_OFFICER, NEWHAM, kept=True) == before
    with scope() as s:
        add_incidents(s, provider="demo-ngo", quarter=QUARTERS[-1], gss=NEWHAM, n=9)  # records and summaries
    added = _ask(scope, service.overview, NEWHAM_OFFICER, NEWHAM, kept=True)
    assert added != before, "nine more incidents change the overview"
    assert added == _ask(scope, service.overview, NEWHAM_OFFICER, NEWHAM, kept=False)
    with scope() as s:
        stricter = officers_see_boroughs(demo_agreement_text(), (NEWHAM, CAMDEN)).replace("min_count: 5", "min_count: 10")
        assert stricter.count("min_count: 10") == 1
        load_agreement(s, stricter.replace("version: 1", "version: 2", 1))
    changed = _ask(scope, service.overview, NEWHAM_OFFICER, NEWHAM, kept=True)
    assert changed != added, "a new agreement version with another minimum count changes the answer"
    assert changed == _ask(scope, service.overview, NEWHAM_OFFICER, NEWHAM, kept=False)


def _reads(scope: Any) -> list[tuple[str, str, list[str]]]:
    with scope() as s:
        rows = s.execute(select(AuditEntry.actor, AuditEntry.target, AuditEntry.providers).where(AuditEntry.action == "stats.read")
                         .order_by(AuditEntry.id))
        return [(r.actor, r.target, list(r.providers)) for r in rows]


def test_every_question_is_audited_whether_its_answer_was_kept_or_not(scope: Any) -> None:
    for _ in range(3):
        _ask(scope, service.breakdowns, CAMDEN_OFFICER, NEWHAM, kept=True)
    with published.uncached():
        _ask(scope, service.breakdowns, CAMDEN_OFFICER, NEWHAM, kept=True)
    reads = _reads(scope)
    assert len(reads) == 4
    assert len(set(map(str, reads))) == 1, "the same entry for the kept answer as for the computed one"
    assert reads[0][0] == "user:camden.officer", "it names the asker"
    assert reads[0][2], "and the providers drawn on"


def test_the_worker_makes_each_viewer_s_default_answers_ahead_without_auditing_a_read(db_url: str, scope: Any) -> None:
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)

    def scoped() -> Any:
        return session_scope(factory)

    precompute.run_pending(scoped, scoped)
    made = precompute.answers_ahead(scoped)
    assert made >= len(service.AHEAD) * 2, "at least London and its own borough for some viewer"
    assert _reads(scope) == [], "nobody asked yet"
    with scope() as s:
        ahead = [(name, p, area) for name in service.AHEAD for p in PRINCIPALS for area in AREAS
                 if published.kept(s, p, (name, area, None))]
    assert {p.username for _, p, _ in ahead} == {p.username for p in PRINCIPALS}
    for name, p, area in ahead:
        question = QUESTIONS[name]
        assert _ask(scope, question, p, area, kept=True) == _ask(scope, question, p, area, kept=False)
    assert precompute.answers_ahead(scoped) == 0, "nothing to make again while nothing changed"
    engine.dispose()


@pytest.fixture(autouse=True)
def _fresh_copies() -> None:
    hidesets.forget_copies()  # each test reads its own database
    published.clear()


def _hide_rows(s: Session) -> list[str]:
    from hub.models import HubState
    return list(s.scalars(select(HubState.name).where(HubState.name.like("hide:%"))))


def test_answers_ahead_never_write_a_missing_hide_set_from_the_read_snapshot(db_url: str, scope: Any) -> None:
    """The worker reads viewers through an engine that must never write (on SQLite its deferred
    snapshot cannot take the write lock while others write: "database is locked" in ``make demo``).
    With no audit stored, answers ahead write nothing (an answer needing one is left to its
    question); after the audits, those answers are made too."""
    from sqlalchemy import event

    reader = make_engine(db_url, reader=True)

    @event.listens_for(reader, "connect")
    def _read_only(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA query_only = ON" if db_url.startswith("sqlite") else "SET default_transaction_read_only = on")
        cursor.close()

    writer = make_engine(db_url)
    reads, writes = make_sessionmaker(reader), make_sessionmaker(writer)
    hidesets.forget_copies()
    with scope() as s:
        assert not _hide_rows(s), "no audit is stored yet"
    precompute.answers_ahead(lambda: session_scope(reads))  # only answers that need no audit
    with scope() as s:
        assert not _hide_rows(s), "no audit computed from the read snapshot"
    precompute.run_pending(lambda: session_scope(reads), lambda: session_scope(writes))
    assert precompute.answers_ahead(lambda: session_scope(reads)) > 0, "the audited answers, once their audits are stored"
    reader.dispose()
    writer.dispose()
