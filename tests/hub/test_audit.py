"""The hash-chained audit log: appends, detects edited, removed and reordered entries, answers partners."""

import itertools
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from hub import audit
from hub.auth.api_tokens import create_api_token
from hub.db import make_engine, make_sessionmaker
from hub.main import create_app
from hub.models import AuditEntry, HubState
from tests.conftest import make_settings
from tests.factories.accounts import add_user, transaction


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def _write(factory: sessionmaker[Session], n: int, *, providers: tuple[str, ...] = ("ngo-one",)) -> None:
    with transaction(factory) as session:
        for i in range(n):
            audit.record(
                session, actor="user:alice", action="stats.read", target=f"borough:E0900002{i % 10}",
                agreement_id="london-msht", providers=providers, details={"figures": i, "quarter": "2026-Q3"},
            )


def _verify(factory: sessionmaker[Session]) -> audit.AuditReport:
    with transaction(factory) as session:
        return audit.verify(session)
    raise AssertionError


def _sql(factory: sessionmaker[Session], statement: object) -> None:
    with transaction(factory) as session:
        session.execute(statement)  # type: ignore[call-overload]


def test_empty_and_intact_chain(factory: sessionmaker[Session]) -> None:
    assert _verify(factory) == audit.AuditReport(True, 0)
    _write(factory, 5)
    _write(factory, 3)
    report = _verify(factory)
    assert report.ok
    assert report.count == 8
    with transaction(factory) as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        assert [e.id for e in entries] == list(range(1, 9))
        assert entries[0].prev_hash == audit.GENESIS
        assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(entries))


@pytest.mark.parametrize(
    "values",
    [{"actor": "user:mallory"}, {"action": "stats.nothing"}, {"target": "borough:E09000001"},
     {"agreement_id": "other"}, {"providers": ["police-met"]}, {"details": {"figures": 99, "quarter": "2026-Q3"}}],
)
def test_edited_entry_detected(factory: sessionmaker[Session], values: dict[str, object]) -> None:
    _write(factory, 6)
    _sql(factory, update(AuditEntry).where(AuditEntry.id == 4).values(**values))
    report = _verify(factory)
    assert not report.ok
    assert report.first_bad_id == 4
    assert report.count == 3
    assert "altered" in (report.problem or "")


def test_edited_time_detected(factory: sessionmaker[Session]) -> None:
    _write(factory, 3)
    with transaction(factory) as session:
        entry = session.get(AuditEntry, 2)
        assert entry is not None
        entry.at = entry.at.replace(year=entry.at.year - 1)
    assert _verify(factory).first_bad_id == 2


def test_rehashed_edit_detected_by_next_entry(factory: sessionmaker[Session]) -> None:
    """An editor who also recomputes the edited entry's hash breaks the link to the next entry."""
    _write(factory, 5)
    with transaction(factory) as session:
        entry = session.get(AuditEntry, 3)
        assert entry is not None
        entry.actor = "user:mallory"
        entry.hash = audit.entry_hash(entry)
    report = _verify(factory)
    assert not report.ok
    assert report.first_bad_id == 4
    assert "does not follow" in (report.problem or "")


def test_removed_entry_detected(factory: sessionmaker[Session]) -> None:
    _write(factory, 5)
    _sql(factory, delete(AuditEntry).where(AuditEntry.id == 2))
    report = _verify(factory)
    assert not report.ok
    assert report.first_bad_id == 2
    assert "missing" in (report.problem or "")


def test_removed_last_entries_detected(factory: sessionmaker[Session]) -> None:
    _write(factory, 5)
    _sql(factory, delete(AuditEntry).where(AuditEntry.id >= 4))
    report = _verify(factory)
    assert not report.ok
    assert report.first_bad_id == 4
    assert "cut off" in (report.problem or "")
    _sql(factory, delete(AuditEntry))
    assert not _verify(factory).ok


def test_reordered_entries_detected(factory: sessionmaker[Session]) -> None:
    _write(factory, 5)
    with transaction(factory) as session:  # swap the ids of entries 2 and 3
        session.execute(update(AuditEntry).where(AuditEntry.id == 2).values(id=1000))
        session.execute(update(AuditEntry).where(AuditEntry.id == 3).values(id=2))
        session.execute(update(AuditEntry).where(AuditEntry.id == 1000).values(id=3))
    report = _verify(factory)
    assert not report.ok
    assert report.first_bad_id == 2


def test_details_hold_ids_and_counts_only(factory: sessionmaker[Session]) -> None:
    with transaction(factory) as session:
        with pytest.raises(ValueError, match="id or a count"):
            audit.record(session, actor="system", action="x", target="y", details={"note": "n" * 500})
        with pytest.raises(ValueError, match="id or a count"):
            audit.record(session, actor="system", action="x", target="y", details={"nested": {"deep": {"a": 1}}})
        with pytest.raises(ValueError, match="id or a count"):
            audit.record(session, actor="system", action="x", target="y", details={"value": 1.5})
        entry = audit.record(session, actor="system", action="x", target="y", details={"rows": {"incidents": 3}, "ids": ["a", "b"]})
        assert entry.details == {"rows": {"incidents": 3}, "ids": ["a", "b"]}


def test_entries_touching_a_provider(factory: sessionmaker[Session]) -> None:
    _write(factory, 2, providers=("ngo-one", "police-met"))
    _write(factory, 2, providers=("police-met",))
    _write(factory, 1, providers=("ngo-one-two",))
    with transaction(factory) as session:
        assert [e.id for e in audit.entries_touching(session, "ngo-one")] == [2, 1]
        assert [e.id for e in audit.entries_touching(session, "police-met", limit=3)] == [4, 3, 2]
        assert audit.entries_touching(session, "ngo") == []


def test_concurrent_writers_keep_one_chain(db_url: str) -> None:
    """Four processes' worth of engines append at once; the chain stays linear and intact."""
    engines: list[Engine] = [make_engine(db_url) for _ in range(4)]
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def writer(engine: Engine) -> None:
        barrier.wait()
        try:
            _write(make_sessionmaker(engine), 10)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    factory = make_sessionmaker(engines[0])
    report = _verify(factory)
    for engine in engines:
        engine.dispose()
    assert report == audit.AuditReport(True, 40)


def test_head_is_recorded(factory: sessionmaker[Session]) -> None:
    _write(factory, 2)
    with transaction(factory) as session:
        head = session.get(HubState, audit.HEAD_STATE)
        last = session.get(AuditEntry, 2)
        assert head is not None
        assert last is not None
        assert head.value == f"2:{last.hash}"


# --- HTTP -----------------------------------------------------------------------------------


def test_audit_api_roles(db_url: str, tmp_path: Path) -> None:
    app = create_app(make_settings(db_url, tmp_path))
    factory = app.state.sessions
    tokens: dict[str, str] = {}
    with transaction(factory) as session:
        operator = add_user(session, "olive", "operator", "hub-ops")
        officer = add_user(session, "bola", "borough_officer", "lb-newham")
        uploader = add_user(session, "nadia", "partner_uploader", "ngo-one")
        for user in (operator, officer, uploader):
            tokens[user.username] = create_api_token(session, user, label="test")
    _write(factory, 3, providers=("ngo-one",))
    _write(factory, 2, providers=("police-met",))

    def get(path: str, who: str) -> tuple[int, Any]:
        with TestClient(app) as client:
            response = client.get(path, headers={"Authorization": f"Bearer {tokens[who]}"})
            return response.status_code, response.json()

    assert get("/api/v1/audit", "bola")[0] == 403
    assert get("/api/v1/audit/verify", "nadia")[0] == 403
    status, body = get("/api/v1/audit?limit=2", "olive")
    assert status == 200
    assert [e["id"] for e in body] == [5, 4]
    status, body = get("/api/v1/audit/verify", "olive")
    assert status == 200
    assert body == {"ok": True, "count": 5, "first_bad_id": None, "problem": None}
    status, body = get("/api/v1/audit/mine", "nadia")
    assert status == 200
    assert [e["id"] for e in body] == [3, 2, 1]
    assert get("/api/v1/audit/mine", "bola") == (200, [])
    with TestClient(app) as client:
        assert client.get("/api/v1/audit/mine").status_code == 401
    _sql(factory, text("UPDATE audit_log SET target = 'x' WHERE id = 2"))
    status, body = get("/api/v1/audit/verify", "olive")
    assert body["ok"] is False
    assert body["first_bad_id"] == 2
    app.state.engine.dispose()


_FIELDS = {
    "actor": st.text(min_size=1, max_size=20),
    "action": st.text(min_size=1, max_size=20),
    "target": st.text(min_size=1, max_size=20),
    "agreement_id": st.none() | st.text(max_size=20),
    "providers": st.lists(st.text(max_size=10), max_size=3),
    "details": st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), max_size=3),
}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), size=st.integers(min_value=1, max_value=8))
def test_any_single_edit_is_found_at_its_entry(sqlite_url: str, data: st.DataObject, size: int) -> None:
    """Property: change any one field of any one entry; verify names exactly that entry."""
    engine = make_engine(sqlite_url)
    session = make_sessionmaker(engine)()
    try:
        for i in range(size):
            audit.record(session, actor=f"user:u{i}", action="stats.read", target=f"t{i}", providers=["ngo-one"], details={"n": i})
        victim = data.draw(st.integers(min_value=1, max_value=size), label="entry")
        field = data.draw(st.sampled_from(sorted(_FIELDS)), label="field")
        entry = session.get(AuditEntry, victim)
        assert entry is not None
        value = data.draw(_FIELDS[field].filter(lambda v: v != getattr(entry, field)), label="value")
        session.execute(update(AuditEntry).where(AuditEntry.id == victim).values({field: value}))
        session.expire_all()
        report = audit.verify(session)
        assert not report.ok
        assert report.first_bad_id == victim
    finally:
        session.rollback()
        session.close()
        engine.dispose()
