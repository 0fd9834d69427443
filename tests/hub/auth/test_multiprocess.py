"""Two real hub processes (uvicorn) on one database: an upload token used at one is refused at the other.

Run on PostgreSQL (how the hub grows past one machine; skipped without MSHT_TEST_DATABASE_URL)
and on one SQLite file (two processes on one machine share it the same way).
"""

import threading

import httpx
import pytest
from sqlalchemy import func, select

from hub.db import make_engine, make_sessionmaker, session_scope
from hub.models import Incident, Submission
from tests.factories import FakePartner, add_agreement, add_partner, make_tables

pytestmark = pytest.mark.slow

def _arrange(url: str) -> FakePartner:
    engine = make_engine(url)
    try:
        for session in session_scope(make_sessionmaker(engine)):
            partner = add_partner(session, "ngo-one")
            add_agreement(session, ["ngo-one"])
        return partner
    finally:
        engine.dispose()


def _state(url: str) -> tuple[list[str], int]:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            statuses = sorted(session.scalars(select(Submission.status)))
            incidents = session.scalar(select(func.count()).select_from(Incident)) or 0
        return statuses, incidents
    finally:
        engine.dispose()


def _post(url: str, bundle: bytes, token: str) -> httpx.Response:
    return httpx.post(
        f"{url}/api/v1/submissions",
        content=bundle,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/zip"},
        timeout=60,
    )


def test_an_upload_token_used_at_one_process_is_refused_at_the_other(db_url: str, hub_processes: tuple[str, str]) -> None:
    partner = _arrange(db_url)
    a, b = hub_processes
    bundle = partner.bundle(make_tables(3))
    token = partner.token(bundle=bundle)
    first = _post(a, bundle, token)
    assert first.status_code == 201, first.text
    replay = _post(b, bundle, token)
    assert replay.status_code == 401
    assert replay.json()["detail"] == "token already used"
    assert _state(db_url) == (["active"], 3)
    again = _post(b, bundle, partner.token(bundle=bundle))  # a fresh token: the original receipt, from B
    assert again.status_code == 200
    assert again.json() == first.json()
    assert _state(db_url) == (["active"], 3)


def test_concurrent_uploads_to_two_processes_leave_one_active(db_url: str, hub_processes: tuple[str, str]) -> None:
    partner = _arrange(db_url)
    bundles = [partner.bundle(make_tables(30, seed=s)) for s in range(4)]
    tokens = [partner.token(bundle=b) for b in bundles]
    barrier = threading.Barrier(len(bundles))
    results: list[httpx.Response | None] = [None] * len(bundles)

    def run(i: int) -> None:
        barrier.wait()
        results[i] = _post(hub_processes[i % 2], bundles[i], tokens[i])

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(bundles))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = [r.status_code for r in results if r is not None]
    assert len(codes) == len(bundles)
    assert set(codes) <= {201, 409}, [r.text for r in results if r is not None]
    statuses, _ = _state(db_url)
    assert statuses.count("active") == 1
    assert len(statuses) == codes.count(201)
