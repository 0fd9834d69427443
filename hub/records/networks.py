"""The stored networks: each agreement's incidents joined through shared people and selectors, kept current.

``rebuild`` reads the agreement's active incidents, their selectors (hub re-keyed) and their
persons' clusters, computes the connected components (``hub.linkage.graph``) and replaces the
agreement's ``networks``, ``network_members`` and ``network_facets`` in the caller's transaction.
``update`` does the same for only the components a change touched (``hub.records.network_scope``):
run at every ingest (after linkage, with the submissions it superseded) and after a withdrawal or
purge (with what ``removing`` read before the records went). Its result is the rebuild's, network
for network (``tests/hub/records/test_network_updates.py``); a network keeps its id while it keeps
most of its incidents (a merged one takes the id of its largest part, a split one leaves it to
its largest piece). Where the agreement does not allow cross-partner linkage, a network never
joins two providers: each provider's records form their own graph. No pseudonym is written to
the network tables.
"""

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final, cast

import numpy as np
import pandas as pd
from sqlalchemy import Table, delete, func, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from anonymise import KEY_RANGE
from hub.linkage import graph
from hub.models import (
    Incident,
    IncidentCode,
    Network,
    NetworkBuild,
    NetworkFacet,
    NetworkMember,
    Person,
    PersonCluster,
    Selector,
    Submission,
)
from hub.records import bulk, network_scope
from hub.records.current import current_agreement
from hub.records.network_scope import Removed, active

__all__ = ["PERSON", "Rebuilt", "Removed", "cross_partner", "forget", "rebuild", "removing", "take_touched", "update"]

log = logging.getLogger(__name__)

PERSON: Final = "person"
"""Node kind of a person cluster (the other kinds are ``SelectorKind`` values)."""

NETWORKS = cast(Table, Network.__table__)
MEMBERS = cast(Table, NetworkMember.__table__)
FACETS = cast(Table, NetworkFacet.__table__)
_TOUCHED: Final = "hub.records.networks.touched"


@dataclass(frozen=True)
class Rebuilt:
    incidents: int
    """Incidents recomputed (all the agreement's active ones for a rebuild)."""
    edges: int
    networks: int
    """Networks written."""
    in_networks: int


def cross_partner(session: Session, agreement_id: str) -> bool:
    agreement = current_agreement(session, agreement_id)
    return agreement is not None and agreement.linkage.cross_partner


def forget(session: Session, agreement_id: str) -> None:
    """Drop the agreement's networks (members and facets first: SQLite may not cascade)."""
    ids = select(Network.id).where(Network.agreement_id == agreement_id)
    session.execute(delete(NetworkFacet).where(NetworkFacet.network_id.in_(ids)))
    session.execute(delete(NetworkMember).where(NetworkMember.network_id.in_(ids)))
    session.execute(delete(Network).where(Network.agreement_id == agreement_id))


def _dissolve(session: Session, network_ids: Collection[int]) -> None:
    ordered = sorted(network_ids)
    for start in range(0, len(ordered), 5000):
        chunk = ordered[start:start + 5000]
        session.execute(delete(NetworkFacet).where(NetworkFacet.network_id.in_(chunk)))
        session.execute(delete(NetworkMember).where(NetworkMember.network_id.in_(chunk)))
        session.execute(delete(Network).where(Network.id.in_(chunk)))


def removing(session: Session, agreement_id: str, submission_ids: Collection[str]) -> Removed:
    """What these submissions' incidents touch in the graph: call before their rows are deleted, pass to ``update``."""
    return network_scope.removed(session, agreement_id, submission_ids)


def take_touched(session: Session, agreement_id: str) -> frozenset[int] | None:
    """The incidents the network updates of this transaction recomputed or removed for the agreement,
    once (``None``: unknown, or a full rebuild). Alerts re-check only pairs involving them."""
    touched: dict[str, frozenset[int] | None] = session.info.get(_TOUCHED, {})
    return touched.pop(agreement_id, None)


def _note_touched(session: Session, agreement_id: str, incidents: frozenset[int] | None) -> None:
    touched: dict[str, frozenset[int] | None] = session.info.setdefault(_TOUCHED, {})
    if agreement_id in touched:
        before = touched[agreement_id]
        incidents = None if before is None or incidents is None else before | incidents
    touched[agreement_id] = incidents


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


@dataclass(frozen=True)
class _Graph:
    incidents: pd.DataFrame
    edges: pd.DataFrame
    codes: pd.DataFrame


def _load(session: Session, agreement_id: str, scope: Table | None, *, cross: bool) -> _Graph:
    """The incidents (all the agreement's active ones, or those in ``scope``), their edges and codes."""

    def within(statement: Any, column: Any) -> Any:
        return statement if scope is None else statement.join(scope, scope.c.id == column)

    incidents = _frame(
        session,
        within(select(Incident.id, Incident.org_id, Incident.la_gss_code, Incident.first_known_month, Incident.quarter,
                      Incident.county_lines, Incident.record_key), Incident.id)
        .join(Submission,
              active(agreement_id, Incident.submission_id))
        .order_by(Incident.id),
        ["id", "org", "gss", "month", "quarter", "county_lines", "record_key"],
    )
    selectors = _frame(
        session,
        within(select(Selector.incident_id, Selector.kind, Selector.selector_key), Selector.incident_id)
        .join(Submission, active(agreement_id, Selector.submission_id)),
        ["incident_id", "kind", "key"],
    )
    people = _frame(
        session,
        within(select(Person.incident_id, PersonCluster.cluster_id), Person.incident_id)
        .join(PersonCluster, PersonCluster.person_id == Person.id)
        .join(Submission, active(agreement_id, Person.submission_id)),
        ["incident_id", "key"],
    )
    people["kind"] = PERSON
    edges = pd.concat([selectors, people], ignore_index=True)
    ids = incidents["id"].to_numpy(dtype=np.int64)
    index = np.searchsorted(ids, edges["incident_id"].to_numpy(dtype=np.int64))
    edges["incident"] = index
    edges["partition"] = np.full(len(edges), "", dtype=object) if cross else incidents["org"].to_numpy()[index]
    edges["key"] = edges["key"].astype(str)
    codes = _frame(
        session,
        within(select(IncidentCode.incident_id, IncidentCode.code), IncidentCode.incident_id)
        .join(Incident, Incident.id == IncidentCode.incident_id)
        .join(Submission, active(agreement_id, Incident.submission_id))
        .where(IncidentCode.field == "exploitation_types"),
        ["id", "code"],
    )
    return _Graph(incidents, edges, codes)


def _crowded(session: Session, agreement_id: str, loaded: _Graph, *, cross: bool) -> set[tuple[str, str, str]]:
    """Nodes of the loaded (scope's) incidents held by more than ``graph.MAX_SHARE`` active incidents in
    all: the only nodes with holders outside the scope (see ``hub.records.network_scope``). Only a node
    two to ``MAX_SHARE`` of the scope's incidents hold could join any of them, so only those are
    counted, by index lookups on their values."""
    edges = loaded.edges
    if not len(edges):
        return set()
    held = edges.drop_duplicates(["partition", "kind", "key", "incident"]).groupby(["partition", "kind", "key"]).size()
    candidates = held[(held >= 2) & (held <= graph.MAX_SHARE)].index
    selector_keys = sorted({key for _, kind, key in candidates if kind != PERSON})
    cluster_ids = sorted({int(key) for _, kind, key in candidates if kind == PERSON})
    crowded: set[tuple[str, str, str]] = set()
    by = [Selector.kind, Selector.selector_key] if cross else [Selector.org_id, Selector.kind, Selector.selector_key]
    for start in range(0, len(selector_keys), 5000):
        crowded |= {
            ("" if cross else str(r[0]), str(r[-2]), str(r[-1]))
            for r in session.execute(
                select(*by).join(Submission, active(agreement_id, Selector.submission_id))
                .where(Selector.selector_key.in_(selector_keys[start:start + 5000]))
                .group_by(*by).having(func.count(func.distinct(Selector.incident_id)) > graph.MAX_SHARE)
            )
        }
    by_person = [PersonCluster.cluster_id] if cross else [Person.org_id, PersonCluster.cluster_id]
    for start in range(0, len(cluster_ids), 5000):
        crowded |= {
            ("" if cross else str(r[0]), PERSON, str(r[-1]))
            for r in session.execute(
                select(*by_person).join(Person, Person.id == PersonCluster.person_id)
                .join(Submission, active(agreement_id, Person.submission_id))
                .where(PersonCluster.agreement_id == agreement_id, PersonCluster.cluster_id.in_(cluster_ids[start:start + 5000]))
                .group_by(*by_person).having(func.count(func.distinct(Person.incident_id)) > graph.MAX_SHARE)
            )
        }
    return crowded


def _components(loaded: _Graph, crowded: set[tuple[str, str, str]]) -> tuple[pd.DataFrame, graph.Components]:
    """Components of the loaded incidents; the edges returned keep the crowded nodes (a network
    counts every node its incidents hold), the components ignore them."""
    edges = loaded.edges
    edges = edges.assign(node=pd.MultiIndex.from_arrays(
        [edges["partition"].to_numpy(), edges["kind"].to_numpy(), edges["key"].to_numpy()]
    ).factorize()[0] if len(edges) else np.empty(0, dtype=np.int64))
    joining = edges
    if crowded and len(edges):
        keys = zip(edges["partition"].tolist(), edges["kind"].tolist(), edges["key"].tolist(), strict=True)
        joining = edges[np.fromiter((k not in crowded for k in keys), dtype=np.bool_, count=len(edges))]
    found = graph.components(len(loaded.incidents), joining["incident"].to_numpy(dtype=np.int64),
                             joining["node"].to_numpy(dtype=np.int64), max_share=graph.MAX_SHARE)
    return edges, found


def _network_ids(session: Session, incident_ids: list[int], label: Any, count: int, was_in: dict[int, int]) -> list[int]:
    """An id per label: the id of the old network most of its incidents were in, where no larger part claimed it first; else fresh."""
    overlap = Counter((int(lab), was_in[i]) for i, lab in zip(incident_ids, label.tolist(), strict=True) if lab >= 0 and i in was_in)
    assigned: dict[int, int] = {}
    used: set[int] = set()
    for (lab, old), _ in sorted(overlap.items(), key=lambda kv: (-kv[1], kv[0])):
        if lab not in assigned and old not in used:
            assigned[lab] = old
            used.add(old)
    fresh = iter(bulk.allocate_ids(session, NETWORKS, count - len(assigned)))
    return [assigned[lab] if lab in assigned else next(fresh) for lab in range(count)]


def _last_quarter(session: Session, agreement_id: str) -> str:
    return str(session.scalar(
        select(func.max(Incident.quarter)).join(Submission, active(agreement_id, Incident.submission_id))
    ) or "")


def _mark(session: Session, agreement_id: str, last_quarter: str) -> None:
    build = session.get(NetworkBuild, agreement_id)
    if build is None:
        session.add(NetworkBuild(agreement_id=agreement_id, last_quarter=last_quarter))
    else:
        build.last_quarter = last_quarter
    session.flush()


def _requarter(session: Session, agreement_id: str, last_quarter: str, *, forward: bool) -> None:
    """The agreement's latest quarter moved: every network's growth is counted against the new one.

    Moved ``forward`` by an upload, every incident of the new quarter is one the update just
    recomputed (none was active before), so every other network holds none of them: a plain
    ``UPDATE``. Moved back (the latest quarter's records left), each network is recounted."""
    if forward:
        session.execute(
            sql_update(Network).where(Network.agreement_id == agreement_id, Network.last_quarter != last_quarter)
            .values(last_quarter=last_quarter, added_last_quarter=0).execution_options(synchronize_session=False)
        )
        return
    added = (
        select(func.count()).select_from(NetworkMember).join(Incident, Incident.id == NetworkMember.incident_id)
        .where(NetworkMember.network_id == Network.id, Incident.quarter == last_quarter)
        .scalar_subquery()
    )
    session.execute(
        sql_update(Network).where(Network.agreement_id == agreement_id)
        .values(last_quarter=last_quarter, added_last_quarter=added).execution_options(synchronize_session=False)
    )


def _was_in(session: Session, agreement_id: str) -> dict[int, int]:
    return {int(i): int(n) for i, n in session.execute(
        select(NetworkMember.incident_id, NetworkMember.network_id).join(Network, Network.id == NetworkMember.network_id)
        .where(Network.agreement_id == agreement_id)
    )}


def rebuild(session: Session, agreement_id: str) -> Rebuilt:
    """Recompute the agreement's networks from all its active records and store them (ids kept where sensible)."""
    cross = cross_partner(session, agreement_id)
    was_in = _was_in(session, agreement_id)
    loaded = _load(session, agreement_id, None, cross=cross)
    last_quarter = _last_quarter(session, agreement_id)
    edges, found = _components(loaded, set())
    ids = _network_ids(session, loaded.incidents["id"].tolist(), found.label, found.count, was_in)
    forget(session, agreement_id)
    stored = _store(session, agreement_id, loaded, edges, found.label, ids, last_quarter, cross=cross)
    network_scope.snapshot(session, agreement_id, None)
    _mark(session, agreement_id, last_quarter)
    _note_touched(session, agreement_id, None)
    log.info("agreement %s networks rebuilt: %d incidents, %d edges, %d networks",
             agreement_id, len(loaded.incidents), len(edges), stored)
    return Rebuilt(len(loaded.incidents), len(edges), stored, int(np.count_nonzero(found.label >= 0)))


def update(session: Session, agreement_id: str, *, added: Collection[str] = (), gone: Removed | None = None) -> Rebuilt:
    """Recompute only the networks ``added`` submissions and the ``gone`` records (``removing``) touched,
    after linkage moved whatever persons it moved; a full ``rebuild`` where the networks are not current."""
    build = session.get(NetworkBuild, agreement_id)
    if build is None:
        return rebuild(session, agreement_id)
    gone = gone or Removed()
    cross = cross_partner(session, agreement_id)
    clock = _Clock()
    changes = network_scope.person_changes(session, agreement_id)
    clock.lap("person changes")
    scope = network_scope.find(session, agreement_id, added, gone, changes)
    last_quarter = _last_quarter(session, agreement_id)
    clock.lap("scope")
    table = network_scope.fill(session, scope.incidents)
    loaded = _load(session, agreement_id, table, cross=cross)
    clock.lap("load")
    crowded = _crowded(session, agreement_id, loaded, cross=cross)
    clock.lap("crowded")
    edges, found = _components(loaded, crowded)
    ids = _network_ids(session, loaded.incidents["id"].tolist(), found.label, found.count, scope.was_in)
    clock.lap("components")
    _dissolve(session, scope.dissolved)
    stored = _store(session, agreement_id, loaded, edges, found.label, ids, last_quarter, cross=cross)
    if last_quarter != build.last_quarter:
        _requarter(session, agreement_id, last_quarter, forward=last_quarter > build.last_quarter)
    network_scope.snapshot(session, agreement_id, changes)
    _mark(session, agreement_id, last_quarter)
    clock.lap("store")
    _note_touched(session, agreement_id, scope.incidents | gone.incidents | {c.incident_id for c in changes})
    log.info("agreement %s networks updated: %d incidents recomputed, %d networks replaced by %d (%s)",
             agreement_id, len(loaded.incidents), len(scope.dissolved), stored, clock)
    return Rebuilt(len(loaded.incidents), len(edges), stored, int(np.count_nonzero(found.label >= 0)))


class _Clock:
    """Seconds per named step, for the log line."""

    def __init__(self) -> None:
        self.laps: list[tuple[str, float]] = []
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps.append((name, now - self.last))
        self.last = now

    def __str__(self) -> str:
        return ", ".join(f"{name} {seconds:.2f} s" for name, seconds in self.laps)


def _store(
    session: Session, agreement_id: str, loaded: _Graph, edges: pd.DataFrame, label: Any, network_ids: list[int],
    last_quarter: str, *, cross: bool,
) -> int:
    incidents = loaded.incidents.assign(label=label)
    members = incidents[incidents["label"] >= 0]
    if members.empty:
        return 0
    count = int(members["label"].max()) + 1
    edges = edges.assign(label=label[edges["incident"].to_numpy()])
    edges = edges[edges["label"] >= 0]
    nodes = edges.drop_duplicates(["label", "node"])
    sizes: dict[int, dict[str, int]] = defaultdict(dict)
    counted = nodes.groupby(["label", "kind"]).size()
    for (lab, kind), n in zip(counted.index.tolist(), counted.tolist(), strict=True):
        sizes[int(lab)][str(kind)] = int(n)
    codes = loaded.codes.merge(members[["id", "label"]], on="id")
    types = _lists(codes, "code")
    orgs = _lists(members, "org")
    boroughs = _lists(members, "gss")
    months = members.groupby("label")["month"].agg(["min", "max", "size"])
    recent = members[members["quarter"] == last_quarter].groupby("label").size().to_dict()
    county = members[members["county_lines"] == "yes"].groupby("label").size().to_dict()
    keys = members.groupby("label")["record_key"].sum().to_dict()
    rows: list[dict[str, Any]] = []
    facets: list[dict[str, Any]] = []
    for lab, first, last, size in zip(
        months.index.tolist(), months["min"].tolist(), months["max"].tolist(), months["size"].tolist(), strict=True
    ):
        lab = int(lab)
        nid = network_ids[lab]
        providers, gss, kinds = orgs[lab], boroughs.get(lab, []), types.get(lab, [])
        selector_sizes = {k: v for k, v in sorted(sizes[lab].items()) if k != PERSON}
        rows.append({
            "id": nid, "agreement_id": agreement_id, "provider": "" if cross else providers[0],
            "incidents": int(size), "people": sizes[lab].get(PERSON, 0), "selectors": selector_sizes,
            "providers": providers, "boroughs": gss, "exploitation_types": kinds,
            "first_month": str(first), "last_month": str(last), "last_quarter": last_quarter,
            "added_last_quarter": int(recent.get(lab, 0)), "county_lines": bool(county.get(lab, 0)),
            "record_key": int(keys[lab]) % KEY_RANGE,
        })
        facets += [{"network_id": nid, "facet": "provider", "value": p} for p in providers]
        facets += [{"network_id": nid, "facet": "borough", "value": g} for g in gss]
        facets += [{"network_id": nid, "facet": "type", "value": t} for t in kinds]
    session.execute(NETWORKS.insert(), rows)
    bulk.rows(session, MEMBERS, [
        {"incident_id": int(i), "network_id": network_ids[int(lab)]}
        for i, lab in zip(members["id"].tolist(), members["label"].tolist(), strict=True)
    ])
    if facets:
        bulk.rows(session, FACETS, facets)
    return count
