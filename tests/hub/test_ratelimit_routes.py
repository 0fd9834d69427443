"""Rate limits beyond login: partner uploads per organisation, enrolment per client address, failed
API-token bearer attempts per client address — 429 with Retry-After, and normal use untouched."""

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select

from hub.models import PartnerKey, Submission
from hub.partners import service as partners
from hub.ratelimit import retry_after
from tests.conftest import make_settings
from tests.factories import add_agreement, add_partner, add_user_token, make_tables
from tests.hubs import HubUnderTest, start_hub

HOUR = 3600


@pytest.fixture
def strict_hub(db_url: str, tmp_path: Path) -> Iterator[HubUnderTest]:
    """A hub with small limits: 3 uploads per organisation, 2 enrolments and 3 bearer failures per address."""
    settings = make_settings(
        db_url, tmp_path, upload_limit_per_hour=3, enrol_limit_per_hour=2, bearer_failures_per_hour=3
    )
    running = start_hub(settings)
    yield running
    running.client.close()
    running.app.state.engine.dispose()


def _assert_429(response: Any) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["error"] == "too_many_requests"
    assert 1 <= int(response.headers["Retry-After"]) <= 2 * HOUR


def _submissions(hub: HubUnderTest, org_id: str) -> int:
    with hub.session() as s:
        return s.scalar(select(func.count()).select_from(Submission).where(Submission.org_id == org_id)) or 0


def _public_key(private: Ed25519PrivateKey) -> str:
    raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def _enrolment_token(session: Any) -> str:
    return partners.issue_enrolment_token(session, "ngo-one", "tests", timedelta(hours=1))


def test_uploads_are_limited_per_organisation(strict_hub: HubUnderTest) -> None:
    one = strict_hub.arrange(add_partner, "ngo-one")
    two = strict_hub.arrange(add_partner, "ngo-two")
    strict_hub.arrange(add_agreement, ["ngo-one", "ngo-two"])
    for quarter in ("2026-Q1", "2026-Q2", "2026-Q3"):
        response = strict_hub.upload(one, one.bundle(make_tables(3, quarter=quarter), quarter=quarter))
        assert response.status_code == 201, response.text
    refused = strict_hub.upload(one, one.bundle(make_tables(3, quarter="2026-Q4"), quarter="2026-Q4"))
    _assert_429(refused)
    assert _submissions(strict_hub, "ngo-one") == 3
    # Another organisation has its own count.
    other = strict_hub.upload(two, two.bundle(make_tables(3)))
    assert other.status_code == 201, other.text


def test_failed_uploads_count_too(strict_hub: HubUnderTest) -> None:
    one = strict_hub.arrange(add_partner, "ngo-one")
    strict_hub.arrange(add_agreement, ["ngo-one"])
    for _ in range(3):  # not a provider under any agreement named "other": refused, but counted
        assert strict_hub.upload(one, one.bundle(make_tables(3), agreement_id="other")).status_code == 422
    _assert_429(strict_hub.upload(one, one.bundle(make_tables(3))))


def test_the_demos_four_uploads_per_partner_pass_the_default_limit(db_url: str, tmp_path: Path) -> None:
    hub = start_hub(make_settings(db_url, tmp_path))
    try:
        partners_ = [hub.arrange(add_partner, org) for org in ("ngo-one", "ngo-two")]
        hub.arrange(add_agreement, ["ngo-one", "ngo-two"])
        for partner in partners_:
            for quarter in ("2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"):
                response = hub.upload(partner, partner.bundle(make_tables(3, quarter=quarter), quarter=quarter))
                assert response.status_code == 201, response.text
            assert _submissions(hub, partner.org_id) == 4
    finally:
        hub.client.close()
        hub.app.state.engine.dispose()


def test_enrolment_is_limited_per_client_address(strict_hub: HubUnderTest) -> None:
    strict_hub.arrange(add_partner, "ngo-one")
    key = _public_key(Ed25519PrivateKey.generate())
    for _ in range(2):
        wrong = strict_hub.client.post("/api/v1/enrol", json={"token": "msht-enrol-" + "x" * 40, "public_key": key})
        assert wrong.status_code == 401
    token = strict_hub.arrange(_enrolment_token)
    _assert_429(strict_hub.client.post("/api/v1/enrol", json={"token": token, "public_key": key}))
    with strict_hub.session() as s:
        assert s.scalar(select(func.count()).select_from(PartnerKey).where(PartnerKey.org_id == "ngo-one")) == 1


def test_one_enrolment_passes_the_default_limit(hub: HubUnderTest) -> None:
    hub.arrange(add_partner, "ngo-one")
    token = hub.arrange(_enrolment_token)
    response = hub.client.post("/api/v1/enrol", json={"token": token, "public_key": _public_key(Ed25519PrivateKey.generate())})
    assert response.status_code == 201, response.text


def test_failed_api_tokens_are_limited_per_client_address(strict_hub: HubUnderTest) -> None:
    good = strict_hub.arrange(add_user_token, "hub-operator", "operator")
    assert strict_hub.client.get("/api/v1/orgs", headers={"Authorization": f"Bearer {good}"}).status_code == 200
    for _ in range(3):
        bad = strict_hub.client.get("/api/v1/orgs", headers={"Authorization": "Bearer msht_" + "x" * 43})
        assert bad.status_code == 401
    _assert_429(strict_hub.client.get("/api/v1/orgs", headers={"Authorization": "Bearer msht_" + "y" * 43}))
    # Past the limit a valid token from the same address still works (issue 17, L5): only failures
    # are refused, so someone else's guesses behind the same NAT lock nobody out.
    assert strict_hub.client.get("/api/v1/orgs", headers={"Authorization": f"Bearer {good}"}).status_code == 200


def test_valid_api_tokens_are_never_counted(hub: HubUnderTest) -> None:
    good = hub.arrange(add_user_token, "hub-operator", "operator")
    for _ in range(30):  # more than the default allowance of failures
        assert hub.client.get("/api/v1/orgs", headers={"Authorization": f"Bearer {good}"}).status_code == 200


def test_retry_after_runs_until_one_more_attempt_fits() -> None:
    window = timedelta(hours=1)
    start = datetime(2026, 11, 22, 10, tzinfo=UTC)
    # 10 of 10 used ten minutes into the window: 50 minutes to its end, then until 10 × (1 - f) ≤ 9.
    assert retry_after(10, limit=10, window=window, now=start + timedelta(minutes=10)) == 50 * 60 + 360
    # Below the limit in this window (the previous one pushed it over): to the end of this window.
    assert retry_after(4, limit=10, window=window, now=start + timedelta(minutes=59)) == 60
    assert retry_after(1, limit=1, window=window, now=start) == 2 * HOUR
