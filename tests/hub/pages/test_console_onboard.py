"""Adding an organisation to an agreement from the console: the form shows the exact YAML diff
first, stores that text (comments kept) only with a typed reason, and audits it."""

import re
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from anonymise import parse_agreement
from hub.agreements import service as agreements
from hub.models import Organisation
from tests.factories.accounts import add_user, login
from tests.factories.stats_seed import AGREEMENT_ID, add_orgs, load_agreement
from tests.hubs import HubUnderTest

URL = f"/console/agreements/{AGREEMENT_ID}/add-partner"


def _arrange(s: Session) -> None:
    add_orgs(s)
    load_agreement(s)
    s.add(Organisation(id="ngo-new", name="New Horizons NGO", kind="NGO", gss_code=None, status="active", created_at=datetime.now(UTC)))
    add_user(s, "olive", "operator", "hub-operator")


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None
    return found.group(1)


def test_add_partner_shows_the_diff_then_stores_it_with_a_reason(hub: HubUnderTest) -> None:
    hub.arrange(_arrange)
    login(hub.client, "olive")
    form = hub.client.get(URL)
    assert form.status_code == 200
    assert "New Horizons NGO" in form.text
    assert "demo-ngo" not in re.search(r'<select id="org".*?</select>', form.text, re.S).group(0)  # type: ignore[union-attr]
    token = _csrf(form.text)
    data = {"csrf_token": token, "org": "ngo-new", "provider": "true", "share": "pooled_london", "action": "preview"}
    preview = hub.client.post(URL, data=data)
    assert preview.status_code == 200
    added = re.findall(r'<span class="add">([^<]*)</span>', preview.text)
    assert "+  - {org: ngo-new, kind: NGO, roles: [provider]}" in added
    assert "+  - provider: ngo-new" in added
    assert any("level: pooled_london" in line for line in added)
    assert "+version: 2" in added
    assert not re.findall(r'<span class="del">(?!-version)([^<]*)</span>', preview.text), "nothing else removed"
    document = re.search(r'<input type="hidden" name="document" value="([^"]*)"', preview.text, re.S).group(1)  # type: ignore[union-attr]
    document = document.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    no_reason = hub.client.post(URL, data=data | {"action": "store", "document": document, "reason": ""})
    assert no_reason.status_code == 422
    assert "data-error-summary" in no_reason.text
    assert 'value="ngo-new" selected' in no_reason.text, "the input is kept"
    assert hub.arrange(lambda s: len(agreements.versions(s, AGREEMENT_ID))) == 1
    stored = hub.client.post(URL, data=data | {"action": "store", "document": document, "reason": "Joined the partnership in November"}, follow_redirects=False)
    assert stored.status_code == 303, stored.text[:500]
    text = hub.arrange(lambda s: agreements.versions(s, AGREEMENT_ID)[0].document)
    assert text == document
    new = parse_agreement(text)
    assert new.version == 2
    assert any(p.org == "ngo-new" for p in new.parties)
    rule = new.rule_for("ngo-new")
    assert rule is not None
    assert [g.level.value for g in rule.grants] == ["pooled_london"]
    assert "# The hospital shares pooled London figures only" in text, "comments kept"
    assert "agreement.add_party" in hub.audit_actions()


def test_nothing_ticked_is_shown_in_the_form(hub: HubUnderTest) -> None:
    hub.arrange(_arrange)
    login(hub.client, "olive")
    token = _csrf(hub.client.get(URL).text)
    response = hub.client.post(URL, data={"csrf_token": token, "org": "", "action": "preview"})
    assert response.status_code == 422
    assert 'href="#org"' in response.text
    assert 'href="#provider"' in response.text
