"""Editing organisations and users from the console: rename, correct a borough, change role, reset
a password — each with a typed reason in the audit log, refusals shown in the form."""

import re

from sqlalchemy import select

from hub.models import AuditEntry, Organisation, User
from tests.factories.accounts import add_user, login
from tests.factories.stats_seed import add_orgs
from tests.hubs import HubUnderTest

REASON = "Name was wrong on the first import"


def _operator(hub: HubUnderTest) -> str:
    def arrange(s: object) -> None:
        add_orgs(s)  # type: ignore[arg-type]
        add_user(s, "olive", "operator", "hub-operator")  # type: ignore[arg-type]
        add_user(s, "nina", "borough_officer", "lb-newham")  # type: ignore[arg-type]

    hub.arrange(arrange)
    login(hub.client, "olive")
    page = hub.client.get("/console/organisations").text
    assert 'href="/console/organisations/lb-newham/edit"' in page
    assert 'href="/console/users/nina/edit"' in page
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def _last(hub: HubUnderTest, action: str) -> AuditEntry:
    with hub.session() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id.desc())).first()
        assert entry is not None, action
        return entry


def test_rename_an_organisation_with_a_reason(hub: HubUnderTest) -> None:
    token = _operator(hub)
    form = hub.client.get("/console/organisations/lb-newham/edit")
    assert form.status_code == 200
    assert '<option value="E09000025" selected>Newham (E09000025)</option>' in form.text
    refused = hub.client.post("/console/organisations/lb-newham/edit", data={"csrf_token": token, "name": "LB of Newham", "gss_code": "E09000025", "reason": ""})
    assert refused.status_code == 422
    assert "data-error-summary" in refused.text
    assert 'value="LB of Newham"' in refused.text
    done = hub.client.post(
        "/console/organisations/lb-newham/edit", data={"csrf_token": token, "name": "Newham Council", "gss_code": "E09000025", "reason": REASON},
        follow_redirects=False,
    )
    assert done.status_code == 303
    with hub.session() as s:
        assert s.get(Organisation, "lb-newham").name == "Newham Council"  # type: ignore[union-attr]
    entry = _last(hub, "org.edit")
    assert entry.details == {"changed": ["name"], "reason": REASON}


def test_change_role_and_reset_password(hub: HubUnderTest) -> None:
    token = _operator(hub)
    assert hub.client.get("/console/users/nina/edit").status_code == 200
    wrong = hub.client.post("/console/users/nina/edit", data={"csrf_token": token, "display_name": "Nina", "role": "borough_officer", "reason": "x"})
    assert wrong.status_code == 422
    changed = hub.client.post(
        "/console/users/nina/edit", data={"csrf_token": token, "display_name": "Nina", "role": "analyst", "reason": "Moved to the London analysis team"},
        follow_redirects=False,
    )
    assert changed.status_code == 303
    entry = _last(hub, "user.edit")
    assert entry.details["role_from"] == "borough_officer"
    assert entry.details["role_to"] == "analyst"
    assert entry.details["reason"] == "Moved to the London analysis team"
    mismatch = hub.client.post(
        "/console/users/nina/password", data={"csrf_token": token, "password": "a-new-long-password", "password_again": "different-one-here", "password_reason": "Forgot the old one, asked by phone"},
    )
    assert mismatch.status_code == 422
    assert 'href="#password_again"' in mismatch.text
    reset = hub.client.post(
        "/console/users/nina/password",
        data={"csrf_token": token, "password": "a-new-long-password 42", "password_again": "a-new-long-password 42", "password_reason": "Forgot the old one, asked by phone"},
        follow_redirects=False,
    )
    assert reset.status_code == 303, reset.text[:400]
    assert _last(hub, "user.password").details == {"reason": "Forgot the old one, asked by phone"}
    with hub.session() as s:
        user = s.scalars(select(User).where(User.username == "nina")).one()
        assert user.role == "analyst"


def test_the_last_operator_keeps_the_role(hub: HubUnderTest) -> None:
    token = _operator(hub)
    refused = hub.client.post("/console/users/olive/edit", data={"csrf_token": token, "display_name": "Olive", "role": "analyst", "reason": "Testing the lock-out guard"})
    assert refused.status_code == 422
    assert "operator" in refused.text
    with hub.session() as s:
        assert s.scalars(select(User.role).where(User.username == "olive")).one() == "operator"
