"""Agreements in the hub: load, version, activate, suspend, revoke (service, CLI, API) and retention."""

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from anonymise.agreement import AgreementStatus
from hub import audit
from hub.agreements import retention, service
from hub.auth.api_tokens import create_api_token
from hub.cli import app as cli_app
from hub.db import make_engine, make_sessionmaker
from hub.errors import Conflict, NotFound, Rejected
from hub.main import create_app
from hub.models import (
    AgreementVersion,
    AuditEntry,
    HubState,
    Incident,
    IncidentCode,
    Person,
    Submission,
    SubmissionStatus,
)
from hub.records import summaries
from tests.conftest import TEST_PSEUDONYM_KEY, TEST_SESSION_KEY, make_settings
from tests.factories.accounts import add_user
from tests.factories.stats_seed import NEWHAM, add_orgs, seed

ROOT = Path(__file__).resolve().parents[3]
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


# --- retention ---------------------------------------------------------------------------------


def _submission(session: Session, sid: str, received: datetime, org: str = "demo-ngo") -> None:
    session.add(
        Submission(
            id=sid,
            org_id=org,
            agreement_id="demo-london",
            agreement_version=1,
            quarter="2026-Q1",
            status=SubmissionStatus.superseded if sid.endswith("s") else SubmissionStatus.active,
            bundle_sha256=sid.ljust(64, "0"),
            signing_kid="kid",
            manifest={},
            receipt={},
            record_counts={"incidents": 1},
            received_at=received,
        )
    )
    session.flush()
    incident = Incident(
        submission_id=sid,
        org_id=org,
        agreement_id="demo-london",
        quarter="2026-Q1",
        incident_key="k" + sid,
        first_known_month="2026-01",
        source_channel="unknown",
        county_lines="unknown",
        premises_type="unknown",
        exploitation_scope="unknown",
    )
    session.add(incident)
    session.flush()
    session.add(IncidentCode(incident_id=incident.id, field="exploitation_types", code="labour"))
    session.add(
        Person(
            incident_id=incident.id,
            submission_id=sid,
            org_id=org,
            person_seq=1,
            role="victim",
            gender="unknown",
            age_band="unknown",
            age_group="unknown",
            nationality="unknown",
            relationship="unknown",
        )
    )
    session.flush()
    summaries.refresh(session, [sid])


def test_purge_deletes_records_past_retention_keeps_metadata_and_audits(session: Session) -> None:
    add_orgs(session)
    service.load_version(
        session, DEMO.replace("retention_months: 36", "retention_months: 12"), actor="t"
    )
    today = date(2026, 6, 15)
    _submission(session, "old-active", datetime(2025, 6, 1, tzinfo=UTC))
    _submission(session, "old-s", datetime(2025, 6, 14, tzinfo=UTC))
    _submission(session, "recent", datetime(2025, 6, 16, tzinfo=UTC), org="lb-newham")
    counts = service.purge_expired_records(session, today)
    assert counts == {
        "submissions": 2,
        "incidents": 2,
        "persons": 2,
        "selectors": 0,
        "referrals": 0,
    }
    left = session.scalars(select(Incident.submission_id)).all()
    assert left == ["recent"]
    assert session.scalar(select(func.count()).select_from(IncidentCode)) == 1
    statuses = {
        sid: status for sid, status in session.execute(select(Submission.id, Submission.status))
    }
    assert statuses == {"old-active": "purged", "old-s": "purged", "recent": "active"}
    [entry] = session.scalars(
        select(AuditEntry).where(AuditEntry.action == "retention.purge")
    ).all()
    assert entry.providers == ["demo-ngo"]
    assert sorted(entry.details["submissions"]) == ["old-active", "old-s"]  # type: ignore[call-overload]
    assert service.purge_expired_records(session, today)["submissions"] == 0
    assert audit.verify(session).ok


def test_scheduled_purge_runs_once_per_interval(session: Session) -> None:
    add_orgs(session)
    service.load_version(
        session, DEMO.replace("retention_months: 36", "retention_months: 1"), actor="t"
    )
    now = datetime(2026, 6, 15, 3, tzinfo=UTC)
    _submission(session, "old-1", now - timedelta(days=90))
    assert retention.purge_if_due(session, now, timedelta(hours=24)) == {
        "submissions": 1,
        "incidents": 1,
        "persons": 1,
        "selectors": 0,
        "referrals": 0,
    }
    _submission(session, "old-2", now - timedelta(days=90))
    assert retention.purge_if_due(session, now + timedelta(hours=23), timedelta(hours=24)) is None
    counts = retention.purge_if_due(session, now + timedelta(hours=25), timedelta(hours=24))
    assert counts is not None
    assert counts["submissions"] == 1
    state = session.get(HubState, retention.STATE)
    assert state is not None
    assert datetime.fromisoformat(state.value) == now + timedelta(hours=25)


# --- CLI -------------------------------------------------------------------------------------


@pytest.fixture
def cli_env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    make_settings(db_url, tmp_path)
    monkeypatch.setenv("MSHT_DATABASE_URL", db_url)
    monkeypatch.setenv("MSHT_PSEUDONYM_KEY", TEST_PSEUDONYM_KEY)
    monkeypatch.setenv("MSHT_SESSION_KEY", TEST_SESSION_KEY)
    monkeypatch.setenv("MSHT_SIGNING_KEY_FILE", str(tmp_path / "hub-signing.pem"))
    return db_url


def cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli_app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_cli_load_list_show_status_diff_and_purge(cli_env: str, tmp_path: Path) -> None:
    file = tmp_path / "demo.yaml"
    file.write_text(DEMO, encoding="utf-8")
    code, out, err = cli("agreement", "load", str(file))
    assert (code, out) == (0, "loaded demo-london version 1 (active)\n")
    assert "WARNING: this is a demo agreement" in err
    code, _, err = cli("agreement", "load", str(file))
    assert code == 1
    assert "already at version 1" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEMO.replace("version: 1", "version: 2").replace("min_count: 5", "min_count: 1"))
    code, _, err = cli("agreement", "load", str(bad))
    assert code == 1
    assert f"line {DEMO.splitlines().index('  min_count: 5') + 1}, disclosure.min_count:" in err
    assert cli("agreement", "validate", str(bad))[0] == 1
    assert cli("agreement", "validate", str(file))[0] == 0
    assert (
        cli("agreement", "suspend", "demo-london")[1]
        == "demo-london is now suspended (version 2)\n"
    )
    assert (
        cli("agreement", "activate", "demo-london")[1] == "demo-london is now active (version 3)\n"
    )
    assert (
        cli("agreement", "revoke", "demo-london")[1] == "demo-london is now revoked (version 4)\n"
    )
    code, _, err = cli("agreement", "activate", "demo-london")
    assert code == 1
    assert "revoked and cannot become active" in err
    code, out, _ = cli("agreement", "list")
    assert out.startswith("demo-london\tv4\trevoked\t2024-01-01..2030-12-31\t")
    assert cli("agreement", "show", "demo-london", "--version", "1")[1] == DEMO
    assert "status: revoked" in cli("agreement", "show", "demo-london")[1]
    assert cli("agreement", "show", "demo-london", "--history")[1].count("\n") == 4
    code, out, _ = cli("agreement", "diff", "demo-london", "1", "2")
    assert "-status: active\n+status: suspended\n" in out
    assert cli("agreement", "show", "nothing-here")[0] == 1
    assert cli("purge") == (
        0,
        "purged 0 submissions, 0 incidents, 0 persons, 0 selectors, 0 referrals\n",
        "",
    )
    assert cli("audit", "verify")[0] == 0


# --- API -------------------------------------------------------------------------------------


@pytest.fixture
def api(
    db_url: str, tmp_path: Path
) -> Iterator[tuple[TestClient, dict[str, str], sessionmaker[Session]]]:
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    with factory() as s:
        seed(s, per_quarter=30)
        operator = add_user(s, "olive", "operator", "hub-operator")
        officer = add_user(s, "newham.officer", "borough_officer", "lb-newham")
        tokens = {
            "operator": create_api_token(s, operator, label="t"),
            "officer": create_api_token(s, officer, label="t"),
        }
        s.commit()
    app = create_app(make_settings(db_url, tmp_path, demo=True))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client, tokens, factory
    engine.dispose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_api_versions_status_changes_and_diff(
    api: tuple[TestClient, dict[str, str], sessionmaker[Session]],
) -> None:
    client, tokens, factory = api
    op = bearer(tokens["operator"])
    listed = client.get("/api/v1/agreements", headers=op).json()
    assert [(a["id"], a["version"], a["status"]) for a in listed] == [("demo-london", 1, "active")]
    bad = DEMO.replace("version: 1", "version: 2").replace("rounding_base: 5", "rounding_base: 0")
    response = client.post("/api/v1/agreements", headers=op, json={"document": bad})
    assert response.status_code == 422
    [problem] = response.json()["problems"]
    assert problem["path"] == "disclosure.rounding_base"
    assert problem["line"] == bad.splitlines().index("  rounding_base: 0") + 1
    check = client.post("/api/v1/agreements/validate", headers=op, json={"document": bad}).json()
    assert check["valid"] is False
    assert check["problems"][0]["path"] == "disclosure.rounding_base"
    good = DEMO.replace("version: 1", "version: 2").replace("min_count: 5", "min_count: 10")
    created = client.post("/api/v1/agreements", headers=op, json={"document": good})
    assert created.status_code == 201
    assert created.json()["version"] == 2
    assert client.post("/api/v1/agreements", headers=op, json={"document": good}).status_code == 409
    assert (
        client.post("/api/v1/agreements/demo-london/suspend", headers=op).json()["status"]
        == "suspended"
    )
    detail = client.get("/api/v1/agreements/demo-london", headers=op).json()
    assert [v["version"] for v in detail["versions"]] == [3, 2, 1]
    assert detail["agreement"]["disclosure"]["min_count"] == 10
    assert (
        client.get("/api/v1/agreements/demo-london/versions/2", headers=op).json()["document"]
        == good
    )
    diff = client.get("/api/v1/agreements/demo-london/diff?v1=1&v2=2", headers=op).json()["diff"]
    assert "-  min_count: 5\n+  min_count: 10\n" in diff
    assert (
        client.get("/api/v1/agreements/demo-london/diff?v1=1&v2=7", headers=op).status_code == 404
    )
    assert client.get("/api/v1/agreements/nope", headers=op).status_code == 404
    with factory() as s:
        actions = s.scalars(
            select(AuditEntry.action).where(AuditEntry.agreement_id == "demo-london")
        ).all()
        assert actions.count("agreement.load") == 2  # the seed's and the API's
        assert "agreement.suspended" in actions
        assert audit.verify(s).ok


def test_officer_is_refused_every_agreement_route(
    api: tuple[TestClient, dict[str, str], sessionmaker[Session]],
) -> None:
    client, tokens, _ = api
    officer = bearer(tokens["officer"])
    calls = [
        ("GET", "/api/v1/agreements"),
        ("POST", "/api/v1/agreements"),
        ("POST", "/api/v1/agreements/validate"),
        ("POST", "/api/v1/agreements/purge"),
        ("GET", "/api/v1/agreements/demo-london"),
        ("GET", "/api/v1/agreements/demo-london/versions/1"),
        ("GET", "/api/v1/agreements/demo-london/diff?v1=1&v2=1"),
        ("POST", "/api/v1/agreements/demo-london/activate"),
        ("POST", "/api/v1/agreements/demo-london/suspend"),
        ("POST", "/api/v1/agreements/demo-london/revoke"),
        ("POST", "/api/v1/agreements/demo-london/expire"),
    ]
    for method, url in calls:
        body = {"document": DEMO} if method == "POST" else None
        assert client.request(method, url, headers=officer, json=body).status_code == 403, url
        assert client.request(method, url, json=body).status_code == 401, url


def test_revoking_changes_the_next_statistics_response(
    api: tuple[TestClient, dict[str, str], sessionmaker[Session]],
) -> None:
    client, tokens, _ = api
    before = client.get(f"/api/v1/stats/{NEWHAM}/overview", headers=bearer(tokens["officer"]))
    assert before.status_code == 200, before.text
    assert "based on 3 of 4 partners" in before.json()["privacy"]["explanations"][0]
    assert (
        client.post(
            "/api/v1/agreements/demo-london/suspend", headers=bearer(tokens["operator"])
        ).status_code
        == 200
    )
    after = client.get(f"/api/v1/stats/{NEWHAM}/overview", headers=bearer(tokens["officer"]))
    assert "agreement demo-london is suspended" in " ".join(after.json()["privacy"]["explanations"])
    assert "based on 0 of 0 partners" in after.json()["privacy"]["explanations"][0]
    assert (
        client.post(
            "/api/v1/agreements/demo-london/activate", headers=bearer(tokens["operator"])
        ).status_code
        == 200
    )
    again = client.get(f"/api/v1/stats/{NEWHAM}/overview", headers=bearer(tokens["officer"]))
    # The same figures again, now labelled with the version that governs them.
    assert "demo-london v3" in again.text
    assert again.text.replace("demo-london v3", "demo-london v1") == before.text
    client.post("/api/v1/agreements/demo-london/revoke", headers=bearer(tokens["operator"]))
    revoked = client.get(f"/api/v1/stats/{NEWHAM}/overview", headers=bearer(tokens["officer"]))
    assert "agreement demo-london is revoked" in " ".join(revoked.json()["privacy"]["explanations"])


def test_run_once_commits_the_purge_and_its_marker(db_url: str) -> None:
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    with factory() as s:
        add_orgs(s)
        service.load_version(s, DEMO.replace("retention_months: 36", "retention_months: 1"), actor="t")
        _submission(s, "old-1", datetime.now(UTC) - timedelta(days=90))
        s.commit()
    counts = retention.run_once(factory, timedelta(hours=24))
    assert counts is not None
    assert counts["submissions"] == 1
    assert retention.run_once(factory, timedelta(hours=24)) is None  # another process, same day
    with factory() as s:
        assert s.scalar(select(func.count()).select_from(Incident)) == 0
        assert s.get(HubState, retention.STATE) is not None
    engine.dispose()
