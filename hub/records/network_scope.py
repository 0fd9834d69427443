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
    Table,
    and_,
    delete,
    insert,
    literal,
    select,
    text,
)
from sqlalchemy.orm import Session, aliased

from hub.models import (
    Incident,
    NetworkMember,
    NetworkPerson,
    Person,
    PersonCluster,
    Selector,
    Submission,
    SubmissionStatus,
)
from hub.records import bulk

__all__ = ["SCOPE", "PersonChange", "Removed", "Scope", "active", "fill", "find", "person_changes", "removed", "snapshot"]

SCOPE: Final = Table("network_scope", MetaData(), Column("id", BigInteger, primary_key=True))
"""A per-connection temporary table of ids (``fill``): the set a query joins instead of an IN list."""

_CHUNK: Final = 5000


def fill(session: Session, ids: Iterable[int]) -> Table:
    """Put ``ids`` (and only them) in the temporary ``network_scope`` table and return it."""
    session.execute(text("CREATE TEMPORARY TABLE IF NOT EXISTS network_scope (id BIGINT PRIMARY KEY)"))
    session.execute(delete(SCOPE))
    rows = [{"id": int(i)} for i in sorted(set(ids))]
    bulk.rows(session, SCOPE, rows)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE network_scope"))  # autovacuum never sees a temporary table
    return SCOPE


def active(agreement_id: str, submission_column: Any) -> Any:
    return and_(
        Submission.id == submission_column,
        Submission.agreement_id == agreement_id,
        Submission.status == SubmissionStatus.active.value,
    )


@dataclass(frozen=True)
class Removed:
    """What the incidents about to leave the graph touched, read while their rows still exist:
    the networks they were in, and the active incidents sharing a selector with them."""

    incidents: frozenset[int] = frozenset()
    networks: frozenset[int] = frozenset()
    neighbours: frozenset[int] = frozenset()

    def __or__(self, other: "Removed") -> "Removed":
        return Removed(self.incidents | other.incidents, self.networks | other.networks, self.neighbours | other.neighbours)


def _chunks(values: Collection[Any]) -> Iterable[list[Any]]:
    ordered = sorted(values)
    for start in range(0, len(ordered), _CHUNK):
        yield ordered[start:start + _CHUNK]


def _sharing_selectors(session: Session, agreement_id: str, submission_ids: Collection[str]) -> set[int]:
    """Active incidents holding a selector (kind and value) that one of these submissions' incidents holds."""
    mine, other = aliased(Selector), aliased(Selector)
    found: set[int] = set()
    for chunk in _chunks(submission_ids):
        found |= {int(i) for i in session.scalars(
            select(other.incident_id).distinct()
            .join(mine, and_(mine.selector_key == other.selector_key, mine.kind == other.kind))
            .join(Submission, active(agreement_id, other.submission_id))
            .where(mine.submission_id.in_(chunk))
        )}
    return found


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
    neighbours = _sharing_selectors(session, agreement_id, submission_ids) - incidents
    return Removed(frozenset(incidents), frozenset(networks), frozenset(neighbours))


@dataclass(frozen=True)
class PersonChange:
    """A person whose cluster differs from the snapshot's (``None``: no cluster, or not in the snapshot)."""

    person_id: int
    incident_id: int
    old: int | None
    new: int | None


def _current(agreement_id: str) -> Any:
    return (
        select(PersonCluster.person_id, PersonCluster.cluster_id, Person.incident_id)
        .join(Person, Person.id == PersonCluster.person_id)
        .join(Submission, active(agreement_id, Person.submission_id))
        .where(PersonCluster.agreement_id == agreement_id)
        .subquery("current")
    )


def person_changes(session: Session, agreement_id: str) -> list[PersonChange]:
    """Every person whose active cluster is not the one the snapshot holds, both ways (one pass each)."""
    current = _current(agreement_id)
    kept = NetworkPerson
    gone_or_moved = session.execute(
        select(kept.person_id, kept.incident_id, kept.cluster_id, current.c.cluster_id)
        .outerjoin(current, current.c.person_id == kept.person_id)
        .where(kept.agreement_id == agreement_id,
               (current.c.cluster_id.is_(None)) | (current.c.cluster_id != kept.cluster_id))
    ).all()
    arrived = session.execute(
        select(current.c.person_id, current.c.incident_id, current.c.cluster_id)
        .outerjoin(kept, and_(kept.person_id == current.c.person_id, kept.agreement_id == agreement_id))
        .where(kept.person_id.is_(None))
    ).all()
    changes = [PersonChange(int(p), int(i), int(old), None if new is None else int(new)) for p, i, old, new in gone_or_moved]
    changes += [PersonChange(int(p), int(i), None, int(new)) for p, i, new in arrived]
    return changes


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


def find(session: Session, agreement_id: str, added: Collection[str], gone: Removed, changes: list[PersonChange]) -> Scope:
    """The incidents to recompute after ``added`` submissions arrived, ``gone`` left and persons moved cluster."""
    touched: set[int] = set(gone.neighbours) | {c.incident_id for c in changes}
    for chunk in _chunks(added):
        touched |= {int(i) for i in session.scalars(select(Incident.id).where(Incident.submission_id.in_(chunk)))}
    touched |= _sharing_selectors(session, agreement_id, added)
    clusters = {c.old for c in changes if c.old is not None} | {c.new for c in changes if c.new is not None}
    if clusters:
        ids = fill(session, clusters)
        touched |= {int(i) for i in session.scalars(
            select(Person.incident_id).distinct()
            .join(PersonCluster, PersonCluster.person_id == Person.id)
            .join(ids, ids.c.id == PersonCluster.cluster_id)
            .where(PersonCluster.agreement_id == agreement_id)
        )}
        touched |= {int(i) for i in session.scalars(
            select(NetworkPerson.incident_id).distinct().join(ids, ids.c.id == NetworkPerson.cluster_id)
            .where(NetworkPerson.agreement_id == agreement_id)
        )}
    ids = fill(session, touched)
    dissolved = set(gone.networks) | {int(n) for n in session.scalars(
        select(NetworkMember.network_id).distinct().join(ids, ids.c.id == NetworkMember.incident_id)
    )}
    for chunk in _chunks(dissolved):
        touched |= {int(i) for i in session.scalars(select(NetworkMember.incident_id).where(NetworkMember.network_id.in_(chunk)))}
    ids = fill(session, touched)
    rows = session.execute(
        select(Incident.id, NetworkMember.network_id)
        .join(ids, ids.c.id == Incident.id)
        .join(Submission, active(agreement_id, Incident.submission_id))
        .outerjoin(NetworkMember, NetworkMember.incident_id == Incident.id)
    ).all()
    scope = frozenset(int(i) for i, _ in rows)
    return Scope(scope, frozenset(dissolved), {int(i): int(n) for i, n in rows if n is not None})
