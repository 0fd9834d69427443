"""Agreement versions in the database: load, change status (each a new version), compare, and retention.

Every version of an agreement is kept; the highest governs. Nothing here commits: the caller's
unit of work does. Every change appends an audit entry.
"""

import difflib
import hashlib
import logging
import re
from datetime import UTC, date, datetime
from typing import Any, Final

import yaml
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from anonymise import (
    Agreement,
    AgreementInvalid,
    AgreementStatus,
    parse_agreement,
    parse_agreement_checked,
)
from hub import audit
from hub.alerts import links as alert_links
from hub.db import stats_changed
from hub.errors import Conflict, NotFound, Rejected
from hub.models import AgreementVersion, Submission, SubmissionStatus
from hub.records import store as records

log = logging.getLogger(__name__)

DEFAULT_RETENTION_MONTHS: Final = Agreement.model_fields["retention_months"].default

ALLOWED_TRANSITIONS: Final[dict[AgreementStatus, frozenset[AgreementStatus]]] = {
    AgreementStatus.draft: frozenset({AgreementStatus.active, AgreementStatus.revoked}),
    AgreementStatus.active: frozenset(
        {AgreementStatus.suspended, AgreementStatus.revoked, AgreementStatus.expired}
    ),
    AgreementStatus.suspended: frozenset(
        {AgreementStatus.active, AgreementStatus.revoked, AgreementStatus.expired}
    ),
    AgreementStatus.expired: frozenset({AgreementStatus.revoked}),
    AgreementStatus.revoked: frozenset(),
}
"""Which status may follow which; revoked is final (a fresh agreement id is needed to share again)."""


def _now() -> datetime:
    return datetime.now(UTC)


def _latest_row(session: Session, agreement_id: str) -> AgreementVersion | None:
    return session.scalars(
        select(AgreementVersion)
        .where(AgreementVersion.agreement_id == agreement_id)
        .order_by(AgreementVersion.version.desc())
        .limit(1)
    ).first()


def _from_row(row: AgreementVersion) -> Agreement:
    return parse_agreement(row.document)


def governing_agreement(session: Session, agreement_id: str) -> Agreement | None:
    """The agreement's current (highest) version, with its status; None if never loaded."""
    row = _latest_row(session, agreement_id)
    return _from_row(row) if row is not None else None


def _current(*columns: Any) -> Select[Any]:
    """``columns`` of every agreement's current (highest) version, ordered by agreement id."""
    newest = (
        select(AgreementVersion.agreement_id, func.max(AgreementVersion.version).label("v"))
        .group_by(AgreementVersion.agreement_id)
        .subquery()
    )
    return (
        select(*columns)
        .join(
            newest,
            (AgreementVersion.agreement_id == newest.c.agreement_id)
            & (AgreementVersion.version == newest.c.v),
        )
        .order_by(AgreementVersion.agreement_id)
    )


def current_versions(session: Session) -> list[AgreementVersion]:
    """The stored current version of every agreement, any status, ordered by id."""
    return list(session.scalars(_current(AgreementVersion)).all())


def current_digests(session: Session) -> list[str]:
    """The SHA-256 of every agreement's current version, ordered by id: a cheap key for a
    cache of parsed agreements (no document is read)."""
    return list(session.scalars(_current(AgreementVersion.sha256)).all())


def current_agreements(session: Session) -> list[Agreement]:
    """The current version of every agreement the hub holds, any status, ordered by id."""
    return [_from_row(row) for row in current_versions(session)]


def count_versions(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(AgreementVersion)) or 0)


def party_documents(session: Session, org_id: str) -> list[AgreementVersion]:
    """The current version of every agreement naming ``org_id`` as a party (what its client needs)."""
    rows = [_latest_row(session, agreement.id) for agreement in current_agreements(session)]
    return [row for row in rows if row is not None and _from_row(row).party(org_id) is not None]


def versions(session: Session, agreement_id: str) -> list[AgreementVersion]:
    """Every stored version of an agreement, newest first."""
    return list(
        session.scalars(
            select(AgreementVersion)
            .where(AgreementVersion.agreement_id == agreement_id)
            .order_by(AgreementVersion.version.desc())
        ).all()
    )


def version_row(session: Session, agreement_id: str, version: int) -> AgreementVersion:
    row = session.scalars(
        select(AgreementVersion).where(
            AgreementVersion.agreement_id == agreement_id, AgreementVersion.version == version
        )
    ).first()
    if row is None:
        raise NotFound("this agreement has no version with this number")
    return row


def validate_text(text: str) -> Agreement:
    """Parse an agreement file or raise :class:`Rejected` listing each problem with path and line."""
    try:
        return parse_agreement_checked(text)
    except AgreementInvalid as exc:
        raise Rejected(
            "the agreement file is not valid",
            problems=[
                {"path": p.path, "line": p.line, "column": p.column, "rule": p.message}
                for p in exc.problems
            ],
        ) from exc


def _store(session: Session, agreement: Agreement, text: str, actor: str) -> AgreementVersion:
    row = AgreementVersion(
        agreement_id=agreement.id,
        version=agreement.version,
        status=agreement.status.value,
        document=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        created_by=actor,
        created_at=_now(),
    )
    session.add(row)
    session.flush()
    stats_changed(session)
    return row


def load_version(session: Session, text: str, *, actor: str) -> Agreement:
    """Validate an agreement file and store it as a new version, higher than every stored one."""
    agreement = validate_text(text)
    latest = _latest_row(session, agreement.id)
    if latest is not None and agreement.version <= latest.version:
        raise Conflict(
            f"agreement {agreement.id} is already at version {latest.version}: "
            f"a new file must carry a higher version"
        )
    _store(session, agreement, text, actor)
    if agreement.demo:
        log.warning("agreement %s is a demo agreement: uploads need demo mode", agreement.id)
    audit.record(
        session,
        actor=actor,
        action="agreement.load",
        target=f"agreement:{agreement.id}",
        agreement_id=agreement.id,
        details={"version": agreement.version, "status": agreement.status.value},
    )
    return agreement


_TOP_LEVEL = r"^{key}:[ \t]*[^\n#]*?(?=[ \t]*(#|$))"


def _restated(text: str, agreement: Agreement) -> str:
    """The file text with its top-level version and status lines rewritten, comments kept.

    Falls back to a plain YAML dump when the text cannot be edited in place.
    """
    edited = text
    for key, value in (("version", str(agreement.version)), ("status", agreement.status.value)):
        pattern = re.compile(_TOP_LEVEL.format(key=key), re.MULTILINE)
        if pattern.search(edited):
            edited = pattern.sub(f"{key}: {value}", edited, count=1)
        else:
            edited = f"{key}: {value}\n" + edited
    try:
        if parse_agreement(edited) == agreement:
            return edited
    except ValueError:
        pass
    return yaml.safe_dump(agreement.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def next_version_text(row: AgreementVersion) -> str:
    """A stored version's text with its version raised by one: the start of an edit."""
    pattern = re.compile(_TOP_LEVEL.format(key="version"), re.MULTILINE)
    bumped = f"version: {row.version + 1}"
    if pattern.search(row.document):
        return pattern.sub(bumped, row.document, count=1)
    return f"{bumped}\n{row.document}"


def set_status(
    session: Session,
    agreement_id: str,
    status: AgreementStatus | str,
    *,
    actor: str,
    reason: str | None = None,
) -> Agreement:
    """Activate, suspend, expire or revoke: the change is stored as a new version and audited."""
    target = AgreementStatus(status)
    latest = _latest_row(session, agreement_id)
    if latest is None:
        raise NotFound("no agreement has this id")
    current = _from_row(latest)
    if target not in ALLOWED_TRANSITIONS[current.status]:
        raise Conflict(
            f"agreement {agreement_id} is {current.status.value} and cannot become {target.value}"
        )
    changed = current.model_copy(update={"status": target, "version": current.version + 1})
    changed = Agreement.model_validate(changed.model_dump())  # re-run the model's checks
    _store(session, changed, _restated(latest.document, changed), actor)
    audit.record(
        session,
        actor=actor,
        action=f"agreement.{target.value}"
        if target is not AgreementStatus.active
        else "agreement.activate",
        target=f"agreement:{agreement_id}",
        agreement_id=agreement_id,
        details={"version": changed.version, "from": current.status.value, "to": target.value}
        | ({"reason": reason} if reason else {}),
    )
    return changed


def diff(session: Session, agreement_id: str, v1: int, v2: int) -> str:
    """A unified diff of two stored versions' YAML (empty when identical)."""
    a = version_row(session, agreement_id, v1)
    b = version_row(session, agreement_id, v2)
    return "".join(
        difflib.unified_diff(
            a.document.splitlines(keepends=True),
            b.document.splitlines(keepends=True),
            fromfile=f"{agreement_id} v{v1}",
            tofile=f"{agreement_id} v{v2}",
        )
    )


def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    # Clamp the day to the target month's length (e.g. 31 March minus one month).
    for d in (day.day, 30, 29, 28):
        try:
            return date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def purge_expired_records(
    session: Session, today: date, *, actor: str = "system", reason: str | None = None
) -> dict[str, int]:
    """Delete the records of every submission received before its agreement's retention period.

    The submission's metadata stays (status ``purged``) so the grid and the audit trail still
    show it was received. Returns counts: submissions purged and rows deleted per table.
    """
    retention = {a.id: a.retention_months for a in current_agreements(session)}
    candidates = session.scalars(
        select(Submission).where(
            Submission.status.in_([SubmissionStatus.active, SubmissionStatus.superseded])
        )
    ).all()
    expired: list[Submission] = []
    for submission in candidates:
        months = retention.get(submission.agreement_id, DEFAULT_RETENTION_MONTHS)
        cutoff = _months_before(today, months)
        if submission.received_at.date() < cutoff:
            expired.append(submission)
    counts = {"submissions": 0, "incidents": 0, "persons": 0, "selectors": 0, "referrals": 0}
    by_agreement: dict[str, list[Submission]] = {}
    for submission in expired:
        by_agreement.setdefault(submission.agreement_id, []).append(submission)
    for agreement_id, subs in sorted(by_agreement.items()):
        ids = [s.id for s in subs]
        deleted = records.delete(session, ids)
        alert_links.refresh(session, agreement_id, actor=actor)
        for table in ("incidents", "persons", "selectors", "referrals"):
            counts[table] += deleted[table]
        for submission in subs:
            submission.status = SubmissionStatus.purged
        counts["submissions"] += len(subs)
        audit.record(
            session,
            actor=actor,
            action="retention.purge",
            target=f"agreement:{agreement_id}",
            agreement_id=agreement_id,
            providers=tuple(sorted({s.org_id for s in subs})),
            details={
                "submissions": ids,
                "retention_months": retention.get(agreement_id, DEFAULT_RETENTION_MONTHS),
            }
            | ({"reason": reason} if reason else {}),
        )
    session.flush()
    return counts
