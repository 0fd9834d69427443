"""Premises indicators over the API, CSV, page and CLI: published numerators only, ranks over published rates, no business named."""

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from anonymise import ViewerRole
from hub.auth.principal import Principal
from hub.cli import app as cli
from hub.db import make_engine, make_sessionmaker
from hub.main import create_app
from hub.models import Base, PremisesCount
from hub.premises import service
from hub.statistics import service as statistics
from tests.conftest import TEST_PSEUDONYM_KEY, TEST_SESSION_KEY, make_settings
from tests.factories.accounts import add_user, login
from tests.factories.fhrs import Establishment, write_fhrs
from tests.factories.stats_seed import (
    CAMDEN,
    DEMO_AGREEMENT,
    NEWHAM,
    TOWER_HAMLETS,
    add_incidents,
    demo_agreement_text,
    load_agreement,
    seed,
)

QUARTER: Final = "2026-Q1"
CANARY: Final = "Qwertyuiop Canary Kebabs"
ADDRESS: Final = "77 Zanzibar Canary Lane"
POSTCODE: Final = "ZZ7 7QQ"
SECRETS: Final = (CANARY, ADDRESS, POSTCODE, "Qwertyuiop", "Zanzibar")
BOROUGHS: Final = (NEWHAM, TOWER_HAMLETS, CAMDEN)
ANALYST: Final = Principal(None, "a", "A", "hub-operator", "CentralGovernmentOrganisation", None, ViewerRole.analyst)
OFFICER: Final = Principal(None, "n", "N", "lb-newham", "LocalGovernmentOrganisation", NEWHAM, ViewerRole.borough_officer)


def agreement_text() -> str:
    """The demo agreement with the analyst's grants opening the three boroughs' detail (a ranking needs it)."""
    grant = "      - {role: analyst, level: networks}  # pooled London figures, and the network list and link chart"
    opened = "      - {role: analyst, level: borough_detail, boroughs: [E09000025, E09000030, E09000007]}"
    source = demo_agreement_text()
    assert grant in source
    return source.replace(grant, opened)


def pooled_agreement_text() -> str:
    """The demo agreement with every analyst grant pooled London only (no borough detail)."""
    source = DEMO_AGREEMENT.read_text(encoding="utf-8")
    opened = re.findall(r"^ *- \{role: analyst, level: borough_detail[^\n]*$", source, flags=re.MULTILINE)
    for line in opened:
        source = source.replace(line, "      - {role: analyst, level: pooled_london}")
    return source


def register(path: Path) -> Path:
    """Newham 40 takeaways (one of them the canary, with its address) and 16 restaurants; Camden
    30 takeaways and 12 "Retailers - other"; Tower Hamlets 20 takeaways; one pub (no indicator)."""
    rows = [Establishment(CANARY, "Takeaway/sandwich shop", "Newham", ADDRESS, POSTCODE, "7844")]
    rows += [Establishment(f"Made-up Takeaway {i}", "Takeaway/sandwich shop", "Newham") for i in range(39)]
    rows += [Establishment(f"Made-up Cafe {i}", "Restaurant/Cafe/Canteen", "Newham") for i in range(16)]
    rows += [Establishment(f"Made-up Chicken {i}", "Takeaway/sandwich shop", "Camden") for i in range(30)]
    rows += [Establishment(f"Made-up Shop {i}", "Retailers - other", "Camden") for i in range(12)]
    rows += [Establishment(f"Made-up Kebab {i}", "Takeaway/sandwich shop", "Tower Hamlets") for i in range(20)]
    rows += [Establishment("Made-up Arms", "Pub/bar/nightclub", "Newham")]
    return write_fhrs(path, rows)


def add_quarter(s: Session, tower_hamlets_takeaways: int = 2) -> None:
    add_incidents(s, provider="lb-newham", quarter=QUARTER, gss=NEWHAM, n=15, premises="hot_food_takeaway")
    add_incidents(s, provider="demo-ngo", quarter=QUARTER, gss=NEWHAM, n=12, premises="hot_food_takeaway", seed_=2)
    add_incidents(s, provider="demo-police", quarter=QUARTER, gss=NEWHAM, n=8, premises="restaurant", seed_=3)
    add_incidents(s, provider="demo-police", quarter=QUARTER, gss=CAMDEN, n=9, premises="hot_food_takeaway", seed_=4)
    add_incidents(s, provider="demo-ngo", quarter=QUARTER, gss=CAMDEN, n=6, premises="convenience_store", seed_=5)
    add_incidents(s, provider="demo-ngo", quarter=QUARTER, gss=TOWER_HAMLETS, n=tower_hamlets_takeaways,
                  premises="hot_food_takeaway", seed_=6)


@pytest.fixture
def seeded(db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    caplog.set_level(logging.DEBUG)
    with factory() as s:
        seed(s, providers=(), with_agreement=False)
        load_agreement(s, agreement_text())
        add_quarter(s)
        service.import_register(s, [register(tmp_path / "fhrs.xml")], actor="test")
        add_user(s, "newham.officer", "borough_officer", "lb-newham")
        add_user(s, "camden.officer", "borough_officer", "lb-camden")
        add_user(s, "analyst", "analyst", "hub-operator")
        s.commit()
    yield factory
    engine.dispose()


@pytest.fixture
def client(seeded: sessionmaker[Session], db_url: str, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(db_url, tmp_path)), base_url="http://127.0.0.1") as c:
        yield c


def test_a_business_name_in_the_register_never_reaches_a_page_export_api_row_or_log(
    seeded: sessionmaker[Session], client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []
    for user, areas in (("analyst", ["london", NEWHAM, CAMDEN]), ("newham.officer", [NEWHAM, "london"])):
        client.cookies.clear()
        login(client, user)
        for area in areas:
            for path in (f"/api/v1/stats/{area}/premises", f"/api/v1/stats/{area}/premises.csv",
                         f"/dashboard/{area}/where-to-look", f"/api/v1/stats/{area}/premises?quarter={QUARTER}"):
                response = client.get(path)
                assert response.status_code == 200, (path, response.text[:200])
                seen.append(response.text)
    assert any("Hot food takeaway" in body for body in seen)
    with seeded() as s:
        assert s.scalar(select(PremisesCount.n).where(PremisesCount.area == NEWHAM, PremisesCount.premises_type == "hot_food_takeaway")) == 40
        for table in Base.metadata.sorted_tables:  # every stored row, every column, as text
            seen += [repr(tuple(row)) for row in s.execute(text(f"SELECT * FROM {table.name}"))]
    seen += [r.getMessage() + repr(r.args) for r in caplog.records]
    assert len(seen) > 20
    for value in SECRETS:
        assert not [body for body in seen if value in body], value


def test_rates_are_the_published_numerators_over_the_register(seeded: sessionmaker[Session]) -> None:
    with seeded() as s:
        answer = service.indicators(s, ANALYST, "london", QUARTER)
        published = {
            area: {f.key: f for f in next(t for t in statistics.breakdowns(s, ANALYST, area, QUARTER).tables if t.id == "premises_type").rows}
            for area in BOROUGHS
        }
    assert answer.quarter == QUARTER
    assert answer.source is not None
    assert answer.source.extract_date == "2026-11-28"
    takeaways = next(r for r in answer.rankings if r.premises_type == "hot_food_takeaway")
    assert {a.area for a in takeaways.areas} == set(BOROUGHS)
    rated = [a for r in answer.rankings for a in r.areas if a.rate is not None]
    assert len(rated) >= 3
    for r in answer.rankings:
        for a in r.areas:
            assert a.incidents == published[a.area][r.premises_type]  # the same cell the breakdowns publish
            if a.rate is not None:
                assert a.incidents.value is not None
                assert a.rate == round(100 * a.incidents.value / a.premises, 1)
                assert a.lower is not None
                assert a.upper is not None
                assert a.lower <= a.rate <= a.upper
    with seeded() as s:
        pooled = {f.key: f for f in next(t for t in statistics.breakdowns(s, ANALYST, "london", QUARTER).tables if t.id == "premises_type").rows}
    assert takeaways.london is not None
    assert takeaways.london.premises == 90
    assert takeaways.london.rank is None
    for r in answer.rankings:
        if r.london is not None:
            assert r.london.incidents == pooled[r.premises_type]
    newham = next(a for a in takeaways.areas if a.area == NEWHAM)
    assert newham.premises == 40
    assert newham.incidents.value is not None
    assert newham.incidents.value % 5 == 0


def test_ranks_compare_published_rates_only_and_small_counts_are_not_ranked(seeded: sessionmaker[Session]) -> None:
    with seeded() as s:
        answer = service.indicators(s, ANALYST, "london", QUARTER)
    takeaways = next(r for r in answer.rankings if r.premises_type == "hot_food_takeaway")
    tower = next(a for a in takeaways.areas if a.area == TOWER_HAMLETS)
    assert tower.incidents.value is None
    assert tower.rate is None
    assert tower.rank is None
    assert tower.display.startswith("not shown")
    for r in answer.rankings:
        ranked = [a for a in r.areas if a.rank is not None]
        assert all(a.rate is not None for a in ranked)
        assert [a.rate for a in ranked] == sorted((a.rate for a in ranked if a.rate is not None), reverse=True)
        assert r.areas[: len(ranked)] == ranked  # unranked areas come after, by name
        assert all(a.rate is None for a in r.areas[len(ranked):])
    assert any(a.rank == 1 for a in takeaways.areas)


def test_a_hidden_count_changing_changes_nothing_published(db_url: str, tmp_path: Path) -> None:
    """Tower Hamlets' 2 or 4 takeaway incidents (both below the threshold): the same answer, byte for byte."""
    answers = []
    for n in (2, 4):
        engine = make_engine(db_url)
        with make_sessionmaker(engine)() as s:
            for table in reversed(Base.metadata.sorted_tables):
                s.execute(table.delete())
            seed(s, providers=(), with_agreement=False)
            load_agreement(s, agreement_text())
            add_quarter(s, tower_hamlets_takeaways=n)
            service.import_register(s, [register(tmp_path / "fhrs.xml")], actor="test")
            answer = service.indicators(s, ANALYST, "london", QUARTER).model_dump()
            for r in answer["rankings"]:  # London's pooled cell rightly counts them: it is London breakdowns' own published cell
                r.pop("london")
            answers.append(answer)
            s.rollback()
        engine.dispose()
    assert answers[0] == answers[1]


def test_an_officer_sees_own_borough_and_no_other(client: TestClient) -> None:
    login(client, "newham.officer")
    body: dict[str, Any] = client.get(f"/api/v1/stats/{NEWHAM}/premises").json()
    assert {a["area"] for r in body["rankings"] for a in r["areas"]} == {NEWHAM}
    assert body["privacy"]["min_count"] == 5
    client.cookies.clear()
    login(client, "camden.officer")
    assert client.get(f"/api/v1/stats/{NEWHAM}/premises").status_code == 403
    assert client.get(f"/dashboard/{NEWHAM}/where-to-look").status_code == 403


def test_the_page_explains_the_method_and_carries_privacy_labels(client: TestClient) -> None:
    login(client, "analyst")
    page = client.get(f"/dashboard/london/where-to-look?quarter={QUARTER}").text
    for words in ("Who reports", "Where outreach happens", "exact Poisson (Garwood)", "data-privacy", "FSA FHRS", "per 100"):
        assert words in page
    assert 'data-area="E09000025"' in page


def test_cli_imports_a_register(seeded: sessionmaker[Session], db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_settings(db_url, tmp_path)
    for name, value in {"MSHT_DATABASE_URL": db_url, "MSHT_PSEUDONYM_KEY": TEST_PSEUDONYM_KEY,
                        "MSHT_SESSION_KEY": TEST_SESSION_KEY, "MSHT_SIGNING_KEY_FILE": str(tmp_path / "hub-signing.pem")}.items():
        monkeypatch.setenv(name, value)
    path = write_fhrs(tmp_path / "small.xml", [Establishment(CANARY, "Takeaway/sandwich shop", "Hackney", ADDRESS, POSTCODE)])
    result = CliRunner().invoke(cli, ["premises", "import", str(path)])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "1 establishments read" in result.stdout
    assert not any(v in result.stdout + result.stderr for v in SECRETS)
    with seeded() as s:
        assert [(c.area, c.premises_type, c.n) for c in s.scalars(select(PremisesCount))] == [("E09000012", "hot_food_takeaway", 1)]
    bad = tmp_path / "bad.xml"
    bad.write_text("<FHRSEstablishment/>", encoding="utf-8")
    result = CliRunner().invoke(cli, ["premises", "import", str(bad)])
    assert result.exit_code == 1
    assert "no EstablishmentCollection" in result.stderr


def test_pooled_london_grants_rank_no_borough(db_url: str, tmp_path: Path) -> None:
    """With pooled-London grants only the analyst sees no borough shown or ranked, and the page says why."""
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as s:
        seed(s, providers=(), with_agreement=False)
        load_agreement(s, pooled_agreement_text())
        add_quarter(s)
        service.import_register(s, [register(tmp_path / "fhrs.xml")], actor="test")
        add_user(s, "analyst", "analyst", "hub-operator")
        answer = service.indicators(s, ANALYST, "london", QUARTER)
        s.commit()
    assert answer.boroughs_shown == 0
    assert all(r.areas == [] for r in answer.rankings)
    with TestClient(create_app(make_settings(db_url, tmp_path)), base_url="http://127.0.0.1") as c:
        login(c, "analyst")
        assert "data-no-boroughs" in c.get("/dashboard/london/where-to-look").text
    engine.dispose()
