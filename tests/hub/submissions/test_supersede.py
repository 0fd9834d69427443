"""Resubmission supersedes atomically, the identical bundle is idempotent, concurrent uploads leave one active."""

import threading
from datetime import datetime
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from hub.models import Incident, Person, Submission
from hub.submissions.receipts import verify_receipt
from tests.factories import FakePartner, add_partner, make_tables
from tests.hubs import HubUnderTest


def submissions(hub: HubUnderTest) -> dict[str, tuple[str, str | None]]:
    with hub.session() as session:
        return {s.id: (s.status, s.superseded_by) for s in session.scalars(select(Submission))}


def active_incidents(hub: HubUnderTest) -> int:
    """What every statistic counts: incidents of active submissions only."""
    with hub.session() as session:
        return session.scalar(
            select(func.count())
            .select_from(Incident)
            .join(Submission, Submission.id == Incident.submission_id)
            .where(Submission.status == "active")
        ) or 0


def test_resubmission_supersedes_the_earlier_one(hub: HubUnderTest, partner: FakePartner) -> None:
    first = hub.upload(partner, partner.bundle(make_tables(3, seed=1))).json()["receipt"]
    assert active_incidents(hub) == 3
    second = hub.upload(partner, partner.bundle(make_tables(5, seed=2))).json()["receipt"]
    assert second["supersedes"] == [first["submission_id"]]
    assert submissions(hub) == {
        first["submission_id"]: ("superseded", second["submission_id"]),
        second["submission_id"]: ("active", None),
    }
    assert active_incidents(hub) == 5
    with hub.session() as session:  # the earlier records stay, marked by their superseded submission
        assert session.scalar(select(func.count()).select_from(Incident)) == 8
    assert hub.audit_actions() == ["submission.accepted", "submission.superseded", "submission.accepted"]


def test_other_quarters_and_partners_are_not_superseded(hub: HubUnderTest, partner: FakePartner) -> None:
    other: FakePartner = hub.arrange(add_partner, "ngo-two")
    assert hub.upload(partner, partner.bundle(make_tables(2, quarter="2026-Q2"), quarter="2026-Q2")).status_code == 201
    assert hub.upload(partner, partner.bundle(make_tables(2, seed=3))).status_code == 201
    assert hub.upload(other, other.bundle(make_tables(2, seed=4))).status_code == 201
    assert sorted(status for status, _ in submissions(hub).values()) == ["active", "active", "active"]


def test_identical_bundle_returns_the_original_receipt_and_changes_nothing(hub: HubUnderTest, partner: FakePartner) -> None:
    bundle = partner.bundle(make_tables(3))
    first = hub.upload(partner, bundle)
    assert first.status_code == 201
    before = (submissions(hub), hub.audit_actions(), active_incidents(hub))
    again = hub.upload(partner, bundle)  # a fresh token for the same bytes
    assert again.status_code == 200
    assert again.json() == first.json()
    assert (submissions(hub), hub.audit_actions(), active_incidents(hub)) == before


def test_identical_bundle_with_the_replayed_token_is_refused(hub: HubUnderTest, partner: FakePartner) -> None:
    bundle = partner.bundle(make_tables(3))
    token = partner.token(bundle=bundle)
    assert hub.upload(partner, bundle, token=token).status_code == 201
    assert hub.upload(partner, bundle, token=token).status_code == 401


def test_repeating_a_superseded_bundle_does_not_reinstate_it(hub: HubUnderTest, partner: FakePartner) -> None:
    old = partner.bundle(make_tables(2, seed=1))
    first = hub.upload(partner, old).json()
    second = hub.upload(partner, partner.bundle(make_tables(4, seed=2))).json()
    before = hub.audit_actions()
    again = hub.upload(partner, old)
    assert again.status_code == 200
    answer = again.json()
    # The answer says what is true now, under a signature that verifies with the hub's key.
    receipt = answer["receipt"]
    assert receipt["status"] == "superseded"
    assert receipt["superseded_by"] == second["receipt"]["submission_id"]
    assert datetime.fromisoformat(receipt["superseded_at"]).tzinfo is not None
    new_fields = ("superseded_by", "superseded_at")
    assert {k: v for k, v in receipt.items() if k not in new_fields} == first["receipt"] | {"status": "superseded"}
    assert verify_receipt(answer, _hub_key(hub))
    assert not verify_receipt({"receipt": first["receipt"], "signature": answer["signature"]}, _hub_key(hub))
    assert submissions(hub)[second["receipt"]["submission_id"]] == ("active", None)
    assert active_incidents(hub) == 4
    assert hub.audit_actions() == before
    with hub.session() as session:  # the stored receipt stays as first issued
        stored = session.get(Submission, first["receipt"]["submission_id"])
        assert stored is not None
        assert stored.receipt == first
    # The active bundle, sent again, still gets its original receipt.
    latest = hub.upload(partner, partner.bundle(make_tables(1, seed=3)))
    assert hub.upload(partner, old).json()["receipt"]["superseded_by"] == second["receipt"]["submission_id"]
    assert latest.status_code == 201


def _hub_key(hub: HubUnderTest) -> Ed25519PublicKey:
    key: Ed25519PublicKey = hub.app.state.secrets.signing_key.public_key()
    return key


def test_reused_submission_id_with_other_content_is_a_conflict(hub: HubUnderTest, partner: FakePartner) -> None:
    from uuid import uuid4

    sid = uuid4()
    assert hub.upload(partner, partner.bundle(make_tables(2, seed=1), submission_id=sid)).status_code == 201
    response = hub.upload(partner, partner.bundle(make_tables(3, seed=2), submission_id=sid))
    assert response.status_code == 409
    assert active_incidents(hub) == 2


def _race(hub: HubUnderTest, requests: list[tuple[FakePartner, bytes]]) -> list[Any]:
    barrier = threading.Barrier(len(requests))
    results: list[Any] = [None] * len(requests)
    tokens = [p.token(bundle=b) for p, b in requests]

    def run(i: int) -> None:
        _, bundle = requests[i]
        client = TestClient(hub.app)  # not entered: its lifespan would dispose the shared engine
        try:
            barrier.wait()
            results[i] = client.post(
                "/api/v1/submissions",
                content=bundle,
                headers={"Authorization": f"Bearer {tokens[i]}", "Content-Type": "application/zip"},
            )
        finally:
            client.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.slow
def test_concurrent_uploads_leave_exactly_one_active(hub: HubUnderTest, partner: FakePartner) -> None:
    bundles = [partner.bundle(make_tables(20, seed=s)) for s in range(4)]
    results = _race(hub, [(partner, b) for b in bundles])
    assert all(r.status_code in (201, 409) for r in results), [r.text for r in results]
    accepted = [r.json()["receipt"]["submission_id"] for r in results if r.status_code == 201]
    assert accepted
    states = submissions(hub)
    assert [sid for sid, (status, _) in states.items() if status == "active"] == [
        sid for sid in accepted if states[sid][0] == "active"
    ]
    assert sum(1 for status, _ in states.values() if status == "active") == 1
    assert active_incidents(hub) == 20
    with hub.session() as session:  # refused uploads left no records behind
        stored = set(session.scalars(select(Incident.submission_id).distinct()))
        persons = session.scalar(select(func.count()).select_from(Person))
    assert stored == set(accepted)
    assert persons == 40 * len(accepted)


@pytest.mark.slow
def test_concurrent_identical_uploads_store_one_submission(hub: HubUnderTest, partner: FakePartner) -> None:
    bundle = partner.bundle(make_tables(20))
    results = _race(hub, [(partner, bundle), (partner, bundle), (partner, bundle)])
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 200, 201], [r.text for r in results]
    assert len({r.json()["receipt"]["submission_id"] for r in results}) == 1
    assert len(submissions(hub)) == 1
    assert active_incidents(hub) == 20


@pytest.mark.slow
def test_the_unique_index_holds_even_without_the_quarter_lock(
    hub: HubUnderTest, partner: FakePartner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Belt and braces: with the advisory lock switched off, the partial unique index refuses a second active."""
    from hub.submissions import service

    monkeypatch.setattr(service, "_lock_quarter", lambda *args, **kwargs: None)
    assert hub.upload(partner, partner.bundle(make_tables(5, seed=100))).status_code == 201
    bundles = [partner.bundle(make_tables(20, seed=s)) for s in range(4)]
    results = _race(hub, [(partner, b) for b in bundles])
    codes = [r.status_code for r in results]
    assert set(codes) <= {201, 409}, [r.text for r in results]
    assert sum(1 for status, _ in submissions(hub).values() if status == "active") == 1
    assert active_incidents(hub) == 20
    with hub.session() as session:
        stored = set(session.scalars(select(Incident.submission_id).distinct()))
    assert len(stored) == 1 + codes.count(201)  # refused uploads left no records


def test_a_quarter_sent_too_often_is_refused_naming_the_rule_not_a_value(hub: HubUnderTest, partner: FakePartner) -> None:
    from anonymise import DisclosureRules

    allowed = DisclosureRules().max_resubmissions
    assert allowed >= 1
    for k in range(allowed + 1):
        assert hub.upload(partner, partner.bundle(make_tables(2 + k, seed=10 + k))).status_code == 201
    tables = make_tables(9, seed=30)
    refused = hub.upload(partner, partner.bundle(tables))
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["error"] == "conflict"
    assert body["problems"] == [{"rule": "max_resubmissions"}]
    pids = [r.incident_pid for r in tables["incidents"]] + [r.key_pid for r in tables["person_keys"]]
    assert pids
    assert not any(pid in refused.text for pid in pids)
