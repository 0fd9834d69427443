"""What an upload may carry (issue 17): a closed manifest (M2) and Parquet types without coercion (L7)."""

import base64
import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from anonymise.bundle import MANIFEST, SIGNATURE, Manifest, canonical_json, sha256_hex
from anonymise.schema import TABLES
from tests.factories import (
    FakePartner,
    make_tables,
    manifest_fields,
    raw_table,
    record_rows,
    zip_files,
)
from tests.hub.submissions.test_ingest import nothing_stored, rows_of
from tests.hubs import HubUnderTest

PII = ("Jane Okafor", "07700 900123", "E15 1AA", "1990-03-03")


def _signed(partner: FakePartner, rows: dict[str, list[dict[str, Any]]], tables: dict[str, bytes] | None = None,
            **manifest: Any) -> bytes:
    """A bundle whose manifest is exactly ``manifest`` over the defaults, signed, never passed through the model."""
    files = tables or {f"{t}.parquet": raw_table(rows.get(t, ())) for t in TABLES}
    fields = Manifest.model_validate(
        {**manifest_fields(partner), "record_counts": {t: len(rows.get(t, ())) for t in TABLES},
         "files": {name: sha256_hex(data) for name, data in files.items()}}
    ).model_dump(mode="json")
    fields.update(manifest)
    manifest_bytes = canonical_json(fields)
    return zip_files({**files, MANIFEST: manifest_bytes, SIGNATURE: base64.b64encode(partner.private_key.sign(manifest_bytes))})


def _refused(hub: HubUnderTest, partner: FakePartner, bundle: bytes) -> dict[str, Any]:
    response = hub.upload(partner, bundle)
    assert response.status_code in (413, 422), response.text
    for value in PII:
        assert value not in response.text
    assert nothing_stored(hub)
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(
    "manifest",
    [
        {"privacy_report": {"prepared_by": "Jane Okafor", "phone": "07700 900123"}},
        {"privacy_report": {"contact": {"postcode": "E15 1AA", "born": "1990-03-03"}}},
        {"privacy_report": {"Jane Okafor": 1}},
        {"privacy_report": {"pad": ["x" * 60] * 5000}},
        {"client_version": "0.1.0 prepared by Jane Okafor"},
        {"profile_version": "1" * 200},
    ],
)
def test_the_manifest_is_closed(hub: HubUnderTest, partner: FakePartner, manifest: dict[str, Any]) -> None:
    body = _refused(hub, partner, _signed(partner, rows_of(2), **manifest))
    assert body["problems"][0]["rule"] == "bundle"


def test_a_huge_manifest_is_refused_unread(hub: HubUnderTest, partner: FakePartner) -> None:
    bundle = _signed(partner, rows_of(2), privacy_report={"rows_read": 2, "note": "a" * 20_000_000})
    body = _refused(hub, partner, bundle)
    assert "size limit" in body["problems"][0]["message"]


def test_the_client_s_own_report_is_accepted(hub: HubUnderTest, partner: FakePartner) -> None:
    report = {"rows_read": 10, "removed": {"identifier_columns": 3, "fields_withheld_by_agreement": {"incidents.narrative": 2}},
              "pseudonymised": {"method": "hmac_sha_hkdf", "key_version": 1, "key_fingerprint": "v1:e937-f34c-33cd-4bd7"},
              "narratives": {"name_detection": "columns_only", "entities_replaced": {"PERSON": 2}},
              "coarsened": {"cells": {"by_resolution": {"8": 3}}}, "risk": {"risk_before": 0.25, "quasi_identifiers": ["age_band"]}}
    response = hub.upload(partner, partner.bundle(make_tables(3), privacy_report=report))
    assert response.status_code == 201, response.text


# --- L7: Parquet types are the schema's own ---------------------------------------------------


def _typed(rows: list[dict[str, Any]], types: dict[str, pa.DataType]) -> bytes:
    table = pa.Table.from_pylist(rows)
    for name, data_type in types.items():
        index = table.schema.get_field_index(name)
        table = table.set_column(index, name, pa.array([r[name] for r in rows], type=data_type))
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("table", "column", "convert", "data_type"),
    [
        ("persons", "person_seq", str, pa.string()),
        ("incidents", "h3_resolution", lambda v: None if v is None else float(v), pa.float64()),
        ("persons", "person_seq", float, pa.float64()),
    ],
)
def test_parquet_types_are_not_coerced(hub: HubUnderTest, partner: FakePartner, table: str, column: str,
                                       convert: Any, data_type: pa.DataType) -> None:
    rows = rows_of(3)
    for row in rows[table]:
        row[column] = convert(row[column])
    files = {f"{t}.parquet": raw_table(rows.get(t, ())) for t in TABLES}
    files[f"{table}.parquet"] = _typed(rows[table], {column: data_type})
    body = _refused(hub, partner, _signed(partner, rows, tables=files))
    assert {(p["table"], p["column"], p["rule"]) for p in body["problems"]} == {(table, column, "column_type")}


def test_the_schema_s_own_types_pass(hub: HubUnderTest, partner: FakePartner) -> None:
    assert hub.upload(partner, partner.bundle(make_tables(3))).status_code == 201
    assert json.loads(json.dumps(record_rows(list(make_tables(1)["persons"]))))
