"""The console and the page header speak in words: an agreement's parties by their display names and kinds,
its sharing rules as the partner page words them, and the signed-in role as a role, not a key."""

import re

from sqlalchemy.orm import Session

from tests.factories import add_partner
from tests.factories.accounts import add_user, csrf_of, login
from tests.factories.stats_seed import add_orgs, load_agreement
from tests.hubs import HubUnderTest


def _arrange(s: Session) -> None:
    add_orgs(s)
    load_agreement(s)
    add_user(s, "olive", "operator", "hub-operator")
    add_user(s, "nina", "borough_officer", "lb-newham")


def _section(page: str, heading: str) -> str:
    assert f"<h2>{heading}</h2>" in page, heading
    return page.split(f"<h2>{heading}</h2>", 1)[1].split("</section>", 1)[0]


def test_agreement_page_names_parties_and_sharing_rules_in_words(hub: HubUnderTest) -> None:
    hub.arrange(_arrange)
    login(hub.client, "olive")
    page = hub.client.get("/console/agreements/demo-london")
    assert page.status_code == 200
    parties = _section(page.text, "Parties")
    assert '<a href="/console/organisations/lb-newham">London Borough of Newham</a>' in parties
    assert "Borough council" in parties
    rules = _section(page.text, "Sharing rules")
    assert '<a href="/console/organisations/demo-hospital">Demo Hospital Trust</a>' in rules
    assert "every borough council: pooled London" in rules
    assert "analysts: networks" in rules
    for key in ("LocalGovernmentOrganisation", "HealthServiceOrganisation", "borough_detail", "pooled_london", "role analyst"):
        assert key not in parties + rules, key


def test_the_header_names_the_signed_in_role_in_words(hub: HubUnderTest) -> None:
    hub.arrange(_arrange)
    login(hub.client, "nina")
    page = hub.client.get("/dashboard/E09000025").text
    assert '<span class="who">Nina · Borough officer</span>' in page
    assert "borough_officer" not in page


def test_organisations_page_names_kinds_in_words(hub: HubUnderTest) -> None:
    hub.arrange(_arrange)
    login(hub.client, "olive")
    page = hub.client.get("/console/organisations").text
    row = page.split('<tr data-org="lb-newham">', 1)[1].split("</tr>", 1)[0]
    assert "<td>Borough council</td>" in row
    assert '<option value="LocalGovernmentOrganisation">Borough council</option>' in page


def test_partner_page_offers_to_revoke_each_active_key_through_its_confirmation(hub: HubUnderTest) -> None:
    hub.arrange(_arrange)
    made = hub.arrange(add_partner, "demo-ngo")
    login(hub.client, "olive")
    page = hub.client.get("/console/organisations/demo-ngo").text
    keys = _section_by_id(page, "keys")
    assert f'href="/console/keys/{made.kid}/revoke"' in keys
    assert hub.client.get(f"/console/keys/{made.kid}/revoke").status_code == 200


def _section_by_id(page: str, section: str) -> str:
    assert f'id="{section}"' in page, section
    return page.split(f'id="{section}"', 1)[1].split("</section>", 1)[0]


def test_onboarding_lists_only_organisations_still_being_onboarded(hub: HubUnderTest) -> None:
    from anonymise import PartnerType
    from hub.partners import service as partners
    from tests.factories.stats_seed import seed

    def arrange(s: Session) -> None:
        seed(s, per_quarter=2, quarters=("2026-Q3",))  # the four providers have sent a return, no user among them
        add_user(s, "olive", "operator", "hub-operator")
        add_user(s, "tess", "borough_officer", "lb-tower-hamlets")  # a recipient with a user and its agreement
        partners.add_org(s, org_id="ngo-fresh", name="Fresh Start NGO", kind=PartnerType.NGO, gss_code=None, actor="test")

    hub.arrange(arrange)
    login(hub.client, "olive")
    page = hub.client.get("/console/onboard").text
    listed = re.findall(r'<tr data-org="([a-z0-9-]+)">', page.split('id="under-way"', 1)[1].split("</table>", 1)[0])
    assert listed == ["lb-camden", "ngo-fresh"], "Camden only receives figures and has no user yet"
    camden = page.split('<tr data-org="lb-camden">', 1)[1].split("</tr>", 1)[0]
    assert "<td>2 of 3</td>" in camden, "a recipient needs no token and sends no upload"
    fresh = page.split('<tr data-org="ngo-fresh">', 1)[1].split("</tr>", 1)[0]
    assert "<td>1 of 5</td>" in fresh
    assert "until it sends its first upload" in page, "the page states its rule"


def test_contact_form_error_comes_back_in_the_form_with_the_input_kept(hub: HubUnderTest) -> None:
    hub.arrange(_arrange)
    login(hub.client, "olive")
    typed = "Sam Reyes, caseworker, 020 7946 0000 " + "x" * 300
    answer = hub.client.post("/console/organisations/demo-ngo/contact", data={"contact": typed, "csrf_token": csrf_of(hub.client)})
    assert answer.status_code == 422
    page = answer.text
    assert 'id="error-summary"' in page
    assert '<a href="#contact-demo-ngo">Keep the named contact to 300 characters or fewer</a>' in page
    row = page.split('<tr data-org="demo-ngo">', 1)[1].split("</tr>", 1)[0]
    assert f'value="{typed}"' in row, "the input is kept"
    assert 'aria-invalid="true"' in row
    assert "<h1>Organisations and users</h1>" in page, "the form's own page, not a separate error page"
    kept = hub.client.get("/console/organisations").text.split('<tr data-org="demo-ngo">', 1)[1].split("</tr>", 1)[0]
    assert 'name="contact" maxlength="300" size="28" value=""' in kept, "nothing was stored"


def test_partner_page_names_agreements_by_title_and_partners_by_name(hub: HubUnderTest) -> None:
    hub.arrange(_arrange)
    login(hub.client, "olive")
    page = hub.client.get("/console/organisations/lb-newham").text
    agreements = _section_by_id(page, "agreements")
    assert '<a href="/console/agreements/demo-london">Demo pan-London modern slavery data sharing (synthetic data only)</a>, version 1' in agreements
    assert ">demo-london<" not in agreements
    assert "Demo NGO: borough detail" in agreements, "what it may see, from whom, by display name"
    for slug in ("demo-ngo:", "demo-police:", "demo-hospital:"):
        assert slug not in agreements, slug
