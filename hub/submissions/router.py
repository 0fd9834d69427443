"""HTTP routes of hub.submissions: partner uploads, status, withdrawal; operator withdrawal; the hub's key."""

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from anonymise import Refusal
from hub import ratelimit
from hub.auth.dependencies import RequireOperator
from hub.auth.partner import PartnerCall, UploadCaller, bearer_token
from hub.deps import SecretsDep, SessionDep, SettingsDep
from hub.errors import REFUSAL_RESPONSES, HubError, TooLarge
from hub.submissions import service
from hub.submissions.receipts import hub_key_document, resent_receipt
from hub.submissions.schemas import HubKey, SignedReceipt, SubmissionList, SubmissionOut, Withdrawal
from hub.submissions.slots import IngestSlots

router = APIRouter(prefix="/api/v1", tags=["submissions"])

BUNDLE_TYPES = frozenset({"application/zip", "application/octet-stream"})
QuarterPath = Annotated[str, Path(pattern=r"^(19|20)[0-9]{2}-Q[1-4]$")]


class UnsupportedMediaType(HubError):
    status_code = 415
    code = "unsupported_media_type"


async def _bundle_body(request: Request, settings: SettingsDep, caller: UploadCaller) -> AsyncIterator[bytes]:
    """The raw bundle, read no further than ``max_bundle_bytes`` (413 beyond), and only for a caller
    whose upload token verifies (its body hash and ``jti`` are checked once the body is here), whose
    organisation is within its hourly upload limit (429 before the body is read), and once one of
    the process's ingest slots is free (:mod:`hub.submissions.slots`; held until the upload ends,
    503 with Retry-After after a bounded wait)."""
    await run_in_threadpool(
        ratelimit.guard, request.app.state.sessions, f"upload:{caller.org_id}", limit=settings.upload_limit_per_hour
    )
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in BUNDLE_TYPES:
        raise UnsupportedMediaType("send the bundle as Content-Type: application/zip")
    limit = settings.max_bundle_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"the bundle is larger than {limit} bytes")
    slots: IngestSlots = request.app.state.ingest_slots
    await run_in_threadpool(slots.acquire, settings.ingest_queue_wait_seconds)
    try:
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > limit:
                raise TooLarge(f"the bundle is larger than {limit} bytes")
        data = bytes(body)
        del body
        yield data
    finally:
        slots.release()


BundleBody = Annotated[bytes, Depends(_bundle_body)]


@router.post(
    "/submissions",
    response_model=SignedReceipt,
    status_code=201,
    summary="Upload a signed bundle (partner token, typ msht-upload+jwt)",
    responses={
        200: {
            "description": "The identical bundle was received before: its original receipt, or, once a later "
            "bundle superseded it, that receipt re-signed with status superseded and superseded_by."
        },
        **REFUSAL_RESPONSES,
        415: {"model": Refusal, "description": "Not a zip bundle"},
        503: {"model": Refusal, "description": "Busy: another upload holds the quarter or every ingest slot; Retry-After"},
    },
)
def upload(
    request: Request,
    response: Response,
    caller: UploadCaller,
    body: BundleBody,
    session: SessionDep,
    settings: SettingsDep,
    secrets: SecretsDep,
) -> SignedReceipt:
    received = service.receive(session, settings, secrets, bearer_token(request), body, caller=caller)
    if received.created:
        return SignedReceipt.model_validate(received.receipt)
    response.status_code = 200
    return SignedReceipt.model_validate(resent_receipt(session, secrets.signing_key, received.receipt))


@router.get("/submissions", response_model=SubmissionList, summary="The calling partner's submissions")
def list_submissions(partner: PartnerCall, session: SessionDep) -> SubmissionList:
    rows = service.partner_submissions(session, partner.org_id)
    return SubmissionList(submissions=[SubmissionOut.model_validate(r, from_attributes=True) for r in rows])


@router.post("/submissions/{quarter}/withdraw", response_model=Withdrawal, responses=REFUSAL_RESPONSES, summary="Withdraw the calling partner's quarter")
def withdraw_quarter(
    quarter: QuarterPath,
    partner: PartnerCall,
    session: SessionDep,
    agreement_id: Annotated[str | None, Query(max_length=64)] = None,
) -> Withdrawal:
    ids, deleted = service.withdraw_quarter(session, partner, quarter, agreement_id=agreement_id)
    return Withdrawal(withdrawn=ids, incidents_deleted=deleted)


@router.post("/operator/submissions/{submission_id}/withdraw", response_model=Withdrawal, summary="Withdraw a submission (operator)")
def operator_withdraw(
    submission_id: Annotated[str, Path(max_length=36)], operator: RequireOperator, session: SessionDep
) -> Withdrawal:
    ids, deleted = service.withdraw_submission(session, submission_id, actor=operator.actor)
    return Withdrawal(withdrawn=ids, incidents_deleted=deleted)


@router.get("/hub-key", response_model=HubKey, summary="The hub's Ed25519 public key (receipts verify with it)")
def hub_key(secrets: SecretsDep) -> HubKey:
    return HubKey.model_validate(hub_key_document(secrets.signing_key))
