"""An upload linked incrementally makes the clusters a full relink with the same model makes, blank-name records included."""

import random
from typing import Any

import pytest
from sqlalchemy import select

from hub.linkage import model
from hub.models import Person, PersonCluster, PersonLinkModel
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

Rows = dict[str, list[dict[str, Any]]]


def _rows(seed: int, incidents: int) -> Rows:
    """Persons that share nothing, each with a full name (a name-only key) and two strong keys of its own."""
    rng = random.Random(seed)
    tables = make_tables(incidents, persons_per_incident=1, keys_per_person=2, seed=seed)
    rows = {table: record_rows(records) for table, records in tables.items()}
    rows["person_keys"] += [{"incident_pid": p["incident_pid"], "person_seq": 1, "kind": "canon_sorted", "key_pid": pseudonym(rng)}
                            for p in rows["persons"]]
    return rows


def _set(rows: Rows, i: int, keys: dict[str, list[str]], *, full: bool = True) -> None:
    """Person ``i`` holds only ``keys`` (kind: values) besides its own strong keys; ``full=False``: a blank
    given name or surname, so no full-name key (the client makes none) and no key of a name it lacks."""
    person = rows["persons"][i]
    pid = person["incident_pid"]
    for name in person:
        if name.startswith("mk_"):
            person[name] = None  # the classic keys need both names
    own = [k for k in rows["person_keys"] if k["incident_pid"] == pid and (full or k["kind"] != "canon_sorted")]
    rows["person_keys"] = [k for k in rows["person_keys"] if k["incident_pid"] != pid] + own + [
        {"incident_pid": pid, "person_seq": 1, "kind": kind, "key_pid": value} for kind, values in keys.items() for value in values
    ]
    person["gender"], person["age_band"], person["nationality"] = "female", "30-38", "AL"


def _people() -> tuple[Rows, Rows]:
    """Partner one (16 persons, linked by a full relink) and partner two (8, linked incrementally), where
    only the one-token key (``token_deletion_dob``) joins:

    - a: one's full-name record and two's record of the same person without a given name (new blank);
    - b: one's record without a surname and two's full-name record (old blank);
    - c: one's twins (full names, no strong key shared) and two's blank record sharing the token of both:
      it could be either, so it links to neither;
    - d: one's blank record and full-name record of one person, linked at the first upload; two's
      full-name record of a twin sharing that token makes the blank one ambiguous: a full relink drops
      the link, so the incremental ingest must too;
    - e: one's blank record, linked at the first upload to one's full-name record on one token value, and
      two's full-name record of another person sharing another of its token values: the same, found only
      by loading every holder of the old blank record's token values, not only of the new record's.
    """
    rng = random.Random(99)
    token = {name: pseudonym(rng) for name in ("a", "b", "c", "d", "e1", "e2")}

    def tokens(name: str, extra: int) -> list[str]:
        return [token[name], *(pseudonym(rng) for _ in range(extra))]

    one, two = _rows(1, 16), _rows(2, 8)
    _set(one, 0, {"token_deletion_dob": tokens("a", 5)})
    _set(two, 0, {"token_deletion_dob": tokens("a", 3)}, full=False)
    _set(one, 1, {"token_deletion_dob": tokens("b", 3)}, full=False)
    _set(two, 1, {"token_deletion_dob": tokens("b", 5)})
    _set(one, 2, {"token_deletion_dob": tokens("c", 5)})
    _set(one, 3, {"token_deletion_dob": tokens("c", 5)})
    _set(two, 2, {"token_deletion_dob": tokens("c", 3)}, full=False)
    _set(one, 4, {"token_deletion_dob": tokens("d", 3)}, full=False)
    _set(one, 5, {"token_deletion_dob": tokens("d", 5)})
    _set(two, 3, {"token_deletion_dob": tokens("d", 5)})
    _set(one, 6, {"token_deletion_dob": [*tokens("e1", 2), token["e2"]]}, full=False)
    _set(one, 7, {"token_deletion_dob": tokens("e2", 5)})
    _set(two, 4, {"token_deletion_dob": tokens("e1", 5)})
    return one, two


def _partition(session: Any) -> set[frozenset[tuple[str, int]]]:
    """Clusters of two records or more, as sets of (provider, index of the person in its upload)."""
    rows = session.execute(
        select(PersonCluster.cluster_id, Person.org_id, Person.id).join(Person, Person.id == PersonCluster.person_id)
    ).all()
    first = {org: min(r.id for r in rows if r.org_id == org) for org in {r.org_id for r in rows}}
    groups: dict[int, set[tuple[str, int]]] = {}
    for r in rows:
        groups.setdefault(r.cluster_id, set()).add((r.org_id, r.id - first[r.org_id]))
    return {frozenset(g) for g in groups.values() if len(g) > 1}


def test_an_incremental_upload_makes_the_full_relinks_clusters_with_blank_name_records(
    hub: HubUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(increments, "MIN_FIT_MATCHES", 0.0)  # 16 persons hold one match: else the second upload refits
    partners: list[FakePartner] = [hub.arrange(add_partner, org) for org in ("ngo-one", "ngo-two")]
    hub.arrange(add_agreement, ["ngo-one", "ngo-two"])
    one, two = "ngo-one", "ngo-two"
    first, second = _people()
    assert hub.upload(partners[0], raw_bundle(partners[0], first)).status_code == 201
    with hub.session() as session:  # a full relink: d's and e's blank records link on their one token, not ambiguous yet
        assert _partition(session) == {frozenset({(one, 4), (one, 5)}), frozenset({(one, 6), (one, 7)})}
    assert hub.upload(partners[1], raw_bundle(partners[1], second)).status_code == 201
    with hub.session() as session:
        stored = session.scalars(select(PersonLinkModel)).one()
        assert stored.persons == 16  # the second upload was linked incrementally, with the first one's model
        incremental = _partition(session)
        fitted = model.Model.from_parameters(stored.parameters)
        assert fitted is not None
        monkeypatch.setattr(model, "estimate", lambda *_: fitted)  # the same model: a full relink with what the ingest used
        clusters.relink(session, stored.agreement_id)
        full = _partition(session)
        session.rollback()
    assert full == {frozenset({(one, 0), (two, 0)}), frozenset({(one, 1), (two, 1)})}  # a and b; c, d and e ambiguous
    assert incremental == full
