"""Alerts kept current with the records: which opted-in providers' records link across partners.

``refresh`` runs in the caller's transaction after every ingest, withdrawal and purge (after
``hub.records`` relinked the persons). Two records of *different* providers link when a person of
one is in the same person cluster as a person of the other (``person_clusters``), or when both
hold the same selector pseudonym (phone, email, vehicle, address, bank account). Only providers
whose agreement rule says ``alerts: true`` take part, on both sides, and only where the agreement
allows cross-partner linkage. Each link is two ``alerts`` rows, one per side. Alerts still true
are kept (their month and contact requests with them); alerts no longer true go; new ones get
this month. Records deleted take their alerts with them (foreign keys, ``ON DELETE CASCADE``).
"""

import bisect
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import Table, and_, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from hub import audit
from hub.models import (
    Alert,
    Incident,
    Person,
    PersonCluster,
    Selector,
    Submission,
    SubmissionStatus,
)
from hub.records import network_scope, networks
from hub.records.current import current_agreement

__all__ = ["MAX_SHARED", "Refreshed", "opted_in", "refresh"]

log = logging.getLogger(__name__)

MAX_SHARED: Final = 50
"""A selector value held by more incidents than this raises no alert (a hostel's address, an
agency's switchboard): it would tell everyone about everyone, which is no intelligence."""

PERSON: Final = "person"

Pair = tuple[int, int]
"""(an incident, an incident of another provider)."""


@dataclass(frozen=True)
class Refreshed:
    raised: int
    dropped: int
    kept: int


def opted_in(session: Session, agreement_id: str) -> frozenset[str]:
    """The providers of the agreement's current version that take part in alerts (none without cross-partner linkage)."""
    agreement = current_agreement(session, agreement_id)
    if agreement is None or not agreement.linkage.cross_partner:
        return frozenset()
    return agreement.alert_providers()


def _live(agreement_id: str, providers: Iterable[str]) -> list[object]:
    return [
        Submission.agreement_id == agreement_id,
        Submission.status == SubmissionStatus.active.value,
        Submission.org_id.in_(sorted(providers)),
    ]


def _person_pairs(session: Session, agreement_id: str, providers: frozenset[str], scope: Table | None) -> set[Pair]:
    """Incident pairs of different providers whose persons share a hub person id (one pass over the shared clusters);
    with ``scope``, only pairs with a side in it."""
    shared = (
        select(PersonCluster.cluster_id)
        .where(PersonCluster.agreement_id == agreement_id)
        .group_by(PersonCluster.cluster_id)
        .having(func.count() > 1)
    )
    if scope is not None:
        shared = shared.where(PersonCluster.cluster_id.in_(
            select(PersonCluster.cluster_id).join(Person, Person.id == PersonCluster.person_id)
            .join(scope, scope.c.id == Person.incident_id).where(PersonCluster.agreement_id == agreement_id)
        ))
    rows = session.execute(
        select(PersonCluster.cluster_id, Person.incident_id, Person.org_id)
        .join(Person, Person.id == PersonCluster.person_id)
        .join(Submission, Submission.id == Person.submission_id)
        .where(PersonCluster.agreement_id == agreement_id, PersonCluster.cluster_id.in_(shared),
               *_live(agreement_id, providers))  # type: ignore[arg-type]
    ).all()
    members: dict[int, set[tuple[int, str]]] = defaultdict(set)
    for cluster, incident, org in rows:
        members[int(cluster)].add((int(incident), str(org)))
    inside = _inside(session, scope, {i for people in members.values() for i, _ in people})
    return {
        (a, b)
        for people in members.values()
        for a, org_a in people
        for b, org_b in people
        if org_a != org_b and (inside is None or a in inside or b in inside)
    }


def _inside(session: Session, scope: Table | None, incidents: set[int]) -> set[int] | None:
    if scope is None:
        return None
    return {int(i) for i in session.scalars(select(scope.c.id))} & incidents


def _selector_pairs(session: Session, agreement_id: str, providers: frozenset[str], scope: Table | None) -> dict[Pair, set[str]]:
    """Incident pairs of different providers holding one selector no more than ``MAX_SHARED`` incidents hold;
    with ``scope``, only pairs with a side in it (found from that side, then both ways)."""
    live = (
        select(Selector.incident_id, Selector.org_id, Selector.kind, Selector.selector_key)
        .join(Submission, Submission.id == Selector.submission_id)
        .where(*_live(agreement_id, providers))  # type: ignore[arg-type]
        .cte("live")
    )
    candidates = select(live.c.kind, live.c.selector_key)
    if scope is not None:
        candidates = candidates.where(live.c.selector_key.in_(
            select(Selector.selector_key).join(scope, scope.c.id == Selector.incident_id)
        ))
    shared = (
        candidates.group_by(live.c.kind, live.c.selector_key)
        .having(func.count(func.distinct(live.c.org_id)) > 1, func.count(func.distinct(live.c.incident_id)) <= MAX_SHARED)
        .cte("shared")
    )
    a, b = live.alias("a"), live.alias("b")
    statement = (
        select(a.c.incident_id, b.c.incident_id, a.c.kind)
        .join(shared, and_(shared.c.kind == a.c.kind, shared.c.selector_key == a.c.selector_key))
        .join(b, and_(b.c.kind == a.c.kind, b.c.selector_key == a.c.selector_key, b.c.org_id != a.c.org_id))
        .distinct()
    )
    if scope is not None:
        statement = statement.join(scope, scope.c.id == a.c.incident_id)
    pairs: dict[Pair, set[str]] = defaultdict(set)
    for one, other, kind in session.execute(statement).all():
        pairs[(int(one), int(other))].add(str(kind))
        pairs[(int(other), int(one))].add(str(kind))
    return pairs


def _links(session: Session, agreement_id: str, providers: frozenset[str], scope: Table | None) -> dict[Pair, str]:
    """Every current link between two opted-in providers' records (with ``scope``: with a side in it), both ways,
    with its kinds ("person|phone")."""
    kinds = _selector_pairs(session, agreement_id, providers, scope)
    for pair in _person_pairs(session, agreement_id, providers, scope):
        kinds.setdefault(pair, set()).add(PERSON)
    return {pair: "|".join(sorted(k, key=lambda x: (x != PERSON, x))) for pair, k in kinds.items()}


def _positions(session: Session, incident_ids: set[int]) -> dict[int, tuple[str, str, int]]:
    """Each incident's provider, submission and 0-based position in its bundle's incidents table.

    Incident ids are handed out in bundle order (``hub.records.store``), so the position is the
    rank of the id among its submission's.
    """
    found = session.execute(
        select(Incident.id, Incident.org_id, Incident.submission_id).where(Incident.id.in_(sorted(incident_ids)))
    ).all()
    out: dict[int, tuple[str, str, int]] = {}
    for submission_id in sorted({r.submission_id for r in found}):
        ids = list(session.scalars(select(Incident.id).where(Incident.submission_id == submission_id).order_by(Incident.id)))
        for r in found:
            if r.submission_id == submission_id:
                out[r.id] = (r.org_id, submission_id, bisect.bisect_left(ids, r.id))
    return out


def refresh(session: Session, agreement_id: str, *, actor: str = "system") -> Refreshed:
    """Bring the agreement's alerts in line with its records (see the module docstring); audited when anything changed.

    Only pairs with a side among the incidents this transaction's network updates recomputed or
    removed (``networks.take_touched``) can have changed: a pair of two untouched incidents shares
    only nodes whose holders did not change. So only those are re-checked; all when that is unknown.
    """
    providers = opted_in(session, agreement_id)
    touched = networks.take_touched(session, agreement_id)
    scope = None if touched is None else network_scope.fill(session, touched)
    links = _links(session, agreement_id, providers, scope) if len(providers) > 1 else {}
    held = select(Alert.id, Alert.incident_id, Alert.other_incident_id, Alert.kinds, Alert.org_id).where(Alert.agreement_id == agreement_id)
    if scope is not None:
        inside = select(scope.c.id)
        held = held.where(or_(Alert.incident_id.in_(inside), Alert.other_incident_id.in_(inside)))
    stored = {(r.incident_id, r.other_incident_id): (r.id, r.kinds, r.org_id) for r in session.execute(held)}
    gone = [v[0] for pair, v in stored.items() if pair not in links]
    changed_orgs = {v[2] for pair, v in stored.items() if pair not in links}
    for start in range(0, len(gone), 5000):
        session.execute(delete(Alert).where(Alert.id.in_(gone[start:start + 5000])))
    for pair, kinds in links.items():
        if pair in stored and stored[pair][1] != kinds:
            session.execute(update(Alert).where(Alert.id == stored[pair][0]).values(kinds=kinds))
    new = [pair for pair in links if pair not in stored]
    if new:
        now = datetime.now(UTC)
        where = _positions(session, {i for pair in new for i in pair})
        rows = [
            {"agreement_id": agreement_id, "org_id": where[own][0], "incident_id": own, "submission_id": where[own][1],
             "row": where[own][2], "other_org_id": where[other][0], "other_incident_id": other, "kinds": links[(own, other)],
             "found_month": now.strftime("%Y-%m"), "created_at": now}
            for own, other in sorted(new)
        ]
        session.execute(insert(Alert), rows)
        changed_orgs |= {r["org_id"] for r in rows}
    result = Refreshed(raised=len(new), dropped=len(gone), kept=len(links) - len(new))
    if new or gone:
        audit.record(session, actor=actor, action="alerts.refreshed", target=f"agreement:{agreement_id}",
                     agreement_id=agreement_id, providers=tuple(sorted(changed_orgs)),
                     details={"raised": result.raised, "dropped": result.dropped, "kept": result.kept})
    log.info("agreement %s alerts: %d raised, %d dropped, %d kept (%d providers opted in)",
             agreement_id, result.raised, result.dropped, result.kept, len(providers))
    return result
