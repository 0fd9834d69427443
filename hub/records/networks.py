"""The stored networks: each agreement's incidents joined through shared people and selectors, kept current.

``rebuild`` reads the agreement's active incidents, their selectors (hub re-keyed) and their
persons' clusters, computes the connected components (``hub.linkage.graph``) and replaces the
agreement's ``networks``, ``network_members`` and ``network_facets`` in the caller's transaction:
run at every ingest (after ``clusters.relink``), and after a withdrawal or purge. Where the
agreement does not allow cross-partner linkage, a network never joins two providers: each
provider's records form their own graph. No pseudonym is written to the network tables.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Final, cast

import numpy as np
import pandas as pd
from sqlalchemy import Table, and_, delete, select
from sqlalchemy.orm import Session

from hub.linkage import graph
from hub.models import (
    Incident,
    IncidentCode,
    Network,
    NetworkFacet,
    NetworkMember,
    Person,
    PersonCluster,
    Selector,
    Submission,
    SubmissionStatus,
)
from hub.records import bulk
from hub.records.current import current_agreement

__all__ = ["PERSON", "Rebuilt", "cross_partner", "forget", "rebuild"]

log = logging.getLogger(__name__)

PERSON: Final = "person"
"""Node kind of a person cluster (the other kinds are ``SelectorKind`` values)."""

NETWORKS = cast(Table, Network.__table__)
MEMBERS = cast(Table, NetworkMember.__table__)
FACETS = cast(Table, NetworkFacet.__table__)


@dataclass(frozen=True)
class Rebuilt:
    incidents: int
    edges: int
    networks: int
    in_networks: int


def cross_partner(session: Session, agreement_id: str) -> bool:
    agreement = current_agreement(session, agreement_id)
    return agreement is not None and agreement.linkage.cross_partner


def _active(agreement_id: str, submission_column: Any) -> Any:
    return and_(
        Submission.id == submission_column,
        Submission.agreement_id == agreement_id,
        Submission.status == SubmissionStatus.active.value,
    )


def forget(session: Session, agreement_id: str) -> None:
    """Drop the agreement's networks (members and facets first: SQLite may not cascade)."""
    ids = select(Network.id).where(Network.agreement_id == agreement_id)
    session.execute(delete(NetworkFacet).where(NetworkFacet.network_id.in_(ids)))
    session.execute(delete(NetworkMember).where(NetworkMember.network_id.in_(ids)))
    session.execute(delete(Network).where(Network.agreement_id == agreement_id))


def _frame(session: Session, statement: Any, columns: list[str]) -> pd.DataFrame:
    rows = session.execute(statement).all()
    values = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    return pd.DataFrame({name: pd.Series(list(column)) for name, column in zip(columns, values, strict=True)}, columns=columns)


def _lists(frame: pd.DataFrame, column: str) -> dict[int, list[str]]:
    """Per network label, the sorted distinct values of ``column`` (one pass over the distinct pairs)."""
    out: dict[int, list[str]] = defaultdict(list)
    pairs = frame[["label", column]].dropna().drop_duplicates().sort_values(["label", column])
    for lab, value in zip(pairs["label"].tolist(), pairs[column].tolist(), strict=True):
        out[int(lab)].append(str(value))
    return out


def rebuild(session: Session, agreement_id: str) -> Rebuilt:
    """Recompute the agreement's networks from its active records and store them."""
    forget(session, agreement_id)
    incidents = _frame(
        session,
        select(Incident.id, Incident.org_id, Incident.la_gss_code, Incident.first_known_month, Incident.quarter,
               Incident.county_lines)
        .join(Submission, _active(agreement_id, Incident.submission_id))
        .order_by(Incident.id),
        ["id", "org", "gss", "month", "quarter", "county_lines"],
    )
    if incidents.empty:
        return Rebuilt(0, 0, 0, 0)
    selectors = _frame(
        session,
        select(Selector.incident_id, Selector.kind, Selector.selector_key)
        .join(Submission, _active(agreement_id, Selector.submission_id)),
        ["incident_id", "kind", "key"],
    )
    people = _frame(
        session,
        select(Person.incident_id, PersonCluster.cluster_id)
        .join(PersonCluster, PersonCluster.person_id == Person.id)
        .join(Submission, _active(agreement_id, Person.submission_id)),
        ["incident_id", "key"],
    )
    people["kind"] = PERSON
    edges = pd.concat([selectors, people], ignore_index=True)
    ids = incidents["id"].to_numpy(dtype=np.int64)
    index = np.searchsorted(ids, edges["incident_id"].to_numpy(dtype=np.int64))
    edges["incident"] = index
    cross = cross_partner(session, agreement_id)
    org = incidents["org"].to_numpy()[index]
    partition = np.full(len(edges), "", dtype=object) if cross else org
    edges["node"] = pd.MultiIndex.from_arrays(
        [partition, edges["kind"].to_numpy(), edges["key"].astype(str).to_numpy()]
    ).factorize()[0] if len(edges) else np.empty(0, dtype=np.int64)
    found = graph.components(len(ids), edges["incident"].to_numpy(dtype=np.int64), edges["node"].to_numpy(dtype=np.int64))
    stored = _store(session, agreement_id, incidents, edges, found.label, cross=cross)
    log.info("agreement %s networks rebuilt: %d incidents, %d edges, %d networks", agreement_id, len(ids), len(edges), stored)
    return Rebuilt(len(ids), len(edges), stored, int(np.count_nonzero(found.label >= 0)))


def _store(
    session: Session, agreement_id: str, incidents: pd.DataFrame, edges: pd.DataFrame, label: Any, *, cross: bool
) -> int:
    incidents = incidents.assign(label=label)
    members = incidents[incidents["label"] >= 0]
    if members.empty:
        return 0
    last_quarter = str(incidents["quarter"].max())
    count = int(members["label"].max()) + 1
    network_ids = np.asarray(bulk.allocate_ids(session, NETWORKS, count), dtype=np.int64)
    edges = edges.assign(label=label[edges["incident"].to_numpy()])
    edges = edges[edges["label"] >= 0]
    nodes = edges.drop_duplicates(["label", "node"])
    sizes: dict[int, dict[str, int]] = defaultdict(dict)
    counted = nodes.groupby(["label", "kind"]).size()
    for (lab, kind), n in zip(counted.index.tolist(), counted.tolist(), strict=True):
        sizes[int(lab)][str(kind)] = int(n)
    codes = _frame(
        session,
        select(IncidentCode.incident_id, IncidentCode.code)
        .join(Incident, Incident.id == IncidentCode.incident_id)
        .join(Submission, _active(agreement_id, Incident.submission_id))
        .where(IncidentCode.field == "exploitation_types"),
        ["id", "code"],
    ).merge(members[["id", "label"]], on="id")
    types = _lists(codes, "code")
    orgs = _lists(members, "org")
    boroughs = _lists(members, "gss")
    months = members.groupby("label")["month"].agg(["min", "max", "size"])
    recent = members[members["quarter"] == last_quarter].groupby("label").size().to_dict()
    county = members[members["county_lines"] == "yes"].groupby("label").size().to_dict()
    rows: list[dict[str, Any]] = []
    facets: list[dict[str, Any]] = []
    for lab, first, last, size in zip(
        months.index.tolist(), months["min"].tolist(), months["max"].tolist(), months["size"].tolist(), strict=True
    ):
        lab = int(lab)
        nid = int(network_ids[lab])
        providers, gss, kinds = orgs[lab], boroughs.get(lab, []), types.get(lab, [])
        selector_sizes = {k: v for k, v in sorted(sizes[lab].items()) if k != PERSON}
        rows.append({
            "id": nid, "agreement_id": agreement_id, "provider": "" if cross else providers[0],
            "incidents": int(size), "people": sizes[lab].get(PERSON, 0), "selectors": selector_sizes,
            "providers": providers, "boroughs": gss, "exploitation_types": kinds,
            "first_month": str(first), "last_month": str(last), "last_quarter": last_quarter,
            "added_last_quarter": int(recent.get(lab, 0)), "county_lines": bool(county.get(lab, 0)),
        })
        facets += [{"network_id": nid, "facet": "provider", "value": p} for p in providers]
        facets += [{"network_id": nid, "facet": "borough", "value": g} for g in gss]
        facets += [{"network_id": nid, "facet": "type", "value": t} for t in kinds]
    session.execute(NETWORKS.insert(), rows)
    bulk.rows(session, MEMBERS, [
        {"incident_id": int(i), "network_id": int(network_ids[lab])}
        for i, lab in zip(members["id"].tolist(), members["label"].tolist(), strict=True)
    ])
    if facets:
        bulk.rows(session, FACETS, facets)
    return count
