"""The console's audit log: filters by who, action and days, text search, readable times and
details (no Python dicts), and a CSV export that holds the same entries and is itself audited."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from hub import audit
from hub.models import Organisation
from hub.pages.console_audit import details, target_words, what, when
from tests.factories.accounts import add_org, add_user, login
from tests.hubs import HubUnderTest


def _log(s: Session) -> None:
    add_user(s, "olive", "operator", "hub-operator")
    audit.record(s, actor="user:olive", action="org.disable", target="org:demo-ngo", details={"reason_given": True, "keys": ["k1", "k2"]})
    audit.record(s, actor="user:sam", action="stats.read", target="stats:overview:E09000025", providers=["demo-ngo"], details={"quarter": "2026-Q3"})
    audit.record(s, actor="partner:demo-ngo", action="submission.accepted", target="submission:abc", details={"incidents": 30})


def _ids(html: str) -> list[int]:
    table = re.search(r'<table id="audit".*?</table>', html, re.S)
    return [] if table is None else [int(i) for i in re.findall(r'<tr><td class="num">(\d+)</td>', table.group(0))]


def test_filters_search_and_readable_entries(hub: HubUnderTest) -> None:
    hub.arrange(_log)
    login(hub.client, "olive")
    everything = hub.client.get("/console/audit")
    assert everything.status_code == 200
    assert len(_ids(everything.text)) >= 3
    assert "{" not in re.search(r'<table id="audit".*?</table>', everything.text, re.S).group(0)  # type: ignore[union-attr]
    assert re.search(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d:\d\d UTC", everything.text)
    assert not re.search(r"\d\d:\d\d:\d\d\.\d{6}", everything.text), "no microseconds"
    assert "<dt>reason given</dt><dd>yes</dd>" in everything.text
    assert "<dt>keys</dt><dd>k1, k2</dd>" in everything.text
    by_action = hub.client.get("/console/audit", params={"action": "stats.read"}).text
    assert _ids(by_action)
    assert "stats:overview:E09000025" in by_action
    assert "org:demo-ngo" not in by_action
    by_actor = hub.client.get("/console/audit", params={"actor": "demo-ngo"}).text
    assert "submission:abc" in by_actor
    assert "stats:overview" not in by_actor
    searched = hub.client.get("/console/audit", params={"q": "E09000025"}).text
    assert _ids(searched)
    assert all("E09000025" in row for row in re.findall(r"<tr><td class=\"num\">.*?</tr>", searched, re.S))
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    assert _ids(hub.client.get("/console/audit", params={"since": tomorrow}).text) == []
    assert _ids(hub.client.get("/console/audit", params={"until": "2020-01-01"}).text) == []
    assert hub.client.get("/console/audit", params={"q": "x" * 500}).status_code in (400, 422)


def test_csv_export_holds_the_filtered_entries_and_is_audited(hub: HubUnderTest) -> None:
    hub.arrange(_log)
    login(hub.client, "olive")
    page = hub.client.get("/console/audit", params={"action": "org.disable"}).text
    link = re.search(r'<a href="(/console/audit\.csv[^"]*)" download data-export>', page)
    assert link is not None
    response = hub.client.get(link.group(1).replace("&amp;", "&"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:4] == ["id", "when (UTC)", "who", "action"]
    assert len(rows) >= 2
    assert {r[3] for r in rows[1:]} == {"org.disable"}
    assert "{" not in response.text
    assert rows[1][7] == "keys: k1, k2; reason given: yes"
    assert "audit.export" in hub.audit_actions()


def test_readable_forms() -> None:
    assert when(datetime(2026, 1, 5, 9, 3, 7, 999999, tzinfo=UTC)) == "5 Jan 2026, 09:03:07 UTC"
    assert details({"a_b": None, "nested": {"x": 1}}) == [("a b", "none"), ("nested", "x: 1")]


def _reminded(s: Session) -> None:
    add_user(s, "olive", "operator", "hub-operator")
    org = s.get(Organisation, "demo-police") or add_org(s, "demo-police", kind="Police", gss_code=None)
    org.name = "Demo Police"
    audit.record(s, actor="user:olive", action="returns.remind", target="org:demo-police", details={"quarter": "2026-Q2"})
    audit.record(s, actor="user:olive", action="thing.done_now", target="widget:7")


def test_actions_and_organisations_in_words_with_the_raw_action_kept(hub: HubUnderTest) -> None:
    hub.arrange(_reminded)
    login(hub.client, "olive")
    html = hub.client.get("/console/audit").text
    table = re.search(r'<table id="audit".*?</table>', html, re.S).group(0)  # type: ignore[union-attr]
    row = next(r for r in re.findall(r"<tr><td class=\"num\">.*?</tr>", table, re.S) if "returns.remind" in r)
    what = re.search(r'<td data-action="returns\.remind">(.*?)</td>', row, re.S)
    assert what is not None, row
    assert what.group(1).startswith("Reminder sent<br>"), "the action in words first"
    assert '<code class="hint">returns.remind</code>' in what.group(1), "the raw action kept beside it"
    assert '<a href="/console/organisations/demo-police">Demo Police</a>' in row, "the organisation by its name"
    assert '<code class="hint">org:demo-police</code>' in row
    assert ">Thing: done now<br>" in table, "an action not listed still reads as words"
    assert '<option value="returns.remind">Reminder sent (returns.remind)</option>' in html
    # operators still search, filter and export by the raw action
    assert "Reminder sent" in hub.client.get("/console/audit", params={"q": "returns.remind"}).text
    assert _ids(hub.client.get("/console/audit", params={"action": "returns.remind"}).text)
    exported = list(csv.reader(io.StringIO(hub.client.get("/console/audit.csv", params={"action": "returns.remind"}).text)))
    assert [r[3:5] for r in exported[1:]] == [["returns.remind", "org:demo-police"]]


def test_actions_in_words() -> None:
    assert what("returns.remind") == "Reminder sent"
    assert what("org.disabled") == "Organisation disabled"
    assert what("odd") == "Odd"
    assert target_words("org:gone", {}) == "org:gone", "an organisation not on the hub stays as recorded"
