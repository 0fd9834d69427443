"""`preview`: exactly what a bundle will send — the manifest and every record, nothing more or less."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from anonymise.bundle import BundleError, OpenedBundle, open_bundle, parquet_rows
from anonymise.schema import TABLES
from partner_client.errors import ClientError


def read_bundle(path: Path) -> OpenedBundle:
    try:
        data = path.read_bytes()
    except OSError:
        raise ClientError(f"The bundle {path.name} cannot be read.", hint="Check the path.") from None
    try:
        return open_bundle(data)
    except BundleError as exc:
        raise ClientError(
            f"{path.name} is not an intact bundle: {exc}.", hint="Prepare it again with `msht-client prepare`."
        ) from None


def records(bundle: OpenedBundle) -> Iterator[tuple[str, dict[str, Any]]]:
    for table in TABLES:
        for row in parquet_rows(bundle.tables[f"{table}.parquet"]):
            yield table, row


def json_lines(bundle: OpenedBundle) -> Iterator[str]:
    """The manifest first, then one line per record that will leave, table by table."""
    yield json.dumps({"manifest": json.loads(bundle.manifest_bytes)}, ensure_ascii=False, sort_keys=True)
    for table, row in records(bundle):
        yield json.dumps({"table": table, "record": row}, ensure_ascii=False, sort_keys=True)


def summary(bundle: OpenedBundle) -> dict[str, Any]:
    m = bundle.manifest
    return {
        "partner": m.partner_id,
        "quarter": m.reporting_period,
        "agreement": f"{m.agreement_id} v{m.agreement_version}",
        "record_counts": m.record_counts,
        "privacy_report": m.privacy_report,
        "sample": {t: [r for tt, r in records(bundle) if tt == t][:5] for t in TABLES},
    }
