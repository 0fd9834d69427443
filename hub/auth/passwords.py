"""Local passwords: Argon2id hashes, verified in the same time whether or not the user exists."""

import functools
import secrets
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth import password_rules
from hub.models import Organisation, OrgStatus, User, UserStatus

MIN_PASSWORD_CHARS: Final = password_rules.MIN_PASSWORD_CHARS

_hasher = PasswordHasher()


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so both cases cost the same (made on first use)."""
    return _hasher.hash(secrets.token_urlsafe(16))



def hash_password(password: str) -> str:
    """The Argon2id hash of an acceptable password (``password_rules``); PasswordRefused otherwise."""
    return _hasher.hash(password_rules.checked(password))


def authenticate_password(session: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, or None (same work either way)."""
    user = session.scalar(select(User).where(User.username == username))
    stored = user.password_hash if user is not None and user.password_hash else _dummy_hash()
    typed, password = password, password_rules.normalise(password)
    try:
        _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        try:  # a hash made before passwords were normalised
            if typed == password:
                return None
            _hasher.verify(stored, typed)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
    if user is None or not user.password_hash or user.status != UserStatus.active:
        return None
    org = session.get(Organisation, user.org_id)
    if org is None or org.status != OrgStatus.active:
        return None  # a disabled organisation's users sign in nowhere (principal_for refuses them too)
    if _hasher.check_needs_rehash(stored):
        user.password_hash = _hasher.hash(password)
    return user
