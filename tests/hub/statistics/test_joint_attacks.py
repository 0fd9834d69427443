"""A motivated intruder combining what one officer fetches across scopes and quarters (issue 12):
London against the boroughs, a quarter against the trend series and the changes of other quarters."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from anonymise import BY_GSS
from hub.db import make_engine, make_sessionmaker
from hub.main import create_app
from hub.statistics.linked import joint, narrowed
from tests.conftest import make_settings
from tests.factories.accounts import add_user, login
from tests.factories.stats_seed import (
    CAMDEN,
    NEWHAM,
    QUARTERS,
    TOWER_HAMLETS,
    add_orgs,
    demo_agreement_text,
    load_agreement,
    officers_see_boroughs,
    seed,
)

ENDPOINTS = ("overview", "breakdowns", "hotspots")
BOROUGHS = (NEWHAM, TOWER_HAMLETS, CAMDEN)


@pytest.fixture
def officer(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as s:
        add_orgs(s)  # the demo agreement, its borough officers seeing the detail of all three boroughs
        load_agreement(s, officers_see_boroughs(demo_agreement_text(), BOROUGHS))
        seed(s, per_quarter=12, with_agreement=False)  # small counts: many cells under the threshold in each borough
        add_user(s, "newham.officer", "borough_officer", "lb-newham")
        s.commit()
    app = create_app(make_settings(db_url, tmp_path))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login(client, "newham.officer")
        yield client
    engine.dispose()


def _get(client: TestClient, scope: str, name: str, quarter: str | None = None) -> Any:
    r = client.get(f"/api/v1/stats/{scope}/{name}", params={"quarter": quarter} if quarter else {})
    return r.json() if r.status_code == 200 else None


def _every_area(client: TestClient, quarter: str) -> dict[str, dict[str, Any]]:
    """Everything the officer can fetch for ``quarter``: London and every borough it may see that has records then."""
    areas = {}
    for area in ["london", *sorted(BY_GSS)]:
        first = _get(client, area, "overview", quarter)
        if first is None or quarter not in first["quarters"]:
            continue
        areas[area] = {"overview": first, **{n: _get(client, area, n, quarter) for n in ENDPOINTS[1:]}}
    return areas


def test_london_minus_the_other_boroughs_narrows_no_hidden_borough_cell(officer: TestClient) -> None:
    audited = 0
    for quarter in QUARTERS[-2:]:
        areas = _every_area(officer, quarter)
        assert "london" in areas, "London to difference against"
        assert len(areas) >= 3, "several boroughs to difference"
        # each borough draws on some of London's sources: London = the boroughs + the rest (>= 0)
        system = joint(areas, london="london", pooled=areas, complete=False)
        audited += len(system.small)
        assert narrowed(system) == {}, quarter
    assert audited > 0, "there are small cells to attack"


def _hidden(figure: dict[str, Any]) -> bool:
    return figure["value"] is None


def test_no_quarter_shows_in_the_trends_or_in_other_quarters_changes_what_its_own_audit_hides(officer: TestClient) -> None:
    compared = 0
    for area in ("london", "E09000025"):
        trends = {s["key"]: {p["key"]: p for p in s["points"]} for s in _get(officer, area, "trends")["series"]}
        overviews = {q: _get(officer, area, "overview", q) for q in QUARTERS}
        for quarter, body in overviews.items():
            for h in body["headlines"]:
                point = trends[h["key"]][quarter]
                assert (point["value"], point["display"]) == (h["figure"]["value"], h["figure"]["display"]), (area, quarter, h["key"])
                for change in h["changes"]:
                    then = overviews.get(change["quarter"])
                    if change["percent"] is None or then is None:
                        continue
                    compared += 1
                    earlier = next(x["figure"] for x in then["headlines"] if x["key"] == h["key"])
                    assert not _hidden(earlier), (area, quarter, change)
    assert compared > 0, "there are changes against other quarters to check"
