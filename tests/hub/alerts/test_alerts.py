"""Cross-partner alerts on a real hub: raised at ingest between opted-in providers only, showing each
partner its own record and nothing of the other's; contact requests mediated; gone on withdrawal."""

import json
import re
from typing import Any

import pytest
from sqlalchemy import func, select

from hub.models import Alert, ContactRequest
from tests.factories import (
    FakePartner,
    add_agreement,
    add_partner,
    add_user_token,
    make_tables,
    raw_bundle,
    record_rows,
)
from tests.hubs import HubUnderTest

Rows = dict[str, list[dict[str, Any]]]
SHARED_PEOPLE = 3
ALERTS = "/api/v1/partner/alerts"


def _rows(seed: int) -> Rows:
    tables = make_tables(8, persons_per_incident=1, keys_per_person=3, seed=seed)
    return {table: record_rows(records) for table, records in tables.items()}


def _share_people(one: Rows, two: Rows, indices: range) -> None:
    """The persons of ``two`` at ``indices`` are ``one``'s: every key copied."""
    for i in indices:
        theirs, ours = two["persons"][i], one["persons"][i]
        theirs.update({k: v for k, v in ours.items() if k.startswith("mk_")})
        pid = theirs["incident_pid"]
        two["person_keys"] = [k for k in two["person_keys"] if k["incident_pid"] != pid]
        two["person_keys"] += [{**k, "incident_pid": pid} for k in one["person_keys"] if k["incident_pid"] == ours["incident_pid"]]


def _share_selector(one: Rows, two: Rows, i: int) -> str:
    """Incident ``i`` of ``two`` holds the selector of incident ``i`` of ``one``; returns its kind."""
    selector = one["selectors"][i]
    two["selectors"].append({**selector, "incident_pid": two["incidents"][i]["incident_pid"]})
    return str(selector["kind"])


def _pseudonyms(*rows: Rows) -> set[str]:
    found = set()
    for tables in rows:
        for table in tables.values():
            for row in table:
                found |= {v for v in row.values() if isinstance(v, str) and re.fullmatch(r"v1\.[0-9a-f]{64}", v)}
    return found


@pytest.fixture
def three(hub: HubUnderTest) -> dict[str, FakePartner]:
    """ngo-one and police-two opt in to alerts; ngo-three does not."""
    made = {org: hub.arrange(add_partner, org) for org in ("ngo-one", "police-two", "ngo-three")}
    hub.arrange(add_agreement, list(made), alerts=["ngo-one", "police-two"])
    return made


def _alerts(hub: HubUnderTest, partner: FakePartner) -> tuple[list[dict[str, Any]], str]:
    response = hub.partner_call(partner, "GET", ALERTS)
    assert response.status_code == 200, response.text
    return response.json()["alerts"], response.text


def _upload_all(hub: HubUnderTest, three: dict[str, FakePartner]) -> dict[str, Rows]:
    rows = {"ngo-one": _rows(1), "police-two": _rows(2), "ngo-three": _rows(3)}
    _share_people(rows["ngo-one"], rows["police-two"], range(SHARED_PEOPLE))
    _share_selector(rows["ngo-one"], rows["police-two"], 5)
    _share_people(rows["ngo-one"], rows["ngo-three"], range(6, 8))  # ngo-three holds two of ngo-one's people
    for org, partner in three.items():
        assert hub.upload(partner, raw_bundle(partner, rows[org])).status_code == 201
    return rows


def test_opted_in_partners_see_their_own_records_linked_and_nothing_of_the_other(
    hub: HubUnderTest, three: dict[str, FakePartner]
) -> None:
    rows = _upload_all(hub, three)
    ngo, body = _alerts(hub, three["ngo-one"])
    assert ngo, "ngo-one holds records police-two also holds: it must have alerts"
    # Its own records: the row points into its own bundle, at the incidents it shares with police-two.
    own_pids = [i["incident_pid"] for i in rows["ngo-one"]["incidents"]]
    linked = {own_pids[a["row"]] for a in ngo}
    assert linked == {own_pids[i] for i in (*range(SHARED_PEOPLE), 5)}
    kinds = {own_pids[a["row"]]: a["kinds"] for a in ngo}
    assert all(kinds[own_pids[i]][0] == "person" for i in range(SHARED_PEOPLE))
    assert kinds[own_pids[5]] == [rows["ngo-one"]["selectors"][5]["kind"]]
    assert all(re.fullmatch(r"\d{4}-\d{2}", a["found_month"]) and a["quarter"] == "2026-Q3" for a in ngo)
    # Nothing of the other partner: not its id, not its name, not one pseudonym of any bundle.
    assert "police-two" not in body
    assert "Test police-two" not in body
    assert not [p for p in _pseudonyms(*rows.values()) if p in body]
    assert not re.search(r"h1\.[0-9a-f]{16}", body)
    assert {a["contact_request"] for a in ngo} == {None}
    police, body = _alerts(hub, three["police-two"])
    assert len(police) == len(ngo)
    assert "ngo-one" not in body
    # The partner without alerts is told nothing, though it shares people with ngo-one; nor is ngo-one told of it.
    assert _alerts(hub, three["ngo-three"])[0] == []
    with hub.session() as session:
        assert session.scalar(select(func.count()).select_from(Alert).where(Alert.org_id == "ngo-three")) == 0
        assert session.scalar(select(func.count()).select_from(Alert).where(Alert.other_org_id == "ngo-three")) == 0
    assert "alerts.refreshed" in hub.audit_actions()
    assert "alerts.listed" in hub.audit_actions()


def test_a_contact_request_goes_from_request_to_acceptance_and_only_then_shows_contacts(
    hub: HubUnderTest, three: dict[str, FakePartner]
) -> None:
    _upload_all(hub, three)
    operator = hub.arrange(add_user_token, "hub-operator", "operator")
    for org, contact in (("ngo-one", "Sam Ngo, MS lead, sam@ngo.example"), ("police-two", "DS Lee, 020 7946 0000")):
        response = hub.client.put(f"/api/v1/orgs/{org}/contact", json={"contact": contact},
                                  headers={"Authorization": f"Bearer {operator}"})
        assert response.status_code == 200, response.text
    ngo, police, third = three["ngo-one"], three["police-two"], three["ngo-three"]
    alert = _alerts(hub, ngo)[0][0]
    asked = hub.partner_call(ngo, "POST", f"{ALERTS}/{alert['id']}/contact-request")
    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert request["status"] == "pending"
    assert request["direction"] == "sent"
    assert request["contact"] is None
    assert hub.partner_call(ngo, "POST", f"{ALERTS}/{alert['id']}/contact-request").status_code == 409
    # The police see the request against their own record, not who asked.
    received = [a for a in _alerts(hub, police)[0] if a["contact_request"]]
    assert len(received) == 1
    assert received[0]["contact_request"] == {"id": request["id"], "direction": "received", "status": "pending",
                                              "organisation": None, "contact": None}
    body = _alerts(hub, police)[1]
    assert "ngo-one" not in body
    assert "Sam Ngo" not in body
    # Neither the asker nor a third partner may decide it.
    for who in (ngo, third):
        assert hub.partner_call(who, "POST", f"/api/v1/partner/contact-requests/{request['id']}/accept").status_code == 404
    assert _alerts(hub, third)[0] == []
    accepted = hub.partner_call(police, "POST", f"/api/v1/partner/contact-requests/{request['id']}/accept")
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["contact"] == "Sam Ngo, MS lead, sam@ngo.example"
    assert hub.partner_call(police, "POST", f"/api/v1/partner/contact-requests/{request['id']}/decline").status_code == 409
    mine = next(a for a in _alerts(hub, ngo)[0] if a["id"] == alert["id"])
    assert mine["contact_request"]["status"] == "accepted"
    assert mine["contact_request"]["organisation"] == "Test police-two"
    assert mine["contact_request"]["contact"] == "DS Lee, 020 7946 0000"
    theirs = next(a for a in _alerts(hub, police)[0] if a["contact_request"])
    assert theirs["contact_request"]["contact"] == "Sam Ngo, MS lead, sam@ngo.example"
    actions = hub.audit_actions()
    assert actions.index("contact.requested") < actions.index("contact.accepted")
    assert "org.contact" in actions


def test_cross_tenant_paths_are_refused(hub: HubUnderTest, three: dict[str, FakePartner]) -> None:
    _upload_all(hub, three)
    ngo, police, third = three["ngo-one"], three["police-two"], three["ngo-three"]
    alert = _alerts(hub, ngo)[0][0]
    for who in (police, third):  # another partner's alert is "not found", as one that does not exist
        response = hub.partner_call(who, "POST", f"{ALERTS}/{alert['id']}/contact-request")
        assert response.status_code == 404
        assert "ngo-one" not in response.text
    assert hub.partner_call(ngo, "POST", f"{ALERTS}/999999/contact-request").status_code == 404
    request = hub.partner_call(ngo, "POST", f"{ALERTS}/{alert['id']}/contact-request").json()
    assert hub.partner_call(third, "POST", f"/api/v1/partner/contact-requests/{request['id']}/decline").status_code == 404
    assert all(a["contact_request"] is None for a in _alerts(hub, third)[0])
    # A partner token is needed; an operator's bearer token is not a partner.
    operator = hub.arrange(add_user_token, "hub-operator", "operator")
    assert hub.client.get(ALERTS, headers={"Authorization": f"Bearer {operator}"}).status_code == 401
    # Only an operator sets a contact.
    assert hub.client.put("/api/v1/orgs/ngo-one/contact", json={"contact": "x"},
                          headers={"Authorization": f"Bearer {ngo.token(typ='msht-partner+jwt')}"}).status_code in (401, 403)


def test_withdrawal_removes_alerts_and_their_contact_requests(hub: HubUnderTest, three: dict[str, FakePartner]) -> None:
    _upload_all(hub, three)
    ngo, police = three["ngo-one"], three["police-two"]
    alert = _alerts(hub, ngo)[0][0]
    assert hub.partner_call(ngo, "POST", f"{ALERTS}/{alert['id']}/contact-request").status_code == 201
    assert hub.counts(Alert, ContactRequest) == {"alerts": 2 * len(_alerts(hub, ngo)[0]), "contact_requests": 1}
    assert hub.partner_call(police, "POST", "/api/v1/submissions/2026-Q3/withdraw").status_code == 200
    assert _alerts(hub, ngo)[0] == []
    assert _alerts(hub, police)[0] == []
    assert hub.counts(Alert, ContactRequest) == {"alerts": 0, "contact_requests": 0}


def test_an_agreement_without_opt_in_raises_no_alert(hub: HubUnderTest) -> None:
    one, two = (hub.arrange(add_partner, org) for org in ("ngo-one", "ngo-two"))
    hub.arrange(add_agreement, ["ngo-one", "ngo-two"])
    rows_one, rows_two = _rows(1), _rows(2)
    _share_people(rows_one, rows_two, range(SHARED_PEOPLE))
    for partner, rows in ((one, rows_one), (two, rows_two)):
        assert hub.upload(partner, raw_bundle(partner, rows)).status_code == 201
    assert hub.counts(Alert) == {"alerts": 0}
    assert json.loads(hub.partner_call(one, "GET", ALERTS).text) == {"alerts": []}
