"""Published answers kept per process, keyed on everything a figure depends on, and made ahead by the audit worker.

A statistics answer is a function of the question (endpoint, area, quarter asked), of the viewer
(``anonymise.Viewer``: organisation, its kind and borough, role; everything the agreements'
visibility reads of a principal), and of the hub's state: the summaries' generation (every
ingest, supersede, withdrawal, purge and rebuild changes it), the current agreement versions,
the active submissions, the date (agreements open and close by day) and :data:`SCHEME`. The
joint audit's hide sets are themselves a function of these (``hub.statistics.joint``), and the
cell-key noise of the record keys the summaries hold. So an answer is kept under that whole key
and served again only while every part is unchanged: a change of records, agreement or viewer
is a new key, one viewer class never gets another's answer, and what is served equals what
would be computed now (``tests/hub/statistics/test_published.py``).

The audit log is written for every question, kept answer or not (the entry is part of what is
kept, so it names the same providers). The worker that computes the audits ahead
(``hub.statistics.precompute``) then makes the default answers (latest quarter) of every viewer
class it knows, so a first question after a change does not wait for its SQL and tables either.
"""

import hashlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, TypeVar

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from anonymise import Viewer
from hub.agreements import service as agreements
from hub.auth.principal import Principal
from hub.models import Submission, SubmissionStatus
from hub.records import summaries
from hub.statistics import access
from hub.statistics.caching import BoundedCache

__all__ = ["KEPT", "SCHEME", "Audited", "State", "answer", "clear", "kept", "state"]

SCHEME: Final = 1
"""Part of every key: bump it when how any answer is computed changes, so no answer from before is served."""
KEPT: Final = 1024
"""Answers kept per process (each a few kB to a few hundred kB of figures)."""

STATE: Final = "msht.published_state"
"""``session.info`` key: the state, with the transaction it was read in."""

State = tuple[object, ...]
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Audited:
    """What the audit entry of an answer says besides who asked (``hub.audit.record``'s arguments)."""

    target: str
    agreement_id: str | None
    providers: tuple[str, ...]
    details: Mapping[str, Any]


Key = tuple[str, str, str | None, Viewer, State]
_KEPT: BoundedCache[Key, tuple[BaseModel, Audited]] = BoundedCache(KEPT)
_enabled = threading.local()


def _active(session: Session) -> str:
    rows = session.execute(
        select(Submission.id, Submission.bundle_sha256, Submission.received_at)
        .where(Submission.status == SubmissionStatus.active.value)
        .order_by(Submission.id)
    )
    return hashlib.sha256("\n".join(f"{r.id} {r.bundle_sha256} {r.received_at.isoformat()}" for r in rows).encode()).hexdigest()


def state(session: Session) -> State:
    """The hub's side of every answer's key (three reads of tiny tables), read once per
    transaction (a page asks several questions, a trend reads every quarter's hide set). The
    generation is read first, as ``hub.statistics.service._repeat_counts`` does: a write landing
    after it makes a key that is already stale, never a kept answer computed from older rows
    under a newer key."""
    memo = session.info.get(STATE)
    transaction = session.get_transaction()
    if memo is not None and transaction is not None and memo[0] is transaction:
        return memo[1]  # type: ignore[no-any-return]
    found: State = (
        SCHEME, summaries.generation(session), tuple(agreements.current_digests(session)), _active(session),
        datetime.now(UTC).date().isoformat(),
    )
    session.info[STATE] = (session.get_transaction(), found)  # the reads began it
    return found


def answer(
    session: Session, principal: Principal, question: tuple[str, str, str | None], compute: Callable[[], tuple[M, Audited]],
) -> tuple[M, Audited]:
    """The kept answer to ``question`` (endpoint, area, quarter asked) for this viewer in the
    hub's current state, else ``compute()`` kept under that key. A copy is returned, so a
    caller changing it changes nothing kept."""
    if getattr(_enabled, "off", False):
        return compute()
    key: Key = (*question, access.viewer_of(principal), state(session))
    hit = _KEPT.get(key)
    if hit is None:
        hit = compute()
        _KEPT.put(key, hit)
    model, audited = hit
    return model.model_copy(deep=True), audited  # type: ignore[return-value]


def kept(session: Session, principal: Principal, question: tuple[str, str, str | None]) -> bool:
    """Whether this viewer's answer to ``question`` is kept for the current state."""
    return _KEPT.get((*question, access.viewer_of(principal), state(session))) is not None


def clear() -> None:
    """Drop every kept answer (tests, and a bench measuring cold questions)."""
    _KEPT.clear()


class uncached:  # noqa: N801 (used as a context manager, like contextlib's)
    """Within this block, this thread computes every answer afresh and keeps none (tests compare both ways)."""

    def __enter__(self) -> None:
        _enabled.off = True

    def __exit__(self, *exc: object) -> None:
        _enabled.off = False
