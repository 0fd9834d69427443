"""Network views through the API: who may see the list, the chart and the counts, and that no pseudonym ever leaves."""

import re
from typing import Any, Final

import pytest
from sqlalchemy import select

from anonymise.perturb import KEY_RANGE, generate
from hub.models import AuditEntry, Network, Selector
from tests.factories import (
    FakePartner,
    add_partner,
    add_user_token,
    agreement_document,
    make_tables,
    raw_bundle,
    record_rows,
    store_agreement,
)
from tests.hubs import HubUnderTest

TOWER_HAMLETS: Final = "E09000030"
PSEUDONYM: Final = re.compile(r"\b[vh]1\.[0-9a-f]{16,}")
RECIPIENTS: Final = (
    {"org": "lb-th", "kind": "LocalGovernmentOrganisation", "roles": ["recipient"], "gss_code": TOWER_HAMLETS},
    {"org": "mopac", "kind": "CentralGovernmentOrganisation", "roles": ["recipient"]},
    {"org": "met", "kind": "LawEnforcement", "roles": ["recipient"]},
)
GRANTS: Final = (
    {"kind": "LocalGovernmentOrganisation", "level": "borough_detail"},
    {"role": "analyst", "level": "networks"},
    {"kind": "LawEnforcement", "level": "pooled_london"},  # police see London figures but no networks
)


def _rows(seed: int) -> dict[str, list[dict[str, Any]]]:
    tables = make_tables(12, persons_per_incident=1, keys_per_person=1, selectors_per_incident=0, seed=seed)
    return {table: record_rows(records) for table, records in tables.items()}


def _chain(rows: dict[str, list[dict[str, Any]]], start: int, length: int, tag: int) -> None:
    """Incidents start..start+length-1 joined in a chain, each pair by its own phone."""
    for i in range(start, start + length - 1):
        pid = f"v1.{tag:02x}{i:02x}" + "0" * 60
        for j in (i, i + 1):
            rows["selectors"].append({"incident_pid": rows["incidents"][j]["incident_pid"], "kind": "phone", "selector_pid": pid})


def _seed(hub: HubUnderTest, *, networks_from_two: bool = True) -> dict[str, str]:
    one: FakePartner = hub.arrange(add_partner, "ngo-one")
    two: FakePartner = hub.arrange(add_partner, "ngo-two")
    document = agreement_document(["ngo-one", "ngo-two"], cross_partner=True, grants=GRANTS, recipients=RECIPIENTS)
    if not networks_from_two:
        document["sharing"][1]["grants"] = [g for g in GRANTS if g["level"] != "networks"]
    hub.arrange(store_agreement, document)
    rows_one, rows_two = _rows(1), _rows(2)
    for n in range(6):  # six networks of two incidents each at ngo-one: enough to pass min_count 5
        _chain(rows_one, 2 * n, 2, tag=n)
    shared = "v1." + "ee" * 32  # and ngo-one's first network reaches one of ngo-two's incidents
    for rows, i in ((rows_one, 0), (rows_two, 5)):
        rows["selectors"].append({"incident_pid": rows["incidents"][i]["incident_pid"], "kind": "vehicle", "selector_pid": shared})
    assert hub.upload(one, raw_bundle(one, rows_one)).status_code == 201
    assert hub.upload(two, raw_bundle(two, rows_two)).status_code == 201
    hub.arrange(add_partner, "lb-th", kind="LocalGovernmentOrganisation", gss_code=TOWER_HAMLETS)
    hub.arrange(add_partner, "mopac", kind="CentralGovernmentOrganisation")
    hub.arrange(add_partner, "met", kind="LawEnforcement")
    return {
        "analyst": hub.arrange(add_user_token, "mopac", "analyst"),
        "officer": hub.arrange(add_user_token, "lb-th", "borough_officer"),
        "police": hub.arrange(add_user_token, "met", "partner_uploader"),
    }


@pytest.fixture
def seeded(hub: HubUnderTest) -> dict[str, str]:
    return _seed(hub)


def _get(hub: HubUnderTest, token: str, path: str) -> Any:
    response = hub.client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert not PSEUDONYM.search(response.text), "a pseudonym left the hub"
    return response


def _stored_keys(hub: HubUnderTest) -> list[str]:
    with hub.session() as session:
        return list(session.scalars(select(Selector.selector_key)))


def test_an_analyst_with_the_grant_sees_the_networks_and_their_charts_but_no_pseudonym(
    hub: HubUnderTest, seeded: dict[str, str]
) -> None:
    response = _get(hub, seeded["analyst"], "/api/v1/networks")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 6
    biggest = body["networks"][0]
    assert (biggest["incidents"], biggest["partners"], biggest["selectors"]) == (3, ["Test ngo-one", "Test ngo-two"], {"phone": 1, "vehicle": 1})
    assert body["sources"]["partners_included"] == 2
    keys = _stored_keys(hub)
    assert keys
    chart = _get(hub, seeded["analyst"], f"/api/v1/networks/{biggest['number']}/chart")
    assert chart.status_code == 200
    data = chart.json()
    assert data["complete"] is True
    labels = sorted(n["label"] for n in data["nodes"])
    assert "Phone 1" in labels
    assert "Vehicle 1" in labels
    assert any(label.startswith("Incident 1 — 2026-07, Tower Hamlets, ") and label.endswith(", NGO") for label in labels)
    assert any(label.startswith("Person ") and "potential victim" in label for label in labels)
    assert all(re.fullmatch(r"[a-z_]+-\d+", n["id"]) for n in data["nodes"])
    assert all(key not in chart.text and key not in response.text for key in keys)
    one = _get(hub, seeded["analyst"], f"/api/v1/networks/{biggest['number']}/chart?expand=phone-1").json()
    assert one["focus"] == "phone-1"
    assert sorted(n["id"] for n in one["nodes"]) == ["incident-1", "incident-2", "phone-1"]
    assert len(one["edges"]) == 2
    with hub.session() as session:
        reads = list(session.scalars(select(AuditEntry).where(AuditEntry.action == "networks.read").order_by(AuditEntry.id)))
    assert [r.target.split(":")[1] for r in reads] == ["list", "chart", "chart"]
    assert reads[1].providers == ["ngo-one", "ngo-two"]


def test_a_network_reaching_a_provider_that_shares_no_networks_with_the_viewer_is_not_shown(hub: HubUnderTest) -> None:
    tokens = _seed(hub, networks_from_two=False)
    body = _get(hub, tokens["analyst"], "/api/v1/networks").json()
    assert body["total"] == 5  # ngo-one's own five; the one reaching ngo-two's incident is left out
    assert [n["partners"] for n in body["networks"]] == [["Test ngo-one"]] * 5
    with hub.session() as session:
        spanning = session.scalars(select(Network.id).where(Network.incidents == 3)).one()
    assert _get(hub, tokens["analyst"], f"/api/v1/networks/{spanning}/chart").status_code == 404


def test_filters_narrow_the_list(hub: HubUnderTest, seeded: dict[str, str]) -> None:
    assert _get(hub, seeded["analyst"], "/api/v1/networks?min_size=3").json()["total"] == 1
    assert _get(hub, seeded["analyst"], f"/api/v1/networks?borough={TOWER_HAMLETS}").json()["total"] == 6
    assert _get(hub, seeded["analyst"], "/api/v1/networks?borough=E09000025").json()["total"] == 0
    assert _get(hub, seeded["analyst"], "/api/v1/networks?until=2025-12").json()["total"] == 0
    assert _get(hub, seeded["analyst"], "/api/v1/networks?type=nonsense").json()["total"] == 0
    assert _get(hub, seeded["analyst"], "/api/v1/networks?since=July").status_code == 400


def test_an_officer_sees_counts_with_privacy_labels_and_is_refused_the_list_and_the_chart(
    hub: HubUnderTest, seeded: dict[str, str]
) -> None:
    counts = _get(hub, seeded["officer"], f"/api/v1/networks/counts/{TOWER_HAMLETS}")
    assert counts.status_code == 200
    body = counts.json()
    with hub.session() as session:  # 6 networks, published by cell key (the ptable's draw for their key sum)
        keys = [k for k, boroughs in session.execute(select(Network.record_key, Network.boroughs)) if TOWER_HAMLETS in boroughs]
    assert len(keys) == 6
    assert body["networks"]["value"] == generate(5, 5).published(6, sum(keys) % KEY_RANGE)
    assert body["networks"]["value"] in (5, 10)
    assert _get(hub, seeded["officer"], f"/api/v1/networks/counts/{TOWER_HAMLETS}").json() == body  # the same answer again
    assert body["spanning_boroughs"]["display"] == "0"
    assert body["privacy"]["min_count"] == 5
    assert body["privacy"]["explanations"]
    analyst_list = _get(hub, seeded["analyst"], "/api/v1/networks").json()
    number = analyst_list["networks"][0]["number"]
    assert _get(hub, seeded["officer"], "/api/v1/networks").status_code == 403
    assert _get(hub, seeded["officer"], f"/api/v1/networks/{number}/chart").status_code == 403
    assert _get(hub, seeded["officer"], "/api/v1/networks/counts/E09000025").status_code == 403


def test_a_police_partner_without_the_grant_is_refused(hub: HubUnderTest, seeded: dict[str, str]) -> None:
    number = _get(hub, seeded["analyst"], "/api/v1/networks").json()["networks"][0]["number"]
    assert _get(hub, seeded["police"], "/api/v1/networks").status_code == 403
    assert _get(hub, seeded["police"], f"/api/v1/networks/{number}/chart").status_code == 403
