"""Agreements in the hub: load, version, activate, suspend, revoke (service, CLI, API) and retention."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from anonymise.agreement import AgreementStatus
from hub import audit
from hub.agreements import service
from hub.db import make_engine, make_sessionmaker
from hub.errors import Conflict, NotFound, Rejected
from hub.models import AgreementVersion, AuditEntry

ROOT = Path(__file__).resolve().parents[2]
DEMO = (ROOT / "policies" / "demo.yaml").read_text(encoding="utf-8")


@pytest.fixture
def session(db_url: str) -> Iterator[Session]:
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    with factory() as s:
        yield s
        s.rollback()
    engine.dispose()


def test_load_stores_a_version_with_its_hash_and_audits(session: Session) -> None:
    loaded = service.load_version(session, DEMO, actor="user:op")
    assert loaded.id == "demo-london"
    assert loaded.version == 1
    row = service.version_row(session, "demo-london", 1)
    assert len(row.sha256) == 64
    assert row.document == DEMO
    assert row.created_by == "user:op"
    assert service.governing_agreement(session, "demo-london") == loaded
    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "agreement.load")).all()
    assert [e.agreement_id for e in entries] == ["demo-london"]


def test_a_file_must_carry_a_higher_version(session: Session) -> None:
    service.load_version(session, DEMO, actor="user:op")
    with pytest.raises(Conflict):
        service.load_version(session, DEMO, actor="user:op")
    assert session.scalar(select(func.count()).select_from(AgreementVersion)) == 1


def test_invalid_file_is_rejected_with_paths_and_lines(session: Session) -> None:
    bad = DEMO.replace("min_count: 5", "min_count: 1")
    with pytest.raises(Rejected) as info:
        service.load_version(session, bad, actor="user:op")
    [problem] = info.value.problems
    assert problem["path"] == "disclosure.min_count"
    assert problem["line"] == bad.splitlines().index("  min_count: 1") + 1


def test_status_changes_make_new_versions_keeping_comments(session: Session) -> None:
    service.load_version(session, DEMO, actor="user:op")
    suspended = service.set_status(session, "demo-london", "suspended", actor="user:op")
    assert (suspended.version, suspended.status) == (2, AgreementStatus.suspended)
    assert service.version_row(session, "demo-london", 2).document.startswith(
        "# The demo agreement"
    )
    active = service.set_status(session, "demo-london", AgreementStatus.active, actor="user:op")
    assert active.version == 3
    revoked = service.set_status(session, "demo-london", "revoked", actor="user:op")
    assert revoked.version == 4
    assert service.governing_agreement(session, "demo-london") == revoked
    with pytest.raises(Conflict):
        service.set_status(session, "demo-london", "active", actor="user:op")
    text = service.diff(session, "demo-london", 1, 4)
    assert "-version: 1\n" in text
    assert "+version: 4\n" in text
    assert "+status: revoked\n" in text
    assert service.diff(session, "demo-london", 2, 2) == ""
    with pytest.raises(NotFound):
        service.diff(session, "demo-london", 1, 9)
    assert audit.verify(session).ok


def test_current_agreements_lists_the_newest_version_of_each(session: Session) -> None:
    service.load_version(session, DEMO, actor="user:op")
    service.set_status(session, "demo-london", "suspended", actor="user:op")
    other = DEMO.replace("id: demo-london", "id: demo-other")
    service.load_version(session, other, actor="user:op")
    current = service.current_agreements(session)
    assert [(a.id, a.version, a.status) for a in current] == [
        ("demo-london", 2, AgreementStatus.suspended),
        ("demo-other", 1, AgreementStatus.active),
    ]
