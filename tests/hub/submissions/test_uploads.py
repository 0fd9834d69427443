"""Partner uploads: authentication failures store nothing; valid bundles get a signed receipt."""

import base64
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import select

from anonymise.bundle import Manifest, sha256_hex
from hub.models import (
    AuditEntry,
    Incident,
    KeyStatus,
    PartnerKey,
    Person,
    Referral,
    Selector,
    Submission,
    UsedTokenId,
)
from hub.submissions.receipts import verify_receipt
from tests.conftest import make_settings
from tests.factories import (
    PARTNER_TYP,
    FakePartner,
    add_agreement,
    add_partner,
    make_tables,
    unsigned_token,
)
from tests.hubs import HubUnderTest, start_hub


def stored_counts(hub: HubUnderTest) -> dict[str, int]:
    return hub.counts(Submission, Incident, Person, Selector, Referral, UsedTokenId, AuditEntry)


def assert_nothing_stored(hub: HubUnderTest) -> None:
    assert stored_counts(hub) == dict.fromkeys(
        ("submissions", "incidents", "persons", "selectors", "referrals", "used_token_ids", "audit_log"), 0
    )


def test_valid_upload_is_stored_with_a_signed_receipt(hub: HubUnderTest, partner: FakePartner) -> None:
    tables = make_tables(4)
    bundle = partner.bundle(tables)
    response = hub.upload(partner, bundle)
    assert response.status_code == 201, response.text
    signed = response.json()
    receipt = signed["receipt"]
    assert receipt["partner_id"] == "ngo-one"
    assert receipt["agreement_id"] == "test-agreement"
    assert receipt["agreement_version"] == 1
    assert receipt["quarter"] == "2026-Q3"
    assert receipt["bundle_sha256"] == sha256_hex(bundle)
    assert receipt["record_counts"] == {"incidents": 4, "persons": 8, "selectors": 4, "referrals": 4, "person_keys": 16}
    assert receipt["status"] == "accepted"

    key = hub.client.get("/api/v1/hub-key").json()
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
    assert key["key_id"] == receipt["key_id"]
    assert verify_receipt(signed, public)
    forged = {**signed, "receipt": {**receipt, "record_counts": {"incidents": 5}}}
    assert not verify_receipt(forged, public)

    counts = stored_counts(hub)
    assert counts["submissions"] == 1
    assert (counts["incidents"], counts["persons"], counts["selectors"], counts["referrals"]) == (4, 8, 4, 4)
    with hub.session() as session:
        submission = session.scalars(select(Submission)).one()
        assert submission.status == "active"
        assert submission.signing_kid == partner.kid
        assert set(submission.manifest) == set(Manifest.model_fields)  # the envelope only, no records
        incident = session.scalars(select(Incident)).first()
        assert incident is not None
        assert (incident.org_id, incident.agreement_id, incident.quarter, incident.submission_id) == (
            "ngo-one", "test-agreement", "2026-Q3", submission.id
        )
        actions = session.scalars(select(AuditEntry.action)).all()
        assert actions == ["submission.accepted"]


def _refused(hub: HubUnderTest, partner: FakePartner, bundle: bytes, token: str) -> None:
    response = hub.upload(partner, bundle, token=token)
    assert response.status_code == 401, response.text
    assert response.json()["error"] == "not_authenticated"
    assert_nothing_stored(hub)


def test_forged_token_signature_is_refused(hub: HubUnderTest, partner: FakePartner) -> None:
    bundle = partner.bundle()
    _refused(hub, partner, bundle, partner.token(bundle=bundle, signing_key=Ed25519PrivateKey.generate()))


def test_bundle_signed_by_another_key_is_refused(hub: HubUnderTest, partner: FakePartner) -> None:
    from tests.factories import make_bundle

    bundle, _ = make_bundle(partner, make_tables(2), signing_key=Ed25519PrivateKey.generate())
    _refused(hub, partner, bundle, partner.token(bundle=bundle))


def test_expired_token_is_refused(hub: HubUnderTest, partner: FakePartner) -> None:
    bundle = partner.bundle()
    _refused(hub, partner, bundle, partner.token(bundle=bundle, issued_at=int(time.time()) - 600, lifetime=120))


def test_long_lived_token_is_refused(hub: HubUnderTest, partner: FakePartner) -> None:
    bundle = partner.bundle()
    _refused(hub, partner, bundle, partner.token(bundle=bundle, lifetime=3600))


def test_alg_none_is_refused(hub: HubUnderTest, partner: FakePartner) -> None:
    bundle = partner.bundle()
    now = int(time.time())
    claims = {"iss": "ngo-one", "aud": "msht-hub", "iat": now, "exp": now + 60, "jti": "x1",
              "bundle_sha256": sha256_hex(bundle)}
    _refused(hub, partner, bundle, unsigned_token(claims, {"kid": partner.kid, "typ": "msht-upload+jwt"}))


@pytest.mark.parametrize("audience", ["http://127.0.0.1:8000", "msht-hub-staging", ""])
def test_wrong_audience_is_refused(hub: HubUnderTest, partner: FakePartner, audience: str) -> None:
    bundle = partner.bundle()
    _refused(hub, partner, bundle, partner.token(bundle=bundle, audience=audience))


def test_wrong_issuer_is_refused(hub: HubUnderTest, partner: FakePartner) -> None:
    bundle = partner.bundle()
    _refused(hub, partner, bundle, partner.token(bundle=bundle, issuer="ngo-two"))


def test_wrong_token_type_is_refused(hub: HubUnderTest, partner: FakePartner) -> None:
    bundle = partner.bundle()
    _refused(hub, partner, bundle, partner.token(bundle=bundle, typ=PARTNER_TYP))


def test_token_for_another_bundle_is_refused(hub: HubUnderTest, partner: FakePartner) -> None:
    bundle = partner.bundle()
    other = partner.bundle(make_tables(3, seed=9))
    _refused(hub, partner, bundle, partner.token(bundle=other))
    _refused(hub, partner, bundle, partner.token())  # no bundle_sha256 claim at all


def test_unknown_kid_is_refused(hub: HubUnderTest, partner: FakePartner) -> None:
    bundle = partner.bundle()
    _refused(hub, partner, bundle, partner.token(bundle=bundle, kid="no-such-key"))


def test_revoked_key_is_refused(hub: HubUnderTest, partner: FakePartner) -> None:
    def revoke(session: object) -> None:
        key = session.get(PartnerKey, partner.kid)  # type: ignore[attr-defined]
        key.status = KeyStatus.revoked
        key.revoked_at = datetime.now(UTC)

    hub.arrange(revoke)
    bundle = partner.bundle()
    _refused(hub, partner, bundle, partner.token(bundle=bundle))


def test_replayed_token_is_refused(hub: HubUnderTest, partner: FakePartner) -> None:
    bundle = partner.bundle()
    token = partner.token(bundle=bundle)
    assert hub.upload(partner, bundle, token=token).status_code == 201
    before = stored_counts(hub)
    replay = hub.upload(partner, bundle, token=token)
    assert replay.status_code == 401
    assert replay.json()["detail"] == "token already used"
    assert stored_counts(hub) == before


def test_missing_or_malformed_authorization_is_refused(hub: HubUnderTest, partner: FakePartner) -> None:
    bundle = partner.bundle()
    no_auth = hub.client.post("/api/v1/submissions", content=bundle, headers={"Content-Type": "application/zip"})
    assert no_auth.status_code == 401
    _refused(hub, partner, bundle, "not-a-jwt")
    assert_nothing_stored(hub)


def test_oversized_body_is_refused_with_413(db_url: str, tmp_path: Path) -> None:
    small = start_hub(make_settings(db_url, tmp_path, max_bundle_bytes=1000))
    try:
        partner = small.arrange(add_partner, "ngo-one")
        small.arrange(add_agreement, ["ngo-one"])
        bundle = partner.bundle()
        assert len(bundle) > 1000
        response = small.upload(partner, bundle)
        assert response.status_code == 413
        assert_nothing_stored(small)
    finally:
        small.client.close()
        small.app.state.engine.dispose()


def test_wrong_content_type_is_refused(hub: HubUnderTest, partner: FakePartner) -> None:
    bundle = partner.bundle()
    response = hub.client.post(
        "/api/v1/submissions",
        content=bundle,
        headers={"Authorization": f"Bearer {partner.token(bundle=bundle)}", "Content-Type": "text/plain"},
    )
    assert response.status_code == 415
    assert_nothing_stored(hub)


def test_bundle_for_another_partner_is_refused(hub: HubUnderTest, partner: FakePartner) -> None:
    other: FakePartner = hub.arrange(add_partner, "ngo-two")
    bundle = other.bundle()  # signed by ngo-two, uploaded with ngo-one's token
    response = hub.upload(partner, bundle)
    assert response.status_code == 401
    assert_nothing_stored(hub)


def test_disabled_partner_organisation_is_refused(hub: HubUnderTest, partner: FakePartner) -> None:
    from hub.models import Organisation

    def disable(session: object) -> None:
        session.get(Organisation, "ngo-one").status = "disabled"  # type: ignore[attr-defined]

    hub.arrange(disable)
    bundle = partner.bundle()
    _refused(hub, partner, bundle, partner.token(bundle=bundle))


def test_an_unauthenticated_body_is_not_read(db_url: str, tmp_path: Path) -> None:
    small = start_hub(make_settings(db_url, tmp_path, max_bundle_bytes=1000))
    try:
        partner = small.arrange(add_partner, "ngo-one")
        small.arrange(add_agreement, ["ngo-one"])
        bundle = partner.bundle()
        forged = partner.token(bundle=bundle, signing_key=Ed25519PrivateKey.generate())
        response = small.upload(partner, bundle, token=forged)
        assert response.status_code == 401  # refused on the token, before the size of the body mattered
        assert_nothing_stored(small)
    finally:
        small.client.close()
        small.app.state.engine.dispose()
