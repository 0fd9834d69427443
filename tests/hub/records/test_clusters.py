"""The hub's person ids: records sharing keys link into one cluster at ingest, and leave it at once on withdrawal."""

import random
from typing import Any

import numpy as np
import pytest
from sqlalchemy import func, select

from hub.linkage import chains, model
from hub.models import Person, PersonCluster, PersonLink, PersonLinkModel
from hub.records import clusters, increments
from tests.factories import (
    FakePartner,
    add_agreement,
    add_partner,
    make_tables,
    pseudonym,
    raw_bundle,
    record_rows,
)
from tests.hubs import HubUnderTest

SHARED = 3


def _rows(seed: int, incidents: int = 8) -> dict[str, list[dict[str, Any]]]:
    tables = make_tables(incidents, persons_per_incident=1, keys_per_person=3, seed=seed)
    return {table: record_rows(records) for table, records in tables.items()}


def _same_people(one: dict[str, list[dict[str, Any]]], two: dict[str, list[dict[str, Any]]]) -> None:
    """The first SHARED persons of ``two`` are ``one``'s: every key copied (new keys of the right incident)."""
    for i in range(SHARED):
        theirs, ours = two["persons"][i], one["persons"][i]
        for name, value in ours.items():
            if name.startswith("mk_"):
                theirs[name] = value
        pid = theirs["incident_pid"]
        two["person_keys"] = [k for k in two["person_keys"] if k["incident_pid"] != pid]
        two["person_keys"] += [{**k, "incident_pid": pid} for k in one["person_keys"] if k["incident_pid"] == ours["incident_pid"]]


@pytest.fixture
def partners(hub: HubUnderTest) -> tuple[FakePartner, FakePartner]:
    one: FakePartner = hub.arrange(add_partner, "ngo-one")
    two: FakePartner = hub.arrange(add_partner, "ngo-two")
    hub.arrange(add_agreement, ["ngo-one", "ngo-two"])
    return one, two


def _shared_clusters(hub: HubUnderTest) -> list[int]:
    with hub.session() as session:
        return sorted(
            int(n) for n in session.scalars(
                select(func.count()).select_from(PersonCluster).group_by(PersonCluster.cluster_id).having(func.count() > 1)
            )
        )


def test_the_same_people_at_two_partners_share_a_hub_person_id_until_one_withdraws(
    hub: HubUnderTest, partners: tuple[FakePartner, FakePartner]
) -> None:
    one, two = partners
    rows_one, rows_two = _rows(1), _rows(2)
    _same_people(rows_one, rows_two)
    assert hub.upload(one, raw_bundle(one, rows_one)).status_code == 201
    assert _shared_clusters(hub) == []
    assert hub.upload(two, raw_bundle(two, rows_two)).status_code == 201
    assert _shared_clusters(hub) == [2] * SHARED
    with hub.session() as session:
        link = session.scalars(select(PersonLink)).first()
        assert link is not None
        orgs = {session.get(Person, link.person_a).org_id, session.get(Person, link.person_b).org_id}  # type: ignore[union-attr]
        why = clusters.why(session, link.person_b, link.person_a)
    assert orgs == {"ngo-one", "ngo-two"}
    assert why is not None  # kinds only: never a value
    assert {"name_dob", "canon_sorted_dob"} <= set(why)
    assert all(not kind.startswith(("v1.", "h1.")) for kind in why)
    assert hub.partner_call(two, "POST", "/api/v1/submissions/2026-Q3/withdraw").status_code == 200
    assert _shared_clusters(hub) == []
    with hub.session() as session:
        assert session.scalar(select(func.count()).select_from(PersonLink)) == 0
        assert session.scalar(select(func.count()).select_from(PersonCluster)) == 8  # ngo-one's, each its own person


def test_one_shared_key_among_disagreeing_ones_does_not_link(hub: HubUnderTest, partners: tuple[FakePartner, FakePartner]) -> None:
    one, two = partners
    rows_one, rows_two = _rows(1), _rows(2)
    for i in range(SHARED):  # namesakes: the same surname, birthday and sex, nothing else
        rows_two["persons"][i]["mk_surname_dob_sex"] = rows_one["persons"][i]["mk_surname_dob_sex"]
    assert hub.upload(one, raw_bundle(one, rows_one)).status_code == 201
    assert hub.upload(two, raw_bundle(two, rows_two)).status_code == 201
    assert _shared_clusters(hub) == []  # a weak key proposes no pair


def _partition(hub: HubUnderTest) -> set[frozenset[tuple[str, int]]]:
    """Clusters as sets of (provider, person_seq within its incident number): free of row ids, which a re-upload renews."""
    with hub.session() as session:
        rows = session.execute(
            select(PersonCluster.cluster_id, Person.org_id, Person.incident_id, Person.person_seq)
            .join(Person, Person.id == PersonCluster.person_id)
        ).all()
        first = {org: min(r.incident_id for r in rows if r.org_id == org) for org in {r.org_id for r in rows}}
    groups: dict[int, set[tuple[str, int]]] = {}
    for r in rows:
        groups.setdefault(r.cluster_id, set()).add((r.org_id, (r.incident_id - first[r.org_id]) * 100 + r.person_seq))
    return {frozenset(g) for g in groups.values()}


def test_an_identical_re_upload_changes_no_cluster_and_links_incrementally(
    hub: HubUnderTest, partners: tuple[FakePartner, FakePartner], monkeypatch: pytest.MonkeyPatch
) -> None:

    # eight persons hold too few matches to pass the refit floor; without it, this tests the incremental path
    monkeypatch.setattr(increments, "MIN_FIT_MATCHES", 0.0)
    one, two = partners
    rows_one, rows_two = _rows(1), _rows(2)
    _same_people(rows_one, rows_two)
    assert hub.upload(one, raw_bundle(one, rows_one)).status_code == 201
    with hub.session() as session:
        fitted = session.get(PersonLinkModel, "agr-1") or session.scalars(select(PersonLinkModel)).first()
        assert fitted is not None
        assert fitted.persons == 8
    assert hub.upload(two, raw_bundle(two, rows_two)).status_code == 201
    before = _partition(hub)
    assert sorted(len(g) for g in before if len(g) > 1) == [2] * SHARED
    with hub.session() as session:
        stored = session.scalars(select(PersonLinkModel)).first()
        assert stored is not None
        assert stored.persons == 8
    assert hub.upload(two, raw_bundle(two, rows_two)).status_code == 201  # supersedes its first upload
    assert _partition(hub) == before
    with hub.session() as session:
        assert session.scalar(select(func.count()).select_from(PersonCluster)) == 16  # the superseded records left


def test_a_model_fitted_on_an_upload_holding_nobody_twice_is_refitted_when_the_next_arrives(
    hub: HubUnderTest, partners: tuple[FakePartner, FakePartner]
) -> None:
    """The first partner's upload holds nobody twice, so its model saw no match (prior near zero): the
    second upload, no bigger than the first, must relink with a model fitted on both (FEBRL 1 and 4 as
    two partners' uploads linked 0 % of pairs on names and dates of birth before)."""

    one, two = partners
    rows_one, rows_two = _rows(1), _rows(2)
    _same_people(rows_one, rows_two)
    assert hub.upload(one, raw_bundle(one, rows_one)).status_code == 201
    with hub.session() as session:
        first = session.scalars(select(PersonLinkModel)).one()
        assert first.persons == 8
        stored = model.Model.from_parameters(first.parameters)
        assert stored is not None
        assert not increments.fit_enough(stored, first.persons)
    assert hub.upload(two, raw_bundle(two, rows_two)).status_code == 201  # 16 persons: not twice the 8 of the fit
    with hub.session() as session:
        assert session.scalars(select(PersonLinkModel)).one().persons == 16  # refitted on both uploads
    assert _shared_clusters(hub) == [2] * SHARED


def _stored(hub: HubUnderTest) -> tuple[dict[int, int], list[tuple[int, int, float]]]:
    with hub.session() as session:
        labels = {int(p): int(c) for p, c in session.execute(select(PersonCluster.person_id, PersonCluster.cluster_id))}
        links = [(int(a), int(b), float(p)) for a, b, p in session.execute(
            select(PersonLink.person_a, PersonLink.person_b, PersonLink.probability))]
    return labels, links


def _chain_rows() -> tuple[dict[str, list[dict[str, Any]]], ...]:
    """Three uploads: X at the first; Y at the second, X's name-and-date keys and passport, and a phonetic
    key, phone and NHS number X does not hold; Z at the third, only Y's phonetic key, phone and NHS number. So X~Y and
    Y~Z link and X and Z share nothing: a chain of three records held by two bridges. The first upload
    holds 16 records, so the later two (8 each) are linked incrementally with its model."""
    one, two, three = _rows(1, incidents=16), _rows(2), _rows(3)
    rng = random.Random(4)
    later = {kind: pseudonym(rng) for kind in ("metaphone_dob", "phone", "nhs_number")}
    passport = pseudonym(rng)
    x, y, z = (rows["persons"][0] for rows in (one, two, three))
    for name in x:
        if name.startswith("mk_"):
            y[name], z[name] = x[name], None
    x_keys = {k["kind"]: k["key_pid"] for k in one["person_keys"] if k["incident_pid"] == x["incident_pid"]}
    one["person_keys"] = [k for k in one["person_keys"] if k["incident_pid"] != x["incident_pid"] or k["kind"] not in later]
    one["person_keys"].append({"incident_pid": x["incident_pid"], "person_seq": 1, "kind": "passport", "key_pid": passport})
    y_keys = {"canon_sorted_dob": x_keys["canon_sorted_dob"], "passport": passport, **later}
    for rows, person, kinds in ((two, y, y_keys), (three, z, later)):
        rows["person_keys"] = [k for k in rows["person_keys"] if k["incident_pid"] != person["incident_pid"]]
        rows["person_keys"] += [{"incident_pid": person["incident_pid"], "person_seq": 1, "kind": kind, "key_pid": value}
                                for kind, value in kinds.items()]
    return one, two, three


@pytest.mark.parametrize("bridge", [0.5, 0.999999999999])
def test_an_ingest_that_makes_a_chain_cuts_it_at_a_bridge_below_the_agreements_bridge_threshold(
    hub: HubUnderTest, bridge: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(increments, "MIN_FIT_MATCHES", 0.0)  # 16 records of nobody twice: else the next upload refits
    partners = [hub.arrange(add_partner, org) for org in ("ngo-one", "ngo-two", "ngo-three")]
    hub.arrange(add_agreement, ["ngo-one", "ngo-two", "ngo-three"], linkage={"bridge_threshold": bridge})
    for partner, rows in zip(partners, _chain_rows(), strict=True):
        assert hub.upload(partner, raw_bundle(partner, rows)).status_code == 201
    labels, links = _stored(hub)
    with hub.session() as session:
        fitted = session.scalars(select(PersonLinkModel)).one()
        assert fitted.persons == 16  # the second and third uploads were linked incrementally, with the first one's model
        firsts = session.execute(select(Person.org_id, func.min(Person.id)).group_by(Person.org_id)).all()
    first = {org: int(pid) for org, pid in firsts}
    x, y, z = first["ngo-one"], first["ngo-two"], first["ngo-three"]  # the first person of each upload
    kept = {(a, b): p for a, b, p in links}
    assert (x, y) in kept  # the chain is there, as links
    assert (y, z) in kept
    assert (x, z) not in kept
    assert kept[(y, z)] < bridge or bridge == 0.5
    if bridge == 0.5:  # every bridge is at or above 0.5: one person of three records
        assert labels[x] == labels[y] == labels[z]
    else:  # the weaker bridge was cut at once, in the third upload's transaction; a pair is never cut
        assert len({labels[x], labels[y], labels[z]}) == 2
        weakest = min(((x, y), (y, z)), key=lambda pair: kept[pair])
        assert labels[weakest[0]] != labels[weakest[1]]
    # the clusters are those the chain rule makes from the stored links (a full relink with this model)
    people = np.array(sorted(labels), dtype=np.int64)
    a = np.searchsorted(people, [link[0] for link in links])
    b = np.searchsorted(people, [link[1] for link in links])
    expected = chains.clusters(people.size, a, b, np.array([link[2] for link in links]), bridge=bridge)
    assert {p: int(people[expected[i]]) for i, p in enumerate(people.tolist())} == labels
