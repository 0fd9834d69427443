"""The audit across linked tables on a seeded hub: what one officer fetches for a scope and quarter pins no small cell."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from hub.db import make_engine, make_sessionmaker
from hub.main import create_app
from hub.statistics.linked import constraints, narrowed
from tests.conftest import make_settings
from tests.factories.accounts import add_user, login
from tests.factories.stats_seed import NEWHAM, QUARTERS, seed

ENDPOINTS = ("overview", "breakdowns", "hotspots")


@pytest.fixture
def officer(db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as s:
        seed(s, per_quarter=12)  # small counts: many cells under the threshold
        add_user(s, "newham.officer", "borough_officer", "lb-newham")
        s.commit()
    app = create_app(make_settings(db_url, tmp_path))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login(client, "newham.officer")
        yield client
    engine.dispose()


def _fetched(client: TestClient, scope: str, quarter: str) -> dict[str, Any]:
    return {name: client.get(f"/api/v1/stats/{scope}/{name}", params={"quarter": quarter}).json() for name in ENDPOINTS}


def test_no_small_cell_can_be_narrowed_by_combining_every_table(officer: TestClient) -> None:
    audited = 0
    for scope in (NEWHAM, "london"):
        for quarter in QUARTERS[-2:]:
            system = constraints(_fetched(officer, scope, quarter))
            assert system.lines, "the tables are linked"
            audited += len(system.small)
            assert narrowed(system) == {}, (scope, quarter)
    assert audited > 0, "there are small cells to attack"
