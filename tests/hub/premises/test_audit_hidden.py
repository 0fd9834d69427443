"""Premises numerators under the cross-table audit: a cell breakdowns hide is hidden here too, everywhere, with no rate or rank."""

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hub.db import make_engine, make_sessionmaker
from hub.main import create_app
from hub.models import Incident
from hub.premises import service
from hub.premises.register import COVERED
from hub.statistics import service as statistics
from hub.statistics.schemas import Figure
from tests.conftest import make_settings
from tests.factories.accounts import add_user, login
from tests.factories.stats_seed import NEWHAM, QUARTERS, add_incidents, load_agreement, seed
from tests.hub.premises.test_indicators import (
    ANALYST,
    BOROUGHS,
    OFFICER,
    QUARTER,
    agreement_text,
    register,
)

TAKEAWAY: Final = "hot_food_takeaway"
ADDED: Final = 9  # Newham takeaways on top of the seed's: a count far above the threshold


@pytest.fixture
def audited(db_url: str, tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """Small seeded counts (12 incidents per provider and quarter), so that the audit of Newham's
    2026-Q1 tables finds a small cell it can narrow and hides shown cells to protect it, among
    them Newham's takeaways (ADDED more than the seed's, so not small on their own)."""
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    with factory() as s:
        seed(s, per_quarter=12, seed_=1, with_agreement=False)
        load_agreement(s, agreement_text())
        add_incidents(s, provider="demo-ngo", quarter=QUARTER, gss=NEWHAM, n=ADDED, premises=TAKEAWAY, seed_=9)
        service.import_register(s, [register(tmp_path / "fhrs.xml")], actor="test")
        add_user(s, "analyst", "analyst", "hub-operator")
        s.commit()
    yield factory
    engine.dispose()


def _premises_cells(tables: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {f["key"]: f for f in next(t for t in tables if t["id"] == "premises_type")["rows"]}


def test_a_cell_the_audit_hides_in_breakdowns_has_no_value_rate_or_rank_in_the_api_csv_or_page(
    audited: sessionmaker[Session], db_url: str, tmp_path: Path
) -> None:
    with audited() as s:
        true = s.scalar(select(func.count(Incident.id)).where(
            Incident.la_gss_code == NEWHAM, Incident.quarter == QUARTER, Incident.premises_type == TAKEAWAY,
        ))
    assert true is not None
    assert true >= ADDED > 5  # not a small cell: only the cross-table audit hides it
    with TestClient(create_app(make_settings(db_url, tmp_path)), base_url="http://127.0.0.1") as client:
        login(client, "analyst")
        breakdowns = client.get(f"/api/v1/stats/{NEWHAM}/breakdowns", params={"quarter": QUARTER}).json()
        cells = _premises_cells(breakdowns["tables"])
        hidden = cells[TAKEAWAY]
        assert (hidden["value"], hidden["suppressed"]) == (None, "protected"), {k: (c["value"], c["suppressed"]) for k, c in cells.items()}

        for area in (NEWHAM, "london"):
            body = client.get(f"/api/v1/stats/{area}/premises", params={"quarter": QUARTER}).json()
            ranking = next(r for r in body["rankings"] if r["premises_type"] == TAKEAWAY)
            newham = next(a for a in ranking["areas"] if a["area"] == NEWHAM)
            assert newham["premises"] == 40
            assert newham["incidents"] == hidden
            assert (newham["rate"], newham["lower"], newham["upper"], newham["rank"]) == (None, None, None, None)
            assert newham["display"].startswith("not shown")

            rows = list(csv.DictReader(io.StringIO(client.get(f"/api/v1/stats/{area}/premises.csv", params={"quarter": QUARTER}).text)))
            row = next(r for r in rows if r["premises_type"] == TAKEAWAY and r["area"] == NEWHAM)
            assert (row["incidents_value"], row["suppressed"], row["rate_per_100"], row["rank"]) == ("", "protected", "", "")

            page = client.get(f"/dashboard/{area}/where-to-look", params={"quarter": QUARTER}).text
            table = page[page.index(f'id="tbl-premises-{TAKEAWAY}"'):]
            tr = re.search(rf'<tr data-area="{NEWHAM}">(.*?)</tr>', table[: table.index("</table>")], re.S)
            assert tr is not None
            assert '<td class="num">—</td>' in tr.group(1)  # no rank
            assert 'data-value=""' in tr.group(1)
            assert "per 100" not in tr.group(1)


def _published(s: Session, area: str, quarter: str, principal: Any) -> dict[str, Figure]:
    table = next(t for t in statistics.breakdowns(s, principal, area, quarter).tables if t.id == "premises_type")
    return {f.key: f for f in table.rows}


def _zero(cell: Figure) -> bool:
    return cell.value == 0 and cell.suppressed is None


def test_every_premises_numerator_is_the_cell_its_breakdowns_page_publishes(audited: sessionmaker[Session]) -> None:
    compared: list[tuple[str, str, str]] = []
    protected = 0
    with audited() as s:
        for principal, scope in ((ANALYST, "london"), (OFFICER, NEWHAM)):
            for quarter in (QUARTERS[0], QUARTER):
                answer = service.indicators(s, principal, scope, quarter)
                assert answer.quarter == quarter
                areas = sorted({a.area for r in answer.rankings for a in r.areas})
                assert areas, (scope, quarter)
                published = {area: _published(s, area, quarter, principal) for area in {*areas, "london"}}
                for r in answer.rankings:
                    shown = {a.area: a for a in r.areas}
                    for area in (BOROUGHS if scope == "london" else (NEWHAM,)):
                        cell = published[area][r.premises_type]
                        if area not in shown:  # no row only when both sides have nothing
                            assert _zero(cell), (area, r.premises_type, quarter)
                            continue
                        row = shown[area]
                        assert row.incidents == cell, (scope, area, r.premises_type, quarter)
                        assert (row.rate is None) == (cell.value is None or row.premises == 0)
                        if cell.value is None:
                            assert row.rank is None
                        protected += cell.suppressed == "protected"
                        compared.append((area, r.premises_type, quarter))
                    assert r.london is not None
                    assert r.london.incidents == published["london"][r.premises_type], (scope, r.premises_type, quarter)
                    assert r.london.rank is None
                    compared.append(("london", r.premises_type, quarter))
    assert len({t for _, t, _ in compared}) == len(COVERED)
    assert protected > 0, "the audit hides some premises cell, so the comparison means something"
