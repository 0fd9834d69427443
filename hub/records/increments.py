"""Incremental linkage: an ingest scores only its new records' pairs; a withdrawal reclusters only the clusters it touched.

``ingest`` finds, through the (kind, key) index of ``person_keys``, every active record of the
agreement sharing a strong key value or a one-token value with a new record (and every holder of the
one-token values of an older blank-name record among them: whether the one-token key proposes
depends on them all); drops the one-token links of the older blank-name records a new record made
ambiguous; scores the candidate pairs that involve a
new record with the model stored at the agreement's last full relink (``clusters.relink``, run
instead when there is no model yet or the agreement has more than doubled since); stores the
links; and merges the clusters they join (union of components, named by their smallest record
id). Pairs of two existing records were scored when the later of them arrived, with the same
model, so the links are those a full relink with that model makes (``tests/hub/records``).

``recluster`` recomputes, from the stored links of their remaining records, only the clusters
that held a record being deleted or superseded: a record leaves its cluster in the same
transaction, and a cluster it held together falls apart into the components left.
"""

import logging
from collections.abc import Collection, Iterable
from typing import Any, Final

import numpy as np
import numpy.typing as npt
from sqlalchemy import (
    BigInteger,
    Select,
    Table,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    text,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import TableClause
from sqlalchemy.sql.expression import column as column_clause
from sqlalchemy.sql.expression import table as table_clause

from hub.linkage import chains, frequency, model
from hub.models import (
    Person,
    PersonCluster,
    PersonKey,
    PersonLink,
    PersonLinkModel,
    Submission,
    SubmissionStatus,
)
from hub.records import bulk, clusters, network_scope

__all__ = ["MIN_FIT_MATCHES", "REFIT_GROWTH", "fit_enough", "forget_and_recluster", "ingest", "recluster"]

log = logging.getLogger(__name__)

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
_CHUNK: Final = 20_000

REFIT_GROWTH: Final = 2.0
"""Refit the model (a full relink) when the agreement's persons outgrow its fit this many times:
so at most a logarithmic number of full relinks as an agreement grows."""


MIN_FIT_MATCHES: Final = 20.0
"""Refit (a full relink) while the stored model expects fewer matched pairs than this among the persons
it was fitted on: a model fitted on one partner's first upload, which holds nobody twice, has seen no
match (its prior is near zero) and would link nothing that the next partner sends."""


def fit_enough(fitted: model.Model, persons: int) -> bool:
    """Whether a model fitted on ``persons`` persons saw enough matches to score later uploads.

    >>> fitted = model.Model(m=[], u=[], prior=1e-15, iterations=1)
    >>> fitted_with_matches = model.Model(m=[], u=[], prior=1e-4, iterations=1)
    >>> fit_enough(fitted, 5000), fit_enough(fitted_with_matches, 5000)
    (False, True)
    """
    return fitted.prior * persons * (persons - 1) / 2 >= MIN_FIT_MATCHES


def _active_persons(session: Session, agreement_id: str) -> int:
    return int(session.scalar(
        select(func.count()).select_from(Person).join(Submission, and_(*clusters.active(agreement_id)))  # type: ignore[arg-type]
    ) or 0)


_LOCAL: Final = "link_local"
"""The temporary table of one ingest's local persons: the new ones and every active one sharing a strong key value with them."""


def _local_table(session: Session, agreement_id: str, submission_id: str) -> TableClause:
    """Fill :data:`_LOCAL` (person id, incident id, person seq) in one set-based statement, read by the next ones."""
    active_key = and_(Submission.id == PersonKey.submission_id, Submission.agreement_id == agreement_id,
                      Submission.status == SubmissionStatus.active.value)
    new_keys = select(PersonKey.kind, PersonKey.key).where(  # the one-token key too: it proposes where a side has no full name
        PersonKey.submission_id == submission_id, PersonKey.kind.in_((*model.STRONG, model.ONE_TOKEN))).distinct().subquery("new_keys")
    sharing = (
        select(PersonKey.incident_id, PersonKey.person_seq)
        .join(new_keys, and_(new_keys.c.kind == PersonKey.kind, new_keys.c.key == PersonKey.key))
        .join(Submission, active_key)
        .union(select(Person.incident_id, Person.person_seq).where(Person.submission_id == submission_id))  # keyless ones too
        .subquery("sharing")
    )
    local = (
        select(Person.id.label("person_id"), Person.incident_id, Person.person_seq)
        .join(sharing, and_(sharing.c.incident_id == Person.incident_id, sharing.c.person_seq == Person.person_seq))
        .join(Submission, and_(*clusters.active(agreement_id)))  # type: ignore[arg-type]
    )
    connection = session.connection()
    compiled = local.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    connection.exec_driver_sql(f"DROP TABLE IF EXISTS {_LOCAL}")
    dropped = " ON COMMIT DROP" if connection.dialect.name == "postgresql" else ""  # SQLite: dropped by ingest
    positional = connection.dialect.paramstyle in ("qmark", "numeric", "format")
    params = tuple(compiled.params[name] for name in compiled.positiontup or ()) if positional else compiled.params
    connection.exec_driver_sql(f"CREATE TEMPORARY TABLE {_LOCAL}{dropped} AS {compiled}", params)
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"ANALYZE {_LOCAL}")
    return _local_clause()


def _local_clause() -> TableClause:
    return table_clause(_LOCAL, column_clause("person_id"), column_clause("incident_id"), column_clause("person_seq"))


def ingest(session: Session, agreement_id: str, submission_id: str) -> clusters.Relinked:
    """Link one new submission's persons into the agreement's clusters (after its rows are stored)."""
    _detach_inactive(session, agreement_id)
    stored = session.get(PersonLinkModel, agreement_id)
    fitted = model.Model.from_parameters(stored.parameters) if stored is not None else None
    total = _active_persons(session, agreement_id)
    if (fitted is None or stored is None or total > REFIT_GROWTH * max(stored.persons, 1)
            or not fit_enough(fitted, stored.persons)):
        _work_memory(session)
        return clusters.relink(session, agreement_id)
    _work_memory(session)
    local = _local_table(session, agreement_id, submission_id)
    linked = _ingest_local(session, agreement_id, submission_id, fitted, local)
    session.connection().exec_driver_sql(f"DROP TABLE IF EXISTS {_LOCAL}")
    return linked


def _work_memory(session: Session) -> None:
    """PostgreSQL: room for the hash joins of linking in memory (default 4 MB spilled them to disk in 16 batches), this transaction only."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL work_mem = '128MB'"))
        # JIT compiled each large linking statement afresh: 3.0 of its 48.6 s for the local persons at the 4th upload of 4 x 100,000
        session.execute(text("SET LOCAL jit = off"))


def _ingest_local(session: Session, agreement_id: str, submission_id: str, fitted: model.Model, local: TableClause) -> clusters.Relinked:
    people = list(session.execute(_people().join(local, local.c.person_id == Person.id)).all())
    if not people:
        return clusters.Relinked(0, 0, 0, 0)
    ids = np.array([p.id for p in people], dtype=np.int64)
    new = np.array([p.submission_id == submission_id for p in people], dtype=np.bool_)
    table = clusters.key_table(session, clusters.key_rows().join(
        local, and_(local.c.incident_id == PersonKey.incident_id, local.c.person_seq == PersonKey.person_seq)
    ).join(Person, Person.id == local.c.person_id).join(Submission, and_(
        Submission.id == PersonKey.submission_id, Submission.agreement_id == agreement_id,
        Submission.status == SubmissionStatus.active.value)))
    people, ids, new, table = _with_token_holders(session, agreement_id, people, ids, new, table)
    keys = clusters.keys_from(ids, table, clusters.attribute_codes(people))
    result = model.link_new(keys, new, fitted, threshold=clusters.threshold_of(session, agreement_id),
                            frequencies=_frequencies(session, agreement_id), bridge=clusters.bridge_of(session, agreement_id))
    unlinked = _drop_one_token_links(session, agreement_id, ids[result.ambiguous].tolist())
    if unlinked:
        recluster(session, agreement_id, unlinked)  # a blank-name record the new one made ambiguous leaves its cluster
    clusters.store_links(session, agreement_id, ids, result)
    pairs = bulk.integers(session, select(cast(PersonCluster.person_id, BigInteger), cast(PersonCluster.cluster_id, BigInteger))
                          .join(local, local.c.person_id == PersonCluster.person_id)
                          .where(PersonCluster.agreement_id == agreement_id), 2)
    current = dict(zip(pairs[:, 0].tolist(), pairs[:, 1].tolist(), strict=True))
    merged = _merge(session, agreement_id, ids, new, result.a, result.b, current)
    if merged:
        recluster(session, agreement_id, merged)  # a chain the new links make is cut as a full relink cuts it
    log.info("agreement %s: submission %s linked incrementally: %d new persons, %d local, %d candidates, %d links, %d unlinked",
             agreement_id, submission_id, int(new.sum()), len(ids), result.candidates, int(result.a.size), len(unlinked))
    return clusters.Relinked(int(new.sum()), result.candidates, int(result.a.size), 0)


def _people() -> Select[*tuple[Any, ...]]:
    return select(Person.id, Person.submission_id, Person.gender, Person.age_band, Person.nationality).order_by(Person.id)


def _with_token_holders(session: Session, agreement_id: str, people: list[Any], ids: IntArray, new: BoolArray,
                        table: IntArray) -> tuple[list[Any], IntArray, BoolArray, IntArray]:
    """Add to the local persons every holder of a one-token value of an existing local person without a
    full name that shares a one-token value with a new person: that person's pair with a new one is
    proposed only if it is not ambiguous, which depends on all of them (and the strong keys they share),
    as in a full relink. Returns the people, ids, new flags and key table with them (ids sorted)."""
    token = table[:, 1] == model.KINDS.index(model.ONE_TOKEN)
    person, value = np.searchsorted(ids, table[token, 0]), table[token, 2]
    full = np.zeros(ids.size, dtype=np.bool_)
    full[np.searchsorted(ids, table[table[:, 1] == model.KINDS.index(model.FREQUENCY), 0])] = True
    sharing = np.isin(value, value[new[person]]) & ~new[person] & ~full[person]
    values = np.unique(value[np.isin(person, person[sharing])]).tolist()
    found: set[int] = set()
    for start in range(0, len(values), _CHUNK):
        found |= {int(p) for p in session.scalars(
            select(Person.id).join(PersonKey, and_(PersonKey.incident_id == Person.incident_id, PersonKey.person_seq == Person.person_seq))
            .join(Submission, and_(*clusters.active(agreement_id)))  # type: ignore[arg-type]
            .where(PersonKey.kind == model.ONE_TOKEN, PersonKey.key.in_(values[start:start + _CHUNK])).distinct())}
    extra = sorted(found - set(ids.tolist()))
    if not extra:
        return people, ids, new, table
    session.execute(insert(_local_clause()).from_select(
        ["person_id", "incident_id", "person_seq"],
        select(Person.id, Person.incident_id, Person.person_seq).where(Person.id.in_(extra))))
    added = list(session.execute(_people().where(Person.id.in_(extra))).all())
    rows = clusters.key_table(session, clusters.key_rows().join(
        Person, and_(Person.incident_id == PersonKey.incident_id, Person.person_seq == PersonKey.person_seq)
    ).join(Submission, and_(Submission.id == PersonKey.submission_id, Submission.agreement_id == agreement_id,
                            Submission.status == SubmissionStatus.active.value)).where(Person.id.in_(extra)))
    people = sorted([*people, *added], key=lambda p: int(p.id))
    merged = np.array([p.id for p in people], dtype=np.int64)
    return people, merged, np.isin(merged, ids[new]), np.concatenate([table, rows])


def _drop_one_token_links(session: Session, agreement_id: str, persons: list[int]) -> set[int]:
    """Delete the stored links of these persons that no strong key proposed (the one-token key did: they
    are ambiguous now); returns the clusters those links were in."""
    strong = set(model.STRONG)
    gone: list[tuple[int, int]] = []
    for start in range(0, len(persons), _CHUNK):
        chunk = persons[start:start + _CHUNK]
        gone += [(int(a), int(b)) for a, b, kinds in session.execute(
            select(PersonLink.person_a, PersonLink.person_b, PersonLink.kinds).where(
                PersonLink.agreement_id == agreement_id, or_(PersonLink.person_a.in_(chunk), PersonLink.person_b.in_(chunk))))
            if not strong & set(kinds.split("|"))]
    if not gone:
        return set()
    ends = sorted({p for pair in gone for p in pair})
    affected = {int(c) for c in session.scalars(select(PersonCluster.cluster_id).where(
        PersonCluster.agreement_id == agreement_id, PersonCluster.person_id.in_(ends)).distinct())}
    table = PersonLink.__table__
    assert isinstance(table, Table)
    session.execute(table.delete().where(table.c.person_a == bindparam("a"), table.c.person_b == bindparam("b")),
                    [{"a": a, "b": b} for a, b in gone])
    return affected


def _frequencies(session: Session, agreement_id: str) -> frequency.Frequencies:
    """The agreement's name counts, read as int64 arrays (:func:`bulk.integers`: hundreds of thousands of
    (value, count) rows as ORM tuples took 8 of the 13 s this step took at the 4th upload of 4 x 100,000)."""
    counts = bulk.integers(session, select(PersonKey.key, cast(func.count(), BigInteger))
        .join(Submission, and_(Submission.id == PersonKey.submission_id, Submission.agreement_id == agreement_id,
                               Submission.status == SubmissionStatus.active.value))
        .where(PersonKey.kind == model.FREQUENCY)
        .group_by(PersonKey.key), 2)
    counts = counts[np.argsort(counts[:, 0], kind="stable")]  # sorted by value: Frequencies looks values up by bisection
    values = counts[:, 0].copy()
    n = counts[:, 1].astype(np.float64)
    total = float(n.sum())
    share = n / max(total, 1.0)
    return frequency.Frequencies(values, n, total, float((share * share).sum()))


def _merge(session: Session, agreement_id: str, ids: IntArray, new: BoolArray, a: IntArray, b: IntArray,
           current: dict[int, int]) -> set[int]:
    """New persons join the clusters their links reach; clusters a new person bridges become one.
    ``current``: the cluster of each existing person among ``ids``. Returns the clusters that grew
    to three records or more (to be checked for chains)."""
    clustered = set(current.values())
    node = np.array([current.get(int(i), int(i)) for i in ids], dtype=np.int64)  # an existing person stands for its cluster
    nodes, inverse = np.unique(node, return_inverse=True)
    labels = model.components(nodes.size, inverse[a], inverse[b])
    name = np.full(nodes.size, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(name, labels, nodes)
    records = _records_per_component(session, agreement_id, nodes, labels, np.unique(labels[np.concatenate([inverse[a], inverse[b]])]),
                                     clustered)
    renamed = [(int(n), int(name[labels[i]])) for i, n in enumerate(nodes.tolist())
               if name[labels[i]] != n and n in clustered]
    network_scope.moved(session, agreement_id, {old for old, _ in renamed} | {new_name for _, new_name in renamed}
                        | set(name[labels[inverse[new]]].tolist()))
    table = PersonCluster.__table__
    assert isinstance(table, Table)
    bulk.update_by_key(session, table, "cluster_id", "cluster_id", np.array(renamed, dtype=np.int64).reshape(-1, 2),
                       where={"agreement_id": agreement_id})
    bulk.rows(session, table, [
        {"person_id": pid, "agreement_id": agreement_id, "cluster_id": c}
        for pid, c in zip(ids[new].tolist(), name[labels[inverse[new]]].tolist(), strict=True)
    ])
    return {int(name[c]) for c, count in records.items() if count >= 3}


def _records_per_component(session: Session, agreement_id: str, nodes: IntArray, labels: IntArray, linked: IntArray,
                           clustered: set[int]) -> dict[int, int]:
    """How many records each ``linked`` component (by label) holds: an existing cluster counts its members, a new person one."""
    inside = np.isin(labels, linked)
    existing = [int(n) for n in nodes[inside].tolist() if int(n) in clustered]
    sizes: dict[int, int] = {}
    for start in range(0, len(existing), _CHUNK):
        sizes.update({int(c): int(k) for c, k in session.execute(
            select(PersonCluster.cluster_id, func.count()).where(
                PersonCluster.agreement_id == agreement_id, PersonCluster.cluster_id.in_(existing[start:start + _CHUNK]))
            .group_by(PersonCluster.cluster_id))})
    records: dict[int, int] = {}
    for n, label in zip(nodes[inside].tolist(), labels[inside].tolist(), strict=True):
        records[int(label)] = records.get(int(label), 0) + sizes.get(int(n), 1)
    return records


def _detach_inactive(session: Session, agreement_id: str) -> None:
    """Records of superseded submissions leave their clusters (their keys stay for the audit trail)."""
    inactive = (
        select(Person.id).join(Submission, Submission.id == Person.submission_id)
        .where(Submission.agreement_id == agreement_id, Submission.status != SubmissionStatus.active.value)
    )
    affected = list(session.scalars(
        select(PersonCluster.cluster_id).where(PersonCluster.agreement_id == agreement_id,
                                               PersonCluster.person_id.in_(inactive)).distinct()
    ))
    if not affected:
        return
    network_scope.moved(session, agreement_id, affected)
    session.execute(delete(PersonLink).where(PersonLink.agreement_id == agreement_id, PersonLink.person_a.in_(inactive)))
    session.execute(delete(PersonLink).where(PersonLink.agreement_id == agreement_id, PersonLink.person_b.in_(inactive)))
    session.execute(delete(PersonCluster).where(PersonCluster.agreement_id == agreement_id, PersonCluster.person_id.in_(inactive)))
    recluster(session, agreement_id, affected)


def _linked_closure(session: Session, agreement_id: str, cluster_ids: Iterable[int]) -> list[int]:
    """These clusters and every cluster a stored link joins them to (a chain cut earlier), until closed."""
    wanted = set(cluster_ids)
    fresh = set(wanted)
    while fresh:
        reached: set[int] = set()
        chunks = sorted(fresh)
        for start in range(0, len(chunks), _CHUNK):
            members = select(PersonCluster.person_id).where(
                PersonCluster.agreement_id == agreement_id, PersonCluster.cluster_id.in_(chunks[start:start + _CHUNK]))
            ends = select(PersonLink.person_b).where(PersonLink.agreement_id == agreement_id, PersonLink.person_a.in_(members)).union(
                select(PersonLink.person_a).where(PersonLink.agreement_id == agreement_id, PersonLink.person_b.in_(members)))
            reached |= {int(c) for c in session.scalars(
                select(PersonCluster.cluster_id).where(PersonCluster.agreement_id == agreement_id,
                                                       PersonCluster.person_id.in_(ends)).distinct())}
        fresh = reached - wanted
        wanted |= fresh
    return sorted(wanted)


def recluster(session: Session, agreement_id: str, cluster_ids: Iterable[int]) -> int:
    """Recompute these clusters, and those their links reach, from the stored links of the records
    left in them (chains cut, :mod:`hub.linkage.chains`); returns how many records they hold."""
    wanted = _linked_closure(session, agreement_id, cluster_ids)
    found: list[int] = []
    pairs: list[tuple[int, int, float]] = []
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start:start + _CHUNK]
        members = select(PersonCluster.person_id).where(PersonCluster.agreement_id == agreement_id, PersonCluster.cluster_id.in_(chunk))
        found += [int(p) for p in session.scalars(members)]
        pairs += [(int(x), int(y), float(p)) for x, y, p in session.execute(
            select(PersonLink.person_a, PersonLink.person_b, PersonLink.probability).where(
                PersonLink.agreement_id == agreement_id, PersonLink.person_a.in_(members), PersonLink.person_b.in_(members))
        )]
    if not found:
        return 0
    people = np.array(sorted(found), dtype=np.int64)
    a = np.searchsorted(people, np.array([p[0] for p in pairs], dtype=np.int64))
    b = np.searchsorted(people, np.array([p[1] for p in pairs], dtype=np.int64))
    labels = chains.clusters(people.size, a, b, np.array([p[2] for p in pairs], dtype=np.float64),
                             bridge=clusters.bridge_of(session, agreement_id))
    network_scope.moved(session, agreement_id, set(wanted) | {int(people[c]) for c in np.unique(labels).tolist()})
    table = PersonCluster.__table__
    assert isinstance(table, Table)
    bulk.update_by_key(session, table, "person_id", "cluster_id", np.stack([people, people[labels]], axis=1),
                       where={"agreement_id": agreement_id})
    return int(people.size)


def forget_and_recluster(session: Session, submission_ids: Collection[str]) -> list[str]:
    """Take these submissions' records out of their clusters now (keys, links, cluster rows) and
    recluster what they leave; returns the agreements touched."""
    affected = clusters.forget(session, submission_ids)
    for agreement_id, cluster_ids in affected.items():
        recluster(session, agreement_id, cluster_ids)
    return list(affected)
