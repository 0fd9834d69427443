"""Rates per 100,000 residents: the vendored ONS population table, and rates made only from
published counts (a suppressed count has no rate), in the API and the CSV."""

import csv
import io
import re
from pathlib import Path

from hub.statistics import population
from hub.statistics.places import boundaries
from hub.statistics.schemas import BoroughComparison, Figure
from tests.factories.accounts import add_user, login
from tests.factories.stats_seed import NEWHAM, seed
from tests.hubs import HubUnderTest

DOCS = Path(__file__).resolve().parents[3] / "docs" / "map-data.md"


def test_the_population_table_has_every_london_borough_once_with_the_boundaries_names() -> None:
    r = population.residents()
    assert sorted(r) == [f"E090000{n:02d}" for n in range(1, 34)]
    names = {b.gss: b.name for b in boundaries().values()}
    assert {g: p.name for g, p in r.items()} == names
    assert {p.year for p in r.values()} == {2020}
    assert all(p.population > 5_000 for p in r.values())
    # the LSOA figures summed: London's mid-2020 total as the source file's 4,835 rows give it
    assert sum(p.population for p in r.values()) == 9_002_488


def test_the_provenance_and_licence_are_kept_beside_the_data() -> None:
    doc = DOCS.read_text(encoding="utf-8")
    assert "jamesdamillington/london-data" in doc
    assert "4acd902869808c2c583110a4e50d5c0e360dff37" in doc
    assert "Open Government Licence v3.0" in doc
    licence = (population.POPULATION_FILE.parent / "OGL-UK-3.0.txt").read_text(encoding="utf-8")
    assert licence.startswith("Open Government Licence v3.0")


def test_a_rate_is_the_published_count_over_residents_and_a_suppressed_count_has_none() -> None:
    newham = population.residents()[NEWHAM].population
    shown = Figure(key="incidents", label="Incidents", value=35, display="35")
    assert population.rate(shown, NEWHAM) == round(35 * 100_000 / newham, 1)
    for hidden in (
        Figure(key="incidents", label="Incidents", value=None, display="fewer than 5", suppressed="small"),
        Figure(key="incidents", label="Incidents", value=None, display="not shown", suppressed="protected"),
    ):
        assert population.rate(hidden, NEWHAM) is None
    assert population.rate(None, NEWHAM) is None
    assert population.rate(shown, "E06000001") is None  # not a London borough: no population held


def _officer(hub: HubUnderTest, per_quarter: int) -> None:
    def fill(s: object) -> None:
        seed(s, per_quarter=per_quarter, boroughs=(NEWHAM,))  # type: ignore[arg-type]
        add_user(s, "newham.officer", "borough_officer", "lb-newham")  # type: ignore[arg-type]

    hub.arrange(fill)
    login(hub.client, "newham.officer")


def _csv(hub: HubUnderTest, quarter: str | None) -> list[dict[str, str]]:
    response = hub.client.get("/api/v1/stats/london/boroughs.csv", params={"quarter": quarter} if quarter else {})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.text)))


def test_the_api_and_csv_rate_equals_the_published_count_over_residents(hub: HubUnderTest) -> None:
    _officer(hub, per_quarter=30)
    c = BoroughComparison.model_validate(hub.client.get("/api/v1/stats/london/boroughs").json())
    assert c.rows, "at least one borough row"
    assert c.population_year == 2020
    assert "Office for National Statistics" in c.population_source
    for row in c.rows:
        assert row.incidents.value is not None
        assert row.residents == population.residents()[row.gss_code].population
        assert row.incidents_rate == round(row.incidents.value * 100_000 / row.residents, 1)
    rows = _csv(hub, c.quarter)
    assert [r["gss_code"] for r in rows] == [r.gss_code for r in c.rows]
    for line, row in zip(rows, c.rows, strict=True):
        assert float(line["incidents_per_100k"]) == row.incidents_rate
        assert line["incidents_value"] == str(row.incidents.value)
        assert line["residents"] == str(row.residents)
        assert line["population_year"] == "2020"
        assert "Open Government Licence" in line["population_source"]


def test_a_suppressed_borough_count_gives_no_rate_in_the_api_csv_or_page(hub: HubUnderTest) -> None:
    _officer(hub, per_quarter=1)  # three or four incidents a quarter in Newham: below the threshold
    c = BoroughComparison.model_validate(hub.client.get("/api/v1/stats/london/boroughs").json())
    assert [r.gss_code for r in c.rows] == [NEWHAM]
    row = c.rows[0]
    assert row.incidents.suppressed is not None
    assert row.incidents.value is None
    assert row.incidents_rate is None
    (line,) = _csv(hub, c.quarter)
    assert line["incidents_per_100k"] == ""
    assert line["incidents_value"] == ""
    page = hub.client.get(f"/dashboard/{NEWHAM}/hotspots", params={"show": "rate", "quarter": c.quarter})
    assert page.status_code == 200
    cell = re.search(r'<tr data-row data-gss="E09000025">.*?</tr>', page.text, re.S)
    assert cell is not None
    assert "no rate" in cell.group(0)
    assert page.text.count("data-privacy") == 1, "one privacy note"
    note = re.search(r'<div class="privacy-label" data-privacy>.*?</div>', page.text, re.S)
    assert note is not None
    assert "Newham: Demo NGO, Demo Police, London Borough of Newham" in re.sub(r"\s+", " ", note.group(0)), "the borough's own partners"
    shape = re.search(r'<path [^>]*data-gss="E09000025"[^>]*>', page.text)
    assert shape is not None
    assert "no-rate" in shape.group(0)
    assert "fill-" not in shape.group(0)
