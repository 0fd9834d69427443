"""The console's audit check walks only what was appended since the last check that passed
(a checkpoint), and tampering is still found: after the checkpoint by that check, before it by
the whole walk."""

from collections.abc import Iterator

import pytest
from sqlalchemy import delete, update
from sqlalchemy.orm import Session, sessionmaker

from hub import audit
from hub.db import make_engine, make_sessionmaker
from hub.models import AuditEntry, HubState
from tests.factories.accounts import transaction


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


def _write(factory: sessionmaker[Session], n: int) -> None:
    with transaction(factory) as session:
        for i in range(n):
            audit.record(session, actor="user:alice", action="stats.read", target="stats:overview:london",
                         details={"figures": i})


def _recent(factory: sessionmaker[Session]) -> audit.AuditReport:
    with transaction(factory) as session:
        return audit.verify_recent(session)
    raise AssertionError


def _full(factory: sessionmaker[Session]) -> audit.AuditReport:
    with transaction(factory) as session:
        return audit.verify(session)
    raise AssertionError


def _checkpoint(factory: sessionmaker[Session]) -> str | None:
    with transaction(factory) as session:
        state = session.get(HubState, audit.CHECKPOINT_STATE)
        return state.value if state else None
    raise AssertionError


def _walked(factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The ids each check hashes, recorded through ``entry_hash``."""
    seen: list[int] = []
    real = audit.entry_hash

    def counting(entry: AuditEntry) -> str:
        seen.append(entry.id)
        return real(entry)

    monkeypatch.setattr(audit, "entry_hash", counting)
    return seen


def test_each_check_walks_only_what_is_new(factory: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch) -> None:
    _write(factory, 5)
    seen = _walked(factory, monkeypatch)
    assert _recent(factory) == audit.AuditReport(True, 5)
    assert seen == [1, 2, 3, 4, 5]
    assert _checkpoint(factory) is not None
    assert _checkpoint(factory).startswith("5:")  # type: ignore[union-attr]
    _write(factory, 3)
    seen.clear()
    assert _recent(factory) == audit.AuditReport(True, 8)
    assert seen == [5, 6, 7, 8]  # the checkpoint entry is re-hashed, then only the new ones
    seen.clear()
    assert _recent(factory) == audit.AuditReport(True, 8)
    assert seen == [8]


def test_an_empty_chain_passes_and_keeps_no_checkpoint(factory: sessionmaker[Session]) -> None:
    assert _recent(factory) == audit.AuditReport(True, 0)
    assert _checkpoint(factory) is None


def test_an_edit_after_the_checkpoint_is_found(factory: sessionmaker[Session]) -> None:
    _write(factory, 4)
    assert _recent(factory).ok
    _write(factory, 4)
    with transaction(factory) as session:
        session.execute(update(AuditEntry).where(AuditEntry.id == 6).values(actor="user:mallory"))
    report = _recent(factory)
    assert (report.ok, report.first_bad_id, report.count) == (False, 6, 5)
    assert _checkpoint(factory).startswith("4:")  # type: ignore[union-attr]  # a failed check moves nothing


def test_an_edit_of_the_checkpoint_entry_is_found(factory: sessionmaker[Session]) -> None:
    _write(factory, 4)
    assert _recent(factory).ok
    with transaction(factory) as session:
        entry = session.get(AuditEntry, 4)
        assert entry is not None
        entry.actor = "user:mallory"
        entry.hash = audit.entry_hash(entry)  # even re-hashed: the checkpoint remembers the hash it saw
    report = _recent(factory)
    assert (report.ok, report.first_bad_id) == (False, 4)
    assert "altered" in (report.problem or "")


def test_entries_cut_off_back_to_the_checkpoint_are_found(factory: sessionmaker[Session]) -> None:
    _write(factory, 5)
    assert _recent(factory).ok
    with transaction(factory) as session:
        session.execute(delete(AuditEntry).where(AuditEntry.id >= 3))
    report = _recent(factory)
    assert (report.ok, report.first_bad_id) == (False, 5)
    assert "missing" in (report.problem or "")


def test_an_edit_before_the_checkpoint_is_found_by_the_whole_walk(factory: sessionmaker[Session]) -> None:
    _write(factory, 6)
    assert _recent(factory).ok
    with transaction(factory) as session:
        session.execute(update(AuditEntry).where(AuditEntry.id == 2).values(details={"figures": 99}))
    assert _recent(factory).ok  # the quick check trusts what it verified before
    report = _full(factory)
    assert (report.ok, report.first_bad_id) == (False, 2)
