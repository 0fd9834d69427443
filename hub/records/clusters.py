"""The hub's person ids: each agreement's linkage keys linked by ``hub.linkage.model``, kept as links and clusters.

``relink`` reads the keys and coded fields of the persons of an agreement's active submissions,
scores candidate pairs (Fellegi–Sunter, EM on this data) and replaces that agreement's
``person_links`` and ``person_clusters`` in the caller's transaction: run at every ingest, and
after a withdrawal or purge, so a record leaves its cluster in the same transaction that
deletes it. ``why`` tells an analyst which kinds of key two records agree on, never a value.
"""

import hashlib
import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from sqlalchemy import Select, and_, delete, func, insert, select
from sqlalchemy.orm import Session

from anonymise import MARKER_CODES, LinkageRules
from hub.linkage import model
from hub.models import (
    Person,
    PersonCluster,
    PersonKey,
    PersonLink,
    PersonLinkModel,
    Submission,
    SubmissionStatus,
)
from hub.records import network_scope
from hub.records.current import current_agreement

__all__ = ["Relinked", "active", "attribute_codes", "clustered_persons", "forget", "key_int", "key_purpose", "relink", "threshold_of", "why"]

log = logging.getLogger(__name__)

_KEY_BITS: Final = 60
IntArray = npt.NDArray[np.int64]


def key_purpose(kind: str) -> str:
    """The hub re-key purpose of a linkage key kind (its own HKDF sub-key)."""
    return f"person_key:{kind}"


def key_int(rekeyed: str) -> int:
    """The first 60 bits of a hub re-keyed value (``h1.<64 hex>``) as an integer.

    >>> key_int("h1." + "f" * 64) == 2**60 - 1
    True
    """
    return int(rekeyed.split(".", 1)[1][: _KEY_BITS // 4], 16)


@dataclass(frozen=True)
class Relinked:
    persons: int
    candidates: int
    links: int
    clustered: int
    """Person records in a cluster with at least one other."""


def threshold_of(session: Session, agreement_id: str) -> float:
    agreement = current_agreement(session, agreement_id)
    return float((agreement.linkage if agreement is not None else LinkageRules()).match_threshold)


def active(agreement_id: str) -> list[object]:
    return [
        Submission.id == Person.submission_id,
        Submission.agreement_id == agreement_id,
        Submission.status == SubmissionStatus.active.value,
    ]


def attribute_codes(people: Sequence[Any]) -> dict[str, IntArray]:
    """Integer codes of each person's gender, age band and nationality (-1: unknown), equal for equal values.

    A code is the value's own hash (stable across calls, so an ingest's codes compare with a full relink's).
    """
    def code(value: str) -> int:
        return -1 if value in MARKER_CODES else int.from_bytes(hashlib.blake2b(value.encode(), digest_size=7).digest(), "big")

    return {name: np.array([code(getattr(p, name)) for p in people], dtype=np.int64) for name in model.ATTRIBUTES}


def relink(session: Session, agreement_id: str) -> Relinked:
    """Fit the agreement's model afresh, link all persons of its active submissions with it and
    store the model, links and clusters (``increments.ingest`` scores new records with that model)."""
    threshold = threshold_of(session, agreement_id)
    people = session.execute(
        select(Person.id, Person.gender, Person.age_band, Person.nationality)
        .join(Submission, and_(*active(agreement_id)))  # type: ignore[arg-type]
        .order_by(Person.id)
    ).all()
    network_scope.moved(session, agreement_id, None)
    session.execute(delete(PersonLink).where(PersonLink.agreement_id == agreement_id))
    session.execute(delete(PersonCluster).where(PersonCluster.agreement_id == agreement_id))
    if not people:
        return Relinked(0, 0, 0, 0)
    ids = np.array([p.id for p in people], dtype=np.int64)
    attributes = attribute_codes(people)
    rows = session.execute(
        select(Person.id, PersonKey.kind, PersonKey.key)
        .join(Person, and_(Person.incident_id == PersonKey.incident_id, Person.person_seq == PersonKey.person_seq))
        .join(Submission, and_(*active(agreement_id)))  # type: ignore[arg-type]
    ).all()
    index = np.searchsorted(ids, np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)))
    known = set(model.KINDS)
    keys = model.Keys.from_rows(
        len(ids),
        [(int(i), str(r[1]), int(r[2])) for i, r in zip(index, rows, strict=True) if r[1] in known],
        attributes,
    )
    result = model.link(keys, threshold=threshold)
    session.merge(PersonLinkModel(agreement_id=agreement_id, persons=len(ids), parameters=result.model.parameters()))
    if result.a.size:
        session.execute(
            insert(PersonLink),
            [
                {"person_a": int(ids[a]), "person_b": int(ids[b]), "agreement_id": agreement_id,
                 "probability": float(p), "kinds": "|".join(kinds)}
                for a, b, p, kinds in zip(result.a, result.b, result.probability, result.kinds, strict=True)
            ],
        )
    session.execute(
        insert(PersonCluster),
        [
            {"person_id": int(pid), "agreement_id": agreement_id, "cluster_id": int(ids[c])}
            for pid, c in zip(ids, result.cluster, strict=True)
        ],
    )
    clustered = int(np.count_nonzero(np.bincount(result.cluster, minlength=len(ids))[result.cluster] > 1))
    log.info("agreement %s relinked: %d persons, %d candidates, %d links, %d in shared clusters",
             agreement_id, len(ids), result.candidates, int(result.a.size), clustered)
    return Relinked(len(ids), result.candidates, int(result.a.size), clustered)


def forget(session: Session, submission_ids: Collection[str]) -> dict[str, list[int]]:
    """Drop the keys, links and cluster rows of these submissions' persons (their records are
    being deleted); returns per agreement the clusters they were in, to recluster once they are gone."""
    ids = list(submission_ids)
    if not ids:
        return {}
    agreements = sorted(set(session.scalars(select(Submission.agreement_id).where(Submission.id.in_(ids)))))
    persons = select(Person.id).where(Person.submission_id.in_(ids))
    affected: dict[str, list[int]] = {a: [] for a in agreements}
    for agreement_id, cluster_id in session.execute(
        select(PersonCluster.agreement_id, PersonCluster.cluster_id).where(PersonCluster.person_id.in_(persons)).distinct()
    ):
        affected.setdefault(agreement_id, []).append(int(cluster_id))
    for agreement_id, cluster_ids in affected.items():
        network_scope.moved(session, agreement_id, cluster_ids)
    session.execute(delete(PersonLink).where(PersonLink.person_a.in_(persons)))
    session.execute(delete(PersonLink).where(PersonLink.person_b.in_(persons)))
    session.execute(delete(PersonCluster).where(PersonCluster.person_id.in_(persons)))
    session.execute(delete(PersonKey).where(PersonKey.submission_id.in_(ids)))
    return {a: sorted(c) for a, c in affected.items()}


def clustered_persons() -> Select[int]:
    """Ids of the person records whose cluster holds another record (what repeat people are made of)."""
    shared = select(PersonCluster.cluster_id).group_by(PersonCluster.cluster_id).having(func.count() > 1)
    return select(PersonCluster.person_id).where(PersonCluster.cluster_id.in_(shared))


def why(session: Session, person_a: int, person_b: int) -> tuple[str, ...] | None:
    """The kinds of key on which two linked person records agree; None when the hub does not link them."""
    low, high = sorted((person_a, person_b))
    kinds = session.scalars(
        select(PersonLink.kinds).where(PersonLink.person_a == low, PersonLink.person_b == high)
    ).first()
    return None if kinds is None else tuple(k for k in kinds.split("|") if k)
