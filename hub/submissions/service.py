"""Submission rules: receive a signed bundle whole or not at all, supersede, list, withdraw.

Nothing here commits: the request's one transaction does, so a bundle is stored whole or not at
all. Uploads for one partner, agreement and quarter are serialised (a PostgreSQL advisory lock;
SQLite's BEGIN IMMEDIATE), and the partial unique index ``uq_submissions_one_active`` backs it.
Logs carry ids, counts and rule names only.
"""

import hashlib
import hmac
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NoReturn

from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from anonymise import BundleError, check_upload, open_bundle, sha256_hex, verify_signature
from hub import audit
from hub.agreements.service import governing_agreement
from hub.alerts import links as alert_links
from hub.auth.partner import UPLOAD_TYP, Partner, authenticate, verify_token
from hub.config import HubSettings
from hub.errors import Busy, Conflict, Forbidden, NotAuthenticated, NotFound, Rejected, TooLarge
from hub.models import Submission, SubmissionStatus
from hub.records import store as records
from hub.secrets import HubSecrets
from hub.submissions import ingest, memory
from hub.submissions.min_k import check_min_k
from hub.submissions.receipts import sign_receipt
from hub.submissions.rekey import Rekeyer
from hub.submissions.validate import Problems, ValidTables, check_rows, present_fields, row_counts

log = logging.getLogger(__name__)
_LOCK_WAIT_CODES = frozenset({"55P03", "57014"})  # lock_not_available (lock_timeout), query_canceled (statement_timeout)


@dataclass(frozen=True)
class Received:
    receipt: dict[str, Any]
    created: bool


def _now() -> datetime:
    return datetime.now(UTC)


def bound_ingest(session: Session, settings: HubSettings) -> None:
    """On PostgreSQL, bound this transaction: every statement, every lock wait, and the time a
    backend goes on working for a client that has gone (a killed hub), so no ingest can stall
    the quarter or hold its lock for minutes. Transaction-scoped (``SET LOCAL``)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    session.execute(text("SELECT set_config('statement_timeout', :s, true), set_config('lock_timeout', :l, true), "
                         "set_config('idle_in_transaction_session_timeout', :s, true)"),
                    {"s": f"{settings.ingest_statement_timeout_seconds * 1000}", "l": f"{settings.ingest_lock_wait_seconds * 1000}"})


def _lock_quarter(session: Session, org_id: str, agreement_id: str, quarter: str, *, wait_seconds: int = 30) -> None:
    """Serialise writers of one partner's quarter (SQLite already serialises every writer).

    A transaction-level advisory lock: it ends with the transaction, so with the backend. It is
    waited for at most ``lock_timeout`` (``bound_ingest``); then 503 with Retry-After.
    """
    if session.get_bind().dialect.name == "postgresql":
        digest = hashlib.sha256(f"submission|{org_id}|{agreement_id}|{quarter}".encode()).digest()
        try:
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": int.from_bytes(digest[:8], "big", signed=True)})
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) not in _LOCK_WAIT_CODES:
                raise
            log.info("upload from %s waited too long for its quarter's lock", org_id)
            raise Busy("another upload of this quarter is being stored; try again shortly",
                       retry_after=max(5, wait_seconds)) from None


def _reject(partner: Partner, problems: Problems, *, too_large: bool = False) -> NoReturn:
    rules = Counter(p["rule"] for p in problems.items)
    log.info("upload from %s rejected: %d problem(s), rules %s", partner.org_id, problems.total, dict(rules))
    shown = "" if problems.total <= len(problems.items) else f" (first {len(problems.items)} listed)"
    detail = f"the bundle was refused whole: {problems.total} problem(s){shown}; nothing was stored"
    if too_large:
        raise TooLarge(detail, problems=problems.items)
    raise Rejected(detail, problems=problems.items)


def _bundle_problem(message: str) -> Problems:
    problems = Problems()
    problems.add(None, "bundle", message=message)
    return problems


def receive(
    session: Session,
    settings: HubSettings,
    secrets: HubSecrets,
    token: str,
    body: bytes,
    *,
    caller: Partner | None = None,
    today: date | None = None,
) -> Received:
    """Authenticate, verify, check and ingest one bundle; return the hub's signed receipt.

    ``caller`` is the token already verified (without body or ``jti``) before the body was read.
    The bundle is opened and every row validated before the request's transaction touches the
    database, so no lock is held during that work (SQLite's is database-wide).
    """
    digest = sha256_hex(body)
    if caller is None:
        caller = verify_token(session, settings, token, typ=UPLOAD_TYP)
    bound = caller.claims.get("bundle_sha256")
    if not isinstance(bound, str) or not hmac.compare_digest(bound.lower(), digest):
        raise NotAuthenticated("token is not bound to this bundle (bundle_sha256)")
    try:
        bundle = open_bundle(body)
    except BundleError as exc:
        _reject(caller, _bundle_problem(str(exc)))
    try:
        verify_signature(bundle, caller.public_key)
    except BundleError as exc:
        raise NotAuthenticated("the manifest signature does not verify with the token's key") from exc
    manifest = bundle.manifest
    if manifest.partner_id != caller.org_id:
        raise Forbidden("the bundle's manifest names another partner")
    problems = Problems()
    row_counts(bundle, max_rows=settings.max_rows_per_table, problems=problems)
    if problems:
        _reject(caller, problems, too_large=any(p["rule"] == "row_limit" for p in problems.items))
    tables = check_rows(bundle, problems, text_bytes=settings.max_bundle_text_bytes)
    memory.give_back()  # Arrow's decoding pages and the validation's garbage, before the database work

    partner = authenticate(session, settings, token, typ=UPLOAD_TYP, bundle_sha256=digest)
    if partner.kid != caller.kid:
        raise NotAuthenticated("token key changed during the request")
    earlier = _by_digest(session, digest)
    if earlier is not None:
        return _again(earlier, partner)
    agreement = governing_agreement(session, manifest.agreement_id)
    if agreement is None:
        problems.add(None, "agreement_unknown", message="the hub holds no agreement with this id")
    else:
        decision = check_upload(
            agreement,
            partner_id=partner.org_id,
            manifest=manifest,
            present_fields=present_fields(tables) if tables is not None else {},
            today=today or _now().date(),
            demo_mode=settings.demo,
        )
        for reason in decision.reasons:
            problems.add(None, "agreement", message=reason)
        if not decision.reasons:
            check_min_k(bundle, agreement, problems, org_id=partner.org_id)
    if problems or tables is None or agreement is None:
        _reject(partner, problems)

    quarter = manifest.reporting_period
    bound_ingest(session, settings)
    _lock_quarter(session, partner.org_id, agreement.id, quarter, wait_seconds=settings.ingest_lock_wait_seconds)
    earlier = _by_digest(session, digest)  # an identical upload may have won the lock
    if earlier is not None:
        return _again(earlier, partner)
    _check_resubmissions(session, partner.org_id, agreement.id, quarter, agreement.disclosure.max_resubmissions)
    submission_id = str(manifest.submission_id)
    if session.get(Submission, submission_id) is not None:
        raise Conflict("this submission id was used by another bundle; prepare the bundle again",
                       problems=[{"rule": "submission_id_reused"}])
    return _ingest(session, secrets, partner, tables, bundle.manifest.model_dump(mode="json"),
                   submission_id=submission_id, agreement_id=agreement.id,
                   agreement_version=agreement.version, quarter=quarter, digest=digest)


def _check_resubmissions(session: Session, org_id: str, agreement_id: str, quarter: str, allowed: int) -> None:
    """Refuse a quarter sent more often than the agreement allows: each upload is a new draw of
    the perturbation, which a partner re-sending with a few known records could average."""
    sent = session.scalar(
        select(func.count()).select_from(Submission).where(
            Submission.org_id == org_id, Submission.agreement_id == agreement_id, Submission.quarter == quarter
        )
    ) or 0
    if sent > allowed:
        raise Conflict(
            f"{quarter} has been sent {sent} times; the agreement allows {allowed} resubmission(s) of a quarter. "
            "Ask the hub operator (and the agreement's owner) if a correction is needed.",
            problems=[{"rule": "max_resubmissions"}],
        )


def _by_digest(session: Session, digest: str) -> Submission | None:
    return session.scalars(select(Submission).where(Submission.bundle_sha256 == digest)).first()


def _again(earlier: Submission, partner: Partner) -> Received:
    if earlier.org_id != partner.org_id:
        raise Conflict("this bundle was received before from another partner", problems=[{"rule": "bundle_of_another_partner"}])
    if earlier.status not in (SubmissionStatus.active, SubmissionStatus.superseded):
        raise Conflict(f"this exact bundle was {earlier.status}; prepare it again to send it anew",
                       problems=[{"rule": "bundle_no_longer_active"}])
    log.info("upload from %s repeats submission %s: original receipt returned", partner.org_id, earlier.id)
    return Received(receipt=dict(earlier.receipt), created=False)


def _ingest(
    session: Session,
    secrets: HubSecrets,
    partner: Partner,
    tables: ValidTables,
    manifest: dict[str, Any],
    *,
    submission_id: str,
    agreement_id: str,
    agreement_version: int,
    quarter: str,
    digest: str,
) -> Received:
    now = _now()
    previous = session.scalars(
        select(Submission)
        .where(
            Submission.org_id == partner.org_id,
            Submission.agreement_id == agreement_id,
            Submission.quarter == quarter,
            Submission.status == SubmissionStatus.active,
        )
        .with_for_update()
    ).all()
    for old in previous:
        old.status = SubmissionStatus.superseded
        old.superseded_by = submission_id
        old.superseded_at = now
    counts = tables.counts()
    receipt = sign_receipt(
        secrets.signing_key,
        submission_id=submission_id,
        partner_id=partner.org_id,
        agreement_id=agreement_id,
        agreement_version=agreement_version,
        quarter=quarter,
        bundle_sha256=digest,
        record_counts=counts,
        received_at=now,
        supersedes=[old.id for old in previous],
    )
    try:
        session.flush()
        session.add(
            Submission(
                id=submission_id,
                org_id=partner.org_id,
                agreement_id=agreement_id,
                agreement_version=agreement_version,
                quarter=quarter,
                status=SubmissionStatus.active,
                bundle_sha256=digest,
                signing_kid=partner.kid,
                manifest=manifest,
                receipt=receipt,
                record_counts=counts,
                received_at=now,
            )
        )
        session.flush()
    except IntegrityError as exc:
        raise Conflict("another upload for this quarter was accepted at the same moment; try again",
                       problems=[{"rule": "one_active_per_quarter"}]) from exc
    origin = ingest.Provenance(submission_id, partner.org_id, agreement_id, quarter)
    stored = ingest.store(session, tables, origin, Rekeyer(secrets.pseudonym_key, agreement_id))
    alert_links.refresh(session, agreement_id, actor=partner.actor)
    for old in previous:
        audit.record(session, actor=partner.actor, action="submission.superseded", target=f"submission:{old.id}",
                     agreement_id=agreement_id, providers=(partner.org_id,),
                     details={"quarter": quarter, "superseded_by": submission_id,
                              "records": dict(old.record_counts), "new_records": counts})
    audit.record(session, actor=partner.actor, action="submission.accepted", target=f"submission:{submission_id}",
                 agreement_id=agreement_id, providers=(partner.org_id,),
                 details={"quarter": quarter, "agreement_version": agreement_version, "records": counts,
                          "supersedes": [old.id for old in previous]})
    log.info("submission %s accepted from %s for %s/%s: %s rows stored", submission_id, partner.org_id,
             agreement_id, quarter, stored)
    return Received(receipt=receipt, created=True)


# --- listing and withdrawal ------------------------------------------------------------------


def all_submissions(session: Session) -> list[Submission]:
    """Every submission's metadata, newest first (the operator's grid and list; no records)."""
    return list(session.scalars(select(Submission).order_by(Submission.received_at.desc())))


def count_active(session: Session) -> int:
    stmt = select(func.count()).select_from(Submission).where(Submission.status == SubmissionStatus.active)
    return int(session.scalar(stmt) or 0)


def get_submission(session: Session, submission_id: str) -> Submission:
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFound("no submission has this id")
    return submission


def partner_submissions(session: Session, org_id: str) -> list[Submission]:
    return list(
        session.scalars(
            select(Submission)
            .where(Submission.org_id == org_id)
            .order_by(Submission.quarter.desc(), Submission.received_at.desc())
        )
    )


def _withdraw(session: Session, submissions: list[Submission], *, actor: str, reason: str | None = None) -> int:
    now = _now()
    deleted = records.delete(session, [s.id for s in submissions])["incidents"]
    for agreement_id in sorted({s.agreement_id for s in submissions}):  # their alerts went with the records; the rest re-checked
        alert_links.refresh(session, agreement_id, actor=actor)
    for submission in submissions:
        submission.status = SubmissionStatus.withdrawn
        submission.withdrawn_at = now
    session.flush()
    for submission in submissions:
        audit.record(session, actor=actor, action="submission.withdrawn", target=f"submission:{submission.id}",
                     agreement_id=submission.agreement_id, providers=(submission.org_id,),
                     details={"quarter": submission.quarter, "records": dict(submission.record_counts)}
                     | ({"reason": reason} if reason else {}))
    log.info("%s withdrew %d submission(s), %d incident(s) deleted", actor, len(submissions), deleted)
    return deleted


def withdraw_quarter(
    session: Session, partner: Partner, quarter: str, *, agreement_id: str | None = None
) -> tuple[list[str], int]:
    """The partner withdraws its quarter: every submission of it (active and superseded) goes."""
    query = select(Submission).where(
        Submission.org_id == partner.org_id,
        Submission.quarter == quarter,
        Submission.status.in_([SubmissionStatus.active, SubmissionStatus.superseded]),
    )
    if agreement_id is not None:
        query = query.where(Submission.agreement_id == agreement_id)
    found = list(session.scalars(query.order_by(Submission.received_at)))
    agreements = sorted({s.agreement_id for s in found})
    if not found:
        raise NotFound("you have no submission for this quarter")
    if len(agreements) > 1:
        raise Conflict("you sent this quarter under several agreements; name one with ?agreement_id=")
    _lock_quarter(session, partner.org_id, agreements[0], quarter)
    found = list(session.scalars(query.with_for_update()))
    return [s.id for s in found], _withdraw(session, found, actor=partner.actor)


def withdraw_submission(
    session: Session, submission_id: str, *, actor: str, reason: str | None = None
) -> tuple[list[str], int]:
    """An operator withdraws one submission by id; withdrawing twice changes nothing."""
    submission = session.get(Submission, submission_id)
    if submission is None:
        raise NotFound("no submission has this id")
    _lock_quarter(session, submission.org_id, submission.agreement_id, submission.quarter)
    session.refresh(submission, with_for_update=True)
    if submission.status not in (SubmissionStatus.active, SubmissionStatus.superseded):
        return [], 0
    return [submission.id], _withdraw(session, [submission], actor=actor, reason=reason)
