"""The refusal contract end to end: a real hub refuses a bundle a partner signed, and the client names
table, row, column and rule from the hub's body, parsed with the shared ``anonymise.Refusal``."""

import base64
import io
import json
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from anonymise.bundle import MANIFEST, SIGNATURE, canonical_json, sha256_hex
from partner_client.cli import app
from partner_client.config import ClientSettings
from partner_client.demo_data import generate
from partner_client.errors import ClientError
from partner_client.keystore import load_signing_key
from partner_client.upload import Hub
from tests.factories import zip_files
from tests.hubs import DEMO_AGREEMENT, run_hub

PROFILE = Path(__file__).resolve().parents[2] / "partner_client" / "profiles" / "hospital_flags.yaml"


def _second_incident_in_another_quarter(bundle: Path, settings: ClientSettings) -> None:
    """Move incident row 2 to another quarter, then re-hash and re-sign as the partner: intact, but wrong."""
    archive = zipfile.ZipFile(bundle)
    files = {info.filename: archive.read(info) for info in archive.infolist()}
    table = pq.read_table(io.BytesIO(files["incidents.parquet"]))
    at = table.schema.get_field_index("reporting_quarter")
    quarters = table.column(at).to_pylist()
    assert len(quarters) >= 2
    quarters[1] = "2026-Q1"
    table = table.set_column(at, table.schema.field(at), pa.array(quarters, type=table.schema.field(at).type))
    out = io.BytesIO()
    pq.write_table(table, out)
    files["incidents.parquet"] = out.getvalue()
    manifest = json.loads(files[MANIFEST])
    manifest["files"]["incidents.parquet"] = sha256_hex(files["incidents.parquet"])
    files[MANIFEST] = canonical_json(manifest)
    files[SIGNATURE] = base64.b64encode(load_signing_key(settings).sign(files[MANIFEST]))
    bundle.write_bytes(zip_files(files))


def test_the_real_hub_refuses_and_the_client_names_row_column_and_rule(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MSHT_CLIENT_BACKOFF_SECONDS", "0")
    runner = CliRunner()
    exports = generate(tmp_path / "exports", seed=3, rows=15)
    home = tmp_path / "client"
    settings = ClientSettings(home=home)
    bundle = tmp_path / "b.zip"
    with run_hub(tmp_path / "hub") as hub:
        enrolled = runner.invoke(app, ["init", "--hub", hub.url, "--token", hub.enrolment_token("demo-hospital"), "--home", str(home)])
        assert enrolled.exit_code == 0, enrolled.output
        key = tmp_path / "k.key"
        assert runner.invoke(app, ["key", "generate", "--out", str(key)]).exit_code == 0
        assert runner.invoke(app, ["key", "import", str(key), "--home", str(home)]).exit_code == 0
        prepared = runner.invoke(app, [
            "prepare", str(exports.hospital_flags), "--profile", str(PROFILE), "--quarter", "2026Q3", "--out", str(bundle),
            "--agreement", str(DEMO_AGREEMENT), "--home", str(home),
        ])
        assert prepared.exit_code == 0, prepared.output
        _second_incident_in_another_quarter(bundle, settings)

        with pytest.raises(ClientError) as refused:
            Hub(settings).upload(bundle)
        assert "(422)" in refused.value.message
        assert "nothing was stored" in refused.value.message
        named = [p for p in refused.value.problems if p.rule == "quarter_mismatch"]
        assert len(named) == 1, refused.value.problems
        assert named[0].message.startswith("table incidents, row 2, column reporting_quarter: ")

        shown = runner.invoke(app, ["upload", str(bundle), "--home", str(home)])
        assert shown.exit_code == 1
        assert "row 2, column reporting_quarter" in shown.output
