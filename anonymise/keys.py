"""The agreement's linkage key: loading, refusing weak or demo keys, and HKDF sub-keys per purpose.

The linkage key is shared by the providers of one data-sharing agreement and never reaches the
hub. Every pseudonym is an HMAC-SHA256 under a sub-key derived from it with HKDF-SHA256, whose
``info`` binds the key version, the agreement id and the purpose, so that pseudonyms made for two
agreements (or for a person and a phone number) can never be joined.

Key files hold the key as text: 64 or more hexadecimal digits, or standard base64 (what
``generate_linkage_key`` output looks like after ``base64.b64encode``). Both decode to at
least 32 bytes or the key is refused.
"""

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = [
    "DEMO_LINKAGE_KEY",
    "MIN_KEY_BYTES",
    "KeyRefused",
    "LinkageKey",
    "generate_linkage_key",
]

MIN_KEY_BYTES: Final = 32

DEMO_LINKAGE_KEY: Final = b"msht-hub DEMO linkage key: synthetic data only, never real cases"
"""The key ``make demo`` uses. Public, so refused everywhere except in demo mode."""

_KNOWN_DEMO_KEYS: Final = frozenset(
    {
        DEMO_LINKAGE_KEY,
        bytes(32),
        bytes(64),
        b"\xff" * 32,
        b"0123456789abcdef0123456789abcdef",
        b"changeme" * 4,
    }
)
_HKDF_SALT: Final = b"msht-hub/linkage/hkdf-salt/v1"
_HEX: Final = re.compile(r"^[0-9a-fA-F]+$")
_FIX = "Generate one with `msht-client key generate` (or ask the agreement's lead partner) and import it with `msht-client key import FILE`."


class KeyRefused(ValueError):
    """A linkage key that must not be used; the message says why and how to fix it."""


def generate_linkage_key() -> bytes:
    """A fresh 32-byte random linkage key from the operating system's CSPRNG.

    >>> len(generate_linkage_key())
    32
    """
    return secrets.token_bytes(MIN_KEY_BYTES)


def _len_prefixed(*parts: bytes) -> bytes:
    return b"".join(len(p).to_bytes(4, "big") + p for p in parts)


class LinkageKey:
    """A validated linkage key with its version; the raw bytes are never shown.

    >>> key = LinkageKey.from_bytes(bytes(range(32)))
    >>> key.version, len(key.subkey("agr-1", "person"))
    (1, 32)
    >>> "00010203" in repr(key)
    False
    """

    __slots__ = ("_raw", "_subkeys", "demo", "version")

    def __init__(self, raw: bytes, version: int, demo: bool) -> None:
        self._raw = raw
        self.version = version
        self.demo = demo
        self._subkeys: dict[tuple[str, str], bytes] = {}

    @classmethod
    def from_bytes(cls, raw: bytes, *, version: int = 1, demo: bool = False) -> "LinkageKey":
        """Validate raw key bytes.

        :param raw: the key; at least 32 bytes from a CSPRNG. Shorter or patterned keys make
            every pseudonym open to a dictionary attack, so they are refused.
        :param version: the key version written into every pseudonym (``v<version>.``), 1–9999;
            bump it when the agreement rotates its key.
        :param demo: allow the public demo key. Only ``make demo`` should pass True.
        :raises KeyRefused: with a message naming the problem and the fix.

        >>> LinkageKey.from_bytes(b"short")
        Traceback (most recent call last):
        ...
        anonymise.keys.KeyRefused: the linkage key is 5 bytes; at least 32 are needed. Generate one with `msht-client key generate` (or ask the agreement's lead partner) and import it with `msht-client key import FILE`.
        """
        if not isinstance(raw, bytes | bytearray):
            raise KeyRefused(f"the linkage key must be bytes. {_FIX}")
        raw = bytes(raw)
        if not 1 <= version <= 9999:
            raise KeyRefused("the key version must be between 1 and 9999")
        if len(raw) < MIN_KEY_BYTES:
            raise KeyRefused(
                f"the linkage key is {len(raw)} bytes; at least {MIN_KEY_BYTES} are needed. {_FIX}"
            )
        if raw in _KNOWN_DEMO_KEYS and not demo:
            raise KeyRefused(
                "this is a publicly known demo key; it only works in demo mode and must never "
                f"protect real cases. {_FIX}"
            )
        if len(set(raw)) < 8 and raw not in _KNOWN_DEMO_KEYS:
            raise KeyRefused(f"the linkage key has almost no randomness (repeated bytes). {_FIX}")
        return cls(raw, version, demo)

    @classmethod
    def load(cls, path: Path, *, version: int = 1, demo: bool = False) -> "LinkageKey":
        """Read a key file holding hex (64+ digits) or base64 text; surrounding whitespace is ignored.

        :param path: the key file. Keep it readable by its owner only (mode 0600).
        :param version: as for :meth:`from_bytes`.
        :param demo: as for :meth:`from_bytes`.
        :raises KeyRefused: when the file is missing, unreadable, not hex/base64, or the key is weak.
        """
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError:
            raise KeyRefused(f"no linkage key file at {path}. {_FIX}") from None
        except OSError as exc:
            raise KeyRefused(f"cannot read the linkage key file {path}: {exc.strerror}") from None
        return cls.from_bytes(_decode_key_text(data), version=version, demo=demo)

    def fingerprint(self) -> str:
        """A short identifier of the key, safe to print and compare between partners.

        It is a one-way hash under its own label, so it reveals nothing usable about
        the key or its sub-keys.

        >>> LinkageKey.from_bytes(bytes(range(32))).fingerprint()
        'v1:e937-f34c-33cd-4bd7'
        """
        digest = hashlib.sha256(b"msht-hub/linkage/fingerprint\x00" + self._raw).hexdigest()[:16]
        return f"v{self.version}:" + "-".join(digest[i : i + 4] for i in range(0, 16, 4))

    def subkey(self, agreement_id: str, purpose: str) -> bytes:
        """The 32-byte HKDF-SHA256 sub-key for one agreement and purpose.

        :param agreement_id: the data-sharing agreement; pseudonyms of two agreements cannot be joined.
        :param purpose: e.g. ``person:name_dob``, ``incident``, ``selector:phone``.

        >>> key = LinkageKey.from_bytes(bytes(range(32)))
        >>> key.subkey("a", "incident") == key.subkey("b", "incident")
        False
        """
        if not agreement_id or not purpose:
            raise ValueError("agreement id and purpose are both needed to derive a sub-key")
        cached = self._subkeys.get((agreement_id, purpose))
        if cached is not None:
            return cached
        info = _len_prefixed(
            b"msht-hub/linkage",
            str(self.version).encode(),
            agreement_id.encode(),
            purpose.encode(),
        )
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=_HKDF_SALT, info=info).derive(
            self._raw
        )
        self._subkeys[(agreement_id, purpose)] = derived
        return derived

    def __repr__(self) -> str:
        return f"LinkageKey(fingerprint={self.fingerprint()!r}, demo={self.demo})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LinkageKey):
            return NotImplemented
        return self.version == other.version and hmac.compare_digest(self._raw, other._raw)

    def __hash__(self) -> int:
        return hash(self.fingerprint())


def _decode_key_text(data: bytes) -> bytes:
    try:
        text = data.decode("ascii").strip()
    except UnicodeDecodeError:
        raise KeyRefused(f"the key file is not hex or base64 text. {_FIX}") from None
    if len(text) >= 2 * MIN_KEY_BYTES and len(text) % 2 == 0 and _HEX.match(text):
        return bytes.fromhex(text)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise KeyRefused(f"the key file is neither 64+ hex digits nor base64. {_FIX}") from None
