"""Rate limits counted in the database, so every hub process shares one count.

Sliding-window counter: the current fixed window's count plus the previous window's, weighted by
how much of it still lies within one window of now (rounded up), so a burst straddling a window
boundary is counted whole.
"""

import math
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from hub.errors import TooManyRequests
from hub.models import RateCounter

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def window_start(now: datetime, window: timedelta) -> datetime:
    return EPOCH + ((now - EPOCH) // window) * window


def count_hit(session: Session, key: str, *, window: timedelta, now: datetime | None = None) -> int:
    """Add one to ``key``'s counter and return the attempts made within the last ``window``."""
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
    previous = session.scalar(
        select(RateCounter.count).where(RateCounter.key == key[:200], RateCounter.window_start == start - window)
    )
    if not previous:
        return current
    still_inside = 1 - (now - start) / window
    return current + math.ceil(previous * still_inside)


def hit(session: Session, key: str, *, limit: int, window: timedelta) -> None:
    """Count one attempt; raise TooManyRequests once ``limit`` attempts were made in the window.

    The count is part of the caller's transaction: it is kept only if the request commits. To
    count failed attempts (as the login page does), answer the failure with a response instead
    of raising, so the transaction still commits.
    """
    if count_hit(session, key, window=window) > limit:
        raise TooManyRequests("too many attempts; wait a few minutes and try again")


def purge_expired(session: Session, *, older_than: timedelta = timedelta(days=1)) -> int:
    result = session.execute(
        delete(RateCounter).where(RateCounter.window_start < datetime.now(UTC) - older_than)
    )
    return int(getattr(result, "rowcount", 0) or 0)
