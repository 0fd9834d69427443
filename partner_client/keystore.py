"""The partner's keys on disk: its Ed25519 signing key and the agreement's linkage key (both 0600)."""

import base64
import contextlib
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from anonymise.keys import DEMO_LINKAGE_KEY, KeyRefused, LinkageKey
from partner_client.config import (
    SIGNING_KEY_FILE,
    ClientSettings,
    load_state,
    update_state,
    write_private,
)
from partner_client.errors import ClientError


def signing_key_path(settings: ClientSettings) -> Path:
    return settings.home / SIGNING_KEY_FILE


def new_signing_key(settings: ClientSettings) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    write_private(signing_key_path(settings), pem)
    return key


def load_signing_key(settings: ClientSettings) -> Ed25519PrivateKey:
    path = signing_key_path(settings)
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise ClientError(
            "No signing key on this machine.", hint="Run `msht-client init --hub URL --token TOKEN` first."
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ClientError(f"{path} is not an Ed25519 key.", hint="Enrol again with `msht-client init`.")
    return key


def public_key_b64(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode()


def hub_public_key(b64: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(b64))


def linkage_key_path(settings: ClientSettings, version: int) -> Path:
    return settings.home / f"linkage-key-v{version}.key"


def import_linkage_key(settings: ClientSettings, source: Path, version: int) -> LinkageKey:
    """Check a linkage key file and keep a 0600 copy in the state directory."""
    try:
        key = LinkageKey.load(source, version=version, demo=settings.demo)
    except KeyRefused as exc:
        raise ClientError(str(exc)) from None
    write_private(linkage_key_path(settings, version), source.read_bytes().strip() + b"\n")
    with contextlib.suppress(ClientError):  # not enrolled yet: the key is found by version later
        update_state(settings, linkage_key_version=version)
    return key


def load_linkage_key(settings: ClientSettings, version: int | None = None) -> LinkageKey:
    if version is None:
        try:
            version = load_state(settings).linkage_key_version
        except ClientError:
            version = None
        version = version or 1
    path = linkage_key_path(settings, version)
    if settings.demo and not path.exists():
        return LinkageKey.from_bytes(DEMO_LINKAGE_KEY, version=version, demo=True)
    try:
        return LinkageKey.load(path, version=version, demo=settings.demo)
    except KeyRefused as exc:
        raise ClientError(str(exc), hint="Import the agreement's key with `msht-client key import FILE`.") from None
