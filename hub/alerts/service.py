"""What a partner sees of its alerts, and the contact requests the hub mediates between two partners.

A partner sees only its own alerts: its own submission and the record's position in it (its
client resolves that to a case reference the hub never learns), the kinds of link and the month.
Never the other partner's identity, records or pseudonyms. A contact request goes to the partner
holding the other side, who sees the request against *its own* record, not the asker's; only once
it accepts does each side see the other organisation's name and named contact. Another partner's
alert or request is "not found", the same answer as one that does not exist. Every step is audited.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hub import audit
from hub.errors import Conflict, NotFound
from hub.models import Alert, ContactRequest, ContactStatus, Organisation, Submission

__all__ = ["AlertView", "RequestView", "decide", "list_alerts", "request_contact", "set_contact"]

NO_CONTACT: Final = "no named contact set yet: ask the hub operator"


@dataclass(frozen=True)
class RequestView:
    id: int
    direction: str  # "sent" (you asked) or "received" (the other partner asked)
    status: str
    organisation: str | None  # the other organisation: only once accepted
    contact: str | None  # its named contact: only once accepted


@dataclass(frozen=True)
class AlertView:
    id: int
    agreement_id: str
    submission_id: str
    quarter: str
    row: int
    kinds: tuple[str, ...]
    found_month: str
    request: RequestView | None


def _now() -> datetime:
    return datetime.now(UTC)


def _contact_of(session: Session, org_id: str) -> tuple[str, str]:
    org = session.get(Organisation, org_id)
    if org is None:
        return org_id, NO_CONTACT
    return org.name, org.contact or NO_CONTACT


def _request_view(session: Session, request: ContactRequest, org_id: str) -> RequestView:
    sent = request.from_org == org_id
    other = request.to_org if sent else request.from_org
    name, contact = _contact_of(session, other) if request.status == ContactStatus.accepted else (None, None)
    return RequestView(request.id, "sent" if sent else "received", request.status, name, contact)


def list_alerts(session: Session, org_id: str) -> list[AlertView]:
    """The partner's own alerts, newest month first; audited with the providers they draw on."""
    rows = session.execute(
        select(Alert, Submission.quarter)
        .join(Submission, Submission.id == Alert.submission_id)
        .where(Alert.org_id == org_id)
        .order_by(Alert.found_month.desc(), Alert.submission_id, Alert.row, Alert.id)
    ).all()
    ids = [alert.id for alert, _ in rows]
    requests: dict[int, ContactRequest] = {}
    if ids:
        for request in session.scalars(
            select(ContactRequest).where(or_(ContactRequest.alert_id.in_(ids), ContactRequest.mirror_id.in_(ids)))
        ):
            requests[request.alert_id if request.from_org == org_id else request.mirror_id] = request
    views = [
        AlertView(
            alert.id, alert.agreement_id, alert.submission_id, quarter, alert.row, tuple(alert.kinds.split("|")),
            alert.found_month,
            _request_view(session, requests[alert.id], org_id) if alert.id in requests else None,
        )
        for alert, quarter in rows
    ]
    others = sorted({alert.other_org_id for alert, _ in rows})
    audit.record(session, actor=f"partner:{org_id}", action="alerts.listed", target=f"org:{org_id}",
                 providers=tuple(sorted({org_id, *others})) if rows else (org_id,),
                 details={"alerts": len(views), "contacts_shown": sum(
                     1 for v in views if v.request is not None and v.request.status == ContactStatus.accepted)})
    return views


def _own_alert(session: Session, org_id: str, alert_id: int) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None or alert.org_id != org_id:
        raise NotFound("you have no alert with this id")
    return alert


def _mirror(session: Session, alert: Alert) -> Alert:
    mirror = session.scalars(
        select(Alert).where(Alert.incident_id == alert.other_incident_id, Alert.other_incident_id == alert.incident_id)
    ).first()
    if mirror is None:  # both sides are always written together; a half is a bug, not the caller's fault
        raise NotFound("this alert's other side is gone; list your alerts again")
    return mirror


def request_contact(session: Session, org_id: str, alert_id: int) -> RequestView:
    """Ask, through the hub, to be put in touch with whoever holds the other side of an alert."""
    alert = _own_alert(session, org_id, alert_id)
    mirror = _mirror(session, alert)
    existing = session.scalars(
        select(ContactRequest).where(ContactRequest.alert_id.in_([alert.id, mirror.id]))
    ).first()
    if existing is not None:
        raise Conflict("a contact request about this alert exists already; see `msht-client alerts`")
    request = ContactRequest(alert_id=alert.id, mirror_id=mirror.id, from_org=org_id, to_org=mirror.org_id,
                             status=ContactStatus.pending, created_at=_now())
    session.add(request)
    session.flush()
    audit.record(session, actor=f"partner:{org_id}", action="contact.requested", target=f"contact_request:{request.id}",
                 agreement_id=alert.agreement_id, providers=(org_id, mirror.org_id), details={"alert": alert.id, "mirror": mirror.id})
    return _request_view(session, request, org_id)


def decide(session: Session, org_id: str, request_id: int, *, accept: bool) -> RequestView:
    """The asked partner accepts or declines; deciding again is refused (a decision stands)."""
    request = session.get(ContactRequest, request_id, with_for_update=True)
    if request is None or request.to_org != org_id:
        raise NotFound("you have no contact request with this id")
    if request.status != ContactStatus.pending:
        raise Conflict(f"this request was {request.status} already")
    request.status = ContactStatus.accepted if accept else ContactStatus.declined
    request.decided_at = _now()
    session.flush()
    alert = session.get(Alert, request.mirror_id)
    audit.record(session, actor=f"partner:{org_id}", action=f"contact.{request.status}", target=f"contact_request:{request.id}",
                 agreement_id=alert.agreement_id if alert else None, providers=(request.from_org, org_id),
                 details={"alert": request.alert_id, "mirror": request.mirror_id})
    return _request_view(session, request, org_id)


def set_contact(session: Session, org_id: str, contact: str | None, *, actor: str) -> Organisation:
    """The operator sets (or clears) an organisation's named contact for alerts."""
    org = session.get(Organisation, org_id)
    if org is None:
        raise NotFound("no organisation has this id")
    org.contact = contact.strip() if contact and contact.strip() else None
    session.flush()
    audit.record(session, actor=actor, action="org.contact", target=f"org:{org_id}", details={"set": org.contact is not None})
    return org
