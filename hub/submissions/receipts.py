"""Receipts the hub signs with its Ed25519 key, and the public key partners verify them with.

A receipt is ``{"receipt": {...}, "signature": base64}``: the signature is Ed25519 over the
canonical JSON (sorted keys, no spaces, UTF-8; ``anonymise.bundle.canonical_json``) of the
``receipt`` object. ``GET /api/v1/hub-key`` publishes the key; ``key_id`` in every receipt is
the first 16 hex digits of the SHA-256 of the raw public key.

A re-sent bundle is answered with its original receipt while its submission is active. Once a
later bundle superseded it, the answer is the same receipt with ``status: "superseded"``,
``superseded_by`` and ``superseded_at``, signed afresh, so a partner retrying an old bundle
learns that its records no longer count (the stored receipt stays as first issued).
"""

import base64
import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.orm import Session

from anonymise import canonical_json
from hub.models import Submission, SubmissionStatus

RECEIPT_FORMAT: Final = 1


def public_key_raw(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    return hashlib.sha256(public_key_raw(key)).hexdigest()[:16]


def hub_key_document(key: Ed25519PrivateKey) -> dict[str, Any]:
    """The hub's public key as raw base64 and as a JWK (RFC 8037)."""
    raw = public_key_raw(key)
    return {
        "key_id": key_id(key),
        "algorithm": "Ed25519",
        "public_key": base64.b64encode(raw).decode(),
        "jwk": {
            "kty": "OKP",
            "crv": "Ed25519",
            "kid": key_id(key),
            "use": "sig",
            "x": base64.urlsafe_b64encode(raw).rstrip(b"=").decode(),
        },
    }


def sign_receipt(
    key: Ed25519PrivateKey,
    *,
    submission_id: str,
    partner_id: str,
    agreement_id: str,
    agreement_version: int,
    quarter: str,
    bundle_sha256: str,
    record_counts: Mapping[str, int],
    received_at: datetime,
    supersedes: list[str],
) -> dict[str, Any]:
    receipt: dict[str, Any] = {
        "receipt_format": RECEIPT_FORMAT,
        "submission_id": submission_id,
        "partner_id": partner_id,
        "agreement_id": agreement_id,
        "agreement_version": agreement_version,
        "quarter": quarter,
        "bundle_sha256": bundle_sha256,
        "record_counts": dict(record_counts),
        "received_at": received_at.isoformat(),
        "status": "accepted",
        "supersedes": supersedes,
        "key_id": key_id(key),
    }
    return _signed(key, receipt)


def _signed(key: Ed25519PrivateKey, receipt: dict[str, Any]) -> dict[str, Any]:
    signature = base64.b64encode(key.sign(canonical_json(receipt))).decode()
    return {"receipt": receipt, "signature": signature}


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def resent_receipt(session: Session, key: Ed25519PrivateKey, original: Mapping[str, Any]) -> dict[str, Any]:
    """The answer to a re-sent bundle: ``original`` while its submission is active, else re-signed with its status now."""
    receipt = original["receipt"]
    submission = session.get(Submission, receipt["submission_id"])
    if submission is None or submission.status != SubmissionStatus.superseded:
        return dict(original)
    now: dict[str, Any] = {
        **receipt,
        "status": "superseded",
        "superseded_by": submission.superseded_by,
        "superseded_at": _aware(submission.superseded_at).isoformat() if submission.superseded_at else None,
        "key_id": key_id(key),
    }
    return _signed(key, now)


def verify_receipt(signed: Mapping[str, Any], public_key: Ed25519PublicKey) -> bool:
    """Whether ``signed`` is a receipt this key signed, unchanged."""
    try:
        signature = base64.b64decode(signed["signature"], validate=True)
        public_key.verify(signature, canonical_json(signed["receipt"]))
    except (KeyError, TypeError, ValueError, InvalidSignature):
        return False
    return True
