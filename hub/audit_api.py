"""HTTP routes of the audit log: operators read and verify it; partners list the reads that drew on their data."""

from typing import Annotated, Any

from fastapi import APIRouter, Query

from hub import audit
from hub.auth.dependencies import CurrentPrincipal, RequireOperator
from hub.auth.partner import PartnerCall
from hub.deps import DB_INT_MAX, SessionDep
from hub.models import AuditEntry

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])


@router.get("", summary="The newest audit entries (operators)")
def list_entries(
    _: RequireOperator,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before: Annotated[int | None, Query(ge=1, le=DB_INT_MAX)] = None,
) -> list[dict[str, Any]]:
    return [audit.as_dict(e) for e in audit.recent(session, limit=limit, before=before)]


@router.get("/verify", summary="Check the whole hash chain (operators)")
def verify_chain(principal: RequireOperator, session: SessionDep) -> dict[str, Any]:
    report = audit.verify(session)
    audit.record(
        session, actor=principal.actor, action="audit.verify", target="audit_log",
        details={"ok": report.ok, "count": report.count, "first_bad_id": report.first_bad_id},
    )
    return {"ok": report.ok, "count": report.count, "first_bad_id": report.first_bad_id, "problem": report.problem}


@router.get("/mine", summary="Access events that touched statistics derived from your organisation's data")
def mine(
    principal: CurrentPrincipal,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    return [_public(e) for e in audit.entries_touching(session, principal.org_id, limit=limit)]


def _public(entry: AuditEntry) -> dict[str, Any]:
    """What a provider sees of an access event: who read what, when, under which agreement."""
    row = audit.as_dict(entry)
    return {k: row[k] for k in ("id", "at", "actor", "action", "target", "agreement_id")}


@router.get("/partner", summary="For the partner client: access events that touched this partner's data")
def partner_events(
    partner: PartnerCall,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[dict[str, Any]]:
    return [_public(e) for e in audit.entries_touching(session, partner.org_id, limit=limit)]
