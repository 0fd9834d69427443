"""The OpenAPI document tells the truth (issue 17, L3): a bounded schemathesis run per role —
operator, analyst, borough officer, partner — finds no server error, no response outside the
document (status, headers, body schema), no invalid request accepted, and no refusal echoing a
value it was sent. Also: securitySchemes, every operation's 4xx with the shared refusal body,
datetimes with a UTC offset on SQLite, ``ttl_hours: true`` refused."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    ensure_resource_availability,
    positive_data_acceptance,
    use_after_free,
)

from hub.db import migrate
from tests.conftest import make_settings
from tests.factories import (
    PARTNER_TYP,
    FakePartner,
    add_agreement,
    add_partner,
    add_user_token,
    make_tables,
)
from tests.hubs import DEMO_AGREEMENT, HubUnderTest, start_hub

ROLES = ("operator", "analyst", "borough_officer", "partner")
MIN_ECHO = 6  # shorter generated strings occur in ordinary words


@pytest.fixture(scope="module")
def contract_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[HubUnderTest, dict[str, Any]]]:
    directory = tmp_path_factory.mktemp("contract")
    url = f"sqlite:///{directory / 'hub.db'}"
    migrate(url)
    hub = start_hub(make_settings(url, directory))
    partner: FakePartner = hub.arrange(add_partner, "ngo-one")
    hub.arrange(add_agreement, ["ngo-one"])
    assert hub.upload(partner, partner.bundle(make_tables(5))).status_code == 201
    credentials: dict[str, Any] = {
        "operator": hub.arrange(add_user_token, "hub-operator", "operator", "op-contract"),
        "analyst": hub.arrange(add_user_token, "hub-operator", "analyst", "an-contract"),
        "borough_officer": hub.arrange(add_user_token, "lb-newham", "borough_officer", "bo-contract"),
        "partner": partner,
    }
    yield hub, credentials
    hub.client.close()
    hub.app.state.engine.dispose()


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def echoed(case: Any, text: str, vocabulary: str = "") -> list[str]:
    """Values the request carried (path, query, body) that the refusal repeats; the hub's own words
    (a field name, an enum code: anything quoted in ``vocabulary``, the OpenAPI document; the refusal's
    own error code) are not the sender's."""
    sent = [*_strings(list((case.path_parameters or {}).values())), *_strings(list((case.query or {}).values())),
            *_strings(case.body)]
    return [s for s in sent if len(s.strip()) >= MIN_ECHO and s in text and f'"{s}"' not in vocabulary
            and f'"error":"{s}"' not in text.replace('": "', '":"')]  # the hub's own error code ("rejected")


def _headers(role: str, credentials: dict[str, Any]) -> dict[str, str]:
    if role == "partner":
        return {"Authorization": f"Bearer {credentials['partner'].token(typ=PARTNER_TYP)}"}  # each jti once
    return {"Authorization": f"Bearer {credentials[role]}"}


BOUND = settings(max_examples=2, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))
EXCLUDED = [positive_data_acceptance, use_after_free, ensure_resource_availability]


@pytest.mark.parametrize("role", ROLES)
def test_the_api_answers_each_role_as_documented(role: str, contract_hub: tuple[HubUnderTest, dict[str, Any]]) -> None:
    """Every operation of the document, a few generated requests each (bounded: derandomized, 2 examples)."""
    hub, credentials = contract_hub
    schema = schemathesis.openapi.from_asgi("/openapi.json", hub.app)
    vocabulary = json.dumps(hub.app.openapi())
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert operations
    failures: list[str] = []
    for operation in operations:

        @BOUND
        @given(case=operation.as_strategy())
        def check(case: Any) -> None:
            response = case.call_and_validate(headers=_headers(role, credentials), excluded_checks=EXCLUDED)
            assert response.status_code < 500
            if response.status_code >= 400:
                assert not echoed(case, response.text, vocabulary), "echoes what it was sent"

        try:
            check()
        except Exception as exc:  # collect every operation's failure, not only the first
            inner = "; ".join(str(e)[:300] for e in getattr(exc, "exceptions", ()))
            failures.append(f"{operation.method.upper()} {operation.path}: {type(exc).__name__}: {str(exc)[:600]} {inner}")
    assert not failures, "\n".join(failures)


def test_the_document_names_its_credentials_and_refusals(contract_hub: tuple[HubUnderTest, dict[str, Any]]) -> None:
    spec = contract_hub[0].client.get("/openapi.json").json()
    assert set(spec["components"]["securitySchemes"]) == {"partnerJwt", "userToken", "sessionCookie"}
    operations = [op for ops in spec["paths"].values() for op in ops.values()]
    assert operations
    for op in operations:
        for status in ("400", "401", "403", "404", "422", "429"):
            assert op["responses"][status]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Refusal"}
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert spec["paths"]["/api/v1/submissions"]["post"]["security"] == [{"partnerJwt": []}]
    assert spec["paths"]["/api/v1/orgs"]["get"]["security"] == [{"userToken": []}, {"sessionCookie": []}]
    assert "security" not in spec["paths"]["/healthz"]["get"]


def test_datetimes_carry_their_utc_offset_on_sqlite(contract_hub: tuple[HubUnderTest, dict[str, Any]]) -> None:
    hub, credentials = contract_hub
    orgs = hub.client.get("/api/v1/orgs", headers=_headers("operator", credentials))
    assert orgs.status_code == 200, orgs.text
    stamps = [o["created_at"] for o in orgs.json()["organisations"]] if isinstance(orgs.json(), dict) else [o["created_at"] for o in orgs.json()]
    assert stamps
    assert all(s.endswith(("Z", "+00:00")) for s in stamps), stamps
    mine = hub.client.get("/api/v1/submissions", headers=_headers("partner", credentials)).json()["submissions"]
    assert mine
    assert all(s["received_at"].endswith(("Z", "+00:00")) for s in mine)


def test_ttl_hours_true_is_refused(contract_hub: tuple[HubUnderTest, dict[str, Any]]) -> None:
    hub, credentials = contract_hub
    headers = _headers("operator", credentials)
    refused = hub.client.post("/api/v1/orgs/ngo-one/enrolment-tokens", json={"ttl_hours": True}, headers=headers)
    assert refused.status_code == 422, refused.text
    assert hub.client.post("/api/v1/orgs/ngo-one/enrolment-tokens", json={"ttl_hours": 1}, headers=headers).status_code == 201


def test_the_echo_check_can_fail() -> None:
    class Case:
        def __init__(self) -> None:
            self.path_parameters = {"org_id": "ngo-someone"}
            self.query: dict[str, str] = {}
            self.body = {"username": "jane-doe-1990", "kind": "LocalGovernmentOrganisation"}

    assert echoed(Case(), '{"detail": "user jane-doe-1990 exists already"}') == ["jane-doe-1990"]
    assert echoed(Case(), '{"detail": "a user of this name exists already"}') == []
    assert echoed(Case(), '{"detail": "a LocalGovernmentOrganisation needs"}', '"LocalGovernmentOrganisation"') == []
    assert DEMO_AGREEMENT.exists()
    assert Path(__file__).exists()
