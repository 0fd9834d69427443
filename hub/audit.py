"""The hash-chained audit log: append an entry, verify the chain, list what touched a provider's data.

Each entry's hash is SHA-256 over the canonical JSON of its content (id, time, actor, action,
target, agreement, providers, details) and the previous entry's hash. Ids are consecutive, and
the newest id and hash are also kept in ``hub_state`` so that cutting entries off the end is
caught too. Writers are serialised (PostgreSQL advisory lock; SQLite's BEGIN IMMEDIATE), so
two processes never fork the chain.
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Final

from sqlalchemy import func, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from hub.models import AuditEntry, HubState

GENESIS: Final = "0" * 64
HEAD_STATE: Final = "audit_head"
CHECKPOINT_STATE: Final = "audit_verified"
_LOCK_ID: Final = 0x6D736874_61756474  # "mshtaudt": one advisory lock for the chain
_MAX_DETAIL_STR: Final = 200
_COLUMNS: Final = ("id", "at", "actor", "action", "target", "agreement_id", "providers", "details", "prev_hash", "hash")

DetailValue = int | bool | str | None


@dataclass(frozen=True)
class AuditReport:
    ok: bool
    count: int
    first_bad_id: int | None = None
    problem: str | None = None


def _stamp(at: datetime) -> str:
    if at.tzinfo is None:  # SQLite hands back naive UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _content(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": _stamp(entry.at),
        "actor": entry.actor,
        "action": entry.action,
        "target": entry.target,
        "agreement_id": entry.agreement_id,
        "providers": list(entry.providers),
        "details": dict(entry.details),
        "prev_hash": entry.prev_hash,
    }


def entry_hash(entry: AuditEntry) -> str:
    body = json.dumps(_content(entry), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(body.encode()).hexdigest()


def _check_details(details: Mapping[str, object]) -> dict[str, Any]:
    """Details hold ids and counts only: scalars, or lists / one-level maps of scalars."""
    clean: dict[str, Any] = {}

    def scalar(value: object, name: str) -> DetailValue:
        if value is None or isinstance(value, bool | int):
            return value
        if isinstance(value, str) and len(value) <= _MAX_DETAIL_STR:
            return value
        raise ValueError(f"audit detail {name!r} must be an id or a count")

    for name, value in details.items():
        if isinstance(value, Mapping):
            clean[name] = {str(k): scalar(v, name) for k, v in value.items()}
        elif isinstance(value, list | tuple):
            clean[name] = [scalar(v, name) for v in value]
        else:
            clean[name] = scalar(value, name)
    return clean


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})


def _head(session: Session) -> tuple[HubState | None, int, str]:
    """The chain's head row, locked until the transaction ends (PostgreSQL: ``FOR UPDATE``;
    SQLite: every transaction already holds the write lock), with the newest id and hash."""
    def locked() -> HubState | None:
        return session.scalars(select(HubState).where(HubState.name == HEAD_STATE).with_for_update()).first()

    state = locked()
    if state is None:  # the very first entry: no row to lock yet, so serialise on the advisory lock
        _lock(session)
        state = locked()  # another writer may have made it while we waited
    if state is not None:
        last_id, _, last_hash = state.value.partition(":")
        return state, int(last_id), last_hash
    last = session.execute(select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).first()
    return None, (last.id if last else 0), (last.hash if last else GENESIS)


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    target: str,
    agreement_id: str | None = None,
    providers: Sequence[str] = (),
    details: Mapping[str, object] | None = None,
) -> AuditEntry:
    """Append one entry to the chain in the caller's transaction (it commits or rolls back with it).

    Three round trips (lock and read the head, insert, move the head): every statistics read
    is audited, so this is on the dashboard's hot path.
    """
    clean = _check_details(details or {})
    state, last_id, last_hash = _head(session)
    entry = AuditEntry(
        id=last_id + 1,
        at=datetime.now(UTC),
        actor=actor[:160],
        action=action[:64],
        target=target[:200],
        agreement_id=agreement_id,
        providers=sorted(set(providers)),
        details=clean,
        prev_hash=last_hash,
    )
    entry.hash = entry_hash(entry)
    value = f"{entry.id}:{entry.hash}"
    if state is not None and session.get_bind().dialect.name == "postgresql":
        # the entry and the new head in one statement (a data-modifying CTE): one round trip less
        appended = insert(AuditEntry).values(**{c: getattr(entry, c) for c in _COLUMNS}).returning(AuditEntry.id).cte("appended")
        session.execute(
            update(HubState).where(HubState.name == HEAD_STATE).values(value=value, updated_at=entry.at).add_cte(appended)
        )
        set_committed_value(state, "value", value)
        set_committed_value(state, "updated_at", entry.at)
        return entry
    session.add(entry)
    session.flush()
    if state is None:
        session.add(HubState(name=HEAD_STATE, value=value, updated_at=entry.at))
    else:
        state.value = value
        state.updated_at = entry.at
    session.flush()  # the next entry in this transaction reads the head from the database
    return entry


def verify(session: Session, *, batch: int = 1000) -> AuditReport:
    """Walk the whole chain; report the first entry that was edited, removed or moved."""
    return _walk(session, count=0, prev_hash=GENESIS, batch=batch)


def verify_recent(session: Session, *, batch: int = 1000) -> AuditReport:
    """Verify only what was appended since the last check that passed (the checkpoint kept in
    ``hub_state``): the checkpoint entry itself is re-hashed and must still carry the hash the
    check saw, then every newer entry is walked; a pass moves the checkpoint to the head.

    Cheap enough for every page load (the chain grows with every statistics read). An edit to
    an entry before the checkpoint is found by :func:`verify`, the whole walk (the audit page,
    ``msht-hub audit verify``).
    """
    state = session.get(HubState, CHECKPOINT_STATE)
    count, prev_hash = 0, GENESIS
    if state is not None:
        seen_id, _, seen_hash = state.value.partition(":")
        count, prev_hash = int(seen_id), seen_hash
        entry = session.get(AuditEntry, count)
        if entry is None:
            return AuditReport(False, count - 1, count, f"entry {count} is missing")
        if entry.hash != seen_hash or entry_hash(entry) != entry.hash:
            return AuditReport(False, count - 1, count, f"entry {count} was altered")
    report = _walk(session, count=count, prev_hash=prev_hash, batch=batch)
    if report.ok and report.count > count:
        last = session.get(AuditEntry, report.count)
        if last is not None:
            _save_checkpoint(session, f"{report.count}:{last.hash}", last.at)
    return report


def _save_checkpoint(session: Session, value: str, at: datetime) -> None:
    updated = session.execute(update(HubState).where(HubState.name == CHECKPOINT_STATE).values(value=value, updated_at=at))
    if getattr(updated, "rowcount", 0):
        return
    try:
        with session.begin_nested():
            session.add(HubState(name=CHECKPOINT_STATE, value=value, updated_at=at))
    except IntegrityError:
        pass  # another request saved one first: either is a chain prefix that was verified


def _walk(session: Session, *, count: int, prev_hash: str, batch: int) -> AuditReport:
    """Check every entry after the first ``count`` (whose last hash is ``prev_hash``), then the head."""
    expected_id, after = count + 1, count
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.id > after).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            break
        for entry in rows:
            if entry.id != expected_id:
                return AuditReport(False, count, expected_id, f"entry {expected_id} is missing")
            if entry.prev_hash != prev_hash:
                return AuditReport(
                    False, count, entry.id, f"entry {entry.id} does not follow entry {entry.id - 1}"
                )
            if entry.hash != entry_hash(entry):
                return AuditReport(False, count, entry.id, f"entry {entry.id} was altered")
            prev_hash, expected_id, count = entry.hash, expected_id + 1, count + 1
        after = rows[-1].id
    head = session.get(HubState, HEAD_STATE)
    expected_head = f"{count}:{prev_hash}" if count else None
    if (head.value if head else None) != expected_head:
        return AuditReport(
            False, count, count + 1, f"the chain's recorded head is not entry {count}: entries were cut off the end"
        )
    return AuditReport(True, count)


def recent(session: Session, *, limit: int = 50, before: int | None = None) -> list[AuditEntry]:
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if before is not None:
        stmt = stmt.where(AuditEntry.id < before)
    return list(session.scalars(stmt))


def entries_touching(session: Session, provider_org: str, limit: int = 100) -> list[AuditEntry]:
    """The newest entries whose ``providers`` include ``provider_org`` (reads drawing on its data)."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import JSONB

        condition = AuditEntry.providers.cast(JSONB).contains([provider_org])
    else:
        each = func.json_each(AuditEntry.providers).table_valued("value")
        condition = select(each.c.value).where(each.c.value == provider_org).exists()
    stmt = select(AuditEntry).where(condition).order_by(AuditEntry.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def as_dict(entry: AuditEntry) -> dict[str, Any]:
    return {**_content(entry), "hash": entry.hash}


@dataclass(frozen=True)
class AuditFilter:
    """What an operator narrows the log to: who, which action, which days (UTC, inclusive), and
    text found in the actor, action or target."""

    actor: str | None = None
    action: str | None = None
    since: date | None = None
    until: date | None = None
    text: str | None = None


def _like(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(session: Session, f: AuditFilter, *, limit: int | None = 100, before: int | None = None) -> list[AuditEntry]:
    """The entries matching ``f``, newest first (``limit`` of them, older than id ``before``)."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
    if f.actor:
        stmt = stmt.where(AuditEntry.actor.ilike(_like(f.actor), escape="\\"))
    if f.action:
        stmt = stmt.where(AuditEntry.action == f.action)
    if f.since:
        stmt = stmt.where(AuditEntry.at >= datetime.combine(f.since, time(0), UTC))
    if f.until:
        stmt = stmt.where(AuditEntry.at < datetime.combine(f.until + timedelta(days=1), time(0), UTC))
    if f.text:
        pattern = _like(f.text)
        stmt = stmt.where(
            or_(AuditEntry.actor.ilike(pattern, escape="\\"), AuditEntry.action.ilike(pattern, escape="\\"),
                AuditEntry.target.ilike(pattern, escape="\\"))
        )
    if before is not None:
        stmt = stmt.where(AuditEntry.id < before)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def actions(session: Session) -> list[str]:
    """Every action the log holds (for the filter's list)."""
    return sorted(session.scalars(select(AuditEntry.action).distinct()))


def about(session: Session, *, targets: Sequence[str], actors: Sequence[str], limit: int = 50) -> list[AuditEntry]:
    """The newest entries whose target or actor is one of those given (a partner's console page)."""
    if not targets and not actors:
        return []
    stmt = (
        select(AuditEntry)
        .where(or_(AuditEntry.target.in_(list(targets)), AuditEntry.actor.in_(list(actors))))
        .order_by(AuditEntry.id.desc())
        .limit(limit)
    )
    return list(session.scalars(stmt))
