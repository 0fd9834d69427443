"""The cross-table, cross-area audit's hide sets, computed once per summaries generation and kept in the database.

Which extra cells a quarter's figures must hide depends only on the summaries (their generation)
and on what the viewer can fetch (each area's sources and disclosure settings): never on the
process, the request or the order of questions. So the answer is stored in ``hub_state`` under a
digest of that key, beside the generation it was computed for; every process reads the same
row, and a new generation (any ingest, withdrawal or purge) makes it stale, to be computed once
again by the first question that needs it. A per-process copy saves the read.
"""

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.models import HubState
from hub.statistics.caching import BoundedCache

__all__ = ["HideSets", "digest", "load", "store"]

PREFIX: Final = "hide:"
KEPT: Final = 256
HideSets = Mapping[str, frozenset[str]]
"""Area -> the names of the cells (as ``hub.statistics.linked`` names them) its figures hide."""

_KEPT: BoundedCache[tuple[str, str], dict[str, frozenset[str]]] = BoundedCache(KEPT)


def digest(key: object) -> str:
    """The ``hub_state`` name for a question key (its ``repr`` hashed: no figure, no identity)."""
    return PREFIX + hashlib.sha256(repr(key).encode()).hexdigest()[: 64 - len(PREFIX)]


def load(session: Session, name: str, generation: str) -> dict[str, frozenset[str]] | None:
    """The hide sets stored for ``name`` if they were computed for ``generation``."""
    kept = _KEPT.get((name, generation))
    if kept is not None:
        return kept
    value = session.scalar(select(HubState.value).where(HubState.name == name))
    if value is None:
        return None
    stored = json.loads(value)
    if stored.get("generation") != generation:
        return None
    out = {area: frozenset(names) for area, names in stored["areas"].items()}
    _KEPT.put((name, generation), out)
    return out


def store(session: Session, name: str, generation: str, hide: HideSets) -> None:
    """Keep ``hide`` for ``name`` and ``generation``. Two processes computing the same answer
    write the same value, so a concurrent insert that loses is simply dropped."""
    value = json.dumps({"generation": generation, "areas": {a: sorted(n) for a, n in sorted(hide.items())}}, sort_keys=True)
    now = datetime.now(UTC)
    _KEPT.put((name, generation), {a: frozenset(n) for a, n in hide.items()})
    try:
        with session.begin_nested():
            updated = session.execute(update(HubState).where(HubState.name == name).values(value=value, updated_at=now))
            if not getattr(updated, "rowcount", 0):
                session.add(HubState(name=name, value=value, updated_at=now))
    except IntegrityError:
        pass  # another process stored the same answer first
