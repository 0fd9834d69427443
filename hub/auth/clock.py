"""The time in UTC, and stored times read as UTC (SQLite hands datetimes back without an offset)."""

from datetime import UTC, datetime


def now() -> datetime:
    return datetime.now(UTC)


def aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
