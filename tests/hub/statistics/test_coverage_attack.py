"""Attack 2 of issue 12 against a real hub: coverage percentages that narrow a small cell.

Camden has one partner's 20 incidents in the quarter: 4 at nail bars, 4 at hand car washes and
12 with no premises recorded. The premises rows for nail bars and car washes are "fewer than 5"
(1..4 each). The coverage page's share "premises recorded" is the published filled count over
the published total, rounded to 5 points; on this seed the 8 filled incidents publish as 15 (the
ptable's tail: most keys publish 5 or 10), so with the published total the share says the filled
count is at least 6 (``linked.filled_window``), and the two small rows, at most 4 each, are at
least 2 each: 2..4, narrowed to +-1.

The control is the same hub with the defence off: the linked audit not reading the coverage
shares (``joint.fetch`` leaving them out). The officer holding everything it can fetch for Camden
(overview, breakdowns, hotspots and the coverage page) then narrows both rows. Against the hub,
the audit sees the share and withholds it (hiding the premises' "not recorded" row), and nothing
is narrowed; with ``joint.fetch`` leaving coverage out in the code, that test fails (mutation-checked).
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from anonymise.intervals import Window
from hub.db import make_engine, make_sessionmaker
from hub.statistics import joint
from hub.statistics.linked import constraints, narrowed
from tests.factories.accounts import add_user, signed_in
from tests.factories.stats_seed import (
    CAMDEN,
    NEWHAM,
    QUARTERS,
    TOWER_HAMLETS,
    add_incidents,
    add_orgs,
    demo_agreement_text,
    load_agreement,
    officers_see_boroughs,
    seed,
)

QUARTER = QUARTERS[-1]
SENT = (("nail_bar", 4, 1), ("hand_car_wash", 4, 15), ("unknown", 12, 3))
"""Camden's incidents: premises, how many, and the ``add_incidents`` seed (chosen so that the 8
incidents with premises recorded publish as 15)."""
SMALL = {"incidents:premises_type:nail_bar", "incidents:premises_type:hand_car_wash"}


@pytest.fixture
def camden(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as s:
        add_orgs(s)
        load_agreement(s, officers_see_boroughs(demo_agreement_text(), (NEWHAM, TOWER_HAMLETS, CAMDEN)))
        seed(s, per_quarter=6, boroughs=(NEWHAM, TOWER_HAMLETS), with_agreement=False)  # nobody in Camden yet
        for premises, n, seed_ in SENT:
            add_incidents(s, provider="demo-police", quarter=QUARTER, gss=CAMDEN, n=n, premises=premises, seed_=seed_)
        add_user(s, "newham.officer", "borough_officer", "lb-newham")
        s.commit()
    with signed_in(db_url, tmp_path, "newham.officer") as client:
        yield client
    engine.dispose()


def _attack(client: TestClient) -> tuple[dict[str, Window], dict[str, Any]]:
    """Every small cell the officer narrows with all it can fetch for Camden's quarter."""
    fetched = {n: client.get(f"/api/v1/stats/{CAMDEN}/{n}", params={"quarter": QUARTER}).json() for n in ("overview", "breakdowns", "hotspots")}
    fetched["coverage"] = client.get(f"/api/v1/stats/{CAMDEN}/coverage").json()
    assert fetched["coverage"]["quarter"] == QUARTER
    return narrowed(constraints(fetched)), fetched


def _share(fetched: dict[str, Any]) -> int | None:
    share: int | None = next(s["percent"] for s in fetched["coverage"]["pooled"] if s["field"] == "incidents.premises_type")
    return share


def test_without_coverage_in_the_audit_a_share_narrows_two_small_rows(camden: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """The control: the audit reads everything but the coverage shares."""
    original = joint.fetch

    def without_coverage(*args: Any, **kwargs: Any) -> dict[str, dict[str, Any]]:
        return {area: {k: v for k, v in bodies.items() if k != "coverage"} for area, bodies in original(*args, **kwargs).items()}

    monkeypatch.setattr(joint, "fetch", without_coverage)
    found, fetched = _attack(camden)
    assert _share(fetched) is not None, "the share is shown"
    rows = {f["key"]: f for t in fetched["breakdowns"]["tables"] if t["id"] == "premises_type" for f in t["rows"]}
    assert rows["nail_bar"]["suppressed"] == rows["hand_car_wash"]["suppressed"] == "small"
    assert set(found) == SMALL
    assert all(w == (2, 4) for w in found.values()), found


def test_coverage_shares_narrow_no_small_cell_of_a_small_borough(camden: TestClient) -> None:
    """Against the hub: the audit reads the share, hides the premises' "not recorded" row, and the
    share is then withheld with it (``service._gives_back_hidden``); nothing is narrowed."""
    found, fetched = _attack(camden)
    assert found == {}
    assert _share(fetched) is None
    rows = {f["key"]: f for t in fetched["breakdowns"]["tables"] if t["id"] == "premises_type" for f in t["rows"]}
    assert rows["nail_bar"]["suppressed"] == rows["hand_car_wash"]["suppressed"] == "small", "the small rows are still labelled"
    assert any(s["percent"] is not None for s in fetched["coverage"]["pooled"]), "other shares to attack with"
