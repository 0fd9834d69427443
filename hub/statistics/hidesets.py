"""The cross-table, cross-area audit's hide sets, kept in the database, and the claims that share their computation between processes.

Which extra cells a quarter's figures must hide depends only on what the viewer can fetch (each
area's sources and disclosure settings: the row's name) and on that quarter's active
submissions (the row's ``inputs``): never on the process, the request or the order of
questions (``hub.statistics.joint``). So the answer is stored in ``hub_state`` under a digest
of the name, beside the inputs it was computed for; every process reads the same row, and a
change to that quarter's submissions makes it stale. A per-process copy saves the read.

A *claim* (``claim:`` rows) says one process is computing an answer, so the others leave it: taken
in a short transaction (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite has one
writer at a time), it expires after its lease, so a process that died holding it delays
nobody for long. A question never waits for a claim: it computes the answer itself if none is stored.
"""

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.models import HubState
from hub.statistics.caching import BoundedCache

__all__ = ["HideSets", "claim", "clear", "digest", "forget_copies", "keep", "load", "release", "store"]

PREFIX: Final = "hide:"
CLAIM: Final = "claim:"
KEPT: Final = 512
HideSets = Mapping[str, frozenset[str]]
"""Area -> the names of the cells (as ``hub.statistics.linked`` names them) its figures hide."""

_KEPT: BoundedCache[tuple[str, str], dict[str, frozenset[str]]] = BoundedCache(KEPT)


def digest(key: object) -> str:
    """The ``hub_state`` name for a question key (its ``repr`` hashed: no figure, no identity)."""
    return PREFIX + hashlib.sha256(repr(key).encode()).hexdigest()[: 64 - len(PREFIX)]


def keep(name: str, inputs: str, hide: HideSets) -> None:
    """This process's copy (no database)."""
    _KEPT.put((name, inputs), {a: frozenset(n) for a, n in hide.items()})


def forget_copies() -> None:
    """Drop this process's copies (tests and benches that read from the database as a fresh process would)."""
    _KEPT.clear()


def load(session: Session, name: str, inputs: str) -> dict[str, frozenset[str]] | None:
    """The hide sets stored for ``name`` if they were computed for ``inputs``."""
    kept = _KEPT.get((name, inputs))
    if kept is not None:
        return kept
    value = session.scalar(select(HubState.value).where(HubState.name == name))
    if value is None:
        return None
    stored = json.loads(value)
    if stored.get("inputs") != inputs:
        return None
    out = {area: frozenset(names) for area, names in stored["areas"].items()}
    _KEPT.put((name, inputs), out)
    return out


def _put(session: Session, name: str, value: str) -> None:
    now = datetime.now(UTC)
    try:
        with session.begin_nested():
            updated = session.execute(update(HubState).where(HubState.name == name).values(value=value, updated_at=now))
            if not getattr(updated, "rowcount", 0):
                session.add(HubState(name=name, value=value, updated_at=now))
    except IntegrityError:
        pass  # another process stored the same answer first


def store(session: Session, name: str, inputs: str, hide: HideSets) -> None:
    """Keep ``hide`` for ``name`` and ``inputs``. Two processes computing the same answer write
    the same value, so a concurrent insert that loses is simply dropped."""
    value = json.dumps({"inputs": inputs, "areas": {a: sorted(n) for a, n in sorted(hide.items())}}, sort_keys=True)
    keep(name, inputs, hide)
    _put(session, name, value)


def _claim_name(name: str) -> str:
    return CLAIM + name.removeprefix(PREFIX)[: 64 - len(CLAIM)]


def claim(session: Session, name: str, inputs: str, *, owner: str, lease: timedelta) -> bool:
    """Take the claim on computing ``name`` for ``inputs``, unless another owner holds it unexpired;
    the caller commits at once."""
    row_name = _claim_name(name)
    now = datetime.now(UTC)
    row = session.execute(
        select(HubState.value).where(HubState.name == row_name).with_for_update(skip_locked=True)
    ).first()
    if row is None and session.scalar(select(HubState.name).where(HubState.name == row_name)) is not None:
        return False  # another process is taking it this moment
    if row is not None:
        held = json.loads(row.value)
        if held["owner"] != owner and held["inputs"] == inputs and datetime.fromisoformat(held["until"]) > now:
            return False
    _put(session, row_name, json.dumps({"owner": owner, "inputs": inputs, "until": (now + lease).isoformat()}))
    return True


def release(session: Session, name: str) -> None:
    session.execute(delete(HubState).where(HubState.name == _claim_name(name)))


def clear(session: Session) -> int:
    """Forget every stored hide set and claim (after ``msht-hub stats rebuild``): the next audits compute afresh."""
    gone = session.execute(delete(HubState).where(HubState.name.startswith(PREFIX) | HubState.name.startswith(CLAIM)))
    return int(getattr(gone, "rowcount", 0) or 0)
