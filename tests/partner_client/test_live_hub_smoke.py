"""The live hub helper starts a real hub that enrols a partner through `msht-client init`."""

import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from partner_client.cli import app
from tests.hubs import run_hub


def test_init_enrols_and_keeps_keys_private(tmp_path: Path) -> None:
    with run_hub(tmp_path / "hub") as hub:
        token = hub.enrolment_token("demo-ngo")
        home = tmp_path / "client"
        result = CliRunner().invoke(app, ["init", "--hub", hub.url, "--token", token, "--home", str(home)])
        assert result.exit_code == 0, result.output
        assert "demo-ngo" in result.output
        for name in ("client.json", "signing-key.pem"):
            mode = stat.S_IMODE(os.stat(home / name).st_mode)
            assert mode == 0o600, (name, oct(mode))
        again = CliRunner().invoke(app, ["init", "--hub", hub.url, "--token", token, "--home", str(tmp_path / "c2")])
        assert again.exit_code == 1
        assert "already used" in again.output


def test_status_withdraw_and_a_hub_that_goes_down(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from partner_client.demo_data import generate
    from tests.hubs import DEMO_AGREEMENT

    monkeypatch.setenv("MSHT_CLIENT_BACKOFF_SECONDS", "0")
    monkeypatch.setenv("MSHT_CLIENT_UPLOAD_ATTEMPTS", "2")
    exports = generate(tmp_path / "exports", seed=3, rows=15)
    runner = CliRunner()
    home = tmp_path / "client"
    with run_hub(tmp_path / "hub") as hub:
        assert runner.invoke(app, ["init", "--hub", hub.url, "--token", hub.enrolment_token("demo-hospital"), "--home", str(home)]).exit_code == 0
        key = tmp_path / "k.key"
        assert runner.invoke(app, ["key", "generate", "--out", str(key)]).exit_code == 0
        assert runner.invoke(app, ["key", "import", str(key), "--home", str(home)]).exit_code == 0
        shown = runner.invoke(app, ["key", "show", "--home", str(home)]).output
        assert "fingerprint" in shown
        assert key.read_text(encoding="utf-8").strip() not in shown
        bundle = tmp_path / "b.zip"
        profile = Path(__file__).resolve().parents[2] / "partner_client" / "profiles" / "hospital_flags.yaml"
        prepared = runner.invoke(app, [
            "prepare", str(exports.hospital_flags), "--profile", str(profile), "--quarter", "2026Q3", "--out", str(bundle),
            "--agreement", str(DEMO_AGREEMENT), "--home", str(home),
        ])
        assert prepared.exit_code == 0, prepared.output
        assert runner.invoke(app, ["upload", str(bundle), "--home", str(home)]).exit_code == 0
        withdrawn = runner.invoke(app, ["withdraw", "2026Q3", "--yes", "--home", str(home)])
        assert withdrawn.exit_code == 0, withdrawn.output
        assert "Withdrawn" in withdrawn.output
        status = runner.invoke(app, ["status", "--home", str(home)]).output
        assert "withdrawn" in status
    down = runner.invoke(app, ["upload", str(bundle), "--home", str(home)])
    assert down.exit_code == 1
    assert "could not be reached" in down.output
    assert "safe" in down.output
