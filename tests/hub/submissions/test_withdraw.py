"""Listing and withdrawal: a partner sees only its own submissions; withdrawal deletes the records at once."""


import pytest
from sqlalchemy import func, select

from hub.models import AuditEntry, Incident, IncidentCode, Person, Referral, Selector, Submission
from tests.factories import (
    PARTNER_TYP,
    FakePartner,
    add_agreement,
    add_partner,
    add_user_token,
    make_tables,
)
from tests.hubs import HubUnderTest


@pytest.fixture
def partners(hub: HubUnderTest) -> tuple[FakePartner, FakePartner]:
    one: FakePartner = hub.arrange(add_partner, "ngo-one")
    two: FakePartner = hub.arrange(add_partner, "ngo-two")
    hub.arrange(add_agreement, ["ngo-one", "ngo-two"])
    return one, two


def record_counts(hub: HubUnderTest, submission_id: str | None = None) -> dict[str, int]:
    counts: dict[str, int] = {}
    with hub.session() as session:
        for model in (Person, Selector, Referral, Incident):
            query = select(func.count()).select_from(model)
            if submission_id is not None:
                query = query.where(model.submission_id == submission_id)
            counts[model.__tablename__] = session.scalar(query) or 0
        codes = select(func.count()).select_from(IncidentCode)
        if submission_id is not None:
            codes = codes.join(Incident, Incident.id == IncidentCode.incident_id).where(Incident.submission_id == submission_id)
        counts["incident_codes"] = session.scalar(codes) or 0
    return counts


def status_of(hub: HubUnderTest, submission_id: str) -> str:
    with hub.session() as session:
        submission = session.get(Submission, submission_id)
        assert submission is not None
        return submission.status


def test_partner_lists_only_its_own_submissions(hub: HubUnderTest, partners: tuple[FakePartner, FakePartner]) -> None:
    one, two = partners
    hub.upload(one, one.bundle(make_tables(2, quarter="2026-Q2"), quarter="2026-Q2"))
    hub.upload(one, one.bundle(make_tables(3, seed=2)))
    hub.upload(one, one.bundle(make_tables(4, seed=3)))
    hub.upload(two, two.bundle(make_tables(5, seed=4)))
    response = hub.partner_call(one, "GET", "/api/v1/submissions")
    assert response.status_code == 200, response.text
    listed = response.json()["submissions"]
    assert {s["org_id"] for s in listed} == {"ngo-one"}
    assert [(s["quarter"], s["status"], s["record_counts"]["incidents"]) for s in listed] == [
        ("2026-Q3", "active", 4),
        ("2026-Q3", "superseded", 3),
        ("2026-Q2", "active", 2),
    ]


def test_listing_needs_a_partner_token(hub: HubUnderTest, partners: tuple[FakePartner, FakePartner]) -> None:
    one, _ = partners
    assert hub.client.get("/api/v1/submissions").status_code == 401
    upload_typed = one.token()  # an upload token is not a partner-call token
    assert hub.partner_call(one, "GET", "/api/v1/submissions", token=upload_typed).status_code == 401
    token = one.token(typ=PARTNER_TYP)
    assert hub.partner_call(one, "GET", "/api/v1/submissions", token=token).status_code == 200
    assert hub.partner_call(one, "GET", "/api/v1/submissions", token=token).status_code == 401  # replay


def test_partner_withdraws_a_quarter(hub: HubUnderTest, partners: tuple[FakePartner, FakePartner]) -> None:
    one, two = partners
    first = hub.upload(one, one.bundle(make_tables(3, seed=1))).json()["receipt"]["submission_id"]
    second = hub.upload(one, one.bundle(make_tables(4, seed=2))).json()["receipt"]["submission_id"]
    kept_q2 = hub.upload(one, one.bundle(make_tables(2, quarter="2026-Q2"), quarter="2026-Q2")).json()["receipt"]["submission_id"]
    theirs = hub.upload(two, two.bundle(make_tables(5, seed=3))).json()["receipt"]["submission_id"]
    response = hub.partner_call(one, "POST", "/api/v1/submissions/2026-Q3/withdraw")
    assert response.status_code == 200, response.text
    body = response.json()
    assert sorted(body["withdrawn"]) == sorted([first, second])
    assert body["incidents_deleted"] == 7
    for sid in (first, second):
        assert status_of(hub, sid) == "withdrawn"
        assert set(record_counts(hub, sid).values()) == {0}
    assert status_of(hub, kept_q2) == "active"
    assert record_counts(hub, kept_q2)["incidents"] == 2
    assert record_counts(hub, theirs)["incidents"] == 5
    assert record_counts(hub)["persons"] == 2 * 2 + 5 * 2
    with hub.session() as session:
        entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "submission.withdrawn")).all()
    # issue 12, attack 4: each withdrawal is visible in the audit log with its size, so an
    # operator sees a partner withdrawing and re-sending to difference the figures
    assert {(e.target, e.details["quarter"], e.details["records"]["incidents"]) for e in entries} == {
        (f"submission:{first}", "2026-Q3", 3),
        (f"submission:{second}", "2026-Q3", 4),
    }
    assert all(e.details["records"]["persons"] > 0 for e in entries)
    again = hub.partner_call(one, "POST", "/api/v1/submissions/2026-Q3/withdraw")
    assert again.status_code == 404


def test_partner_cannot_withdraw_another_partners_data(hub: HubUnderTest, partners: tuple[FakePartner, FakePartner]) -> None:
    one, two = partners
    theirs = hub.upload(two, two.bundle(make_tables(3))).json()["receipt"]["submission_id"]
    assert hub.partner_call(one, "POST", "/api/v1/submissions/2026-Q3/withdraw").status_code == 404
    assert status_of(hub, theirs) == "active"
    assert hub.partner_call(one, "POST", f"/api/v1/operator/submissions/{theirs}/withdraw").status_code == 401
    assert status_of(hub, theirs) == "active"


def test_bad_quarter_in_path_is_refused(hub: HubUnderTest, partners: tuple[FakePartner, FakePartner]) -> None:
    one, _ = partners
    assert hub.partner_call(one, "POST", "/api/v1/submissions/2026Q3/withdraw").status_code == 422


def test_operator_withdraws_a_submission(hub: HubUnderTest, partners: tuple[FakePartner, FakePartner]) -> None:
    one, _ = partners
    sid = hub.upload(one, one.bundle(make_tables(3))).json()["receipt"]["submission_id"]
    token = hub.arrange(add_user_token, "hub-operators", "operator", "op1")
    response = hub.client.post(f"/api/v1/operator/submissions/{sid}/withdraw", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.json() == {"withdrawn": [sid], "incidents_deleted": 3}
    assert status_of(hub, sid) == "withdrawn"
    assert set(record_counts(hub).values()) == {0}
    with hub.session() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "submission.withdrawn")).one()
        assert (entry.actor, entry.target, entry.providers) == ("user:op1", f"submission:{sid}", ["ngo-one"])
        assert entry.details["records"]["incidents"] == 3  # its size, for the operator reading the log
    twice = hub.client.post(f"/api/v1/operator/submissions/{sid}/withdraw", headers={"Authorization": f"Bearer {token}"})
    assert twice.status_code == 200
    assert twice.json() == {"withdrawn": [], "incidents_deleted": 0}
    missing = hub.client.post("/api/v1/operator/submissions/nope/withdraw", headers={"Authorization": f"Bearer {token}"})
    assert missing.status_code == 404


def test_only_operators_may_withdraw_by_id(hub: HubUnderTest, partners: tuple[FakePartner, FakePartner]) -> None:
    one, _ = partners
    sid = hub.upload(one, one.bundle(make_tables(3))).json()["receipt"]["submission_id"]
    token = hub.arrange(add_user_token, "lb-camden", "borough_officer")
    response = hub.client.post(f"/api/v1/operator/submissions/{sid}/withdraw", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert status_of(hub, sid) == "active"
    assert record_counts(hub, sid)["incidents"] == 3


def test_a_new_upload_after_withdrawal_is_accepted(hub: HubUnderTest, partners: tuple[FakePartner, FakePartner]) -> None:
    one, _ = partners
    bundle = one.bundle(make_tables(3))
    hub.upload(one, bundle)
    hub.partner_call(one, "POST", "/api/v1/submissions/2026-Q3/withdraw")
    assert hub.upload(one, bundle).status_code == 409  # the withdrawn bytes are not silently reinstated
    fresh = hub.upload(one, one.bundle(make_tables(2, seed=5)))
    assert fresh.status_code == 201
    assert fresh.json()["receipt"]["supersedes"] == []
