"""Disclosure audits computed ahead of the questions: the viewer classes in force, the audits they lack, and the worker that runs them.

After an ingest, withdrawal, purge or agreement change commits (``hub.db.stats_changed``), the
worker of each serving process wakes, lists every (viewer class, quarter) whose stored hide set
is missing or stale (``hub.statistics.joint``: a quarter whose submissions did not change keeps
its answer) and computes them, the latest quarter of every class first. A claim row
(``hub.statistics.hidesets.claim``) keeps several processes from computing the same audit; the
reads run in a transaction that takes no write lock (``hub.db.make_engine(reader=True)``), the
solving holds no transaction at all, and the answer is written in a short one. ``msht-hub stats
audit`` runs the same from the command line.

Viewer classes come from the accounts that can ask: every active user's organisation and role,
where that organisation is a recipient of a current agreement. A class nobody holds yet (a
new user with a new role) is computed by its first question, as every audit was before.
"""

import functools
import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import Engine, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from anonymise import LONDON, Cancelled, ViewerRole, Visibility
from hub.agreements import service as agreements
from hub.auth.principal import Principal
from hub.db import session_scope
from hub.models import Organisation, OrgStatus, User, UserStatus
from hub.records import summaries
from hub.statistics import access, hidesets, joint, queries, service
from hub.statistics.joint import Plan
from hub.statistics.queries import Scope

__all__ = ["Job", "Result", "Worker", "answers_ahead", "pending", "principals", "run_one", "run_pending"]

log = logging.getLogger(__name__)

LEASE: Final = timedelta(minutes=15)
STORE_ATTEMPTS: Final = 4
OWNER: Final = uuid.uuid4().hex
"""This process, as claims name it."""


@dataclass(frozen=True)
class Job:
    principal: Principal
    plan: Plan


@dataclass(frozen=True)
class Result:
    computed: int
    skipped: int
    up_to_date: int


def principals(session: Session) -> list[Principal]:
    """One principal per (organisation, role) of the active accounts of recipient organisations."""
    recipients = {
        party.org
        for agreement in access.governing_agreements(session)
        for party in agreement.parties
        if "recipient" in {str(r) for r in party.roles}
    }
    rows = session.execute(
        select(User.org_id, User.role, Organisation.kind, Organisation.gss_code)
        .join(Organisation, Organisation.id == User.org_id)
        .where(User.status == UserStatus.active, Organisation.status == OrgStatus.active)
        .distinct()
        .order_by(User.org_id, User.role)
    )
    return [
        Principal(user_id=None, username="audit-worker", display_name="", org_id=r.org_id, org_kind=r.kind,
                  gss_code=r.gss_code, role=ViewerRole(r.role))
        for r in rows
        if r.org_id in recipients
    ]


def pending(session: Session) -> tuple[list[Job], int]:
    """The audits to compute (latest quarter of every class first), and how many are stored already."""
    by_class: dict[joint.ViewerClass, tuple[Principal, dict[str, Visibility | None], list[str]]] = {}
    for principal in principals(session):
        views = joint.visibilities(session, principal)
        key = joint.viewer_class(views)
        if key in by_class:
            continue
        quarters = sorted(
            {q for area, v in views.items() if v is not None and v.sources for q in queries.submitted_quarters(session, Scope(area, v.sources))},
            reverse=True,
        )
        by_class[key] = (principal, views, quarters)
    jobs: list[tuple[int, Job]] = []
    stored = 0
    for principal, views, quarters in by_class.values():
        for age, quarter in enumerate(quarters):
            p = joint.plan(session, principal, quarter, views)
            if not p.seen:
                continue
            if hidesets.load(session, p.name, p.inputs) is None:
                jobs.append((age, Job(principal, p)))
            else:
                stored += 1
    return [job for _, job in sorted(jobs, key=lambda j: j[0])], stored


def _release(p: Plan, write: Callable[[], Iterator[Session]]) -> None:
    with contextmanager(write)() as session:
        hidesets.release(session, p.name)


def _changed(job: Job, read: Callable[[], Iterator[Session]]) -> bool:
    with contextmanager(read)() as session:
        return joint.plan(session, job.principal, job.plan.quarter).inputs != job.plan.inputs


def run_one(
    job: Job, read: Callable[[], Iterator[Session]], write: Callable[[], Iterator[Session]], stop: threading.Event | None = None,
) -> bool:
    p = job.plan
    with contextmanager(write)() as session:
        if not hidesets.claim(session, p.name, p.inputs, owner=OWNER, lease=LEASE):
            return False
    event = joint.solving(p)
    if event is None:
        return False  # a question of this process is on it
    try:
        with contextmanager(read)() as session:
            if hidesets.load(session, p.name, p.inputs) is not None:
                joint.abandoned(p)
                return False
            fetched = joint.fetch(session, job.principal, p)
            now = joint.plan(session, job.principal, p.quarter)
        if now.inputs != p.inputs:  # the quarter changed under the reads: its next audit will run
            joint.abandoned(p)
            _release(p, write)
            return False
        hide = joint.solve(p, fetched, lambda: (stop is not None and stop.is_set()) or _changed(job, read))
    except Cancelled:
        joint.abandoned(p)
        _release(p, write)
        return False  # its quarter changed (or the hub is stopping): the next pass audits it afresh
    except BaseException:
        joint.abandoned(p)
        raise
    joint.solved(p, hide)
    for attempt in range(STORE_ATTEMPTS):  # SQLite: a question auditing on demand may hold the write lock a while
        try:
            with contextmanager(write)() as session:
                hidesets.store(session, p.name, p.inputs, hide)
                hidesets.release(session, p.name)
            break
        except OperationalError:
            if attempt == STORE_ATTEMPTS - 1:
                raise
    return True


def run_pending(
    read: Callable[[], Iterator[Session]], write: Callable[[], Iterator[Session]], *, stop: threading.Event | None = None,
) -> Result:
    """Compute every pending audit once; ``read`` and ``write`` yield sessions that commit at the end."""
    with contextmanager(read)() as session:
        jobs, stored = pending(session)
    computed = skipped = 0
    for job in jobs:
        if stop is not None and stop.is_set():
            break
        if run_one(job, read, write, stop):
            computed += 1
        else:
            skipped += 1
    return Result(computed, skipped, stored)


def answers_ahead(read: Callable[[], Iterator[Session]], *, stop: threading.Event | None = None) -> int:
    """Make the default answers of every viewer class (``hub.statistics.service.AHEAD``) for
    every area it may see, its own borough and London first, in this process
    (``hub.statistics.published``): after the audits, from the stored hide sets only.

    An answer whose hide set is not stored (an audit skipped because its quarter changed
    meanwhile) is left to its question: computing it here would write from the worker's read
    snapshot, which on SQLite fails with "database is locked" while others write."""
    made = 0
    token = joint.STORED_ONLY.set(True)
    try:
        with contextmanager(read)() as session:
            for principal in principals(session):
                views = joint.visibilities(session, principal)
                first = [a for a in (principal.gss_code, LONDON) if a is not None]
                areas = [a for a in dict.fromkeys([*first, *views]) if views.get(a) is not None]
                for area in areas:
                    for name in service.AHEAD:
                        if stop is not None and stop.is_set():
                            return made
                        try:
                            made += service.ahead(session, principal, name, area)
                        except joint.NotStored:
                            continue
    finally:
        joint.STORED_ONLY.reset(token)
    return made


def _scope(factory: sessionmaker[Session]) -> Callable[[], Iterator[Session]]:
    return functools.partial(session_scope, factory)


class Worker:
    """A daemon thread running :func:`run_pending` when a change commits in this process, and
    every ``poll`` seconds for changes committed by other processes."""

    def __init__(self, reader: Engine, writes: sessionmaker[Session], *, poll: float, answers: bool = True) -> None:
        self.reader = reader
        self.answers = answers
        self.read, self.write = _scope(sessionmaker(reader, expire_on_commit=False, autoflush=False)), _scope(writes)
        self.poll = poll
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._thread: threading.Thread | None = None
        self._seen: object = None
        self._lock = threading.Lock()

    def start(self) -> None:
        """Start the thread unless it runs (several servers of one app share one worker)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._wake.set()
            self._thread = threading.Thread(target=self._run, name="msht-audit-worker", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        self._idle.clear()
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the audit in hand (at most ``timeout`` seconds) and close the reading engine."""
        with self._lock:
            self._stop.set()
            self._wake.set()
            if self._thread is not None and self._thread.is_alive():
                self._thread.join(timeout)
            self.reader.dispose()

    def wait_idle(self, timeout: float) -> bool:
        """Until nothing is left to compute (for the demo and tests)."""
        return self._idle.wait(timeout)

    def _state(self) -> object:
        with contextmanager(self.read)() as session:
            return summaries.generation(session), tuple(agreements.current_digests(session)), datetime.now(UTC).date()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll)
            self._wake.clear()
            if self._stop.is_set():
                break
            try:
                state = self._state()
                if state != self._seen:
                    result = run_pending(self.read, self.write, stop=self._stop)
                    log.info("disclosure audits computed ahead: %d computed, %d skipped, %d up to date",
                             result.computed, result.skipped, result.up_to_date)
                    if self.answers:
                        log.info("statistics answers made ahead: %d", answers_ahead(self.read, stop=self._stop))
                    self._seen = state if not result.skipped else None
            except Exception:  # keep serving: questions compute what is missing
                log.exception("computing disclosure audits ahead failed; questions will compute them")
                self._seen = None
            if not self._wake.is_set():
                self._idle.set()
