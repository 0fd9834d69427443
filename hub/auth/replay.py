"""The replay cache: a JWT id accepted once is refused ever after (kept in the database, shared by all hub processes)."""

from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.errors import NotAuthenticated
from hub.models import UsedTokenId

MAX_JTI_CHARS = 128


def remember_jti(session: Session, *, jti: str, issuer: str, expires_at: datetime) -> None:
    """Record ``jti`` as used; raise NotAuthenticated if any process has seen it before.

    The primary key decides, inside a SAVEPOINT, so the caller's transaction survives a replay
    attempt only as far as the caller wants (the 401 it raises rolls the request back).
    """
    if not jti or len(jti) > MAX_JTI_CHARS:
        raise NotAuthenticated("token id (jti) is missing or too long")
    try:
        with session.begin_nested():
            session.add(UsedTokenId(jti=jti, issuer=issuer[:120], expires_at=expires_at))
    except IntegrityError as exc:
        raise NotAuthenticated("token already used") from exc


def purge_expired(session: Session, *, now: datetime | None = None) -> int:
    """Forget token ids whose tokens have expired (they would be refused as expired anyway)."""
    result = session.execute(
        delete(UsedTokenId).where(UsedTokenId.expires_at < (now or datetime.now(UTC)))
    )
    return int(getattr(result, "rowcount", 0) or 0)
