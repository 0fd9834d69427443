"""Operators cannot lock the hub out (issue 17, L6): not themselves, not the last active operator."""

import pytest

from tests.factories import add_user_token
from tests.hubs import HubUnderTest


def test_an_operator_cannot_disable_themselves_or_the_last_operator(hub: HubUnderTest) -> None:
    token = hub.arrange(add_user_token, "hub-ops", "operator", "ops-one")
    headers = {"Authorization": f"Bearer {token}"}
    own = hub.client.post("/api/v1/users/ops-one/disable", headers=headers)
    assert own.status_code == 409, own.text
    assert hub.client.get("/api/v1/orgs", headers=headers).status_code == 200  # still signed in
    own_org = hub.client.post("/api/v1/orgs/hub-ops/disable", headers=headers)
    assert own_org.status_code == 409, own_org.text
    second = hub.arrange(add_user_token, "hub-ops", "operator", "ops-two")
    assert hub.client.post("/api/v1/users/ops-two/disable", headers=headers).status_code == 200
    assert hub.client.get("/api/v1/orgs", headers={"Authorization": f"Bearer {second}"}).status_code == 401


def test_the_last_operator_cannot_be_disabled_from_the_command_line(hub: HubUnderTest) -> None:
    from hub.errors import Conflict
    from hub.models import UserStatus
    from hub.partners import service

    hub.arrange(add_user_token, "hub-ops", "operator", "ops-one")
    with pytest.raises(Conflict):
        hub.arrange(service.set_user_status, "ops-one", UserStatus.disabled, actor="cli:root")


