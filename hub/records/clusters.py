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
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    Table,
    and_,
    case,
    cast,
    delete,
    func,
    select,
)
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
from hub.records import bulk, network_scope
from hub.records.current import current_agreement

__all__ = [
    "Relinked", "active", "attribute_codes", "clustered_persons", "forget", "key_int", "key_purpose", "key_table", "keys_from",
    "keys_of", "relink",
    "store_links", "threshold_of", "why",
]

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


def bridge_of(session: Session, agreement_id: str) -> float:
    """The agreement's least probability for a link that alone holds three or more records together (``hub.linkage.chains``)."""
    agreement = current_agreement(session, agreement_id)
    return float((agreement.linkage if agreement is not None else LinkageRules()).bridge_threshold)


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
    codes: dict[str, int] = {}

    def code(value: str) -> int:
        if value not in codes:
            codes[value] = -1 if value in MARKER_CODES else int.from_bytes(hashlib.blake2b(value.encode(), digest_size=7).digest(), "big")
        return codes[value]

    return {name: np.array([code(getattr(p, name)) for p in people], dtype=np.int64) for name in model.ATTRIBUTES}


def _kind_code() -> ColumnElement[int]:
    """A key kind's index in ``model.KINDS`` (-1 for a kind the model does not know), computed by the database."""
    return cast(case({k: i for i, k in enumerate(model.KINDS)}, value=PersonKey.kind, else_=-1), BigInteger)


def keys_of(session: Session, ids: IntArray, rows: Select[*tuple[Any, ...]], attributes: dict[str, IntArray]) -> model.Keys:
    """The model's keys of persons ``ids`` (sorted) from ``rows``, a SELECT of (person id, kind, key) with
    ``kind_code`` applied by :func:`key_rows`; rows of unknown kinds dropped, sorted so the result
    does not depend on the order the database returns them in."""
    return keys_from(ids, key_table(session, rows), attributes)


def key_table(session: Session, rows: Select[*tuple[Any, ...]]) -> IntArray:
    """(person id, kind index, key) rows of ``rows`` (:func:`key_rows`), rows of unknown kinds dropped."""
    table = bulk.integers(session, rows, 3)
    return table[table[:, 1] >= 0]


def keys_from(ids: IntArray, table: IntArray, attributes: dict[str, IntArray]) -> model.Keys:
    """The model's keys of persons ``ids`` (sorted) from a :func:`key_table`, sorted by person, kind and key."""
    person = np.searchsorted(ids, table[:, 0])
    order = np.lexsort((table[:, 2], table[:, 1], person))
    return model.Keys(len(ids), person[order], table[order, 1], table[order, 2], attributes)


def key_rows() -> Select[*tuple[Any, ...]]:
    """(person id, kind index, key) of every person key, as bigints (:func:`hub.records.bulk.integers`)."""
    return select(cast(Person.id, BigInteger), _kind_code(), PersonKey.key).select_from(PersonKey)


def store_links(session: Session, agreement_id: str, ids: IntArray, result: model.Linked) -> None:
    """Insert the linked pairs of ``result`` (indexes into ``ids``) as ``person_links`` rows, in bulk."""
    if not result.a.size:
        return
    table = PersonLink.__table__
    assert isinstance(table, Table)
    bulk.rows(session, table, [
        {"person_a": int(ids[a]), "person_b": int(ids[b]), "agreement_id": agreement_id, "probability": float(p), "kinds": "|".join(kinds)}
        for a, b, p, kinds in zip(result.a.tolist(), result.b.tolist(), result.probability.tolist(), result.kinds, strict=True)
    ])


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
    keys = keys_of(session, ids, key_rows().join(
        Person, and_(Person.incident_id == PersonKey.incident_id, Person.person_seq == PersonKey.person_seq)
    ).join(Submission, and_(*active(agreement_id))), attribute_codes(people))  # type: ignore[arg-type]
    result = model.link(keys, threshold=threshold, bridge=bridge_of(session, agreement_id))
    session.merge(PersonLinkModel(agreement_id=agreement_id, persons=len(ids), parameters=result.model.parameters()))
    store_links(session, agreement_id, ids, result)
    table = PersonCluster.__table__
    assert isinstance(table, Table)
    bulk.rows(session, table, [
        {"person_id": pid, "agreement_id": agreement_id, "cluster_id": c}
        for pid, c in zip(ids.tolist(), ids[result.cluster].tolist(), strict=True)
    ])
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
