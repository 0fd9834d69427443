"""`preview`: exactly what a bundle will send — the manifest and every record, nothing more or less."""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anonymise.bundle import BundleError, OpenedBundle, open_bundle, parquet_rows
from anonymise.schema import TABLES
from partner_client.errors import ClientError

_PLACEHOLDER = re.compile(r"<([A-Z][A-Z_]*?)_(\d+(?:_\d+|_PLUS)?)>")
GUARD_TYPES = frozenset({"UNKNOWN"})
"""Placeholders of words removed only because nothing vouched for them (no ordinary word, no name list)."""


@dataclass(frozen=True, slots=True)
class Piece:
    """A stretch of a scrubbed note: plain text, a placeholder, or a placeholder the guard put there."""

    text: str
    kind: str  # "text" | "placeholder" | "guard"


def pieces(note: str) -> list[Piece]:
    """A scrubbed note cut into plain text and placeholders, for highlighting.

    >>> [(p.text, p.kind) for p in pieces("<PERSON_1> met <UNKNOWN_1>, aged <AGE_9_17>.")]
    [('<PERSON_1>', 'placeholder'), (' met ', 'text'), ('<UNKNOWN_1>', 'guard'), (', aged ', 'text'), ('<AGE_9_17>', 'placeholder'), ('.', 'text')]
    """
    out: list[Piece] = []
    cursor = 0
    for m in _PLACEHOLDER.finditer(note):
        if m.start() > cursor:
            out.append(Piece(note[cursor : m.start()], "text"))
        out.append(Piece(m[0], "guard" if m[1] in GUARD_TYPES else "placeholder"))
        cursor = m.end()
    if cursor < len(note):
        out.append(Piece(note[cursor:], "text"))
    return out


def notes(bundle: OpenedBundle) -> list[str]:
    """Every scrubbed note the bundle will send, in full, in record order."""
    return [row["narrative"] for table, row in records(bundle) if table == "incidents" and row.get("narrative")]


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
