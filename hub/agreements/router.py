"""HTTP routes of hub.agreements (operators only): list, read, load, change status, compare, purge."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query

from anonymise import AgreementStatus, check_agreement_text
from hub.agreements import service
from hub.agreements.schemas import (
    AgreementDetail,
    AgreementSummary,
    DiffOut,
    DocumentIn,
    PartnerAgreement,
    PartnerAgreements,
    Problem,
    PurgeOut,
    ValidationOut,
    VersionDocument,
    VersionOut,
)
from hub.auth.dependencies import RequireOperator
from hub.auth.partner import PartnerCall
from hub.deps import DB_INT_MAX, SessionDep
from hub.errors import REFUSAL_RESPONSES, NotFound

router = APIRouter(prefix="/api/v1/agreements", tags=["agreements"])
partner_router = APIRouter(prefix="/api/v1/partner", tags=["agreements"])

AgreementIdPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]


@router.get("", response_model=list[AgreementSummary], summary="Every agreement's current version")
def list_agreements(operator: RequireOperator, session: SessionDep) -> list[AgreementSummary]:
    return [AgreementSummary.of(a) for a in service.current_agreements(session)]


@router.post(
    "", response_model=AgreementSummary, status_code=201, summary="Load a new version from YAML",
    responses=REFUSAL_RESPONSES,
)
def load(body: DocumentIn, operator: RequireOperator, session: SessionDep) -> AgreementSummary:
    return AgreementSummary.of(service.load_version(session, body.document, actor=operator.actor))


@router.post(
    "/validate", response_model=ValidationOut, summary="Check a YAML file without storing it",
    responses=REFUSAL_RESPONSES,
)
def validate(body: DocumentIn, operator: RequireOperator) -> ValidationOut:
    problems = [
        Problem(path=p.path, line=p.line, column=p.column, rule=p.message)
        for p in check_agreement_text(body.document)
    ]
    return ValidationOut(valid=not problems, problems=problems)


@router.post(
    "/purge", response_model=PurgeOut, summary="Delete records past their retention period now"
)
def purge(operator: RequireOperator, session: SessionDep) -> PurgeOut:
    today = datetime.now(UTC).date()
    return PurgeOut(counts=service.purge_expired_records(session, today, actor=operator.actor))


@router.get(
    "/{agreement_id}",
    response_model=AgreementDetail,
    summary="The current version and every version",
)
def get(
    agreement_id: AgreementIdPath, operator: RequireOperator, session: SessionDep
) -> AgreementDetail:
    agreement = service.governing_agreement(session, agreement_id)
    if agreement is None:
        raise NotFound("no agreement has this id")
    return AgreementDetail(
        summary=AgreementSummary.of(agreement),
        agreement=agreement.model_dump(mode="json"),
        versions=[VersionOut.of(row) for row in service.versions(session, agreement_id)],
    )


@router.get(
    "/{agreement_id}/versions/{version}",
    response_model=VersionDocument,
    summary="One version's YAML",
)
def get_version(
    agreement_id: AgreementIdPath,
    version: Annotated[int, Path(ge=1, le=DB_INT_MAX)],
    operator: RequireOperator,
    session: SessionDep,
) -> VersionDocument:
    row = service.version_row(session, agreement_id, version)
    return VersionDocument(**VersionOut.of(row).model_dump(), document=row.document)


@router.get("/{agreement_id}/diff", response_model=DiffOut, summary="Unified diff of two versions")
def diff(
    agreement_id: AgreementIdPath,
    v1: Annotated[int, Query(ge=1, le=DB_INT_MAX)],
    v2: Annotated[int, Query(ge=1, le=DB_INT_MAX)],
    operator: RequireOperator,
    session: SessionDep,
) -> DiffOut:
    return DiffOut(
        agreement_id=agreement_id, v1=v1, v2=v2, diff=service.diff(session, agreement_id, v1, v2)
    )


def _status_route(status: AgreementStatus, verb: str) -> None:
    @router.post(
        f"/{{agreement_id}}/{verb}",
        response_model=AgreementSummary,
        summary=f"{verb.capitalize()} (stored as a new version)",
        name=f"agreement_{verb}",
    )
    def change(
        agreement_id: AgreementIdPath, operator: RequireOperator, session: SessionDep
    ) -> AgreementSummary:
        return AgreementSummary.of(
            service.set_status(session, agreement_id, status, actor=operator.actor)
        )


for _status, _verb in (
    (AgreementStatus.active, "activate"),
    (AgreementStatus.suspended, "suspend"),
    (AgreementStatus.revoked, "revoke"),
    (AgreementStatus.expired, "expire"),
):
    _status_route(_status, _verb)


@partner_router.get(
    "/agreements",
    response_model=PartnerAgreements,
    summary="The current version of every agreement naming the calling partner (partner token)",
)
def partner_agreements(partner: PartnerCall, session: SessionDep) -> PartnerAgreements:
    rows = service.party_documents(session, partner.org_id)
    return PartnerAgreements(
        agreements=[
            PartnerAgreement(id=row.agreement_id, version=row.version, status=row.status, document=row.document)
            for row in rows
        ]
    )
