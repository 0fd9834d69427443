"""Disclosure audits computed ahead of the questions (issue 12): stored after a change without any
question, the same as the on-question audit, incremental per quarter, and never skipped by a
question that comes first."""

import threading
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.db import make_engine, make_sessionmaker, session_scope
from hub.main import create_app
from hub.models import AuditEntry, HubState
from hub.statistics import hidesets, joint, precompute
from tests.conftest import make_settings
from tests.factories.accounts import add_user, login
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

BOROUGHS = (NEWHAM, TOWER_HAMLETS, CAMDEN)
AGREEMENT = officers_see_boroughs(demo_agreement_text(), BOROUGHS)


def _fill(s: Session, seed_: int = 7) -> None:
    add_orgs(s)
    load_agreement(s, AGREEMENT)  # borough officers see the detail of all three boroughs
    seed(s, seed_=seed_, per_quarter=12, quarters=QUARTERS[-2:], with_agreement=False)
    add_user(s, "newham.officer", "borough_officer", "lb-newham")
    add_user(s, "camden.officer", "borough_officer", "lb-camden")
    add_user(s, "analyst", "analyst", "hub-operator")


def _scopes(url: str) -> tuple[Any, Any]:
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    return engine, (lambda: session_scope(factory))


def test_claims_keep_a_second_process_off_an_audit_until_released_or_expired(db_url: str) -> None:
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    lease = timedelta(minutes=5)
    with contextmanager(session_scope)(factory) as s:
        assert hidesets.claim(s, "hide:x", "in-1", owner="a", lease=lease)
    with contextmanager(session_scope)(factory) as s:
        assert not hidesets.claim(s, "hide:x", "in-1", owner="b", lease=lease)
        assert hidesets.claim(s, "hide:x", "in-1", owner="a", lease=lease), "the owner may take its own claim again"
        assert hidesets.claim(s, "hide:x", "in-2", owner="b", lease=lease), "a claim for other inputs is stale"
    with contextmanager(session_scope)(factory) as s:
        hidesets.release(s, "hide:x")
    with contextmanager(session_scope)(factory) as s:
        assert hidesets.claim(s, "hide:x", "in-2", owner="c", lease=timedelta(seconds=-1))
    with contextmanager(session_scope)(factory) as s:
        assert hidesets.claim(s, "hide:x", "in-2", owner="d", lease=lease), "an expired claim is free"
    engine.dispose()


def test_hide_sets_are_stored_after_a_change_commits_without_any_question(db_url: str, tmp_path: Path) -> None:
    app = create_app(make_settings(db_url, tmp_path, audit_ahead=True, audit_poll_seconds=3600))
    worker: precompute.Worker = app.state.audit_worker
    with TestClient(app, base_url="http://127.0.0.1"):
        assert worker.wait_idle(600), "the first pass (nothing to audit yet) ends"
        with contextmanager(session_scope)(app.state.sessions) as s:  # as ingest does: records, summaries, commit
            _fill(s)
        assert worker.wait_idle(600)
        with contextmanager(session_scope)(app.state.sessions) as s:
            jobs, stored = precompute.pending(s)
            assert jobs == [], "nothing left to audit"
            assert stored >= 2 * 2, "two viewer classes (the officers share one, the analyst sees pooled London) x two quarters"
            assert s.scalar(select(func.count()).select_from(HubState).where(HubState.name.startswith(hidesets.PREFIX))) == stored
            assert not s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "stats.read")), "no question was asked"
            assert not s.scalar(select(func.count()).select_from(HubState).where(HubState.name.startswith(hidesets.CLAIM)))


@pytest.mark.parametrize("seed_", [11])
def test_audits_computed_ahead_equal_the_audits_a_question_computes(sqlite_url: str, tmp_path: Path, seed_: int) -> None:
    engine, scope = _scopes(sqlite_url)
    with contextmanager(scope)() as s:
        _fill(s, seed_)
    with contextmanager(scope)() as s:
        jobs, _ = precompute.pending(s)
        assert jobs, "audits to compute"
        on_question = {(j.plan.name, j.plan.inputs): joint.compute(s, j.principal, j.plan) for j in jobs}
    assert any(any(h.values()) for h in on_question.values()), "some audit hides cells"
    hidesets.forget_copies()
    result = precompute.run_pending(scope, scope)
    assert result.computed == len(on_question)
    hidesets.forget_copies()
    with contextmanager(scope)() as s:
        assert {key: hidesets.load(s, *key) for key in on_question} == on_question
    engine.dispose()


def test_a_change_to_one_quarter_re_audits_that_quarter_only(sqlite_url: str) -> None:
    engine, scope = _scopes(sqlite_url)
    with contextmanager(scope)() as s:
        _fill(s)
    precompute.run_pending(scope, scope)
    with contextmanager(scope)() as s:
        assert precompute.pending(s)[0] == []
        add_incidents(s, provider="demo-ngo", quarter=QUARTERS[-2], gss=NEWHAM, n=3)  # records, summaries refreshed
    with contextmanager(scope)() as s:
        jobs, stored = precompute.pending(s)
    assert jobs, "the changed quarter is audited again"
    assert {j.plan.quarter for j in jobs} == {QUARTERS[-2]}
    assert stored > 0, "the other quarters keep their audits"
    engine.dispose()


def _overview(client: TestClient, quarter: str) -> Any:
    r = client.get("/api/v1/stats/london/overview", params={"quarter": quarter})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_question_before_the_worker_finishes_waits_for_its_audit_and_serves_it(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, scope = _scopes(sqlite_url)
    with contextmanager(scope)() as s:
        _fill(s)
    app = create_app(make_settings(sqlite_url, tmp_path))  # no worker of its own: this test plays it
    quarter = QUARTERS[-1]
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login(client, "newham.officer")
        with contextmanager(scope)() as s:
            job = next(j for j in precompute.pending(s)[0] if j.plan.quarter == quarter and j.principal.role == "borough_officer")
        solve, entered, release, calls = joint.solve, threading.Event(), threading.Event(), []

        def held(p: joint.Plan, fetched: Any, cancelled: Any = None) -> Any:
            calls.append(p.quarter)
            if p.name == job.plan.name:
                entered.set()
                release.wait(600)
            return solve(p, fetched, cancelled)

        monkeypatch.setattr(joint, "solve", held)
        reader = make_engine(sqlite_url, reader=True)  # as the worker reads: a snapshot, no write lock
        reads = make_sessionmaker(reader)
        worker = threading.Thread(target=precompute.run_one, args=(job, lambda: session_scope(reads), scope))  # one job, held
        worker.start()
        assert entered.wait(600), "the worker is solving the audit"
        asked: dict[str, Any] = {}
        question = threading.Thread(target=lambda: asked.update(body=_overview(client, quarter)))
        question.start()
        release.set()
        worker.join(600)
        question.join(600)
        assert calls.count(quarter) == 1, "the question waited for the worker's audit instead of computing it again"
        served = asked["body"]
        hidesets.forget_copies()
        with contextmanager(scope)() as s:
            stored = hidesets.load(s, job.plan.name, job.plan.inputs)
            reference = joint.compute(s, job.principal, job.plan)
        assert stored == reference
        reader.dispose()
    with TestClient(create_app(make_settings(sqlite_url, tmp_path)), base_url="http://127.0.0.1") as again:
        login(again, "newham.officer")
        assert _overview(again, quarter) == served, "the same figures as a question that found the audit stored"
    engine.dispose()


def test_a_question_with_no_audit_stored_computes_it_then(sqlite_url: str, tmp_path: Path) -> None:
    engine, scope = _scopes(sqlite_url)
    with contextmanager(scope)() as s:
        _fill(s)
    with TestClient(create_app(make_settings(sqlite_url, tmp_path)), base_url="http://127.0.0.1") as client:
        login(client, "newham.officer")
        served = _overview(client, QUARTERS[-1])
    with contextmanager(scope)() as s:
        left = [j for j in precompute.pending(s)[0] if j.principal.role == "borough_officer" and j.plan.quarter == QUARTERS[-1]]
    assert left == [], "the question stored the audit it computed"
    hidesets.forget_copies()
    with TestClient(create_app(make_settings(sqlite_url, tmp_path)), base_url="http://127.0.0.1") as client:
        login(client, "newham.officer")
        assert _overview(client, QUARTERS[-1]) == served
    engine.dispose()


@pytest.fixture(autouse=True)
def _fresh_copies() -> None:
    hidesets.forget_copies()  # each test reads its own database
