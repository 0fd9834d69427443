"""Rate limits counted in the database, so every hub process shares one count.

Sliding-window counter: the current fixed window's count plus the previous window's, weighted by
how much of it still lies within one window of now (rounded up), so a burst straddling a window
boundary is counted whole.

Used on the login form (per username and per client address), partner uploads (per
organisation), enrolment-token redemption (per client address) and failed API-token bearer
attempts (per client address). Over a limit the answer is 429 with ``Retry-After``.
"""

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import ScalarSelect, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from hub.errors import TooManyRequests
from hub.models import RateCounter

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)


def window_start(now: datetime, window: timedelta) -> datetime:
    return EPOCH + ((now - EPOCH) // window) * window


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)  # SQLite hands back naive UTC


def _previous(session: Session, key: str, start: datetime, window: timedelta) -> int:
    value = session.scalar(
        select(RateCounter.count).where(RateCounter.key == key[:200], RateCounter.window_start == start - window)
    )
    return int(value or 0)


def _estimate(current: int, previous: int, now: datetime, start: datetime, window: timedelta) -> int:
    if not previous:
        return current
    still_inside = 1 - (now - start) / window
    return current + math.ceil(previous * still_inside)


def count_hit(session: Session, key: str, *, window: timedelta, now: datetime | None = None) -> int:
    """Add one to ``key``'s counter and return the attempts made within the last ``window``."""
    return _count(session, key, window=window, now=now)[0]


def _count(session: Session, key: str, *, window: timedelta, now: datetime | None = None) -> tuple[int, int]:
    """(attempts within the last window, attempts in the current fixed window), after adding one."""
    now = now or datetime.now(UTC)
    start = window_start(now, window)
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    upsert = insert(RateCounter).values(key=key[:200], window_start=start, count=1)
    stmt = upsert.on_conflict_do_update(
        index_elements=[RateCounter.key, RateCounter.window_start],
        set_={"count": RateCounter.count + 1},
    ).returning(RateCounter.count)
    current = int(session.execute(stmt).scalar_one())
    return _estimate(current, _previous(session, key, start, window), now, start, window), current


def retry_after(current: int, *, limit: int, window: timedelta, now: datetime | None = None) -> int:
    """Seconds until one more attempt fits, if none is made meanwhile (at least 1).

    The current window's ``current`` attempts carry into the next window weighted by the part of
    it still ahead, so the wait runs to the end of this window and on until that share is small
    enough.
    """
    now = now or datetime.now(UTC)
    end = window_start(now, window) + window
    share = 0.0 if current < limit else 1 - (limit - 1) / current
    return max(1, math.ceil(((end - now) + window * share).total_seconds()))


def hit(session: Session, key: str, *, limit: int, window: timedelta) -> None:
    """Count one attempt; raise TooManyRequests once ``limit`` attempts were made in the window.

    The count is part of the caller's transaction: it is kept only if the request commits. To
    count failed attempts (as the login page does), answer the failure with a response instead
    of raising, so the transaction still commits, or use :func:`guard`.
    """
    total, current = _count(session, key, window=window)
    if total > limit:
        raise TooManyRequests(
            "too many attempts; wait a few minutes and try again",
            retry_after=retry_after(current, limit=limit, window=window),
        )


def guard(sessions: sessionmaker[Session], key: str, *, limit: int, window: timedelta = HOUR) -> None:
    """Count one attempt in its own committed transaction, kept whatever the request does next;
    raise TooManyRequests (429, Retry-After) beyond ``limit`` attempts in the window.

    Call it while the request's own session holds no transaction: on SQLite every transaction
    takes the write lock at BEGIN.
    """
    with sessions() as session, session.begin():
        hit(session, key, limit=limit, window=window)


@dataclass(frozen=True)
class Usage:
    """Two scalar subqueries (this window's and the previous window's count of ``key``) to
    select beside other columns, so a check costs no round trip of its own."""

    key: str
    limit: int
    window: timedelta
    now: datetime
    start: datetime
    current: ScalarSelect[int]
    previous: ScalarSelect[int]

    def refuse_if_spent(self, current: int | None, previous: int | None) -> None:
        if _estimate(int(current or 0), int(previous or 0), self.now, self.start, self.window) >= self.limit:
            raise TooManyRequests(
                "too many failed attempts from this address; wait and try again",
                retry_after=retry_after(max(int(current or 0), self.limit), limit=self.limit, window=self.window, now=self.now),
            )


def usage(key: str, *, limit: int, window: timedelta = HOUR) -> Usage:
    now = datetime.now(UTC)
    start = window_start(now, window)

    def count(at: datetime) -> ScalarSelect[int]:
        return select(RateCounter.count).where(RateCounter.key == key[:200], RateCounter.window_start == at).scalar_subquery()

    return Usage(key, limit, window, now, start, count(start), count(start - window))


def check(session: Session, key: str, *, limit: int, window: timedelta = HOUR) -> None:
    """Raise TooManyRequests if ``key`` already used its ``limit`` attempts; count nothing."""
    used = usage(key, limit=limit, window=window)
    current, previous = session.execute(select(used.current, used.previous)).one()
    used.refuse_if_spent(current, previous)


def purge_expired(session: Session, *, older_than: timedelta = timedelta(days=1)) -> int:
    result = session.execute(
        delete(RateCounter).where(RateCounter.window_start < datetime.now(UTC) - older_than)
    )
    return int(getattr(result, "rowcount", 0) or 0)
