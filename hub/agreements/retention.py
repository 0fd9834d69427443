"""The daily retention purge while serving: one process at a time, at most once per interval.

Every hub process runs the loop; the ``hub_state`` row ``last_purge`` (locked while read) makes
sure only one of them purges in each interval, whichever wakes first.
"""

import asyncio
import logging
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.agreements.service import purge_expired_records
from hub.db import session_scope
from hub.models import HubState

log = logging.getLogger(__name__)

STATE: Final = "last_purge"
CHECK_EVERY_SECONDS: Final = 600.0


def purge_if_due(session: Session, now: datetime, interval: timedelta) -> dict[str, int] | None:
    """Purge if no process has in the last ``interval``; returns the counts, or None when not due."""
    row = session.scalars(select(HubState).where(HubState.name == STATE).with_for_update()).first()
    if row is not None:
        last = datetime.fromisoformat(row.value)
        if now - last < interval:
            return None
    counts = purge_expired_records(session, now.date())
    if row is None:
        session.add(HubState(name=STATE, value=now.isoformat(), updated_at=now))
    else:
        row.value, row.updated_at = now.isoformat(), now
    session.flush()
    return counts


def run_once(sessions: sessionmaker[Session], interval: timedelta) -> dict[str, int] | None:
    """One check in its own transaction, committed when it returns."""
    with contextmanager(session_scope)(sessions) as session:
        return purge_if_due(session, datetime.now(UTC), interval)


async def purge_loop(sessions: sessionmaker[Session], interval: timedelta) -> None:
    """Check every few minutes whether the daily purge is due; log counts only."""
    while True:
        try:
            counts = await asyncio.to_thread(run_once, sessions, interval)
            if counts is not None:
                log.info("retention purge: %s", counts)
        except Exception:  # a failed purge must not stop the hub; it is retried next time
            log.exception("retention purge failed")
        await asyncio.sleep(min(CHECK_EVERY_SECONDS, interval.total_seconds()))
