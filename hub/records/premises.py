"""The premises register's counts (``premises_counts``): the only code that writes them, and their reader."""

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import NamedTuple

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from hub.models import PremisesCount


class RegisterCount(NamedTuple):
    area: str
    premises_type: str
    n: int


class RegisterInfo(NamedTuple):
    source: str
    extract_date: str | None
    imported_at: datetime


def replace(session: Session, counts: Mapping[tuple[str, str], int], *, source: str, extract_date: str | None) -> int:
    """Replace the whole register snapshot with ``counts`` ((borough GSS, premises type) → premises); rows written."""
    session.execute(delete(PremisesCount))
    now = datetime.now(UTC)
    rows = [
        {"area": area, "premises_type": kind, "n": n, "source": source, "extract_date": extract_date, "imported_at": now}
        for (area, kind), n in sorted(counts.items()) if n > 0
    ]
    if rows:
        session.execute(insert(PremisesCount), rows)
    return len(rows)


def counts(session: Session) -> list[RegisterCount]:
    stmt = select(PremisesCount.area, PremisesCount.premises_type, PremisesCount.n).order_by(
        PremisesCount.area, PremisesCount.premises_type
    )
    return [RegisterCount(str(a), str(k), int(n)) for a, k, n in session.execute(stmt)]


def info(session: Session) -> RegisterInfo | None:
    """Which register the counts came from, or ``None`` before the first import."""
    row = session.execute(
        select(PremisesCount.source, PremisesCount.extract_date, PremisesCount.imported_at).limit(1)
    ).first()
    return None if row is None else RegisterInfo(str(row.source), row.extract_date, row.imported_at)
