"""Incremental network and alert updates equal a full rebuild after any sequence of uploads,
resubmissions, withdrawals and purges; a network keeps its id while it keeps its incidents.

Every test but the fallback's runs with ``REBUILD_SHARE`` at 1 (never rebuild instead): these
agreements are small, so most updates would otherwise touch most of them and take the fallback."""

import uuid
from collections import defaultdict
from collections.abc import Iterator, Set
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.agreements.service import purge_expired_records
from hub.alerts import links as alert_links
from hub.models import (
    Alert,
    Network,
    NetworkBuild,
    NetworkFacet,
    NetworkMember,
    NetworkPerson,
    Person,
    PersonCluster,
)
from hub.records import increments, network_scope, networks
from tests.conftest import make_settings
from tests.factories import (
    FakePartner,
    add_agreement,
    add_partner,
    make_tables,
    raw_bundle,
    record_rows,
)
from tests.hubs import HubUnderTest, start_hub

Rows = dict[str, list[dict[str, Any]]]
PARTNERS = ("ngo-one", "ngo-two", "ngo-three")
QUARTERS = ("2026-Q1", "2026-Q2", "2026-Q3")
SELECTORS = [("phone", "v1." + f"{i:02x}" * 32) for i in range(6)] + [("vehicle", "v1." + f"{i + 16:02x}" * 32) for i in range(6)]
PEOPLE: Rows = {t: record_rows(r) for t, r in make_tables(4, persons_per_incident=1, keys_per_person=2, seed=99).items()}

selector = st.just(0) | st.integers(1, len(SELECTORS) - 1)  # the first is widely held, the rest rarely
incident = st.tuples(st.frozensets(selector, min_size=1, max_size=2) | st.just(frozenset()),
                     st.none() | st.integers(0, 3))
upload = st.tuples(st.just("upload"), st.integers(0, 2), st.integers(0, 2), st.lists(incident, min_size=1, max_size=5))
operation = st.one_of(upload, upload, upload, st.tuples(st.just("withdraw"), st.integers(0, 2), st.integers(0, 2)),
                      st.tuples(st.just("purge")))


@pytest.fixture(autouse=True)
def _never_rebuild_instead(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(networks, "REBUILD_SHARE", 1.0)


def _rows(spec: list[tuple[Set[int], int | None]], seed: int, quarter: str = "2026-Q3") -> Rows:
    """Incidents holding the pool's selectors ``spec[i][0]`` and one person, the pool's ``spec[i][1]`` (every key copied) or their own."""
    rows = {t: record_rows(r) for t, r in make_tables(len(spec), persons_per_incident=1, keys_per_person=2,
                                                      selectors_per_incident=0, seed=seed, quarter=quarter).items()}
    for (held, who), record, person in zip(spec, rows["incidents"], rows["persons"], strict=True):
        pid = record["incident_pid"]
        rows["selectors"] += [{"incident_pid": pid, "kind": SELECTORS[s][0], "selector_pid": SELECTORS[s][1]} for s in sorted(held)]
        if who is not None:
            theirs = PEOPLE["persons"][who]
            person.update({k: v for k, v in theirs.items() if k not in ("incident_pid", "person_seq", "role")})
            rows["person_keys"] = [k for k in rows["person_keys"] if k["incident_pid"] != pid]
            rows["person_keys"] += [{**k, "incident_pid": pid} for k in PEOPLE["person_keys"] if k["incident_pid"] == theirs["incident_pid"]]
    return rows


def _state(session: Session, agreement_id: str) -> tuple[dict[frozenset[int], Any], dict[Any, Any], set[Any]]:
    members: dict[int, set[int]] = defaultdict(set)
    for i, n in session.execute(
        select(NetworkMember.incident_id, NetworkMember.network_id).join(Network, Network.id == NetworkMember.network_id).where(Network.agreement_id == agreement_id)
    ):
        members[n].add(i)
    facets: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for n, f, v in session.execute(select(NetworkFacet.network_id, NetworkFacet.facet, NetworkFacet.value)):
        facets[n].add((f, v))
    found = {
        frozenset(members[n.id]): (n.provider, n.incidents, n.people, n.selectors, n.providers, n.boroughs, n.exploitation_types,
                                   n.first_month, n.last_month, n.last_quarter, n.added_last_quarter, n.county_lines, n.record_key,
                                   frozenset(facets[n.id]))
        for n in session.scalars(select(Network).where(Network.agreement_id == agreement_id))
    }
    networks_held = set(session.scalars(select(Network.id)))
    assert set(facets) <= networks_held, "a facet row outlived its network (no foreign key since migration 0013)"
    assert set(session.scalars(select(NetworkMember.network_id))) <= networks_held, "a member row outlived its network"
    alerts = {(a.incident_id, a.other_incident_id): (a.org_id, a.other_org_id, a.kinds, a.submission_id, a.row)
              for a in session.scalars(select(Alert).where(Alert.agreement_id == agreement_id))}
    snapshot = {(p.person_id, p.incident_id, p.cluster_id)
                for p in session.scalars(select(NetworkPerson).where(NetworkPerson.agreement_id == agreement_id))}
    return found, alerts, snapshot


def _assert_as_rebuilt(hub: HubUnderTest, agreement_id: str) -> tuple[int, int]:
    with hub.session() as session:
        kept, kept_alerts, kept_snapshot = _state(session, agreement_id)
        networks.rebuild(session, agreement_id)
        alert_links.refresh(session, agreement_id)  # after a rebuild: every pair re-checked
        built, built_alerts, built_snapshot = _state(session, agreement_id)
        session.rollback()
    assert kept == built
    assert kept_alerts == built_alerts
    assert kept_snapshot == built_snapshot
    return len(kept), len(kept_alerts)


@pytest.fixture
def busy_hub(db_url: str, tmp_path: Path) -> Iterator[HubUnderTest]:
    """A hub that takes as many uploads an hour as a property test sends."""
    running = start_hub(make_settings(db_url, tmp_path, upload_limit_per_hour=1_000_000))
    yield running
    running.client.close()
    running.app.state.engine.dispose()


@pytest.fixture
def partners(busy_hub: HubUnderTest, monkeypatch: pytest.MonkeyPatch) -> list[FakePartner]:
    from hub.linkage import graph

    monkeypatch.setattr(graph, "MAX_SHARE", 4)  # so a few uploads cross the "too widely held to join" line both ways
    monkeypatch.setattr(alert_links, "MAX_SHARED", 3)
    return [busy_hub.arrange(add_partner, org) for org in PARTNERS]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(operations=st.tuples(st.lists(upload, min_size=2, max_size=4), st.lists(operation, max_size=4)).map(lambda t: t[0] + t[1]),
       cross=st.booleans(), seed=st.integers(0, 10_000))
def test_incremental_updates_equal_a_full_rebuild(
    busy_hub: HubUnderTest, partners: list[FakePartner], operations: list[tuple[Any, ...]], cross: bool, seed: int
) -> None:
    agreement_id = f"prop-{uuid.uuid4().hex[:12]}"
    busy_hub.arrange(add_agreement, PARTNERS, agreement_id=agreement_id, cross_partner=cross,
                alerts=PARTNERS if cross else ())
    uploads = 0
    for step, op in enumerate(operations):
        if op[0] == "upload":
            _, who, quarter, spec = op
            bundle = raw_bundle(partners[who], _rows(spec, seed + step, QUARTERS[quarter]), agreement_id=agreement_id, quarter=QUARTERS[quarter])
            status = busy_hub.upload(partners[who], bundle).status_code
            assert status in (201, 409)  # 409: the quarter's resubmissions are used up
            uploads += status == 201
            event(f"upload answered {status}")
        elif op[0] == "withdraw":
            _, who, quarter = op
            status = busy_hub.partner_call(partners[who], "POST", f"/api/v1/submissions/{QUARTERS[quarter]}/withdraw?agreement_id={agreement_id}").status_code
            assert status in (200, 404)
        else:
            with busy_hub.session() as session, session.begin():
                purge_expired_records(session, date(2200, 1, 1))
        found, alerts = _assert_as_rebuilt(busy_hub, agreement_id)
        event(f"networks after a step: {min(found, 3)}{'+' if found >= 3 else ''}")
        event(f"alerts after a step: {min(alerts, 3)}{'+' if alerts >= 3 else ''}")


def _one_network(hub: HubUnderTest, agreement_id: str) -> tuple[int, int]:
    with hub.session() as session:
        found = session.execute(select(Network.id, Network.incidents).where(Network.agreement_id == agreement_id)).all()
    assert len(found) == 1
    return found[0][0], found[0][1]


def test_a_network_keeps_its_id_as_it_grows_and_loses_it_only_when_it_falls_apart(hub: HubUnderTest) -> None:
    one, two, three = (hub.arrange(add_partner, org) for org in PARTNERS)
    hub.arrange(add_agreement, PARTNERS, cross_partner=True)
    assert hub.upload(one, raw_bundle(one, _rows([({0}, None), ({0, 1}, None)], 1))).status_code == 201
    first, size = _one_network(hub, "test-agreement")
    assert size == 2
    assert hub.upload(two, raw_bundle(two, _rows([({1}, None), ({4}, None)], 2))).status_code == 201
    assert _one_network(hub, "test-agreement") == (first, 3)  # grown, same id
    assert hub.upload(three, raw_bundle(three, _rows([({3}, None), ({3}, None)], 3))).status_code == 201
    with hub.session() as session:
        ids = set(session.scalars(select(Network.id)))
    assert first in ids
    assert len(ids) == 2  # an unrelated network beside it
    assert hub.partner_call(three, "POST", "/api/v1/submissions/2026-Q3/withdraw").status_code == 200
    assert _one_network(hub, "test-agreement") == (first, 3)  # an unrelated withdrawal leaves it alone
    assert hub.partner_call(two, "POST", "/api/v1/submissions/2026-Q3/withdraw").status_code == 200
    assert _one_network(hub, "test-agreement") == (first, 2)
    assert _assert_as_rebuilt(hub, "test-agreement") == (1, 0)


def test_an_unrelated_upload_keeps_the_alerts_it_does_not_touch(hub: HubUnderTest) -> None:
    one, two, three = (hub.arrange(add_partner, org) for org in PARTNERS)
    hub.arrange(add_agreement, PARTNERS, alerts=PARTNERS)
    assert hub.upload(one, raw_bundle(one, _rows([({0}, None), ({5}, None)], 1))).status_code == 201
    assert hub.upload(two, raw_bundle(two, _rows([({0}, None)], 2))).status_code == 201
    with hub.session() as session:
        before = {(a.id, a.incident_id, a.other_incident_id, a.kinds) for a in session.scalars(select(Alert))}
    assert len(before) == 2  # one link, told to both sides
    assert hub.upload(three, raw_bundle(three, _rows([({7}, None), ({7}, None)], 3))).status_code == 201
    with hub.session() as session:
        after = {(a.id, a.incident_id, a.other_incident_id, a.kinds) for a in session.scalars(select(Alert))}
    assert before <= after
    assert len(after) == 2  # three's incidents share a van with each other only: no alert
    assert _assert_as_rebuilt(hub, "test-agreement") == (2, 2)


def test_a_value_too_widely_held_joins_again_once_a_holder_leaves(hub: HubUnderTest, monkeypatch: pytest.MonkeyPatch) -> None:
    from hub.linkage import graph

    monkeypatch.setattr(graph, "MAX_SHARE", 2)
    one, two, three = (hub.arrange(add_partner, org) for org in PARTNERS)
    hub.arrange(add_agreement, PARTNERS, cross_partner=True)
    assert hub.upload(one, raw_bundle(one, _rows([({0}, None)], 1))).status_code == 201
    assert hub.upload(two, raw_bundle(two, _rows([({0}, None)], 2))).status_code == 201
    assert _assert_as_rebuilt(hub, "test-agreement") == (1, 0)
    assert hub.upload(three, raw_bundle(three, _rows([({0}, None)], 3))).status_code == 201
    assert _assert_as_rebuilt(hub, "test-agreement") == (0, 0)  # three holders: it joins nobody
    assert hub.partner_call(one, "POST", "/api/v1/submissions/2026-Q3/withdraw").status_code == 200
    assert _assert_as_rebuilt(hub, "test-agreement") == (1, 0)  # two again: they are a network


def test_a_value_too_widely_held_joins_nothing_even_when_only_some_holders_are_recomputed(
    hub: HubUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hub.linkage import graph

    monkeypatch.setattr(graph, "MAX_SHARE", 2)
    one, two, _ = (hub.arrange(add_partner, org) for org in PARTNERS)
    hub.arrange(add_agreement, PARTNERS, cross_partner=True)
    assert hub.upload(one, raw_bundle(one, _rows([({0, 1}, None), ({0, 2}, None), ({0}, None)], 1))).status_code == 201
    assert _assert_as_rebuilt(hub, "test-agreement") == (0, 0)
    assert hub.upload(two, raw_bundle(two, _rows([({1}, None), ({2}, None)], 2))).status_code == 201
    assert _assert_as_rebuilt(hub, "test-agreement") == (2, 0)  # not one: the phone three hold joins none of them


def test_growth_is_counted_against_the_latest_quarter_as_it_moves_forward_and_back(hub: HubUnderTest) -> None:
    one, two, _ = (hub.arrange(add_partner, org) for org in PARTNERS)
    hub.arrange(add_agreement, PARTNERS, cross_partner=True)

    def growth() -> list[tuple[str, int, int]]:
        """Per network: the agreement's latest quarter, incidents, and incidents added in that quarter."""
        with hub.session() as session:
            latest = networks.latest_quarter(session, "test-agreement")
            return sorted((latest, n.incidents, networks.added_in(n, latest)) for n in session.scalars(select(Network)))

    def stored() -> list[tuple[str, int]]:
        with hub.session() as session:
            return sorted((n.last_quarter, n.added_last_quarter) for n in session.scalars(select(Network)))

    bundle = raw_bundle(one, _rows([({0}, None), ({0}, None)], 1, "2026-Q1"), quarter="2026-Q1")
    assert hub.upload(one, bundle).status_code == 201
    assert growth() == [("2026-Q1", 2, 2)]
    bundle = raw_bundle(two, _rows([({1}, None), ({1}, None), ({1}, None)], 2, "2026-Q2"), quarter="2026-Q2")
    assert hub.upload(two, bundle).status_code == 201
    assert growth() == [("2026-Q2", 2, 0), ("2026-Q2", 3, 3)]  # forward: the untouched network grew by none
    assert stored() == [("2026-Q1", 2), ("2026-Q2", 3)]  # and was not rewritten: it keeps its own quarter
    assert _assert_as_rebuilt(hub, "test-agreement") == (2, 0)
    bundle = raw_bundle(one, _rows([({0}, None), ({2}, None), ({2}, None)], 3, "2026-Q2"), quarter="2026-Q2")
    assert hub.upload(one, bundle).status_code == 201
    assert growth() == [("2026-Q2", 2, 2), ("2026-Q2", 3, 1), ("2026-Q2", 3, 3)]  # one's Q1 pair grew by one in Q2
    assert hub.partner_call(two, "POST", "/api/v1/submissions/2026-Q2/withdraw").status_code == 200
    assert hub.partner_call(one, "POST", "/api/v1/submissions/2026-Q2/withdraw").status_code == 200
    assert growth() == [("2026-Q1", 2, 2)]  # back: recounted against the quarter before
    assert _assert_as_rebuilt(hub, "test-agreement") == (1, 0)

def test_an_update_touching_most_of_the_agreement_rebuilds_instead(
    hub: HubUnderTest, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(networks, "REBUILD_SHARE", 0.5)
    one, two, three = (hub.arrange(add_partner, org) for org in PARTNERS)
    hub.arrange(add_agreement, PARTNERS, cross_partner=True)
    assert hub.upload(one, raw_bundle(one, _rows([({1}, None), ({1}, None), ({2}, None), ({2}, None)], 1))).status_code == 201
    first = set(_network_ids(hub))
    assert len(first) == 2

    def rebuilt_instead(call: Any) -> bool:
        caplog.clear()
        with caplog.at_level("INFO", logger="hub.records.networks"):
            assert call().status_code in (200, 201)
        return any("rebuilt instead" in r.getMessage() for r in caplog.records)

    assert not rebuilt_instead(lambda: hub.upload(two, raw_bundle(two, _rows([({3}, None), ({3}, None)], 2))))  # 2 of 6
    assert _assert_as_rebuilt(hub, "test-agreement") == (3, 0)
    assert rebuilt_instead(lambda: hub.upload(three, raw_bundle(three, _rows([({1, 2, 3}, None)], 3))))  # 7 of 7
    assert _network_ids(hub)[0] in first  # the rebuild kept the id of a part
    assert _assert_as_rebuilt(hub, "test-agreement") == (1, 0)
    assert rebuilt_instead(lambda: hub.partner_call(three, "POST", "/api/v1/submissions/2026-Q3/withdraw"))  # 6 of 6
    assert _assert_as_rebuilt(hub, "test-agreement") == (3, 0)


def _network_ids(hub: HubUnderTest) -> tuple[int, ...]:
    with hub.session() as session:
        return tuple(session.scalars(select(Network.id).order_by(Network.incidents.desc(), Network.id)))


def test_clusters_moved_and_committed_without_a_network_update_are_not_missed(hub: HubUnderTest, monkeypatch: pytest.MonkeyPatch) -> None:
    """``network_scope.moved`` takes the networks out of ``network_builds`` in the mover's
    transaction: the next update, in another session, rebuilds rather than trust a stale snapshot."""
    # two records of nobody twice: else the next upload refits and relinks, undoing the hand-made join
    monkeypatch.setattr(increments, "MIN_FIT_MATCHES", 0.0)
    one, two, _ = (hub.arrange(add_partner, org) for org in PARTNERS)
    hub.arrange(add_agreement, PARTNERS, cross_partner=True)
    assert hub.upload(one, raw_bundle(one, _rows([(set(), 0), (set(), 1)], 1))).status_code == 201
    assert _assert_as_rebuilt(hub, "test-agreement") == (0, 0)
    with hub.session() as session, session.begin():  # a linkage step joining the two persons, with no network update after it
        found = sorted(session.scalars(select(PersonCluster.cluster_id).join(Person, Person.id == PersonCluster.person_id)))
        assert len(set(found)) == 2
        network_scope.moved(session, "test-agreement", found)
        session.execute(update(PersonCluster).where(PersonCluster.cluster_id == found[1]).values(cluster_id=found[0]))
    with hub.session() as session:
        assert session.get(NetworkBuild, "test-agreement") is None
    assert hub.upload(two, raw_bundle(two, _rows([({5}, None), ({5}, None)], 2))).status_code == 201
    assert _assert_as_rebuilt(hub, "test-agreement") == (2, 0)  # the joined pair is a network, beside two's
