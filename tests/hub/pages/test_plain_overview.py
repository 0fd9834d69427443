"""The overview in plain words: one privacy note naming partners (and the one left out) by display
name, the period on every figure, the previous quarter's figure beside each change, and on London
a borough comparison whose every row is the borough's own published headline."""

import re

from hub.statistics.schemas import Overview
from tests.factories.accounts import add_user, login
from tests.factories.stats_seed import CAMDEN, NEWHAM, seed
from tests.hubs import HubUnderTest


def _signed_in(hub: HubUnderTest) -> None:
    def fill(s: object) -> None:
        seed(s, per_quarter=30)  # type: ignore[arg-type]
        add_user(s, "newham.officer", "borough_officer", "lb-newham")  # type: ignore[arg-type]

    hub.arrange(fill)
    login(hub.client, "newham.officer")


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_borough_page_names_partners_and_the_one_left_out_once(hub: HubUnderTest) -> None:
    _signed_in(hub)
    page = hub.client.get(f"/dashboard/{NEWHAM}")
    assert page.status_code == 200
    assert page.text.count("data-privacy") == 1, "one privacy note per page"
    note = _text(re.search(r'<div class="privacy-label" data-privacy>.*?</div>', page.text, re.S).group(0))  # type: ignore[union-attr]
    assert "based on 3 of 4 partners: Demo NGO, Demo Police, London Borough of Newham" in note, note
    assert "Not included: Demo Hospital Trust" in note, note
    assert "<details>" in page.text
    text = _text(page.text)
    for slug in ("demo-ngo", "demo-police", "lb-newham", "demo-hospital"):
        assert slug not in text, slug
    assert "July to September 2026 (2026-Q3)" in text
    api = Overview.model_validate(hub.client.get(f"/api/v1/stats/{NEWHAM}/overview").json())
    incidents = next(h for h in api.headlines if h.key == "incidents")
    previous = next(c for c in incidents.changes if c.against == "previous_quarter")
    assert previous.previous is not None
    change = re.search(r'<li data-change="previous_quarter">(.*?)</li>', page.text).group(1)  # type: ignore[union-attr]
    assert f"{previous.quarter}: <strong>{previous.previous.display}</strong>" in change, change


def test_london_compares_boroughs_with_each_boroughs_own_published_figure(hub: HubUnderTest) -> None:
    _signed_in(hub)
    assert 'href="/dashboard/london/boroughs?quarter=2026-Q3"' in hub.client.get("/dashboard/london").text
    page = hub.client.get("/dashboard/london/boroughs")
    assert page.status_code == 200
    table = re.search(r'<table id="tbl-boroughs".*?</table>', page.text, re.S)
    assert table is not None
    rows = re.findall(r'<tr data-row><th scope="row"><a href="/dashboard/(E09\d+)">([^<]+)</a></th><td[^>]*>([^<]+)</td><td[^>]*>([^<]+)</td>', table.group(0))
    assert rows, "at least one borough row"
    for gss, _name, shown, before in rows:
        own = Overview.model_validate(hub.client.get(f"/api/v1/stats/{gss}/overview").json())
        head = next(h for h in own.headlines if h.key == "incidents")
        assert shown == head.figure.display
        prev = next(c.previous for c in head.changes if c.against == "previous_quarter")
        assert prev is not None
        assert before == prev.display
    # Newham's officer sees only Newham's detail: the other boroughs are named as not shared, not shown
    assert [r[0] for r in rows] == [NEWHAM]
    not_shared = re.search(r"<details class=\"note\" data-not-shared>.*?</details>", page.text, re.S)
    assert not_shared is not None
    assert "Camden" in not_shared.group(0)
    assert CAMDEN not in table.group(0)


def test_borough_comparison_has_one_privacy_note_naming_each_rows_partners(hub: HubUnderTest) -> None:
    _signed_in(hub)
    page = hub.client.get("/dashboard/london/boroughs").text
    assert page.count("data-privacy") == 1
    note = re.search(r'<div class="privacy-label" data-privacy>.*?</div>', page, re.S)
    assert note is not None
    text = re.sub(r"\s+", " ", note.group(0))
    assert "Newham: Demo NGO, Demo Police, London Borough of Newham" in text
    assert "fewer than 5" in text
    assert "demo-ngo" not in text
    assert "London total above" not in page
