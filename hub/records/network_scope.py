"""Which incidents an incremental network update must recompute: the ones a change touches, and their networks.

The link graph changes only at nodes a change touches: the selectors of the incidents added or
removed, and the person clusters linkage moved a person into or out of (found by comparing
``person_clusters`` with the snapshot ``network_persons`` kept at the last update, so this holds
whatever linkage did: an incremental merge, a recluster after a withdrawal, a full relink). A
component none of whose nodes is touched is a component afterwards too (its edges are unchanged
and no new edge reaches it), so the update recomputes only ``scope``: the active incidents holding a
touched node, the new ones, and every member of a network one of them (or a removed incident) was
in. Everything reachable from the scope lies in it, except through a node too widely held to join
anything (``graph.MAX_SHARE``), which the caller drops (``crowded``). Ids in and out, never a
pseudonym; large id sets go through a temporary table, not a statement's parameters.
"""

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import (
    BigInteger,
    Column,
    MetaData,
    String,
    Table,
    and_,
    any_,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    text,
    true,
)
from sqlalchemy.orm import Session

from hub.models import (
    Incident,
    NetworkBuild,
    NetworkMember,
    NetworkPerson,
    Person,
    PersonCluster,
    Selector,
    Submission,
    SubmissionStatus,
)
from hub.records import bulk

__all__ = [
    "DISSOLVED", "SCOPE", "Crowded", "PersonChange", "Removed", "Scope", "active", "among", "crowded", "fill", "find", "moved", "person_changes", "removed",
    "snapshot", "take_moved",
]

_CHUNK: Final = 5000
_META: Final = MetaData()


def _ids_table(name: str, *, unique: bool = True) -> Table:
    return Table(name, _META, Column("id", BigInteger, primary_key=unique, nullable=False))


SCOPE: Final = _ids_table("network_scope")
"""A per-connection temporary table of ids (``fill``): the set a query joins instead of an IN list."""
_CLUSTERS: Final = _ids_table("network_clusters")
_GONE: Final = _ids_table("network_gone")
DISSOLVED: Final = _ids_table("network_dissolved")
"""The networks an update replaces (``find``)."""
_TOUCHED: Final = _ids_table("network_touched", unique=False)  # filled by INSERT … SELECT: repeats allowed
_MOVED: Final = "hub.records.network_scope.moved"


def _temporary(session: Session, table: Table) -> Table:
    """Create (once per connection) and empty the temporary table, its columns as ``table`` declares them."""
    dialect = session.get_bind().dialect
    columns = ", ".join(
        f"{c.name} {c.type.compile(dialect)} {'PRIMARY KEY' if c.primary_key else 'NOT NULL'}" for c in table.columns
    )
    session.execute(text(f"CREATE TEMPORARY TABLE IF NOT EXISTS {table.name} ({columns})"))
    session.execute(delete(table))
    return table


def among(session: Session, column: Any, table: Table, key: str = "id") -> Any:
    """``column`` is one of the values of ``table.key`` (a temporary table of this module).

    PostgreSQL: ``column = ANY(ARRAY(SELECT key FROM table))``. The planner cannot see the array's
    length, so it probes ``column``'s index once per value; a join with the (analysed) table, or
    ``IN (SELECT …)``, was planned as a hash join over every row of the large table, which costs
    more for the few thousand to hundred thousand values an update looks up (9,685 networks'
    facets: 0.22 s against 0.39 s; their network rows 0.10 s against 0.25 s)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(literal_column(f"ARRAY(SELECT {key} FROM {table.name})"))  # noqa: S608 - names from this module's tables
    return column.in_(select(table.c[key]))


def _analyze(session: Session, table: Table) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"ANALYZE {table.name}"))  # autovacuum never sees a temporary table


def fill(session: Session, ids: Iterable[int], table: Table = SCOPE) -> Table:
    """Put ``ids`` (and only them) in the temporary table (``network_scope`` unless named) and return it."""
    _temporary(session, table)
    bulk.rows(session, table, [{"id": int(i)} for i in sorted(set(ids))])
    _analyze(session, table)
    return table


@dataclass
class _Moved:
    last_quarter: str | None
    """The agreement's ``network_builds`` row, taken out when the first move was noted (``None``: there was none)."""
    clusters: set[int] | None
    """The clusters linkage moved persons into or out of since the networks' last update (``None``: any)."""


def moved(session: Session, agreement_id: str, clusters: Iterable[int] | None) -> None:
    """Linkage changes which persons these clusters hold (``None``: any cluster), in the caller's transaction.

    Every write to ``person_clusters`` calls this (``hub.records.clusters``, ``increments``), so the
    next ``networks.update`` compares with the snapshot only the persons of these clusters, not
    every person of the agreement. The agreement's ``network_builds`` row goes in the same
    transaction and is held in the session until that update: a transaction that moves clusters
    and commits without updating the networks leaves them marked not current, and the next update
    rebuilds them in full rather than miss the moves.
    """
    pending: dict[str, _Moved] = session.info.setdefault(_MOVED, {})
    build = session.execute(select(NetworkBuild.last_quarter).where(NetworkBuild.agreement_id == agreement_id)).first()
    if build is not None:
        session.execute(delete(NetworkBuild).where(NetworkBuild.agreement_id == agreement_id))
    entry = pending.setdefault(agreement_id, _Moved(None, set()))
    if build is not None:
        entry.last_quarter = str(build[0])
    entry.clusters = None if clusters is None or entry.clusters is None else entry.clusters | {int(c) for c in clusters}


def take_moved(session: Session, agreement_id: str) -> tuple[str | None, set[int] | None]:
    """For an update: the latest quarter the networks were computed with (``None``: they are not
    current, rebuild) and the clusters moved since (``None``: any), once."""
    pending: dict[str, _Moved] = session.info.get(_MOVED, {})
    entry = pending.pop(agreement_id, None)
    build = session.execute(select(NetworkBuild.last_quarter).where(NetworkBuild.agreement_id == agreement_id)).first()
    if build is not None:
        return str(build[0]), set() if entry is None else entry.clusters
    if entry is None or entry.last_quarter is None:
        return None, None
    return entry.last_quarter, entry.clusters


def active(agreement_id: str, submission_column: Any) -> Any:
    return and_(
        Submission.id == submission_column,
        Submission.agreement_id == agreement_id,
        Submission.status == SubmissionStatus.active.value,
    )


@dataclass(frozen=True)
class Removed:
    """What the incidents about to leave the graph touched, read while their rows still exist:
    the networks they were in, and the incidents (active or not: ``find`` keeps the active) sharing a selector with them."""

    incidents: frozenset[int] = frozenset()
    networks: frozenset[int] = frozenset()
    neighbours: frozenset[int] = frozenset()

    def __or__(self, other: "Removed") -> "Removed":
        return Removed(self.incidents | other.incidents, self.networks | other.networks, self.neighbours | other.neighbours)


def _chunks(values: Collection[Any]) -> Iterable[list[Any]]:
    ordered = sorted(values)
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start:start + _CHUNK]


_VALUES: Final = Table("network_values", _META, Column("kind", String(16), nullable=False),
                       Column("selector_key", String(80), nullable=False))


def active_submissions(session: Session, agreement_id: str) -> list[str]:
    """The agreement's active submissions' ids: a statement filtering on this list is planned from
    the column's statistics (a join to ``submissions`` is estimated at one row per submission, and
    PostgreSQL then probes an index once per selector of the agreement: 14 s at 1,000,000)."""
    return sorted(str(s) for s in session.scalars(select(Submission.id).where(active(agreement_id, Submission.id))))


def _holders(session: Session, submission_ids: Collection[str]) -> Any:
    """Incidents holding a selector (kind and value) that one of these submissions' incidents holds:
    the submissions' distinct values in a temporary table (analysed), joined to the selectors. Active
    or not: the scope keeps only the active ones (``find``), and filtering here cost a pass comparing
    each selector's submission id with every active one."""
    _temporary(session, _VALUES)
    for chunk in _chunks(submission_ids):
        session.execute(insert(_VALUES).from_select(
            ["kind", "selector_key"], select(Selector.kind, Selector.selector_key).distinct().where(Selector.submission_id.in_(chunk))))
    _analyze(session, _VALUES)
    return (select(Selector.incident_id)
            .join(_VALUES, and_(_VALUES.c.selector_key == Selector.selector_key, _VALUES.c.kind == Selector.kind)))


def _sharing_selectors(session: Session, submission_ids: Collection[str]) -> set[int]:
    """Incidents (active or not) holding a selector (kind and value) that one of these submissions' incidents holds."""
    return {int(i) for i in session.scalars(_holders(session, submission_ids).distinct())}


def removed(session: Session, agreement_id: str, submission_ids: Collection[str]) -> Removed:
    """What these submissions' incidents touch, read before they are deleted or after they were superseded."""
    if not submission_ids:
        return Removed()
    incidents: set[int] = set()
    networks: set[int] = set()
    for chunk in _chunks(submission_ids):
        incidents |= {int(i) for i in session.scalars(select(Incident.id).where(Incident.submission_id.in_(chunk)))}
        networks |= {int(n) for n in session.scalars(
            select(NetworkMember.network_id).distinct()
            .join(Incident, Incident.id == NetworkMember.incident_id).where(Incident.submission_id.in_(chunk))
        )}
    neighbours = _sharing_selectors(session, submission_ids) - incidents
    return Removed(frozenset(incidents), frozenset(networks), frozenset(neighbours))


@dataclass(frozen=True)
class PersonChange:
    """A person whose cluster differs from the snapshot's (``None``: no cluster, or not in the snapshot)."""

    person_id: int
    incident_id: int
    old: int | None
    new: int | None


def _current(agreement_id: str, *, where: Any = None) -> Any:
    statement = (
        select(PersonCluster.person_id, PersonCluster.cluster_id, Person.incident_id)
        .join(Person, Person.id == PersonCluster.person_id)
        .join(Submission, active(agreement_id, Person.submission_id))
        .where(PersonCluster.agreement_id == agreement_id)
    )
    return (statement if where is None else statement.where(where)).subquery("current")


def _compare(session: Session, agreement_id: str, kept_where: list[Any], current_where: list[Any]) -> list[PersonChange]:
    """Persons whose active cluster is not the snapshot's, among the snapshot rows each of
    ``kept_where`` selects and the current rows each of ``current_where`` selects, both ways (one
    query per condition: an OR across tables would scan every person)."""
    kept = NetworkPerson
    everyone = _current(agreement_id)
    changes: dict[int, PersonChange] = {}
    for where in kept_where:
        for p, i, old, new in session.execute(
            select(kept.person_id, kept.incident_id, kept.cluster_id, everyone.c.cluster_id)
            .outerjoin(everyone, everyone.c.person_id == kept.person_id)
            .where(kept.agreement_id == agreement_id, where,
                   (everyone.c.cluster_id.is_(None)) | (everyone.c.cluster_id != kept.cluster_id))
        ):
            changes[int(p)] = PersonChange(int(p), int(i), int(old), None if new is None else int(new))
    for where in current_where:
        current = _current(agreement_id, where=where)
        for p, i, old, new in session.execute(
            select(current.c.person_id, current.c.incident_id, kept.cluster_id, current.c.cluster_id)
            .outerjoin(kept, and_(kept.person_id == current.c.person_id, kept.agreement_id == agreement_id))
            .where(kept.person_id.is_(None) | (kept.cluster_id != current.c.cluster_id))
        ):
            changes.setdefault(int(p), PersonChange(int(p), int(i), None if old is None else int(old), int(new)))
    return [changes[p] for p in sorted(changes)]


def person_changes(
    session: Session, agreement_id: str, clusters: Collection[int] | None, *, added: Collection[str] = (),
    gone: Collection[int] = (),
) -> list[PersonChange]:
    """Every person whose active cluster is not the one the snapshot holds.

    With ``clusters`` (what linkage noted it moved, ``moved``) only the persons it could be are
    compared: those of these clusters in the snapshot or now, those of the ``added`` submissions
    and those of the ``gone`` incidents; the cost follows the change, not the agreement. ``None``
    (a full relink, or unknown): every person, one pass each way.
    """
    if clusters is None:
        return _compare(session, agreement_id, [true()], [None])
    moved_ids = fill(session, clusters, _CLUSTERS)
    gone_ids = fill(session, gone, _GONE)
    kept = NetworkPerson
    return _compare(
        session, agreement_id,
        [kept.cluster_id.in_(select(moved_ids.c.id)), kept.incident_id.in_(select(gone_ids.c.id))],
        [PersonCluster.cluster_id.in_(select(moved_ids.c.id))] + ([Person.submission_id.in_(sorted(added))] if added else []),
    )


def snapshot(session: Session, agreement_id: str, changes: list[PersonChange] | None) -> None:
    """Bring ``network_persons`` in line with the clusters: apply ``changes``, or (``None``) rewrite it whole."""
    if changes is None:
        session.execute(delete(NetworkPerson).where(NetworkPerson.agreement_id == agreement_id))
        current = _current(agreement_id)
        session.execute(insert(NetworkPerson).from_select(
            ["person_id", "agreement_id", "incident_id", "cluster_id"],
            select(current.c.person_id, literal(agreement_id, NetworkPerson.agreement_id.type),
                   current.c.incident_id, current.c.cluster_id),
        ))
        return
    for chunk in _chunks([c.person_id for c in changes if c.old is not None]):
        session.execute(delete(NetworkPerson).where(NetworkPerson.person_id.in_(chunk)))
    table = NetworkPerson.__table__
    assert isinstance(table, Table)
    bulk.rows(session, table, [
        {"person_id": c.person_id, "agreement_id": agreement_id, "incident_id": c.incident_id, "cluster_id": c.new}
        for c in changes if c.new is not None
    ])


@dataclass(frozen=True)
class Scope:
    incidents: frozenset[int]
    """The active incidents to recompute."""
    dissolved: frozenset[int]
    """The networks their recomputation replaces."""
    was_in: dict[int, int] = field(default_factory=dict)
    """The network each incident of the scope was in (for keeping network ids)."""


def _add(session: Session, statement: Any) -> None:
    session.execute(insert(_TOUCHED).from_select(["id"], statement))


def find(session: Session, agreement_id: str, added: Collection[str], gone: Removed, changes: list[PersonChange]) -> Scope:
    """The incidents to recompute after ``added`` submissions arrived, ``gone`` left and persons moved
    cluster; left in the ``network_scope`` temporary table too. The sets are built in the database
    (``INSERT … SELECT`` into temporary tables), so only the scope itself comes back."""
    touched = _temporary(session, _TOUCHED)
    bulk.rows(session, touched, [{"id": i} for i in sorted(set(gone.neighbours) | {c.incident_id for c in changes})])
    if added:
        subs = sorted(added)
        _add(session, select(Incident.id).where(Incident.submission_id.in_(subs)))
        _add(session, _holders(session, subs))
    clusters = {c.old for c in changes if c.old is not None} | {c.new for c in changes if c.new is not None}
    if clusters:
        # The holders of these clusters now: a person whose cluster is the snapshot's is found in the
        # snapshot, one whose cluster is not is a change, and its incident is touched above. So the
        # snapshot alone is read (joining the clusters to every person took 2-5 s at 1,000,000).
        ids = fill(session, clusters, _CLUSTERS)
        _add(session, select(NetworkPerson.incident_id)
             .where(NetworkPerson.agreement_id == agreement_id, among(session, NetworkPerson.cluster_id, ids)))
    _analyze(session, touched)
    dissolved = set(gone.networks) | {int(n) for n in session.scalars(
        select(NetworkMember.network_id).distinct().join(touched, touched.c.id == NetworkMember.incident_id)
    )}
    ids = fill(session, dissolved, DISSOLVED)
    _add(session, select(NetworkMember.incident_id).join(ids, ids.c.id == NetworkMember.network_id))
    _analyze(session, touched)
    scope = _temporary(session, SCOPE)
    live = active_submissions(session, agreement_id)
    session.execute(insert(scope).from_select(["id"], select(Incident.id).where(
        among(session, Incident.id, touched)).where(Incident.submission_id.in_(live))))
    _analyze(session, scope)
    rows = session.execute(
        select(scope.c.id, NetworkMember.network_id).outerjoin(NetworkMember, NetworkMember.incident_id == scope.c.id)
    ).all()
    return Scope(frozenset(int(i) for i, _ in rows), frozenset(dissolved), {int(i): int(n) for i, n in rows if n is not None})


_CANDIDATES: Final = Table("network_candidates", _META, Column("kind", String(16), nullable=False),
                           Column("selector_key", String(80), nullable=False))
_CANDIDATE_CLUSTERS: Final = _ids_table("network_candidate_clusters")


@dataclass(frozen=True)
class Crowded:
    """Nodes held by more than ``max_share`` active incidents, as (provider, kind, key) and (provider,
    cluster); the provider is ``""`` where the agreement allows cross-partner linkage."""

    selectors: frozenset[tuple[str, str, str]]
    clusters: frozenset[tuple[str, int]]


def crowded(
    session: Session, agreement_id: str, selectors: Collection[tuple[str, str]], clusters: Collection[int], *,
    cross: bool, max_share: int,
) -> Crowded:
    """Which of these selectors (kind, key) and person clusters more than ``max_share`` active incidents
    hold (per provider unless ``cross``): the candidates in temporary tables, one grouped join each,
    looked up by index (``among``). A cluster's holders are read from the snapshot
    ``network_persons``, so the caller brings it in line with the clusters first (``snapshot``)."""
    live = active_submissions(session, agreement_id)
    found: set[tuple[str, str, str]] = set()
    if selectors:
        values = _temporary(session, _CANDIDATES)
        bulk.rows(session, values, [{"kind": k, "selector_key": v} for k, v in sorted(set(selectors))])
        _analyze(session, values)
        by = [Selector.kind, Selector.selector_key] if cross else [Selector.org_id, Selector.kind, Selector.selector_key]
        found = {
            ("" if cross else str(r[0]), str(r[-2]), str(r[-1]))
            for r in session.execute(
                select(*by).join(values, and_(values.c.selector_key == Selector.selector_key, values.c.kind == Selector.kind))
                .where(among(session, Selector.selector_key, values, "selector_key"), Selector.submission_id.in_(live))
                .group_by(*by).having(func.count(func.distinct(Selector.incident_id)) > max_share)
            )
        }
    people: set[tuple[str, int]] = set()
    if clusters:
        ids = fill(session, clusters, _CANDIDATE_CLUSTERS)
        kept = NetworkPerson
        by_person = [kept.cluster_id] if cross else [Incident.org_id, kept.cluster_id]
        holders = select(*by_person).where(kept.agreement_id == agreement_id, among(session, kept.cluster_id, ids))
        people = {
            ("" if cross else str(r[0]), int(r[-1]))
            for r in session.execute(
                (holders if cross else holders.join(Incident, Incident.id == kept.incident_id))
                .group_by(*by_person).having(func.count(func.distinct(kept.incident_id)) > max_share)
            )
        }
    return Crowded(frozenset(found), frozenset(people))
