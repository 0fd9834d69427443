"""The hub's three secrets (pseudonym re-key, receipt signing, sessions): loaded, checked, or generated for the demo."""

import base64
import logging
import os
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr

from hub.config import DEMO_SECRET_PREFIX, MIN_SECRET_BYTES, HubSettings

log = logging.getLogger(__name__)


class SecretError(RuntimeError):
    """A secret is missing, weak or a demo secret outside demo mode; the message names it, never its value."""


@dataclass(frozen=True)
class HubSecrets:
    pseudonym_key: bytes = field(repr=False)
    signing_key: Ed25519PrivateKey = field(repr=False)
    session_key: bytes = field(repr=False)

    @property
    def signing_public_key(self) -> bytes:
        """The raw 32 bytes of the hub's Ed25519 public key (what partners verify receipts with)."""
        return self.signing_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def signing_public_key_b64(self) -> str:
        return base64.b64encode(self.signing_public_key).decode()


def _symmetric(name: str, value: SecretStr | None, path: Path | None, *, demo: bool) -> bytes:
    env = f"MSHT_{name.upper()}"
    if value is not None and path is not None:
        raise SecretError(f"{env} and {env}_FILE are both set: give one")
    if path is not None:
        _check_mode(path, env + "_FILE")
        try:
            raw = path.read_bytes().strip()
        except OSError as exc:
            raise SecretError(f"{env}_FILE cannot be read ({exc.strerror})") from exc
    elif value is not None:
        raw = value.get_secret_value().strip().encode()
    else:
        raise SecretError(f"{env} (or {env}_FILE) is missing")
    if len(raw) < MIN_SECRET_BYTES:
        raise SecretError(f"{env} is too weak: at least {MIN_SECRET_BYTES} bytes are needed")
    if len(set(raw)) < 8:
        raise SecretError(f"{env} is too weak: it repeats a few characters")
    if raw.startswith(DEMO_SECRET_PREFIX.encode()) and not demo:
        raise SecretError(f"{env} is a demo secret; outside demo mode generate a real one")
    return raw


def _signing_key(path: Path | None, *, demo: bool) -> Ed25519PrivateKey:
    if path is None:
        raise SecretError("MSHT_SIGNING_KEY_FILE (an Ed25519 PEM) is missing")
    if not path.exists():
        if not demo:
            raise SecretError("MSHT_SIGNING_KEY_FILE does not exist; create it with `msht-hub keygen`")
        _write_private(path, _new_signing_pem())
        _announce(f"generated a demo hub signing key at {path}")
    _check_mode(path, "MSHT_SIGNING_KEY_FILE")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SecretError("MSHT_SIGNING_KEY_FILE is not an unencrypted PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SecretError("MSHT_SIGNING_KEY_FILE must hold an Ed25519 key")
    return key


def _check_mode(path: Path, name: str) -> None:
    try:
        mode = path.stat().st_mode
    except OSError:
        return  # reading it will say what is wrong
    if mode & 0o077:
        log.warning("%s is readable by other users of this machine (mode %o); chmod 600 it", name, mode & 0o777)


def load_secrets(settings: HubSettings) -> HubSecrets:
    """Read and check every secret; raise SecretError naming the first that is missing or weak."""
    return HubSecrets(
        pseudonym_key=_symmetric(
            "pseudonym_key", settings.pseudonym_key, settings.pseudonym_key_file, demo=settings.demo
        ),
        signing_key=_signing_key(settings.signing_key_file, demo=settings.demo),
        session_key=_symmetric(
            "session_key", settings.session_key, settings.session_key_file, demo=settings.demo
        ),
    )


def _new_signing_pem() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def write_signing_key(path: Path) -> None:
    """Create a fresh Ed25519 PEM (0600); refuse to overwrite an existing key."""
    if path.exists():
        raise SecretError(f"{path} exists already; the hub's signing key is never overwritten")
    _write_private(path, _new_signing_pem())


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def _announce(message: str) -> None:
    log.warning("DEMO: %s; never use these secrets for real data", message)
    print(f"WARNING: DEMO: {message}; never use these secrets for real data", file=sys.stderr)  # noqa: T201 - must reach the operator even without logging configured


def generate_demo_secrets(directory: Path) -> dict[str, Path]:
    """Create (or reuse) demo secrets in ``directory``; returns the HubSettings fields pointing at them.

    The symmetric secrets carry the demo prefix, so a hub outside demo mode refuses them.
    """
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "pseudonym_key_file": directory / "pseudonym.key",
        "session_key_file": directory / "session.key",
        "signing_key_file": directory / "signing.pem",
    }
    made = []
    for name in ("pseudonym_key_file", "session_key_file"):
        if not paths[name].exists():
            _write_private(paths[name], (DEMO_SECRET_PREFIX + secrets.token_hex(32)).encode())
            made.append(paths[name].name)
    if not paths["signing_key_file"].exists():
        _write_private(paths["signing_key_file"], _new_signing_pem())
        made.append(paths["signing_key_file"].name)
    if made:
        _announce(f"generated demo secrets {', '.join(made)} in {directory}")
    else:
        _announce(f"using demo secrets from {directory}")
    return paths


def write_secret_file(path: Path) -> None:
    """Create a fresh random 64-hex-character secret file (0600); refuse to overwrite."""
    if path.exists():
        raise SecretError(f"{path} exists already; secrets are never overwritten")
    _write_private(path, secrets.token_hex(32).encode())
