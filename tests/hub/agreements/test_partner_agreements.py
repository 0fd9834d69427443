"""A partner's client fetches the current version of every agreement naming it, and nothing else."""



from anonymise.agreement import parse_agreement
from tests.factories import PARTNER_TYP, add_agreement, add_partner
from tests.hubs import HubUnderTest


def test_partner_gets_only_the_current_agreements_naming_it(hub: HubUnderTest) -> None:
    one = hub.arrange(add_partner, "ngo-one")
    outsider = hub.arrange(add_partner, "ngo-outsider")
    hub.arrange(add_agreement, ["ngo-one", "ngo-two"], agreement_id="shared-one")
    hub.arrange(add_agreement, ["ngo-one", "ngo-two"], agreement_id="shared-one", version=2)
    hub.arrange(add_agreement, ["ngo-two", "ngo-outsider"], agreement_id="not-for-one")

    response = hub.partner_call(one, "GET", "/api/v1/partner/agreements")
    assert response.status_code == 200, response.text
    listed = response.json()["agreements"]
    assert [(a["id"], a["version"]) for a in listed] == [("shared-one", 2)]
    assert parse_agreement(listed[0]["document"]).party("ngo-one") is not None

    theirs = hub.partner_call(outsider, "GET", "/api/v1/partner/agreements").json()["agreements"]
    assert [a["id"] for a in theirs] == ["not-for-one"]


def test_agreements_need_a_partner_token(hub: HubUnderTest) -> None:
    one = hub.arrange(add_partner, "ngo-one")
    hub.arrange(add_agreement, ["ngo-one"])
    assert hub.client.get("/api/v1/partner/agreements").status_code == 401
    upload_typed = one.token()
    assert hub.partner_call(one, "GET", "/api/v1/partner/agreements", token=upload_typed).status_code == 401
    assert hub.partner_call(one, "GET", "/api/v1/partner/agreements", token=one.token(typ=PARTNER_TYP)).status_code == 200
