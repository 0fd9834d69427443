"""The joint disclosure audit of one viewer class and quarter: what it covers, what it is stored under, and how it is computed.

Everything one viewer can fetch for a quarter (overview, breakdowns, hotspots, the coverage
shares, the "in" route and CTDC tables of London and of every borough it may see, the CTDC table
lined to the nationality breakdown through its citizenship pairs) is one system
(``hub.statistics.linked.joint``), audited once and stored (``hub.statistics.hidesets``):

- **under** a digest of the *viewer class*: for London and each of the 33 boroughs, the sources
  the viewer may read there and the disclosure settings (minimum count, rounding base, map
  resolution). Two principals with the same class fetch the same figures, so they share the
  answer; the principal itself (name, organisation) is not in the key.
- **for** a digest of its *inputs*: the active submissions of that quarter from those sources,
  and the quarter's stamp, which every write or drop of a summary of that quarter changes
  (``hub.records.summaries.quarter_stamp``). Every cell of the system is a count of that
  quarter's records, so the hide set is a function of the class, the quarter and these. An upload, withdrawal or purge touching another quarter
  leaves it valid; trend points and other quarters' changes only *read* the hide sets of the
  quarters they show (``docs/privacy.md``, "When it runs").

:func:`hide_sets` is what a question calls: the stored answer, else the one this process's
worker is finishing, else computed now, as before: a question never gets unaudited figures.
"""

import contextvars
import hashlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from anonymise import BY_GSS, LONDON, Visibility
from hub.auth.principal import Principal
from hub.errors import Forbidden
from hub.models import Submission, SubmissionStatus
from hub.records import summaries
from hub.statistics import access, answers, hidesets, linked, published, queries
from hub.statistics.caching import BoundedCache
from hub.statistics.queries import Scope

__all__ = ["AREAS", "SCHEME", "Plan", "ViewerClass", "compute", "fetch", "hide_sets", "plan", "solve", "viewer_class"]

AREAS: Final = (LONDON, *sorted(BY_GSS))
SCHEME: Final = 5
"""Part of every key: bump it when what the audit reads or how it decides changes, so every stored hide set goes stale."""
WAIT_FOR_WORKER: Final = 300.0
"""Seconds a question waits for this process's worker to finish the same audit before computing it itself."""

PLANS_KEPT: Final = 1024
"""Plans kept per process (a page asks for the same quarter's sets many times, a trend for every quarter's)."""
Area = tuple[tuple[tuple[str, str], ...], int, int, int] | None
ViewerClass = tuple[tuple[str, Area], ...]
"""Per area (London, then the boroughs by GSS code): sorted sources and the disclosure settings, or None where forbidden."""


@dataclass(frozen=True)
class Plan:
    """One audit to run: its hub_state row, its inputs' digest and what it covers."""

    quarter: str
    name: str
    inputs: str
    seen: Mapping[str, Visibility]
    pooled: tuple[str, ...]
    complete: bool


def visibilities(session: Session, principal: Principal) -> dict[str, Visibility | None]:
    out: dict[str, Visibility | None] = {}
    for area in AREAS:
        try:
            out[area] = access.visibility_for(session, principal, area)
        except Forbidden:
            out[area] = None
    return out


def viewer_class(views: Mapping[str, Visibility | None]) -> ViewerClass:
    return tuple(
        (area, None if v is None else (tuple(sorted(v.sources)), v.min_count, v.rounding_base, v.view_h3_resolution))
        for area, v in views.items()
    )


def _inputs(session: Session, quarter: str, sources: set[tuple[str, str]]) -> str:
    """The active submissions of ``quarter`` from ``sources``: id, bundle digest and arrival (a
    re-made database reusing ids is not taken for the same data by a process that kept an answer)."""
    rows: list[str] = []
    if sources:
        stmt = (
            select(Submission.id, Submission.bundle_sha256, Submission.received_at)
            .where(Submission.status == SubmissionStatus.active.value, Submission.quarter == quarter)
            .where(tuple_(Submission.agreement_id, Submission.org_id).in_(sorted(sources)))
            .order_by(Submission.id)
        )
        rows = [f"{r.id} {r.bundle_sha256} {r.received_at.isoformat()}" for r in session.execute(stmt)]
    return hashlib.sha256("\n".join([quarter, summaries.quarter_stamp(session, quarter), *rows]).encode()).hexdigest()


def plan(session: Session, principal: Principal, quarter: str, views: Mapping[str, Visibility | None] | None = None) -> Plan:
    views = visibilities(session, principal) if views is None else views
    seen: dict[str, Visibility] = {}
    quarters_of: dict[tuple[tuple[str, str], ...], list[str]] = {}
    for area, visibility in views.items():
        if visibility is None:
            continue
        sources = tuple(sorted(visibility.sources))
        if sources not in quarters_of:
            quarters_of[sources] = queries.submitted_quarters(session, Scope(area, visibility.sources))
        if sources and quarter in quarters_of[sources]:
            seen[area] = visibility
    london = seen.get(LONDON)
    complete = all(v is not None for v in views.values()) and london is not None and all(
        b in seen and seen[b].sources == london.sources for b in BY_GSS
    )
    pooled = tuple(b for b, v in seen.items() if b != LONDON and london is not None and v.sources <= london.sources)
    name = hidesets.digest((SCHEME, quarter, viewer_class(views)))
    inputs = _inputs(session, quarter, {s for v in seen.values() for s in v.sources})
    return Plan(quarter, name, inputs, seen, pooled, complete)


def fetch(session: Session, principal: Principal, p: Plan) -> dict[str, dict[str, Any]]:
    """Everything the audit reads: every response the viewer can fetch for the quarter (the database part)."""
    q = p.quarter
    return {
        area: {
            "overview": answers.overview(session, principal, area, q)[0].model_dump(),
            "breakdowns": answers.breakdowns(session, principal, area, q)[0].model_dump(),
            "hotspots": answers.hotspots(session, principal, area, q)[0].model_dump(),
            "routes": answers.routes_body(session, principal, area, q, visibility),
            "coverage": answers.coverage_body(session, area, q, visibility),
        }
        for area, visibility in p.seen.items()
    }


def solve(
    p: Plan, fetched: Mapping[str, Mapping[str, Any]], cancelled: Callable[[], bool] | None = None,
) -> dict[str, frozenset[str]]:
    """The audit itself (CPU only, no database): the extra cells to hide, by area; ``cancelled``
    is asked between the solver's rounds (``anonymise.Cancelled``)."""
    names = linked.protected(linked.joint(fetched, london=LONDON, pooled=p.pooled, complete=p.complete), cancelled)
    grouped: dict[str, set[str]] = {area: set() for area in p.seen}
    for n in names:
        area, _, cell = n.partition("/")
        if area in grouped:
            grouped[area].add(cell)
    return {area: frozenset(cells) for area, cells in grouped.items()}


def compute(session: Session, principal: Principal, p: Plan) -> dict[str, frozenset[str]]:
    return solve(p, fetch(session, principal, p))


_PLANS: BoundedCache[tuple[object, ...], Plan] = BoundedCache(PLANS_KEPT)
_solving_lock = threading.Lock()
_solving: dict[tuple[str, str], threading.Event] = {}


def solving(p: Plan) -> threading.Event | None:
    """Mark ``p`` as being solved in this process (None if it already is)."""
    with _solving_lock:
        if (p.name, p.inputs) in _solving:
            return None
        event = _solving[(p.name, p.inputs)] = threading.Event()
        return event


def solved(p: Plan, hide: hidesets.HideSets) -> None:
    """Publish ``p``'s answer to this process (before it reaches the database) and wake its waiters."""
    hidesets.keep(p.name, p.inputs, hide)
    with _solving_lock:
        event = _solving.pop((p.name, p.inputs), None)
    if event is not None:
        event.set()


def abandoned(p: Plan) -> None:
    with _solving_lock:
        event = _solving.pop((p.name, p.inputs), None)
    if event is not None:
        event.set()


STORED_ONLY: Final[contextvars.ContextVar[bool]] = contextvars.ContextVar("msht_hide_sets_stored_only", default=False)
"""Set by answers made ahead (``hub.statistics.precompute.answers_ahead``): :func:`hide_sets`
raises :class:`NotStored` instead of computing a missing audit, so that work, which may write,
stays with the audit jobs and the questions."""


class NotStored(Exception):
    """No stored hide set for this viewer and quarter (only under :data:`STORED_ONLY`)."""


def hide_sets(session: Session, principal: Principal, quarter: str) -> hidesets.HideSets:
    """The cells the audit across everything this viewer can fetch for ``quarter`` must hide, by
    area (London and every borough it may see, as one system: London is the sum of the boroughs
    drawing on its sources, plus the rest), so no small cell is narrowed to +-1 by combining
    tables or by differencing London against the boroughs.

    Stored ahead of the question by the worker (``hub.statistics.precompute``); a question that
    comes first waits for this process's worker if it is on it, else computes the audit now and
    stores it: figures are never served before their audit."""
    # a plan reads only the agreements, the viewer, the date and the quarter's active submissions
    # and stamp: kept under those (any change of the summaries or of an agreement: plan again)
    memo = (access.viewer_of(principal), quarter, published.state(session))
    p = _PLANS.get(memo) or plan(session, principal, quarter)
    hide = hidesets.load(session, p.name, p.inputs)
    if hide is not None:
        _PLANS.put(memo, p)  # one answer reads the same quarter's sets for several areas and points
        return hide
    if STORED_ONLY.get():
        raise NotStored(quarter)
    mine = solving(p)
    if mine is None:  # this process's worker (or another question) is on it: its answer is the same
        with _solving_lock:
            running = _solving.get((p.name, p.inputs))
        if running is not None:
            running.wait(WAIT_FOR_WORKER)
        hide = hidesets.load(session, p.name, p.inputs)
        if hide is not None:
            return hide
    try:
        hide = compute(session, principal, p)
    except BaseException:
        if mine is not None:
            abandoned(p)
        raise
    if plan(session, principal, quarter).inputs == p.inputs:  # the reads saw the submissions the key names
        if mine is not None:
            solved(p, hide)
        hidesets.store(session, p.name, p.inputs, hide)
    elif mine is not None:
        abandoned(p)
    return hide
