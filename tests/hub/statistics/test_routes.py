"""Route statistics: small flows rolled up, never shown small; the table protected and audited; API, CSV, page."""

import csv
import io
from pathlib import Path
from typing import Final

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from anonymise import ViewerRole, Visibility, check_table, protect_series
from anonymise.agreement import DisclosureRules
from anonymise.london import BOROUGHS
from hub.auth.principal import Principal
from hub.db import make_engine, make_sessionmaker
from hub.main import create_app
from hub.statistics import routes, service
from hub.statistics.rollup import FlowKey, RawFlow, roll_up
from hub.statistics.route_nodes import ELSEWHERE, OTHER_ROUTES, chain
from tests.conftest import make_settings
from tests.factories.accounts import login
from tests.factories.routes_seed import add_routes
from tests.factories.stats_seed import NEWHAM, load_agreement, seed
from tests.hub.premises.test_indicators import SECRETS, pooled_agreement_text

MIN: Final = 5
TOP: Final = FlowKey(ELSEWHERE, OTHER_ROUTES, ELSEWHERE)
QUARTER: Final = "2026-Q1"
ANALYST: Final = Principal(None, "a", "A", "hub-operator", "CentralGovernmentOrganisation", None, ViewerRole.analyst)
OFFICER: Final = Principal(None, "n", "N", "lb-newham", "LocalGovernmentOrganisation", NEWHAM, ViewerRole.borough_officer)
ORIGINS: Final = (("AL", ""), ("VN", ""), ("ER", ""), ("SD", ""), ("NG", ""), ("RO", ""), ("GB", "E09000025"),
                  ("GB", "E09000030"), ("GB", "E08000025"), ("GB", ""), ("unknown", ""))
DESTINATIONS: Final = (("GB", "E09000025"), ("GB", "E09000030"), ("GB", "E10000016"), ("GB", ""), ("FR", ""))
TRANSITS: Final = ("", "FR", "IT>FR", "LY>IT>FR")

flows_strategy = st.lists(
    st.tuples(st.sampled_from(ORIGINS), st.sampled_from(TRANSITS), st.sampled_from(DESTINATIONS),
              st.sampled_from(("a", "b", "c")), st.integers(1, 14)),
    min_size=1, max_size=40,
)


def _raw(drawn: list[tuple[tuple[str, str], str, tuple[str, str], str, int]]) -> list[RawFlow]:
    return [RawFlow(chain(*o), t, chain(*d), p, n) for o, t, d, p, n in drawn]


def _visibility() -> Visibility:
    return Visibility(scope="london", sources=frozenset(), min_count=MIN, rounding_base=5, view_h3_resolution=7,
                      linkage={}, agreements=(), providers_considered=3, explanations=())


@settings(max_examples=200, deadline=None)
@given(flows_strategy)
def test_roll_up_leaves_no_group_from_1_to_threshold_minus_1_but_the_top_and_keeps_everyone(
    drawn: list[tuple[tuple[str, str], str, tuple[str, str], str, int]],
) -> None:
    raw = _raw(drawn)
    assert raw
    rolled = roll_up(raw, MIN)
    pooled: dict[FlowKey, int] = {}
    for key, _, n in rolled:
        pooled[key] = pooled.get(key, 0) + n
    assert sum(pooled.values()) == sum(f.n for f in raw)  # a partition: nobody lost or counted twice
    small = [k for k, n in pooled.items() if 0 < n < MIN]
    assert small in ([], [TOP]), small
    own: dict[tuple[FlowKey, str], int] = {}
    for key, provider, n in rolled:
        own[(key, provider)] = own.get((key, provider), 0) + n
    differenced = {k for (k, _), n in own.items() if 0 < pooled[k] - n < MIN}
    assert differenced <= {TOP}, differenced  # no provider could subtract its own records down to a small count


@settings(max_examples=150, deadline=None)
@given(flows_strategy)
def test_the_route_table_shows_no_count_the_rules_hide_and_no_hidden_cell_can_be_pinned(
    drawn: list[tuple[tuple[str, str], str, tuple[str, str], str, int]],
) -> None:
    raw = _raw(drawn)
    rolled = roll_up(raw, MIN)
    keys = sorted({k for k, _, _ in rolled})
    providers = sorted({p for _, p, _ in rolled})
    true = [sum(n for k, _, n in rolled if k == key) for key in keys]
    per = [[sum(n for k, q, n in rolled if k == key and q == p) for key in keys] for p in providers]
    protected = protect_series(true, DisclosureRules(), providers=per)
    assert check_table(protected) == []  # no suppressed cell bounded to one value, from any provider's view
    for i, n in enumerate(true):
        cell = protected.cells[i]
        assert cell.value is None or cell.value == 0 or cell.value >= MIN
        if 0 < n < MIN:
            assert cell.value is None
    # "elsewhere" minus the shown cells: when a small cell is hidden, something else is hidden with it
    hidden = [i for i, c in enumerate(protected.cells) if c.value is None]
    if any(0 < true[i] < MIN for i in hidden if i < len(true)):
        assert len(hidden) >= 2
    # the hub's table of the same flows publishes exactly these cells
    t, _ = routes.table([], _visibility(), routes.UNIT, boroughs_named=True)
    assert t.rows == []


def test_a_lone_small_elsewhere_is_suppressed_with_a_complement_and_the_check_holds() -> None:
    raw = _raw([(("AL", ""), "IT>FR", ("GB", "E09000025"), "a", 30), (("PH", ""), "", ("GB", "E09000025"), "a", 2)])
    rolled = roll_up(raw, MIN)
    names = [k.name for k, _, _ in rolled]
    assert names == ["AL|IT>FR|E09000025", "elsewhere|*|elsewhere"]
    protected = protect_series([n for _, _, n in rolled], DisclosureRules(), providers=[[n for _, _, n in rolled]])
    assert [c.value is None for c in protected.cells] == [True, True, True] or sum(c.value is None for c in protected.cells) >= 2
    assert check_table(protected) == []


def test_a_newham_officer_sees_where_people_exploited_in_newham_were_recruited(routed: sessionmaker[Session]) -> None:
    with routed() as s:
        answer = service.routes(s, OFFICER, NEWHAM, QUARTER, "in")
        overview = service.overview(s, OFFICER, NEWHAM, QUARTER)
    assert answer.flows
    assert answer.question.startswith("People exploited in Newham")
    shown = [f for f in answer.flows if f.figure.value]
    assert shown
    assert {f.origin_label for f in shown} & {"Albania", "Vietnam", "Romania", "Eritrea", "Sudan", "Nigeria", "Newham"}
    for f in answer.flows:
        assert f.figure.value is None or f.figure.value == 0 or f.figure.value >= answer.privacy.min_count
    victims = next(h.figure for h in overview.headlines if h.key == "potential_victims")
    assert answer.table.total.value == victims.value  # one cell, one published value, in both answers
    assert answer.privacy.partners_included >= 1


def test_a_newham_officer_sees_where_people_recruited_in_newham_were_exploited(routed: sessionmaker[Session]) -> None:
    with routed() as s:
        answer = service.routes(s, OFFICER, NEWHAM, QUARTER, "out")
    assert answer.direction == "out"
    assert answer.flows
    assert {f.origin for f in answer.flows} == {NEWHAM}  # everyone counted was recruited in Newham: only destinations roll up
    assert any(f.destination_label in {"Kent", "Newham", "Elsewhere in the UK", "United Kingdom"} for f in answer.flows)


def test_a_london_analyst_with_every_borough_open_sees_borough_to_borough_flows(routed: sessionmaker[Session]) -> None:
    with routed() as s:
        answer = service.routes(s, ANALYST, "london", QUARTER)
    assert answer.boroughs_named
    gss = {b.gss for b in BOROUGHS}
    internal = [f for f in answer.flows if f.origin in gss and (f.destination in gss or f.destination_point)]
    assert internal
    assert routes.DETAIL_NOTE in answer.privacy.explanations  # the hospital (pooled only) is left out
    assert answer.privacy.partners_included < answer.privacy.partners_considered


def test_with_pooled_london_grants_only_no_borough_is_named(db_url: str) -> None:
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    with factory() as s:
        seed(s, per_quarter=30, seed_=5, with_agreement=False)
        load_agreement(s, pooled_agreement_text())
        add_routes(s)
        answer = service.routes(s, ANALYST, "london", QUARTER)
    engine.dispose()
    assert answer.flows
    assert not answer.boroughs_named
    gss = {b.gss for b in BOROUGHS}
    assert not [f for f in answer.flows if f.origin in gss or f.destination in gss]


def _csv_values(body: str) -> list[str]:
    return [row["value"] for row in csv.DictReader(io.StringIO(body))]


def test_api_csv_ctdc_and_page_publish_only_protected_counts_and_never_a_business_name(
    routed: sessionmaker[Session], db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with TestClient(create_app(make_settings(db_url, tmp_path)), base_url="http://127.0.0.1") as client:
        bodies: list[str] = []
        for user, paths in (
            ("newham.officer", [f"/api/v1/stats/{NEWHAM}/routes", f"/api/v1/stats/{NEWHAM}/routes?direction=out",
                                f"/api/v1/stats/{NEWHAM}/routes.csv", f"/api/v1/stats/{NEWHAM}/ctdc.csv",
                                f"/api/v1/stats/{NEWHAM}/ctdc", f"/dashboard/{NEWHAM}/routes",
                                f"/dashboard/{NEWHAM}/routes?direction=out"]),
            ("analyst", ["/api/v1/stats/london/routes", "/api/v1/stats/london/routes.csv", "/api/v1/stats/london/ctdc.csv",
                         "/dashboard/london/routes", "/dashboard/london/where-to-look"]),
        ):
            client.cookies.clear()
            login(client, user)
            for path in paths:
                r = client.get(path)
                assert r.status_code == 200, (path, r.text[:300])
                bodies.append(r.text)
                if path.endswith(".csv"):
                    values = [v for v in _csv_values(r.text) if v]
                    assert values
                    assert all(int(v) == 0 or int(v) >= MIN for v in values), path
        routes_csv = bodies[2]
        assert routes_csv.splitlines()[0].startswith("scope,quarter,direction,origin,origin_label,transit")
        assert "CountryOfExploitation" in bodies[3].splitlines()[0]
        for marker in ("data-sankey", "data-flow-map", "data-privacy"):
            assert marker in bodies[5]
    logged = caplog.text
    for secret in SECRETS:
        for body in bodies:
            assert secret.lower() not in body.lower()
        assert secret.lower() not in logged.lower()


def test_another_boroughs_routes_are_forbidden_to_an_officer(routed: sessionmaker[Session]) -> None:
    from hub.errors import Forbidden

    with routed() as s, pytest.raises(Forbidden):
        service.routes(s, OFFICER, "E09000007", QUARTER)
