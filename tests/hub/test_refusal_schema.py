"""Every 4xx body the hub sends is the shared :class:`anonymise.Refusal` (issue 11 item 6, issue 17 L3):
it validates against the model (unknown keys forbidden) and the model gives back the very same JSON."""

import io
import zipfile
from typing import Any

import pytest

from anonymise import Refusal
from tests.factories import (
    FakePartner,
    add_user_token,
    make_tables,
    raw_bundle,
    record_rows,
    zip_files,
)
from tests.hubs import HubUnderTest


def _operator(hub: HubUnderTest) -> dict[str, str]:
    token = hub.arrange(add_user_token, "hub-ops", "operator", "ops-one")
    return {"Authorization": f"Bearer {token}"}


def _is_refusal(response: Any, status: int) -> Refusal:
    assert response.status_code == status, response.text
    body = response.json()
    refusal = Refusal.model_validate(body)
    assert refusal.wire() == body  # nothing the model does not carry, nothing it adds
    return refusal


def test_bundle_refusals_are_the_shared_body(hub: HubUnderTest, partner: FakePartner) -> None:
    tables = make_tables(2)
    rows: dict[str, Any] = {t: record_rows(list(tables.get(t, ()))) for t in tables}
    for row in rows["incidents"]:
        row["surplus"] = "x"
    refusal = _is_refusal(hub.upload(partner, raw_bundle(partner, rows)), 422)
    assert refusal.error == "rejected"
    assert refusal.problems
    assert any(p.table == "incidents" and p.rule == "unknown_column" for p in refusal.problems)

    archive = zipfile.ZipFile(io.BytesIO(partner.bundle(make_tables(2))))
    files = {info.filename: archive.read(info) for info in archive.infolist()}
    files["extra.txt"] = b"x"
    assert _is_refusal(hub.upload(partner, zip_files(files)), 422).problems

    damaged = partner.bundle(make_tables(2))[:-40]
    assert _is_refusal(hub.upload(partner, damaged), 422).problems


def test_auth_media_and_validation_refusals_are_the_shared_body(hub: HubUnderTest) -> None:
    assert _is_refusal(hub.client.post("/api/v1/submissions", content=b"x"), 401).problems is None
    refusal = _is_refusal(hub.client.post("/api/v1/enrol", json={"token": 5}), 422)
    assert refusal.error == "invalid_request"
    assert refusal.problems
    assert all(p.location is not None for p in refusal.problems)


def test_agreement_and_operator_refusals_are_the_shared_body(hub: HubUnderTest) -> None:
    headers = _operator(hub)
    refusal = _is_refusal(hub.client.post("/api/v1/agreements", json={"document": "id: x\nversion: 0\n"}, headers=headers), 422)
    assert refusal.problems
    assert all(p.path is not None for p in refusal.problems)
    _is_refusal(hub.client.get("/api/v1/agreements/no-such-one/versions/3", headers=headers), 404)
    user = {"username": "analyst.jo", "display_name": "Jo", "org_id": "hub-ops", "role": "analyst"}
    assert hub.client.post("/api/v1/users", json=user, headers=headers).status_code == 201
    _is_refusal(hub.client.post("/api/v1/users", json=user, headers=headers), 409)


@pytest.mark.parametrize(
    ("path", "method"),
    [
        ("/api/v1/submissions", "post"),
        ("/api/v1/submissions/{quarter}/withdraw", "post"),
        ("/api/v1/agreements", "post"),
        ("/api/v1/agreements/validate", "post"),
    ],
)
def test_openapi_declares_the_shared_body_for_4xx(hub: HubUnderTest, path: str, method: str) -> None:
    spec = hub.client.get("/openapi.json").json()
    responses = spec["paths"][path][method]["responses"]
    for status in ("401", "403", "422"):
        schema = responses[status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Refusal"}, (status, schema)
    assert set(spec["components"]["schemas"]["Refusal"]["properties"]) == {"error", "detail", "problems"}
