"""Stored networks: incidents sharing a selector or a person join one network at ingest and leave it on withdrawal."""

from typing import Any

import pytest
from sqlalchemy import func, select, text

from hub.models import Network, NetworkFacet, NetworkMember
from hub.records import networks
from tests.factories import (
    FakePartner,
    add_agreement,
    add_partner,
    make_tables,
    raw_bundle,
    record_rows,
)
from tests.hubs import HubUnderTest


def _rows(seed: int, n: int = 6) -> dict[str, list[dict[str, Any]]]:
    tables = make_tables(n, persons_per_incident=1, keys_per_person=1, selectors_per_incident=0, seed=seed)
    return {table: record_rows(records) for table, records in tables.items()}


def _share_selector(rows: dict[str, list[dict[str, Any]]], incidents: list[int], pid: str, kind: str = "phone") -> None:
    for i in incidents:
        rows["selectors"].append({"incident_pid": rows["incidents"][i]["incident_pid"], "kind": kind, "selector_pid": pid})


def _networks(hub: HubUnderTest) -> list[Network]:
    with hub.session() as session:
        return list(session.scalars(select(Network).order_by(Network.incidents.desc())))


SHARED_PHONE = "v1." + "ab" * 32
SHARED_CAR = "v1." + "cd" * 32


@pytest.mark.parametrize("cross_partner", [True, False])
def test_a_phone_two_partners_hold_joins_their_incidents_only_where_the_agreement_allows(
    hub: HubUnderTest, cross_partner: bool
) -> None:
    one: FakePartner = hub.arrange(add_partner, "ngo-one")
    two: FakePartner = hub.arrange(add_partner, "ngo-two")
    hub.arrange(add_agreement, ["ngo-one", "ngo-two"], cross_partner=cross_partner)
    rows_one, rows_two = _rows(1), _rows(2)
    _share_selector(rows_one, [0, 1], SHARED_PHONE)
    _share_selector(rows_one, [1, 2], SHARED_CAR, kind="vehicle")  # a chain: 0 - phone - 1 - car - 2
    _share_selector(rows_two, [0], SHARED_PHONE)
    assert hub.upload(one, raw_bundle(one, rows_one)).status_code == 201
    [first] = _networks(hub)
    assert (first.incidents, first.selectors, first.providers) == (3, {"phone": 1, "vehicle": 1}, ["ngo-one"])
    assert hub.upload(two, raw_bundle(two, rows_two)).status_code == 201
    [network] = _networks(hub)
    if cross_partner:
        assert (network.incidents, network.providers, network.provider) == (4, ["ngo-one", "ngo-two"], "")
    else:
        assert (network.incidents, network.providers, network.provider) == (3, ["ngo-one"], "ngo-one")
    assert network.boroughs == ["E09000030"]
    assert network.people == network.incidents  # one person each, none linked
    assert network.exploitation_types
    assert set(network.exploitation_types) <= {"labour", "sexual", "criminal"}
    assert network.added_last_quarter == network.incidents
    assert network.first_month == network.last_month
    with hub.session() as session:
        facets = {(f.facet, f.value) for f in session.scalars(select(NetworkFacet))}
        members = session.scalar(select(func.count()).select_from(NetworkMember))
    assert ("borough", "E09000030") in facets
    assert ("provider", "ngo-one") in facets
    assert members == network.incidents
    assert hub.partner_call(one, "POST", "/api/v1/submissions/2026-Q3/withdraw").status_code == 200
    assert _networks(hub) == []
    with hub.session() as session:
        assert session.scalar(select(func.count()).select_from(NetworkMember)) == 0
        assert session.scalar(select(func.count()).select_from(NetworkFacet)) == 0


def test_shared_links_name_the_other_incident_and_the_kind_never_a_pseudonym(hub: HubUnderTest) -> None:
    from hub.models import Submission
    from hub.records.links import shared_links

    one: FakePartner = hub.arrange(add_partner, "ngo-one")
    two: FakePartner = hub.arrange(add_partner, "ngo-two")
    hub.arrange(add_agreement, ["ngo-one", "ngo-two"], cross_partner=True)
    rows_one, rows_two = _rows(1), _rows(2)
    _share_selector(rows_one, [0], SHARED_PHONE)
    _share_selector(rows_two, [3], SHARED_PHONE)
    assert hub.upload(one, raw_bundle(one, rows_one)).status_code == 201
    assert hub.upload(two, raw_bundle(two, rows_two)).status_code == 201
    with hub.session() as session:
        sub = session.scalar(select(Submission.id).where(Submission.org_id == "ngo-two"))
        assert sub is not None
        links = shared_links(session, sub)
    assert [(link.other_org_id, link.kind) for link in links] == [("ngo-one", "phone")]
    assert "v1." not in repr(links)
    assert "h1." not in repr(links)


def test_a_rebuild_leaves_fresh_statistics_for_the_tables_it_rewrote(hub: HubUnderTest) -> None:
    """PostgreSQL: the next update is planned from the rebuilt tables' real sizes (a stale estimate
    of ``network_persons`` once cost an update 6.4 s); autovacuum would not analyse a small table at all."""
    one: FakePartner = hub.arrange(add_partner, "ngo-one")
    hub.arrange(add_agreement, ["ngo-one"])
    rows = _rows(3)
    _share_selector(rows, [0, 1], SHARED_PHONE)
    assert hub.upload(one, raw_bundle(one, rows)).status_code == 201
    with hub.session() as session, session.begin():
        if session.get_bind().dialect.name != "postgresql":
            pytest.skip("statistics are PostgreSQL's")
        networks.rebuild(session, "test-agreement")
        tables = ("networks", "network_members", "network_facets", "network_persons")
        counts = {t: session.scalar(text(f"SELECT count(*) FROM {t}")) for t in tables}
        estimated = {t: session.scalar(text("SELECT reltuples FROM pg_class WHERE relname = :t"), {"t": t}) for t in tables}
    assert all(counts.values())
    assert estimated == {t: float(n) for t, n in counts.items()}
