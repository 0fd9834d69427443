"""The local case index: which of your case references each record you sent is, kept on this machine only.

``prepare`` writes, for each bundle, its submission id and, in the order of the bundle's incidents
table, each record's pseudonymous row key (``incident_pid``) with the case reference it was made
from. The file (``case-index.json``, 0600, beside the keystore) never leaves this machine: the
hub names a record of yours in an alert only by your submission id and its row, and this index
turns that into your case reference. The hub never learns it.
"""

import io
import json
from pathlib import Path
from typing import Any, Final

import pyarrow.parquet as pq

from partner_client.config import ClientSettings, write_private
from partner_client.preview import read_bundle

INDEX_FILE: Final = "case-index.json"
INDEX_FORMAT: Final = 1
NO_CASE_ID_PREFIX: Final = "row-"
"""A row without a case id is pseudonymised as ``row-<export row>`` (``prepare.row``)."""


def index_path(settings: ClientSettings) -> Path:
    return settings.home / INDEX_FILE


def _load(settings: ClientSettings) -> dict[str, Any]:
    path = index_path(settings)
    if not path.exists():
        return {"format": INDEX_FORMAT, "submissions": {}}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) and isinstance(data.get("submissions"), dict) else {"format": INDEX_FORMAT, "submissions": {}}


def record_bundle(settings: ClientSettings, bundle_path: Path, case_refs: dict[str, str]) -> int:
    """Add a prepared bundle to the index: its rows' keys and case references, in bundle order; returns rows indexed."""
    opened = read_bundle(bundle_path)
    table = pq.read_table(io.BytesIO(opened.tables["incidents.parquet"]), columns=["incident_pid"])
    pids = [str(p) for p in table.column("incident_pid").to_pylist()]
    data = _load(settings)
    data["submissions"][str(opened.manifest.submission_id)] = {
        "quarter": opened.manifest.reporting_period,
        "rows": [[pid, case_refs.get(pid)] for pid in pids],
    }
    write_private(index_path(settings), json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode())
    return len(pids)


def case_reference(settings: ClientSettings, submission_id: str, row: int) -> str | None:
    """Your case reference of the ``row``-th record of your submission, or None when this machine did not prepare it."""
    rows = _load(settings)["submissions"].get(submission_id, {}).get("rows", [])
    if not 0 <= row < len(rows):
        return None
    ref = rows[row][1]
    return str(ref) if ref is not None else None


def shown(ref: str | None) -> str:
    """A case reference as a caseworker reads it."""
    if ref is None:
        return "(not prepared on this machine)"
    if ref.startswith(NO_CASE_ID_PREFIX) and ref[len(NO_CASE_ID_PREFIX):].isdigit():
        return f"(no case id: export row {ref[len(NO_CASE_ID_PREFIX):]})"
    return ref
