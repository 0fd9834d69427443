"""`msht-hub` operator commands against a real migrated database (typer's CliRunner, same process)."""

import stat
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from hub.cli import app as cli
from hub.db import make_engine
from hub.main import create_app
from tests.conftest import TEST_PSEUDONYM_KEY, TEST_SESSION_KEY, make_settings

runner = CliRunner()


@pytest.fixture
def env(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    make_settings(db_url, tmp_path)  # writes the signing key
    values = {
        "MSHT_DATABASE_URL": db_url,
        "MSHT_PSEUDONYM_KEY": TEST_PSEUDONYM_KEY,
        "MSHT_SESSION_KEY": TEST_SESSION_KEY,
        "MSHT_SIGNING_KEY_FILE": str(tmp_path / "hub-signing.pem"),
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def run(*args: str, input: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(cli, list(args), input=input)
    return result.exit_code, result.stdout, result.stderr


def test_help_lists_real_commands() -> None:
    code, out, _ = run("--help")
    assert code == 0
    for name in ("serve", "migrate", "keygen", "partner", "user", "audit"):
        assert name in out
    code, out, _ = run("partner", "--help")
    for name in ("add-org", "enrol-token", "keys", "revoke-key"):
        assert name in out


def test_operator_workflow(env: dict[str, str], db_url: str, tmp_path: Path) -> None:
    assert run("partner", "add-org", "lb-hackney", "--name", "Hackney", "--kind", "LocalGovernmentOrganisation", "--gss", "E09000012")[0] == 0
    assert run("partner", "add-org", "hub-ops", "--name", "Hub operators", "--kind", "CentralGovernmentOrganisation")[0] == 0
    code, _, err = run("partner", "add-org", "lb-hackney", "--name", "Again", "--kind", "NGO")
    assert code == 1
    assert "exists already" in err
    code, out, _ = run("partner", "set-contact", "lb-hackney", "Dee Lead, MSHT lead, dee@hackney.example")
    assert (code, out.strip()) == (0, "contact of lb-hackney set")
    assert run("partner", "set-contact", "lb-nowhere", "x")[0] == 1
    password = tmp_path / "pw"
    password.write_text("a long test password\n")
    assert run("user", "add", "olive", "--org", "hub-ops", "--role", "operator", "--password-file", str(password))[0] == 0
    code, _, _ = run("user", "add", "hana", "--org", "lb-hackney", "--role", "borough_officer", input="another long password\nanother long password\n")
    assert code == 0
    code, out, _ = run("user", "list")
    assert "olive\thub-ops\toperator\tactive" in out
    code, token, _ = run("user", "token", "olive", "--days", "1")
    token = token.strip()
    assert code == 0
    assert token.startswith("msht_")
    app = create_app(make_settings(db_url, tmp_path))
    with TestClient(app) as client:
        assert client.get("/api/v1/orgs", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        code, enrol, _ = run("partner", "enrol-token", "lb-hackney", "--ttl-hours", "2")
        assert code == 0
        body = {"token": enrol.strip(), "public_key": "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="}
        kid = client.post("/api/v1/enrol", json=body).json()["kid"]
        code, out, _ = run("partner", "keys", "lb-hackney")
        assert f"{kid}\tlb-hackney\tactive" in out
        assert run("partner", "revoke-key", kid)[0] == 0
        assert f"{kid}\tlb-hackney\trevoked" in run("partner", "keys")[1]
        code, _, err = run("user", "disable", "olive")
        assert code == 1  # the hub's last active operator (issue 17, L6)
        assert "without an active operator" in err
        assert run("user", "add", "omar", "--org", "hub-ops", "--role", "operator", "--no-password")[0] == 0
        assert run("user", "disable", "olive")[0] == 0
        assert client.get("/api/v1/orgs", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    app.state.engine.dispose()
    code, out, _ = run("audit", "verify")
    assert code == 0
    assert "intact: 11 entries" in out
    code, out, _ = run("audit", "tail", "-n", "3")
    lines = out.strip().splitlines()
    assert [line.split("\t")[3] for line in lines] == ["partner.revoke_key", "user.add", "user.disabled"]  # omar added before olive could go
    assert "a long test password" not in out


def test_audit_verify_exits_1_naming_the_entry(env: dict[str, str], db_url: str) -> None:
    for org in ("ngo-a", "ngo-b", "ngo-c"):
        assert run("partner", "add-org", org, "--name", org, "--kind", "NGO")[0] == 0
    engine = make_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_log SET actor = 'cli:someone-else' WHERE id = 2"))
    engine.dispose()
    code, _, err = run("audit", "verify")
    assert code == 1
    assert "entry 2" in err


def test_password_rules_and_unknown_org(env: dict[str, str], tmp_path: Path) -> None:
    short = tmp_path / "short"
    short.write_text("short")
    assert run("partner", "add-org", "ngo-a", "--name", "A", "--kind", "NGO")[0] == 0
    code, _, err = run("user", "add", "amy", "--org", "ngo-a", "--role", "analyst", "--password-file", str(short))
    assert code == 1
    assert "12 characters" in err
    code, _, err = run("user", "add", "amy", "--org", "ngo-zzz", "--role", "analyst", "--no-password")
    assert code == 1
    assert "no organisation has this id" in err


def test_refuses_unmigrated_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MSHT_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    code, _, err = run("partner", "list")
    assert code == 2
    assert "msht-hub migrate" in err
    assert run("migrate")[0] == 0
    assert run("partner", "list")[0] == 0


def test_keygen_writes_private_files_once(tmp_path: Path) -> None:
    target = tmp_path / "secrets"
    code, out, _ = run("keygen", "--dir", str(target))
    assert code == 0
    assert "MSHT_SIGNING_KEY_FILE=" in out
    for name in ("pseudonym.key", "session.key", "signing.pem"):
        assert stat.S_IMODE((target / name).stat().st_mode) == 0o600
    assert len((target / "pseudonym.key").read_text()) == 64
    before = (target / "pseudonym.key").read_bytes()
    assert run("keygen", "--dir", str(target))[0] == 1
    assert (target / "pseudonym.key").read_bytes() == before


def test_password_change_enable_and_disable_org(env: dict[str, str], db_url: str, tmp_path: Path) -> None:
    assert run("partner", "add-org", "ngo-a", "--name", "A", "--kind", "NGO")[0] == 0
    assert run("user", "add", "amy", "--org", "ngo-a", "--role", "partner_uploader", input="first long password\nfirst long password\n")[0] == 0
    token = run("user", "token", "amy")[1].strip()
    app = create_app(make_settings(db_url, tmp_path))
    auth = {"Authorization": f"Bearer {token}"}
    with TestClient(app) as client:
        assert client.get("/api/v1/session", headers=auth).status_code == 200
        assert run("user", "password", "amy", input="second long password\nsecond long password\n")[0] == 0
        assert client.get("/api/v1/session", headers=auth).status_code == 401  # a password change ends tokens
        token = run("user", "token", "amy")[1].strip()
        auth = {"Authorization": f"Bearer {token}"}
        assert run("user", "disable", "amy")[0] == 0
        assert run("user", "enable", "amy")[0] == 0
        assert client.get("/api/v1/session", headers=auth).status_code == 401  # revoked tokens stay revoked
        token = run("user", "token", "amy")[1].strip()
        assert client.get("/api/v1/session", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        code, out, _ = run("user", "tokens", "amy")
        assert code == 0
        assert token not in out
        rows = [line.split("\t") for line in out.strip().splitlines()]
        assert [r[2] for r in rows] == ["revoked", "revoked", "active"]
        assert run("user", "revoke-token", rows[2][0])[0] == 0
        assert client.get("/api/v1/session", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        token = run("user", "token", "amy")[1].strip()
        assert run("partner", "disable-org", "ngo-a")[0] == 0
        assert client.get("/api/v1/session", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    app.state.engine.dispose()
