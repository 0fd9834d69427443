"""The console's organisation buttons: disabling and enabling an organisation, revoking a partner key."""

import re

from fastapi.testclient import TestClient

from hub.models import Organisation, PartnerKey
from tests.factories import FakePartner, make_tables
from tests.factories.accounts import PASSWORD, add_user, login, transaction
from tests.hubs import HubUnderTest


def _operator(hub: HubUnderTest) -> tuple[TestClient, str]:
    """A TestClient signed in as an operator, and the CSRF token its pages embed."""
    hub.arrange(add_user, "olive", "operator", "hub-operator")
    login(hub.client, "olive")
    page = hub.client.get("/console/organisations")
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return hub.client, found.group(1)


def _signs_in(hub: HubUnderTest, username: str) -> bool:
    client = TestClient(hub.app)
    client.get("/login")
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": client.cookies.get("msht_login_csrf"), "next": "/"},
        follow_redirects=False,
    )
    signed_in = response.status_code == 303 and client.get("/api/v1/session").status_code == 200
    client.close()
    return signed_in


def test_page_lists_each_organisations_keys_with_buttons(hub: HubUnderTest, partner: FakePartner) -> None:
    client, _ = _operator(hub)
    page = client.get("/console/organisations").text
    row = re.search(rf'<tr data-org="ngo-one" data-kid="{partner.kid}">.*?</tr>', page, re.S)
    assert row is not None
    assert "active" in row.group(0)
    assert f'href="/console/keys/{partner.kid}/revoke"' in row.group(0)
    assert 'href="/console/organisations/ngo-one/disable"' in page
    # No button that would lock the operator's own organisation out.
    assert 'href="/console/organisations/hub-operator/disable"' not in page


def test_disabling_an_organisation_stops_its_uploads_and_sign_ins(hub: HubUnderTest, partner: FakePartner) -> None:
    client, csrf = _operator(hub)
    hub.arrange(add_user, "nora", "partner_uploader", "ngo-one")
    assert _signs_in(hub, "nora")
    assert hub.upload(partner, partner.bundle(make_tables(3, seed=1))).status_code == 201

    response = client.post(
        "/console/organisations/ngo-one/disable", data={"csrf_token": csrf, "reason": "Test of the console button"}, follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/console/organisations?notice=org-disabled"
    page = client.get(response.headers["location"]).text
    assert "Organisation disabled" in page
    assert 'action="/console/organisations/ngo-one/enable"' in page
    assert f'href="/console/keys/{partner.kid}/revoke"' not in page  # its key went with it

    refused = hub.upload(partner, partner.bundle(make_tables(3, seed=2)))
    assert refused.status_code == 401
    assert not _signs_in(hub, "nora")
    with hub.session() as s:
        org = s.get(Organisation, "ngo-one")
        key = s.get(PartnerKey, partner.kid)
        assert org is not None
        assert org.status == "disabled"
        assert key is not None
        assert key.status == "revoked"
    assert "org.disabled" in hub.audit_actions()

    response = client.post("/console/organisations/ngo-one/enable", data={"csrf_token": csrf}, follow_redirects=True)
    assert "Organisation enabled" in response.text
    assert _signs_in(hub, "nora")
    # Enabling does not bring a revoked key back: the partner enrols a new one.
    assert hub.upload(partner, partner.bundle(make_tables(3, seed=3))).status_code == 401
    assert "org.active" in hub.audit_actions()


def test_revoking_a_key_refuses_uploads_signed_with_it(hub: HubUnderTest, partner: FakePartner) -> None:
    client, csrf = _operator(hub)
    assert hub.upload(partner, partner.bundle(make_tables(3, seed=1))).status_code == 201

    response = client.post(
        f"/console/keys/{partner.kid}/revoke", data={"csrf_token": csrf, "reason": "Test of the console button"}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "Signing key revoked" in response.text
    row = re.search(rf'<tr data-org="ngo-one" data-kid="{partner.kid}">.*?</tr>', response.text, re.S)
    assert row is not None
    assert "revoked" in row.group(0)
    assert "Revoke…" not in row.group(0)

    refused = hub.upload(partner, partner.bundle(make_tables(3, seed=2)))
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]
    with hub.session() as s:
        org = s.get(Organisation, "ngo-one")
        assert org is not None
        assert org.status == "active"
    assert hub.audit_actions()[-1] == "partner.revoke_key"


def test_buttons_need_the_csrf_token_and_name_unknown_targets(hub: HubUnderTest, partner: FakePartner) -> None:
    client, csrf = _operator(hub)
    assert client.post("/console/organisations/ngo-one/disable", data={}).status_code == 403
    assert client.post(f"/console/keys/{partner.kid}/revoke", data={"csrf_token": "wrong"}).status_code == 403
    with transaction(hub.app.state.sessions) as s:
        key = s.get(PartnerKey, partner.kid)
        assert key is not None
        assert key.status == "active"
    missing = client.post("/console/keys/no-such-key/revoke", data={"csrf_token": csrf, "reason": "Test of the console button"})
    assert missing.status_code == 404
    assert "no partner key has this id" in missing.text
    own = client.post("/console/organisations/hub-operator/disable", data={"csrf_token": csrf, "reason": "Test of the console button"})
    assert own.status_code == 400
    assert hub.audit_actions().count("org.disabled") == 0
    # Without a reason nothing is done: the confirmation comes back asking why.
    unexplained = client.post(f"/console/keys/{partner.kid}/revoke", data={"csrf_token": csrf})
    assert "There is a problem" in unexplained.text
    assert "partner.revoke_key" not in hub.audit_actions()


def test_the_operator_sets_an_organisations_named_contact_for_alerts(hub: HubUnderTest, partner: FakePartner) -> None:
    client, csrf = _operator(hub)
    response = client.post("/console/organisations/ngo-one/contact",
                           data={"csrf_token": csrf, "contact": "Nia Lead, nia@ngo.example"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/console/organisations?notice=contact-set"
    assert 'value="Nia Lead, nia@ngo.example"' in client.get(response.headers["location"]).text
    with transaction(hub.app.state.sessions) as session:
        org = session.get(Organisation, "ngo-one")
        assert org is not None
        assert org.contact == "Nia Lead, nia@ngo.example"
    assert client.post("/console/organisations/ngo-one/contact", data={"contact": "x"}, follow_redirects=False).status_code == 403
    assert "org.contact" in hub.audit_actions()
