"""Refusals from the independent attack (issue 17, L1 and L2): no 500s, security headers on every
response, and no refusal that echoes a value it was sent."""

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.main import SecurityHeaders, create_app
from tests.conftest import make_settings
from tests.factories import FakePartner, add_user_token, make_tables
from tests.hubs import HubUnderTest

INT32_PAST = 2**31
SECRET_LOOKING = "john_smith_07700900123"


def _operator(hub: HubUnderTest) -> dict[str, str]:
    token = hub.arrange(add_user_token, "hub-ops", "operator", "ops-one")
    return {"Authorization": f"Bearer {token}"}


def _no_echo(response: Any, *values: str) -> None:
    for value in values:
        assert value not in response.text, f"{value!r} echoed in {response.status_code} {response.text[:300]}"


# --- L1: every trigger is a 4xx with a named rule -------------------------------------------


@pytest.mark.parametrize("document", ["a\u000c", "id: x\n\u0007", "\ufffe"])
def test_yaml_control_characters_are_a_named_problem(hub: HubUnderTest, document: str) -> None:
    headers = _operator(hub)
    checked = hub.client.post("/api/v1/agreements/validate", json={"document": document}, headers=headers)
    assert checked.status_code == 200, checked.text
    assert checked.json()["valid"] is False
    assert "YAML" in checked.json()["problems"][0]["rule"]
    loaded = hub.client.post("/api/v1/agreements", json={"document": document}, headers=headers)
    assert loaded.status_code == 422, loaded.text


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/audit?before={INT32_PAST}",
        f"/api/v1/agreements/test-agreement/versions/{INT32_PAST}",
        f"/api/v1/agreements/test-agreement/diff?v1=1&v2={INT32_PAST}",
        f"/api/v1/agreements/test-agreement/diff?v1={10**30}&v2=1",
    ],
)
def test_integers_past_the_database_range_are_refused(hub: HubUnderTest, path: str) -> None:
    response = hub.client.get(path, headers=_operator(hub))
    assert response.status_code == 422, response.text
    assert response.json()["problems"][0]["rule"] == "less_than_equal"


def _bad_crc(bundle: bytes) -> bytes:
    """The same zip with one byte of a stored member flipped: its CRC no longer matches."""
    archive = zipfile.ZipFile(io.BytesIO(bundle))
    info = archive.getinfo("incidents.parquet")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 10
    data = bytearray(bundle)
    data[start] ^= 0xFF
    return bytes(data)


def _lying_size(bundle: bytes) -> bytes:
    """The same zip whose central directory claims a smaller uncompressed size for a member."""
    archive = zipfile.ZipFile(io.BytesIO(bundle))
    info = archive.getinfo("incidents.parquet")
    data = bytearray(bundle)
    central = data.find(b"PK\x01\x02" + bytes(data[bundle.find(b"PK\x01\x02") + 4 : bundle.find(b"PK\x01\x02") + 6]))
    while central != -1:
        name_len = int.from_bytes(data[central + 28 : central + 30], "little")
        if bytes(data[central + 46 : central + 46 + name_len]) == info.filename.encode():
            data[central + 24 : central + 28] = (10).to_bytes(4, "little")
            break
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(data)


@pytest.mark.parametrize("damage", [_bad_crc, _lying_size])
def test_damaged_zip_is_refused_not_a_server_error(hub: HubUnderTest, partner: FakePartner, damage: Any) -> None:
    bundle = damage(partner.bundle(make_tables(3)))
    response = hub.upload(partner, bundle)
    assert response.status_code == 422, response.text
    assert response.json()["problems"][0]["rule"] == "bundle"


# --- every response carries the security headers, a server error included -------------------


def test_server_errors_carry_the_security_headers(db_url: str, tmp_path: Path) -> None:
    app = create_app(make_settings(db_url, tmp_path))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("a bug")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    app.state.engine.dispose()
    assert response.status_code == 500
    assert response.json()["error"] == "internal"
    for name, value in SecurityHeaders.HEADERS:
        assert response.headers.get(name) == value
    assert "a bug" not in response.text


@pytest.mark.parametrize("path", ["/api/v1/orgs", "/nowhere", "/api/v1/audit?before=x", "/login"])
def test_every_answer_carries_the_security_headers(hub: HubUnderTest, path: str) -> None:
    response = hub.client.get(path, follow_redirects=False)
    for name, value in SecurityHeaders.HEADERS:
        assert response.headers.get(name) == value, (path, name)


# --- L2: refusals never echo a value --------------------------------------------------------


def test_unknown_zip_members_are_described_not_named(hub: HubUnderTest, partner: FakePartner) -> None:
    bundle = partner.bundle(make_tables(2))
    archive = zipfile.ZipFile(io.BytesIO(bundle))
    files = {info.filename: archive.read(info) for info in archive.infolist()}
    files[f"../../../tmp/{SECRET_LOOKING}"] = b"x"
    from tests.factories import zip_files

    response = hub.upload(partner, zip_files(files))
    assert response.status_code == 422
    _no_echo(response, SECRET_LOOKING, "../")


def test_unknown_column_names_are_described_not_named(hub: HubUnderTest, partner: FakePartner) -> None:
    from tests.factories import raw_bundle, record_rows

    tables = make_tables(2)
    rows: dict[str, Any] = {t: record_rows(list(tables.get(t, ()))) for t in tables}
    for row in rows["incidents"]:
        row[SECRET_LOOKING] = "x"
    response = hub.upload(partner, raw_bundle(partner, rows))
    assert response.status_code == 422
    _no_echo(response, SECRET_LOOKING)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/enrol", {"token": "t" * 20, "public_key": "k" * 44, SECRET_LOOKING: 1}),
        ("/api/v1/orgs", {"id": "x", "name": "x", "kind": "NGO", SECRET_LOOKING: 1}),
        ("/api/v1/orgs", {"id": "x", "name": "x", "kind": "NGO", "gss_code": {SECRET_LOOKING: 1}}),
    ],
)
def test_unknown_json_keys_are_described_not_named(hub: HubUnderTest, path: str, body: dict[str, Any]) -> None:
    response = hub.client.post(path, content=json.dumps(body), headers={**_operator(hub), "Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    _no_echo(response, SECRET_LOOKING)
    assert any(p["location"].endswith("(unknown field)") or "(key)" in p["location"] or p["location"].startswith("body")
               for p in response.json()["problems"])


def test_operator_routes_never_echo_ids_or_usernames(hub: HubUnderTest) -> None:
    headers = _operator(hub)
    made = hub.client.post("/api/v1/users", json={"username": "analyst.jo", "display_name": "Jo", "org_id": "hub-ops",
                                                  "role": "analyst"}, headers=headers)
    assert made.status_code == 201, made.text
    again = hub.client.post("/api/v1/users", json={"username": "analyst.jo", "display_name": "Jo", "org_id": "hub-ops",
                                                   "role": "analyst"}, headers=headers)
    assert again.status_code == 409
    _no_echo(again, "analyst.jo")
    for path in ("/api/v1/users/someone.else/disable", "/api/v1/orgs/ngo-secret-name/disable", "/api/v1/keys/kid-secret-x/revoke"):
        response = hub.client.post(path, headers=headers)
        assert response.status_code == 404, response.text
        _no_echo(response, "someone.else", "ngo-secret-name", "kid-secret-x")
    version = hub.client.get("/api/v1/agreements/agreement-secret-x/versions/3", headers=headers)
    assert version.status_code == 404
    _no_echo(version, "agreement-secret-x")


def test_the_validation_body_shape_is_kept(hub: HubUnderTest) -> None:
    response = hub.client.post("/api/v1/enrol", json={"token": 5})
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_request"
    assert {"location", "rule"} <= set(body["problems"][0])

