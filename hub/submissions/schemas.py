"""API shapes of hub.submissions: receipts, submission listings, withdrawals."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class SignedReceipt(BaseModel):
    """``receipt`` signed by the hub: Ed25519 over its canonical JSON, base64 in ``signature``."""

    receipt: dict[str, Any]
    signature: str


class SubmissionOut(BaseModel):
    id: str
    org_id: str
    agreement_id: str
    agreement_version: int
    quarter: str
    status: str
    bundle_sha256: str
    record_counts: dict[str, int]
    received_at: datetime
    superseded_by: str | None
    superseded_at: datetime | None
    withdrawn_at: datetime | None


class SubmissionList(BaseModel):
    submissions: list[SubmissionOut]


class Withdrawal(BaseModel):
    withdrawn: list[str]
    incidents_deleted: int


class HubKey(BaseModel):
    key_id: str
    algorithm: str
    public_key: str
    jwk: dict[str, str]
