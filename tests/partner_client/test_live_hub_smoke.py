"""The live hub helper starts a real hub that enrols a partner through `msht-client init`."""

import os
import stat
from pathlib import Path

from typer.testing import CliRunner

from partner_client.cli import app
from tests.partner_client.live_hub import run_hub


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
