"""Re-keying: every pseudonym a partner sends is replaced by an HMAC under the hub's own secret.

A partner's pseudonym is ``HMAC(linkage key, identifier)``; the hub stores
``h<hub key version>.HMAC(sub-key, partner pseudonym)`` where the sub-key is derived with HKDF
from the hub pseudonym key, separately for each agreement and each field purpose. So:

- a database dump holds no value any partner sent, and a dump plus one partner's linkage key
  cannot be joined to a dictionary of names and dates of birth (the hub secret is missing);
- equal partner pseudonyms in one agreement and purpose stay equal at the hub (linkage works);
- pseudonyms of different agreements or purposes never collide (no joins across them).
"""

from __future__ import annotations

import hashlib
from typing import Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

HUB_KEY_VERSION: Final = 1
"""Version stamped on every re-keyed value; bump it (and re-key) when the hub key rotates."""

_SALT: Final = b"msht-hub/rekey/v1"
_BLOCK: Final = 64  # SHA-256 block size in bytes

INCIDENT: Final = "incident"
SELECTOR: Final = "selector"


def person_purpose(match_key_field: str) -> str:
    return f"person:{match_key_field}"


def selector_purpose(kind: str) -> str:
    return f"{SELECTOR}:{kind}"


def derive_subkey(hub_key: bytes, *, agreement_id: str, purpose: str) -> bytes:
    # Length-prefixed parts: no two (agreement, purpose) pairs share an info string.
    info = b"msht-hub rekey" + b"".join(
        len(part).to_bytes(2, "big") + part for part in (agreement_id.encode(), purpose.encode())
    )
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=info).derive(hub_key)


class Rekeyer:
    """Re-keys partner pseudonyms for one agreement; sub-keys are derived once and cached.

    HMAC-SHA256 (RFC 2104) computed from precomputed inner and outer hash states: the same
    value as ``hmac.digest(subkey, message, "sha256")``, without re-keying per value.
    """

    def __init__(self, hub_key: bytes, agreement_id: str, *, version: int = HUB_KEY_VERSION) -> None:
        self._hub_key = hub_key
        self._agreement_id = agreement_id
        self._prefix = f"h{version}."
        self._states: dict[str, tuple[hashlib._Hash, hashlib._Hash]] = {}

    def subkey(self, purpose: str) -> bytes:
        return derive_subkey(self._hub_key, agreement_id=self._agreement_id, purpose=purpose)

    def _state(self, purpose: str) -> tuple[hashlib._Hash, hashlib._Hash]:
        state = self._states.get(purpose)
        if state is None:
            key = self.subkey(purpose).ljust(_BLOCK, b"\x00")  # 32 bytes: shorter than a block, never hashed
            state = (
                hashlib.sha256(bytes(b ^ 0x36 for b in key)),
                hashlib.sha256(bytes(b ^ 0x5C for b in key)),
            )
            self._states[purpose] = state
        return state

    def __call__(self, purpose: str, pseudonym: str) -> str:
        inner_state, outer_state = self._state(purpose)
        inner = inner_state.copy()
        inner.update(pseudonym.encode("ascii"))
        outer = outer_state.copy()
        outer.update(inner.digest())
        digest: str = outer.hexdigest()
        return self._prefix + digest

    def optional(self, purpose: str, pseudonym: str | None) -> str | None:
        return None if pseudonym is None else self(purpose, pseudonym)
