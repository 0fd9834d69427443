"""An intruder combining London's hotspot cells that cross a borough boundary with the boroughs'
own hotspot tables and headline rows (issue 16): London's cell is the boroughs' parts of it plus
the records of partners who share London-wide figures only, so London minus the boroughs is a
figure no table publishes. Neither that difference nor any hidden cell may be pinned."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import h3
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from anonymise import BY_GSS, Window, intervals
from hub.db import make_engine, make_sessionmaker
from hub.main import create_app
from hub.models import Incident, Submission
from hub.records import summaries
from hub.statistics import places
from hub.statistics.linked import Constraints, joint
from tests.conftest import make_settings
from tests.factories.accounts import add_user, login
from tests.factories.stats_seed import (
    CAMDEN,
    DEMO_AGREEMENT,
    NEWHAM,
    QUARTERS,
    TOWER_HAMLETS,
    add_incidents,
    add_orgs,
    load_agreement,
    officers_see_boroughs,
    seed,
)

BOROUGHS = (NEWHAM, TOWER_HAMLETS, CAMDEN)
ACROSS = "87194ad26ffffff"
"""A resolution-7 area (the demo's view resolution) across the Newham / Tower Hamlets boundary."""
QUARTER = QUARTERS[-1]
# (provider, borough, incidents) placed in ACROSS: every provider's complement is 0 or >= 5, so
# London, Newham and Tower Hamlets each map the area; demo-hospital shares London-wide figures only
PLACED = (("demo-ngo", NEWHAM, 6), ("demo-police", TOWER_HAMLETS, 5), ("demo-hospital", TOWER_HAMLETS, 2))


def _sides() -> dict[str, list[str]]:
    sides: dict[str, list[str]] = {}
    for child in h3.cell_to_children(ACROSS, 8):
        borough = places.borough_at(*h3.cell_to_latlng(child))
        if borough is not None:
            sides.setdefault(borough, []).append(child)
    return sides


def _place(s: Any, provider: str, gss: str, n: int, children: list[str]) -> None:
    add_incidents(s, provider=provider, quarter=QUARTER, gss=gss, n=n, premises="care_home", seed_=91)
    sub = s.scalar(select(Submission.id).where(Submission.org_id == provider, Submission.quarter == QUARTER, Submission.status == "active"))
    rows = s.scalars(select(Incident.id).where(Incident.submission_id == sub, Incident.premises_type == "care_home",
                                               Incident.la_gss_code == gss, Incident.h3_cell.is_(None))).all()
    assert len(rows) == n
    for i, incident_id in enumerate(rows):
        s.execute(update(Incident).where(Incident.id == incident_id).values(h3_cell=children[i % len(children)], h3_resolution=8))
    summaries.refresh(s, [sub])


@pytest.fixture
def officer(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    sides = _sides()
    assert sides.keys() >= {NEWHAM, TOWER_HAMLETS}, "the area lies across the boundary"
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as s:
        add_orgs(s)
        load_agreement(s, officers_see_boroughs(DEMO_AGREEMENT.read_text(encoding="utf-8"), BOROUGHS))
        seed(s, per_quarter=40, with_agreement=False)
        for provider, gss, n in PLACED:
            _place(s, provider, gss, n, sides[gss])
        add_user(s, "newham.officer", "borough_officer", "lb-newham")
        s.commit()
    app = create_app(make_settings(db_url, tmp_path))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login(client, "newham.officer")
        yield client
    engine.dispose()


def _get(client: TestClient, scope: str, name: str, quarter: str) -> Any:
    r = client.get(f"/api/v1/stats/{scope}/{name}", params={"quarter": quarter})
    return r.json() if r.status_code == 200 else None


def test_london_minus_the_boroughs_in_an_area_across_a_boundary_pins_nothing(officer: TestClient) -> None:
    attacked = 0
    for quarter in QUARTERS[-2:]:
        areas = {}
        for area in ["london", *sorted(BY_GSS)]:
            first = _get(officer, area, "overview", quarter)
            if first is not None and quarter in first["quarters"]:
                areas[area] = {"overview": first, "hotspots": _get(officer, area, "hotspots", quarter)}
        assert {"london", NEWHAM, TOWER_HAMLETS} <= areas.keys()
        # London = the boroughs + the rest, for the headline and table totals (the borough rows) ...
        system = joint(areas, london="london", pooled=areas, complete=False)
        min_count = int(areas["london"]["overview"]["privacy"]["min_count"])
        # ... and, what the audit leaves out, for each London area a borough maps too:
        # London's area = each borough's same area + the rest (partners not in any borough view, small parts)
        rests: dict[str, int] = {}
        parts = [(b, c["figure"]["key"], c["resolution"]) for b in areas if b != "london" for c in areas[b]["hotspots"]["cells"]]
        for cell in areas["london"]["hotspots"]["cells"]:
            key, res = cell["figure"]["key"], cell["resolution"]
            name = f"incidents:hotspots:{key}"
            # a borough's area is a part of London's when it is London's or lies inside it
            members = [system._index[f"{b}/incidents:hotspots:{k}"] for b, k, r in parts if r >= res and h3.cell_to_parent(k, res) == key]
            if not members:
                continue
            rests[key] = system.var(f"rest/{name}")
            system.line([*members, rests[key]], system._index[f"london/{name}"])
        if quarter == QUARTER:
            assert any(h3.cell_to_parent(ACROSS, h3.get_resolution(k)) == k for k in rests), "London maps the area across the boundary"
        targets = [*rests.values(), *sorted(system.small)]
        attacked += len(targets)
        assert _pinned(system, targets, min_count) == {}, quarter
    assert attacked > 0, "there is something to attack"


def _pinned(system: Constraints, targets: list[int], min_count: int) -> dict[str, Window]:
    """Targets the whole system narrows to +-1 around a small count (1 to min_count - 1)."""
    found = intervals(system.windows, system.lines, targets)
    return {
        system.names[i]: w for i, w in found.items()
        if w[1] is not None and w[1] - w[0] <= 2 and w[1] >= 1 and w[0] < min_count
    }


def test_the_attack_pins_a_difference_when_the_figures_are_exact() -> None:
    """The same lines find what they look for when nothing is perturbed: London's area 13, the borough's 11."""
    system = Constraints()
    london = system.see("london/incidents:hotspots:x", {"value": 13, "suppressed": None}, 5, 5)
    borough = system.see("borough/incidents:hotspots:x", {"value": 11, "suppressed": None}, 5, 5)
    system.windows[london], system.windows[borough] = (13, 13), (11, 11)
    rest = system.var("rest/incidents:hotspots:x")
    system.line([borough, rest], london)
    assert _pinned(system, [rest], 5) == {"rest/incidents:hotspots:x": (2, 2)}
