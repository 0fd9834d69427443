"""Request and response bodies of hub.agreements (separate from the table models)."""

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, StringConstraints

from anonymise import Agreement, PartyRole
from hub.models import AgreementVersion

MAX_DOCUMENT_CHARS = 200_000

Document = Annotated[str, StringConstraints(min_length=1, max_length=MAX_DOCUMENT_CHARS)]


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)

    document: Document


class Problem(BaseModel):
    path: str
    line: int | None
    column: int | None
    rule: str


class ValidationOut(BaseModel):
    valid: bool
    problems: list[Problem]


class AgreementSummary(BaseModel):
    id: str
    version: int
    status: str
    title: str
    valid_from: date
    valid_until: date
    demo: bool
    providers: list[str]
    recipients: list[str]

    @classmethod
    def of(cls, agreement: Agreement) -> "AgreementSummary":
        return cls(
            id=agreement.id,
            version=agreement.version,
            status=agreement.status.value,
            title=agreement.title,
            valid_from=agreement.valid_from,
            valid_until=agreement.valid_until,
            demo=agreement.demo,
            providers=[p.org for p in agreement.parties if PartyRole.provider in p.roles],
            recipients=[p.org for p in agreement.parties if PartyRole.recipient in p.roles],
        )


class VersionOut(BaseModel):
    version: int
    status: str
    sha256: str
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, row: AgreementVersion) -> "VersionOut":
        return cls(
            version=row.version,
            status=row.status,
            sha256=row.sha256,
            created_by=row.created_by,
            created_at=row.created_at,
        )


class AgreementDetail(BaseModel):
    summary: AgreementSummary
    agreement: dict[str, Any]
    versions: list[VersionOut]


class VersionDocument(VersionOut):
    document: str


class DiffOut(BaseModel):
    agreement_id: str
    v1: int
    v2: int
    diff: str


class PurgeOut(BaseModel):
    counts: dict[str, int]


class PartnerAgreement(BaseModel):
    id: str
    version: int
    status: str
    document: str


class PartnerAgreements(BaseModel):
    agreements: list[PartnerAgreement]
