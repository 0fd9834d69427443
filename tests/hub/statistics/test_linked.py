"""The audit across linked tables on a seeded hub: what one officer fetches for a scope and quarter pins no small cell.

Each attack has its control: the same intruder against the same seed with the audit switched off
(``linked.protected`` hiding nothing) does narrow a small cell, so a pass means the audit works,
not that the seed left nothing to find.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from anonymise import KeyedCount, protect_series
from anonymise.agreement import DisclosureRules
from anonymise.intervals import intervals
from hub.db import make_engine, make_sessionmaker
from hub.main import create_app
from hub.models import Incident, Person, Submission
from hub.statistics import hidesets, joint, linked, precompute, published, service
from hub.statistics.figures import NOT_RECORDED
from hub.statistics.linked import Constraints, constraints, narrowed
from tests.conftest import make_settings
from tests.factories.accounts import add_user, login
from tests.factories.stats_seed import NEWHAM, QUARTERS, seed

ENDPOINTS = ("overview", "breakdowns", "hotspots")
SCOPES = (NEWHAM, "london")


@pytest.fixture
def seeded(db_url: str, tmp_path: Path) -> Iterator[tuple[TestClient, str]]:
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as s:
        seed(s, per_quarter=12)  # small counts: many cells under the threshold (and, unaudited, 2025-Q3 and 2026-Q1 narrow)
        add_user(s, "newham.officer", "borough_officer", "lb-newham")
        s.commit()
    published.clear()
    hidesets.forget_copies()
    app = create_app(make_settings(db_url, tmp_path))
    with TestClient(app, base_url="http://127.0.0.1") as client:
        login(client, "newham.officer")
        yield client, db_url
    published.clear()
    hidesets.forget_copies()
    engine.dispose()


@pytest.fixture
def officer(seeded: tuple[TestClient, str]) -> TestClient:
    return seeded[0]


@pytest.fixture
def unaudited(monkeypatch: pytest.MonkeyPatch, seeded: tuple[TestClient, str]) -> TestClient:
    """The same hub with the joint audit hiding nothing (the control)."""
    monkeypatch.setattr(linked, "protected", lambda c, cancelled=None: frozenset())
    return seeded[0]


def _fetched(client: TestClient, scope: str, quarter: str) -> dict[str, Any]:
    return {name: client.get(f"/api/v1/stats/{scope}/{name}", params={"quarter": quarter}).json() for name in ENDPOINTS}


def _narrowed_anywhere(client: TestClient) -> tuple[int, dict[tuple[str, str, str], tuple[int, int | None]]]:
    """Every small cell of every quarter, for Newham and London, that the tables combined narrow to +-1."""
    audited = 0
    found = {}
    for scope in SCOPES:
        for quarter in QUARTERS:
            system = constraints(_fetched(client, scope, quarter))
            assert system.lines, "the tables are linked"
            audited += len(system.small)
            found |= {(scope, quarter, name): w for name, w in narrowed(system).items()}
    return audited, found


def test_without_the_audit_combining_every_table_narrows_a_small_cell(unaudited: TestClient) -> None:
    """The control: this seed does leave something to narrow (the gender by adult/child table's
    "not recorded" column adds up under the age group's "fewer than 5")."""
    _, found = _narrowed_anywhere(unaudited)
    assert found, "the seed gives the intruder something to narrow"
    assert any("not_recorded" in name for _, _, name in found)


def test_no_small_cell_can_be_narrowed_by_combining_every_table(officer: TestClient) -> None:
    audited, found = _narrowed_anywhere(officer)
    assert audited > 0, "there are small cells to attack"
    assert found == {}


# --- coverage percentages against the audit (issue 12, attack 2) ------------------------------


def _persons_published(db_url: str, scope: str, quarter: str) -> int | None:
    """The persons total behind the person fields' shares (victims, suspects and others), as the hub
    perturbs it: no page shows it; the intruder below is given it anyway (worst case)."""
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as s:
        stmt = (
            select(func.count(Person.id), func.coalesce(func.sum(Person.record_key), 0))
            .join(Incident, Incident.id == Person.incident_id).join(Submission, Submission.id == Person.submission_id)
            .where(Submission.status == "active", Incident.quarter == quarter)
        )
        if scope != "london":
            stmt = stmt.where(Incident.la_gss_code == scope)
        n, key_sum = s.execute(stmt).one()
    engine.dispose()
    value: int | None = protect_series([KeyedCount(int(n), int(key_sum))], DisclosureRules()).cells[0].value
    return value


def _with_coverage(client: TestClient, db_url: str, scope: str) -> tuple[Constraints, dict[str, Any], str]:
    """Everything the officer fetches for ``scope``'s latest quarter, the coverage page included,
    and the persons total besides."""
    coverage = client.get(f"/api/v1/stats/{scope}/coverage").json()
    quarter = coverage["quarter"]
    fetched = {**_fetched(client, scope, quarter), "coverage": coverage}
    fetched["coverage"]["totals"] = {"persons": _persons_published(db_url, scope, quarter)}
    return constraints(fetched), fetched, quarter


def test_coverage_percentages_narrow_no_hidden_not_recorded_cell(seeded: tuple[TestClient, str]) -> None:
    """Attack 2 against the hub: the intruder adds every pooled share (published total times the
    percentage, give or take 2.5 points, bounds the filled count; filled + missing = total) to the
    overview, breakdowns and hotspots of the same quarter. Person fields count victims, suspects and
    others together; the intruder is even given the persons total. No small cell is narrowed, and
    every "not recorded" cell the audit hides stays wider than +-1."""
    client, db_url = seeded
    hidden_not_recorded = shares = 0
    for scope in SCOPES:
        system, fetched, _ = _with_coverage(client, db_url, scope)
        shown = [s for s in fetched["coverage"]["pooled"] if s["percent"] is not None]
        assert any(s["field"].startswith("persons.") for s in shown)
        assert any(s["field"].startswith("incidents.") for s in shown)
        shares += len(shown)
        assert narrowed(system) == {}, scope
        hidden = [i for i, name in enumerate(system.names) if name.endswith(f":{NOT_RECORDED}") and _shown_as_protected(fetched, name)]
        hidden_not_recorded += len(hidden)
        for i, (lo, hi) in intervals(system.windows, system.lines, hidden).items():
            assert hi is None or hi - lo > 2, (scope, system.names[i], (lo, hi))
    assert shares > 0, "there are shares to attack with"
    assert hidden_not_recorded > 0, "the audit hides a 'not recorded' cell the shares could bound"
    # and the audit itself reads every area's shares (with the persons total), for every quarter
    engine = make_engine(db_url)
    with make_sessionmaker(engine)() as s:
        officer = next(p for p in precompute.principals(s) if p.org_id == "lb-newham")
        plan = joint.plan(s, officer, QUARTERS[0])
        audited = joint.fetch(s, officer, plan)
    engine.dispose()
    system = linked.joint(audited, london="london", pooled=plan.pooled, complete=plan.complete)
    assert len(audited) >= 2
    for area in audited:
        assert {f"{area}/incidents:coverage:premises_type", f"{area}/persons:coverage:gender", f"{area}/persons:total"} <= set(system.names)


def _shown_as_protected(fetched: dict[str, Any], name: str) -> bool:
    return any(n == name and f["suppressed"] == "protected" for body in fetched.values() for n, f in linked._named(body))


def _fig(key: str, value: int | None, suppressed: str | None = None) -> dict[str, Any]:
    return {"key": key, "value": value, "display": "", "suppressed": suppressed}


PRIVACY = {"min_count": 5, "rounding_base": 5}


def _premises(percent: int | None) -> dict[str, Any]:
    """20 incidents shown (11..29); premises: two rows "fewer than 5" (true 4 and 4), "not
    recorded" hidden by the audit, every other row 0; coverage: premises recorded on 75 %."""
    rows = [_fig("nail_bar", None, "small"), _fig("hand_car_wash", None, "small"), _fig("street", 0), _fig(NOT_RECORDED, None, "protected")]
    table = {"id": "premises_type", "unit": "incidents", "additive": True, "total": _fig("total", 20), "rows": rows}
    out: dict[str, Any] = {
        "overview": {"privacy": PRIVACY, "headlines": [{"key": "incidents", "figure": _fig("incidents", 20)}]},
        "breakdowns": {"privacy": PRIVACY, "tables": [table]},
    }
    if percent is not None:
        out["coverage"] = {"privacy": PRIVACY, "pooled": [{"field": "incidents.premises_type", "percent": percent, "display": ""}]}
    return out


def test_the_audit_sees_coverage_a_share_that_narrows_a_small_cell_is_protected() -> None:
    """75 % of a published 20 is only a published filled count of 15 (6..24): the two small rows
    then add up to at least 6 of at most 8, each 2..4. Without the share they are 1..4 each."""
    assert narrowed(constraints(_premises(None))) == {}
    attacked = constraints(_premises(75))
    assert set(narrowed(attacked)) == {"incidents:premises_type:nail_bar", "incidents:premises_type:hand_car_wash"}
    hide = linked.protected(attacked)
    withheld = service._gives_back_hidden("incidents.premises_type", hide)
    seen = constraints(_premises(None if withheld else 75))  # what the hub then publishes
    for name in hide & set(seen.names):
        seen.windows[seen.names.index(name)] = (0, None)
    assert narrowed(seen) == {}


@settings(max_examples=200, deadline=None)
@given(filled=st.integers(0, 120), missing=st.integers(0, 120), keys=st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)))
def test_a_shares_window_holds_every_filled_count_it_can_come_from(filled: int, missing: int, keys: tuple[int, int]) -> None:
    """Soundness of what the audit takes a share to say (``linked.filled_window``), against the
    hub's own share of true counts: the true filled count always lies in the window."""
    from hub.statistics import figures

    rules = DisclosureRules()
    share = figures.share(KeyedCount(filled, keys[0]), KeyedCount(filled + missing, keys[0] + keys[1]), rules)
    assume(share.percent is not None)
    assert share.percent is not None
    shown_total = protect_series([KeyedCount(filled + missing, keys[0] + keys[1])], rules).cells[0].value
    assert shown_total is not None
    lo, hi = linked.filled_window(share.percent, shown_total, rules.min_count, rules.rounding_base)
    assert lo <= filled
    assert (hi is None or filled <= hi)
    assert hi is not None
    assert hi - lo < 4 * rules.rounding_base + shown_total // 10 + 10


def _persons(not_recorded: dict[str, Any]) -> dict[str, Any]:
    """40 potential victims, gender: male 40 and "not recorded" as given; 40 persons; gender recorded for 100 %."""
    rows = [_fig("male", 40), _fig("female", 0), not_recorded]
    table = {"id": "gender", "unit": "potential victims", "additive": True, "total": _fig("total", 40), "rows": rows}
    return {
        "overview": {"privacy": PRIVACY, "headlines": [{"key": "potential_victims", "figure": _fig("potential_victims", 40)}]},
        "breakdowns": {"privacy": PRIVACY, "tables": [table]},
        "coverage": {"privacy": PRIVACY, "totals": {"persons": 40}, "pooled": [{"field": "persons.gender", "percent": 100, "display": ""}]},
    }


def test_a_full_share_with_a_small_term_says_its_missing_count_is_at_least_n() -> None:
    """A shown share's missing count is 0 or at least N. At 100 % the linear system cannot say
    that, but when victims' "not recorded" is "fewer than 5" (so at least 1) the missing count of
    the gender share is at least 5, as the intruder knows; with a "not recorded" of 0 it stays free."""
    small = constraints(_persons(_fig(NOT_RECORDED, None, "small")))
    lo, _ = small.windows[small.names.index("persons:coverage_missing:gender")]
    assert lo >= 5
    zero = constraints(_persons(_fig(NOT_RECORDED, 0)))
    lo, _ = zero.windows[zero.names.index("persons:coverage_missing:gender")]
    assert lo == 0


@settings(max_examples=100, deadline=None)
@given(filled=st.integers(0, 200), missing=st.integers(1, 4), keys=st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)))
def test_a_share_with_a_missing_count_of_1_to_n_minus_1_is_never_shown(filled: int, missing: int, keys: tuple[int, int]) -> None:
    """What the bound above rests on: a shown share's missing count is never small."""
    from hub.statistics import figures

    share = figures.share(KeyedCount(filled, keys[0]), KeyedCount(filled + missing, keys[0] + keys[1]), DisclosureRules())
    assert share.percent is None
