"""Passwords per NIST SP 800-63B (issue 17, L4): normalised, no space-only or invisible characters, not common."""

import pytest

from hub.auth.password_rules import PasswordRefused, checked
from tests.factories import add_user_token
from tests.factories.accounts import add_user
from tests.hubs import HubUnderTest

ZWSP = "\u200b"


@pytest.mark.parametrize(
    "password",
    [" " * 12, ZWSP * 12, "\u3000" * 12, "123456789012", "passwordpassword", "qwertyuiop123", "aaaaaaaaaaaa",
     "correct horse\u200bbattery", "tab\there is fine?x", "short one"],
)
def test_weak_or_invisible_passwords_are_refused(password: str) -> None:
    with pytest.raises(PasswordRefused) as refused:
        checked(password)
    assert password not in str(refused.value)


def test_normalised_passwords_sign_in_alike() -> None:
    assert checked("ｃｏｒｒｅｃｔ ｈｏｒｓｅ ｂａｔｔｅｒｙ") == "correct horse battery"
    assert checked("a long enough passphrase, with ümlauts") == "a long enough passphrase, with ümlauts"


@pytest.mark.parametrize("password", [" " * 12, ZWSP * 12, "123456789012"])
def test_the_api_refuses_the_attack_passwords(hub: HubUnderTest, password: str) -> None:
    token = hub.arrange(add_user_token, "hub-ops", "operator", "ops-one")
    response = hub.client.post(
        "/api/v1/users",
        json={"username": "weak.user", "display_name": "W", "org_id": "hub-ops", "role": "analyst", "password": password},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code in (400, 422), response.text
    assert password not in response.text


def test_a_fullwidth_password_signs_in_with_its_ascii_twin(hub: HubUnderTest) -> None:
    from tests.factories.accounts import login

    hub.arrange(add_user, "wide", "analyst", "ngo-a", password="ｃｏｒｒｅｃｔ ｈｏｒｓｅ ｂａｔｔｅｒｙ")
    login(hub.client, "wide", "correct horse battery")


