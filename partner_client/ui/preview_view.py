"""The honest preview for the page: every record that will leave, a page at a time, with pseudonyms
as numbered badges (never 64 characters), notes as numbered links to the note shown in full, and
the risk figures exactly as the manifest holds them; and the hub's receipt in words."""

from typing import Any, Final

from anonymise.bundle import OpenedBundle
from anonymise.schema import TABLES
from partner_client.preview import notes, pieces, records
from partner_client.review import QUASI_IDENTIFIERS, risk_figures
from partner_client.ui.labels import (
    TABLE_LABELS,
    column_label,
    is_pseudonym,
    table_words,
    value_label,
)

PAGE_SIZE: Final = 25


class Pseudonyms:
    """The same keyed hash gets the same short number on every page of one preview."""

    def __init__(self) -> None:
        self.numbers: dict[str, dict[str, int]] = {}

    def number(self, column: str, value: str) -> int:
        # incident_pid and person_seq identify a case across tables: one numbering for cases
        space = self.numbers.setdefault("incident_pid" if column == "incident_pid" else column, {})
        return space.setdefault(value, len(space) + 1)


def _cell(column: str, value: Any, pseudonyms: Pseudonyms, note_numbers: dict[str, int]) -> dict[str, Any]:
    if value is None or value == "" or value == []:
        return {"kind": "empty"}
    if is_pseudonym(column):
        return {"kind": "pseudonym", "n": pseudonyms.number(column, str(value))}
    if column == "narrative":
        return {"kind": "note", "n": note_numbers.get(str(value), 0)}
    values = [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
    shown = [value_label(column, v) for v in values]
    cell: dict[str, Any] = {"kind": "text", "text": ", ".join(words for words, _ in shown)}
    if any(code is not None for _, code in shown):
        cell["code"] = ", ".join(values)
    return cell


class PreviewView:
    """Built once per prepared bundle; pages are cut from it on request."""

    def __init__(self, bundle: OpenedBundle) -> None:
        self.bundle = bundle
        self.pseudonyms = Pseudonyms()
        self.notes = notes(bundle)
        self.note_numbers = {text: n for n, text in enumerate(self.notes, start=1)}
        self.rows: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}
        for table, row in records(bundle):
            self.rows[table].append(row)

    def tables(self) -> list[dict[str, Any]]:
        return [
            {"table": t, "label": TABLE_LABELS.get(t, t), "count": len(rows), "pages": max(1, -(-len(rows) // PAGE_SIZE))}
            for t, rows in self.rows.items() if rows
        ]

    def page(self, table: str, number: int) -> dict[str, Any]:
        rows = self.rows.get(table, [])
        columns = list(rows[0]) if rows else []
        start = max(0, number - 1) * PAGE_SIZE
        chunk = rows[start : start + PAGE_SIZE]
        return {
            "table": table, "label": TABLE_LABELS.get(table, table), "page": number,
            "pages": max(1, -(-len(rows) // PAGE_SIZE)), "count": len(rows), "first": start + 1,
            "columns": [{"name": c, "label": column_label(c)} for c in columns],
            "rows": [[_cell(c, r.get(c), self.pseudonyms, self.note_numbers) for c in columns] for r in chunk],
        }

    def summary(self) -> dict[str, Any]:
        manifest = self.bundle.manifest.model_dump(mode="json")
        return {
            "risk": risk_figures(manifest.get("privacy_report", {})) | {"quasi_identifiers": list(QUASI_IDENTIFIERS)},
            "tables": self.tables(),
            "notes": [[{"text": p.text, "kind": p.kind} for p in pieces(note)] for note in self.notes],
        }


RECEIPT_LABELS: Final = {
    "submission_id": "Submission number", "quarter": "Quarter", "org_id": "Sent as", "partner_id": "Sent as",
    "status": "Status", "received_at": "Received by the hub", "record_counts": "Records received",
    "agreement_id": "Agreement", "agreement_version": "Agreement version", "bundle_sha256": "Bundle fingerprint",
    "replaces": "Replaces submission", "duplicate": "Already received before", "supersedes": "Replaces earlier submissions",
    "kid": "Signed by", "key_id": "Signed by",
}


def hub_key_words(kid: str) -> str:
    """The hub's signing-key id (the start of its public key's SHA-256) in words, every character
    kept, grouped in fours so it can be read out and compared with the key the client pinned.

    >>> hub_key_words("3f9a0c1d22b4e5f6")
    "the hub's key with fingerprint 3f9a-0c1d-22b4-e5f6"
    """
    return "the hub's key with fingerprint " + "-".join(kid[i : i + 4] for i in range(0, len(kid), 4))


def receipt_rows(body: dict[str, Any], org_name: str | None = None, agreement_title: str | None = None) -> list[dict[str, str]]:
    """The hub's signed receipt as label/value lines (long fingerprints shortened, tables and the
    organisation in words, the signature said checked); a code shown in words is kept as ``code``.

    >>> receipt_rows({"receipt": {"submission_id": "7", "record_counts": {"person_keys": 3}, "bundle_sha256": "ab" * 32}})
    [{'label': 'Submission number', 'value': '7'}, {'label': 'Records received', 'value': '3 other identifiers (as pseudonyms)'}, {'label': 'Bundle fingerprint', 'value': 'abababab…abab'}, {'label': 'Signature', 'value': "checked: the hub's own key signed this receipt"}]
    >>> receipt_rows({"org_id": "demo-ngo"}, "Hope Street Refuge")[0]
    {'label': 'Sent as', 'value': 'Hope Street Refuge', 'code': 'demo-ngo'}
    >>> receipt_rows({"agreement_id": "demo-london"}, agreement_title="London data sharing (demo)")[0]
    {'label': 'Agreement', 'value': 'London data sharing (demo)', 'code': 'demo-london'}
    >>> receipt_rows({"kid": "3f9a0c1d22b4e5f6"})[0]
    {'label': 'Signed by', 'value': "the hub's key with fingerprint 3f9a-0c1d-22b4-e5f6", 'code': '3f9a0c1d22b4e5f6'}
    """
    receipt = body.get("receipt", body)
    out = []
    for key, value in receipt.items():
        if key in {"signature", "receipt_format"}:
            continue
        line = {"label": RECEIPT_LABELS.get(key, key.replace("_", " ").capitalize())}
        if key in {"org_id", "partner_id"} and org_name:
            out.append(line | {"value": org_name, "code": str(value)})
            continue
        if key in {"kid", "key_id"} and isinstance(value, str) and value:
            out.append(line | {"value": hub_key_words(value), "code": value})
            continue
        if key == "agreement_id" and agreement_title:
            out.append(line | {"value": agreement_title, "code": str(value)})
            continue
        if key == "record_counts" and isinstance(value, dict):
            text = table_words(value)
        elif isinstance(value, dict):
            text = ", ".join(f"{n} {k}" for k, n in value.items())
        elif isinstance(value, list):
            text = ", ".join(str(v) for v in value) or "none"
        elif key.endswith("_at") and isinstance(value, str) and "T" in value:
            text = value[:16].replace("T", " at ") + " UTC"
        elif isinstance(value, str) and len(value) > 40:
            text = f"{value[:8]}…{value[-4:]}"
        else:
            text = str(value)
        out.append(line | {"value": text})
    out.append({"label": "Signature", "value": "checked: the hub's own key signed this receipt"})
    return out
