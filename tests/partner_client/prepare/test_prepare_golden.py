"""`prepare` on the four demo exports sends exactly what it sent when the golden file was written.

A characterisation test: restructuring `partner_client.prepare` must not change one value of a
bundle. The golden file keeps, per demo partner, a digest of each table's rows and the manifest
without what differs per run (submission id, time, file hashes). If you changed what `prepare`
sends on purpose, regenerate it and say why in the commit:

    .venv/bin/python -m tests.partner_client.prepare.test_prepare_golden
"""

import hashlib
import io
import itertools
import json
import sys
import zipfile
from datetime import date
from pathlib import Path
from typing import Any, Final

import pyarrow.parquet as pq
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from anonymise.agreement import load_agreement
from anonymise.keys import LinkageKey
from partner_client.demo_data import generate
from partner_client.prepare import Party, Pipeline
from partner_client.profile import load_profile

REPO: Final = Path(__file__).resolve().parents[3]
GOLDEN: Final = Path(__file__).with_name("prepare_golden.json")
PARTNERS: Final = {
    "demo-ngo": ("ngo_cases.csv", "ngo_cases.yaml"),
    "lb-newham": ("borough_safeguarding.csv", "borough_safeguarding.yaml"),
    "demo-hospital": ("hospital_flags.csv", "hospital_flags.yaml"),
    "demo-police": ("police_intel.csv", "police_intel.yaml"),
}
ROWS: Final = 120
K: Final = 3
"""The demo agreement's upload minimum k is 1; the bundles are also prepared under k = 3."""
PER_RUN: Final = ("submission_id", "created_at", "files")


def _summary(bundle: Path) -> dict[str, Any]:
    with zipfile.ZipFile(bundle) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        tables = {
            name: pq.read_table(io.BytesIO(archive.read(name))).to_pylist()
            for name in sorted(archive.namelist()) if name.endswith(".parquet")
        }
    return {
        "manifest": {k: v for k, v in sorted(manifest.items()) if k not in PER_RUN},
        "tables": {
            name: {
                "rows": len(rows),
                "sha256": hashlib.sha256(json.dumps(rows, sort_keys=True, default=str).encode()).hexdigest(),
            }
            for name, rows in tables.items()
        },
    }


def prepare_demo(work: Path) -> dict[str, Any]:
    """Every demo partner's bundle for one quarter of seeded demo data, as content digests."""
    data = generate(work / "data", seed=7, rows=ROWS, quarter="2026-Q3")
    demo = load_agreement(REPO / "policies" / "demo.yaml")
    strict = demo.model_copy(update={"upload_min_k": K})
    key = LinkageKey.from_bytes(b"golden-test linkage key, 32 bytes or more of it", demo=True)
    signing = Ed25519PrivateKey.from_private_bytes(bytes(32))
    out: dict[str, Any] = {}
    for (partner_id, (csv_name, profile_name)), agreement in itertools.product(PARTNERS.items(), (demo, strict)):
        party = agreement.party(partner_id)
        assert party is not None
        profile_path = REPO / "partner_client" / "profiles" / profile_name
        pipeline = Pipeline(
            profile=load_profile(profile_path),
            profile_dir=profile_path.parent,
            quarter="2026-Q3",
            party=Party(partner_id=partner_id, partner_type=party.kind.value, agreement=agreement),
            linkage_key=key,
            today=date(2026, 11, 2),
            ner=False,
            workers=1,
        )
        name = f"{partner_id} k={agreement.upload_min_k}"
        prepared = pipeline.run(data.out_dir / csv_name, work / "bundles" / f"{name}.zip", signing)
        out[name] = _summary(prepared.bundle_path)
    return out


@pytest.mark.slow
def test_demo_bundles_match_the_golden_file(tmp_path: Path) -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    now = prepare_demo(tmp_path)
    assert len(now) == 2 * len(PARTNERS)
    assert set(now) == set(golden)
    for name in now:
        assert now[name]["tables"] == golden[name]["tables"], f"{name}: table contents differ"
        assert now[name]["manifest"] == golden[name]["manifest"], f"{name}: manifest differs"


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        GOLDEN.write_text(json.dumps(prepare_demo(Path(scratch)), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    sys.stdout.write(f"wrote {GOLDEN}\n")
