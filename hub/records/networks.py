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

import io
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Final, cast

import numpy as np
import pandas as pd
from sqlalchemy import Table, case, delete, func, insert, literal, select, text
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
    NetworkPerson,
    Person,
    PersonCluster,
    Selector,
)
from hub.records import bulk, network_scope
from hub.records.current import current_agreement
from hub.records.network_scope import Removed

__all__ = ["PERSON", "REBUILD_SHARE", "Rebuilt", "Removed", "added_in", "cross_partner", "forget", "latest_quarter", "rebuild", "removing", "take_touched", "update"]

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
    """Networks the recomputed incidents form."""
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
    """The statement's rows as a frame; on PostgreSQL through ``COPY … TO STDOUT`` and pandas' CSV
    reader (a 1,000,000-incident agreement's rows in about a third of the time of fetching rows)."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        query = statement.compile(dialect=bind.dialect, compile_kwargs={"literal_binds": True})
        driver = session.connection().connection.driver_connection
        buffer = io.BytesIO()
        with driver.cursor() as cursor, cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)") as copy:  # type: ignore[union-attr]
            for block in copy:
                buffer.write(block)
        if not buffer.tell():
            return pd.DataFrame({name: pd.Series([], dtype=object) for name in columns}, columns=columns)
        buffer.seek(0)
        frame = pd.read_csv(buffer, header=None, names=columns, dtype=object, keep_default_na=False, na_values=[""])
        return frame.astype({c: np.int64 for c in columns if c in _INTEGER})
    rows = session.execute(statement).all()
    values = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
    return pd.DataFrame({name: pd.Series(list(column)) for name, column in zip(columns, values, strict=True)}, columns=columns)


_INTEGER: Final = frozenset({"id", "incident_id", "record_key", "added"})
"""Integer columns of the loaded frames (the rest stay strings: a cluster id is a node's key)."""


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


def _load(session: Session, agreement_id: str, scope: Table | None, *, cross: bool, added: Collection[str] = ()) -> _Graph:
    """The incidents (all the agreement's active ones, or those in ``scope``), their edges and codes.

    ``scope`` holds active incidents only (``network_scope.find``), so a scoped read looks its ids
    up (``network_scope.among``) and filters nothing else: the filter on the active submissions'
    ids cost a pass comparing strings over every row of each table. A scoped read takes the
    persons' clusters from the snapshot ``network_persons``, which ``update`` has brought in line
    with the clusters first: one narrow table instead of ``persons`` joined to ``person_clusters``.
    The incidents' column ``added`` is 1 for an incident of the ``added`` submissions."""
    live = network_scope.active_submissions(session, agreement_id) if scope is None else []

    def within(statement: Any, incident: Any, submission: Any) -> Any:
        return statement.where(submission.in_(live)) if scope is None else statement.where(network_scope.among(session, incident, scope))

    is_added = case((Incident.submission_id.in_(sorted(added)), 1), else_=0) if added else literal(0)
    incidents = _frame(
        session,
        within(select(Incident.id, Incident.org_id, Incident.la_gss_code, Incident.first_known_month, Incident.quarter,
                      Incident.county_lines, Incident.record_key, is_added), Incident.id, Incident.submission_id)
        .order_by(Incident.id),
        ["id", "org", "gss", "month", "quarter", "county_lines", "record_key", "added"],
    )
    selectors = _frame(
        session,
        within(select(Selector.incident_id, Selector.kind, Selector.selector_key), Selector.incident_id, Selector.submission_id),
        ["incident_id", "kind", "key"],
    )
    people = _frame(
        session,
        within(select(Person.incident_id, PersonCluster.cluster_id).join(PersonCluster, PersonCluster.person_id == Person.id),
               Person.incident_id, Person.submission_id) if scope is None else
        within(select(NetworkPerson.incident_id, NetworkPerson.cluster_id).where(NetworkPerson.agreement_id == agreement_id),
               NetworkPerson.incident_id, None),
        ["incident_id", "key"],
    )
    people["kind"] = PERSON
    edges = pd.concat([selectors, people], ignore_index=True)
    ids = incidents["id"].to_numpy(dtype=np.int64)
    index = np.searchsorted(ids, edges["incident_id"].to_numpy(dtype=np.int64))
    edges["incident"] = index
    edges["partition"] = np.full(len(edges), "", dtype=object) if cross else incidents["org"].to_numpy()[index]
    edges["key"] = edges["key"].astype(str)
    edges["node"] = _nodes(edges)
    codes_of = select(IncidentCode.incident_id, IncidentCode.code).where(IncidentCode.field == "exploitation_types")
    codes = _frame(
        session,
        within(codes_of.join(Incident, Incident.id == IncidentCode.incident_id), IncidentCode.incident_id, Incident.submission_id)
        if scope is None else within(codes_of, IncidentCode.incident_id, IncidentCode.incident_id),
        ["id", "code"],
    )
    return _Graph(incidents, edges, codes)


def _nodes(edges: pd.DataFrame) -> Any:
    """A node number per edge: one per (partition, kind, key), from integer codes (a MultiIndex of the
    strings took seconds at 700,000 edges)."""
    if not len(edges):
        return np.empty(0, dtype=np.int64)
    key = pd.factorize(edges["key"].to_numpy())[0].astype(np.int64)
    kind = pd.factorize(edges["kind"].to_numpy())[0].astype(np.int64)
    partition = pd.factorize(edges["partition"].to_numpy())[0].astype(np.int64)
    combined = (key * (int(kind.max()) + 1) + kind) * (int(partition.max()) + 1) + partition
    return pd.factorize(combined)[0].astype(np.int64)


def _crowded(session: Session, agreement_id: str, loaded: _Graph, moved: Collection[int], *, cross: bool) -> Any:
    """The node numbers of the loaded (scope's) incidents' nodes held by more than ``graph.MAX_SHARE``
    active incidents in all: the only nodes with holders outside the scope (see
    ``hub.records.network_scope``). Only a node two to ``MAX_SHARE`` of the scope's incidents hold
    could join any of them, so only those are counted (``network_scope.crowded``: the candidates in
    a temporary table, one grouped join). Not counted either: a node whose every active holder is in
    the scope, so its count here is its count: a selector an added incident holds (``find`` took in
    every holder of the added values) and a person cluster in ``moved`` (the clusters of the
    persons that changed cluster: ``find`` took in their holders in the snapshot and every changed
    person's incident). About a third of the candidates at 1,000,000 (bench/networks.py)."""
    edges = loaded.edges
    if not len(edges):
        return np.empty(0, dtype=np.int64)
    node = edges["node"].to_numpy(dtype=np.int64)
    incident = edges["incident"].to_numpy(dtype=np.int64)
    stride = len(loaded.incidents)
    held = np.bincount(np.unique(node * stride + incident) // stride)
    first = np.full(held.size, len(edges), dtype=np.int64)
    np.minimum.at(first, node, np.arange(len(edges), dtype=np.int64))
    complete = np.zeros(held.size, dtype=bool)
    complete[node[loaded.incidents["added"].to_numpy(dtype=np.int64)[incident] == 1]] = True
    if moved:
        clusters_of = edges["key"].where(edges["kind"] == PERSON)
        complete[node[clusters_of.isin({str(c) for c in moved}).to_numpy()]] = True
    candidates = np.flatnonzero((held >= 2) & (held <= graph.MAX_SHARE) & ~complete)
    rows = edges.iloc[first[candidates]]
    named = dict(zip(zip(rows["partition"].tolist(), rows["kind"].tolist(), rows["key"].tolist(), strict=True),
                     candidates.tolist(), strict=True))
    selectors = {(kind, key) for _, kind, key in named if kind != PERSON}
    clusters = {int(key) for _, kind, key in named if kind == PERSON}
    found = network_scope.crowded(session, agreement_id, selectors, clusters, cross=cross, max_share=graph.MAX_SHARE)
    nodes = set(found.selectors) | {(partition, PERSON, str(cluster)) for partition, cluster in found.clusters}
    return np.array(sorted(named[n] for n in nodes if n in named), dtype=np.int64)


def _components(loaded: _Graph, crowded: Any) -> tuple[pd.DataFrame, graph.Components]:
    """Components of the loaded incidents; the edges returned keep the ``crowded`` nodes (node
    numbers: a network counts every node its incidents hold), the components ignore them."""
    edges = loaded.edges
    joining = edges[~np.isin(edges["node"].to_numpy(), crowded)] if len(crowded) else edges
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
    live = network_scope.active_submissions(session, agreement_id)
    return str(session.scalar(
        select(func.max(Incident.quarter)).where(Incident.submission_id.in_(live))
    ) or "")


def _mark(session: Session, agreement_id: str, last_quarter: str) -> None:
    """The agreement's networks are current (Core, not the ORM: ``network_scope.moved`` deletes the row by statement)."""
    session.execute(delete(NetworkBuild).where(NetworkBuild.agreement_id == agreement_id))
    session.execute(insert(NetworkBuild).values(agreement_id=agreement_id, last_quarter=last_quarter))


def latest_quarter(session: Session, agreement_id: str) -> str:
    """The agreement's latest quarter, the one a network's growth is counted in (``added_in``)."""
    built = session.scalar(select(NetworkBuild.last_quarter).where(NetworkBuild.agreement_id == agreement_id))
    return str(built) if built is not None else _last_quarter(session, agreement_id)


def added_in(network: Network, latest: str) -> int:
    """The network's incidents of the agreement's ``latest`` quarter: a network stores its own
    latest quarter and its incidents of that quarter, so no network the records did not change is
    rewritten when the agreement's latest quarter moves (every one was, once a quarter, before)."""
    return network.added_last_quarter if network.last_quarter == latest else 0


def _was_in(session: Session, agreement_id: str) -> dict[int, int]:
    return {int(i): int(n) for i, n in session.execute(
        select(NetworkMember.incident_id, NetworkMember.network_id).join(Network, Network.id == NetworkMember.network_id)
        .where(Network.agreement_id == agreement_id)
    )}


def rebuild(session: Session, agreement_id: str) -> Rebuilt:
    """Recompute the agreement's networks from all its active records and store them (ids kept where sensible)."""
    network_scope.take_moved(session, agreement_id)  # the snapshot is taken afresh below
    cross = cross_partner(session, agreement_id)
    was_in = _was_in(session, agreement_id)
    loaded = _load(session, agreement_id, None, cross=cross)
    last_quarter = _last_quarter(session, agreement_id)
    edges, found = _components(loaded, np.empty(0, dtype=np.int64))
    ids = _network_ids(session, loaded.incidents["id"].tolist(), found.label, found.count, was_in)
    forget(session, agreement_id)
    stored = _store(session, _rows(agreement_id, loaded, edges, found.label, ids, cross=cross))
    network_scope.snapshot(session, agreement_id, None)
    _mark(session, agreement_id, last_quarter)
    _analyze_rewritten(session)
    _note_touched(session, agreement_id, None)
    log.info("agreement %s networks rebuilt: %d incidents, %d edges, %d networks",
             agreement_id, len(loaded.incidents), len(edges), stored)
    return Rebuilt(len(loaded.incidents), len(edges), stored, int(np.count_nonzero(found.label >= 0)))


_REWRITTEN: Final = ("networks", "network_members", "network_facets", "network_persons")


def _analyze_rewritten(session: Session) -> None:
    """PostgreSQL: fresh statistics for the tables a rebuild rewrote, in its transaction. The next
    update's plans follow them: with ``network_persons`` estimated at 2,374 rows against 1.33 M
    (autovacuum had not yet run after a rebuild) its snapshot statement took 6.4 s, not 0.3 s."""
    if session.get_bind().dialect.name == "postgresql":
        for table in _REWRITTEN:
            session.execute(text(f"ANALYZE {table}"))


REBUILD_SHARE: Final = 0.5
"""An update whose scope holds more than this share of the agreement's active incidents rebuilds
instead: past it the incremental steps (scope queries, the diff of each stored row) cost more than
recomputing everything (``bench/networks.py``: a 100,000-incident upload's scope at 1,000,000 is
about 15 %)."""


def _active_incidents(session: Session, agreement_id: str) -> int:
    live = network_scope.active_submissions(session, agreement_id)
    return int(session.scalar(
        select(func.count()).select_from(Incident).where(Incident.submission_id.in_(live))
    ) or 0)


def update(session: Session, agreement_id: str, *, added: Collection[str] = (), gone: Removed | None = None) -> Rebuilt:
    """Recompute only the networks ``added`` submissions and the ``gone`` records (``removing``) touched,
    after linkage moved whatever persons it moved (``network_scope.moved``); a full ``rebuild`` where
    the networks are not current or the scope holds most of the agreement (``REBUILD_SHARE``)."""
    built_with, moved = network_scope.take_moved(session, agreement_id)
    if built_with is None:
        return rebuild(session, agreement_id)
    gone = gone or Removed()
    cross = cross_partner(session, agreement_id)
    clock = _Clock()
    _roomy(session)
    changes = network_scope.person_changes(session, agreement_id, moved, added=added, gone=gone.incidents)
    clock.lap("person changes")
    scope = network_scope.find(session, agreement_id, added, gone, changes)
    clock.lap("scope")
    if len(scope.incidents) > REBUILD_SHARE * max(_active_incidents(session, agreement_id), 1):
        log.info("agreement %s: an update would recompute %d incidents, most of the agreement: rebuilt instead",
                 agreement_id, len(scope.incidents))
        return rebuild(session, agreement_id)
    network_scope.snapshot(session, agreement_id, changes)  # the clusters the scoped load reads
    last_quarter = _last_quarter(session, agreement_id)
    loaded = _load(session, agreement_id, network_scope.SCOPE, cross=cross, added=added)
    clock.lap("load")
    moved_clusters = {c.old for c in changes if c.old is not None} | {c.new for c in changes if c.new is not None}
    crowded = _crowded(session, agreement_id, loaded, moved_clusters, cross=cross)
    clock.lap("crowded")
    edges, found = _components(loaded, crowded)
    ids = _network_ids(session, loaded.incidents["id"].tolist(), found.label, found.count, scope.was_in)
    rows = _rows(agreement_id, loaded, edges, found.label, ids, cross=cross)
    clock.lap("components")
    stored, written = _store_changes(session, rows, scope.dissolved)
    _mark(session, agreement_id, last_quarter)
    clock.lap("store")
    _note_touched(session, agreement_id, scope.incidents | gone.incidents | {c.incident_id for c in changes})
    log.info("agreement %s networks updated: %d incidents recomputed, %d networks replaced by %d, %d of them written "
             "(%d rows) (%s)", agreement_id, len(loaded.incidents), len(scope.dissolved), len(rows.networks), stored,
             written, clock)
    return Rebuilt(len(loaded.incidents), len(edges), len(rows.networks), int(np.count_nonzero(found.label >= 0)))


WORK_MEM: Final = "64MB"
"""PostgreSQL's ``work_mem`` for the rest of an update's transaction: the scope's and the load's
hash joins and sorts of a 100,000-incident upload spill to disk at the default 4 MB."""


def _roomy(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))


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


@dataclass(frozen=True)
class _Rows:
    networks: list[dict[str, Any]]
    members: dict[int, int]
    """Incident id -> network id."""
    facets: set[tuple[int, str, str]]
    """(network id, facet, value)."""


def _rows(
    agreement_id: str, loaded: _Graph, edges: pd.DataFrame, label: Any, network_ids: list[int], *, cross: bool,
) -> _Rows:
    """The stored rows of the loaded incidents' networks."""
    incidents = loaded.incidents.assign(label=label)
    members = incidents[incidents["label"] >= 0]
    if members.empty:
        return _Rows([], {}, set())
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
    # min and max of strings by their sorted codes: pandas' string min/max per group runs in Python (9 s at 150,000)
    month_code, month_values = pd.factorize(members["month"], sort=True)
    quarter_code, quarter_values = pd.factorize(members["quarter"], sort=True)
    coded = pd.DataFrame({"label": members["label"].to_numpy(), "month": month_code, "quarter": quarter_code})
    months = coded.groupby("label")["month"].agg(["min", "max", "size"])
    months["min"] = np.asarray(month_values, dtype=object)[months["min"].to_numpy()]
    months["max"] = np.asarray(month_values, dtype=object)[months["max"].to_numpy()]
    latest = coded.groupby("label")["quarter"].max()
    recent = coded[coded["quarter"].to_numpy() == latest.reindex(coded["label"]).to_numpy()].groupby("label").size().to_dict()
    latest_of = dict(zip(latest.index.tolist(), np.asarray(quarter_values, dtype=object)[latest.to_numpy()].tolist(), strict=True))
    county = members[members["county_lines"] == "yes"].groupby("label").size().to_dict()
    keys = members.groupby("label")["record_key"].sum().to_dict()
    rows: list[dict[str, Any]] = []
    facets: set[tuple[int, str, str]] = set()
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
            "first_month": str(first), "last_month": str(last), "last_quarter": str(latest_of[lab]),
            "added_last_quarter": int(recent.get(lab, 0)), "county_lines": bool(county.get(lab, 0)),
            "record_key": int(keys[lab]) % KEY_RANGE,
        })
        facets |= {(nid, "provider", p) for p in providers} | {(nid, "borough", g) for g in gss} | {(nid, "type", t) for t in kinds}
    member_ids = {int(i): network_ids[int(lab)] for i, lab in zip(members["id"].tolist(), members["label"].tolist(), strict=True)}
    return _Rows(rows, member_ids, facets)


def _insert(session: Session, rows: _Rows, members: dict[int, int], facets: Collection[tuple[int, str, str]]) -> None:
    bulk.rows(session, NETWORKS, rows.networks)
    bulk.rows(session, MEMBERS, [{"incident_id": i, "network_id": n} for i, n in sorted(members.items())])
    bulk.rows(session, FACETS, [{"network_id": n, "facet": f, "value": v} for n, f, v in sorted(facets)])


def _store(session: Session, rows: _Rows) -> int:
    """Write every network of a rebuild (the agreement's old ones are gone)."""
    _insert(session, rows, rows.members, rows.facets)
    return len(rows.networks)




def _store_changes(session: Session, rows: _Rows, dissolved: Collection[int]) -> tuple[int, int]:
    """Write an update's networks over the ``dissolved`` ones they replace (``network_dissolved``,
    filled by ``network_scope.find``) as a diff: only the networks, members and facets that changed
    are written; returns the networks inserted or updated and the rows written in all."""
    gone_ids = network_scope.DISSOLVED
    old_networks = {int(r.id): dict(r._mapping) for r in session.execute(
        select(NETWORKS).where(network_scope.among(session, NETWORKS.c.id, gone_ids)))}
    old_members = {int(i): int(n) for i, n in session.execute(
        select(MEMBERS.c.incident_id, MEMBERS.c.network_id).where(network_scope.among(session, MEMBERS.c.network_id, gone_ids)))}
    old_facets = {(int(n), str(f), str(v)): int(i) for i, n, f, v in session.execute(
        select(FACETS.c.id, FACETS.c.network_id, FACETS.c.facet, FACETS.c.value)
        .where(network_scope.among(session, FACETS.c.network_id, gone_ids)))}
    members_gone = sorted(i for i, n in old_members.items() if rows.members.get(i) != n)
    facets_gone = sorted(i for key, i in old_facets.items() if key not in rows.facets)
    kept = {r["id"] for r in rows.networks}
    networks_gone = sorted(set(dissolved) - kept)
    for column, ids in ((MEMBERS.c.incident_id, members_gone), (FACETS.c.id, facets_gone), (NETWORKS.c.id, networks_gone)):
        for start in range(0, len(ids), 5000):
            session.execute(delete(column.table).where(column.in_(ids[start:start + 5000])))
    changed = [r for r in rows.networks if r["id"] in old_networks and old_networks[r["id"]] != r]
    bulk.update_rows(session, NETWORKS, changed)
    fresh = _Rows([r for r in rows.networks if r["id"] not in old_networks], {}, set())
    members = {i: n for i, n in rows.members.items() if old_members.get(i) != n}
    facets = rows.facets - old_facets.keys()
    _insert(session, fresh, members, facets)
    return len(changed) + len(fresh.networks), len(members_gone) + len(facets_gone) + len(networks_gone) + len(changed) \
        + len(fresh.networks) + len(members) + len(facets)
