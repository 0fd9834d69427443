"""HTTP routes of hub.alerts: a partner's alerts and contact requests; the operator sets named contacts."""

from typing import Annotated

from fastapi import APIRouter, Path

from hub.alerts import service
from hub.alerts.schemas import AlertList, AlertOut, ContactIn, ContactOut, ContactRequestOut
from hub.auth.dependencies import RequireOperator
from hub.auth.partner import PartnerCall
from hub.deps import DB_INT_MAX, SessionDep
from hub.errors import REFUSAL_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["alerts"])

Id = Annotated[int, Path(ge=1, le=DB_INT_MAX)]


def _request(view: service.RequestView) -> ContactRequestOut:
    return ContactRequestOut(id=view.id, direction=view.direction, status=view.status,
                             organisation=view.organisation, contact=view.contact)


@router.get("/partner/alerts", response_model=AlertList, summary="The calling partner's alerts (partner token)")
def list_alerts(partner: PartnerCall, session: SessionDep) -> AlertList:
    return AlertList(alerts=[
        AlertOut(id=a.id, agreement_id=a.agreement_id, submission_id=a.submission_id, quarter=a.quarter, row=a.row,
                 kinds=list(a.kinds), found_month=a.found_month,
                 contact_request=_request(a.request) if a.request is not None else None)
        for a in service.list_alerts(session, partner.org_id)
    ])


@router.post("/partner/alerts/{alert_id}/contact-request", status_code=201, response_model=ContactRequestOut,
             responses=REFUSAL_RESPONSES, summary="Ask to be put in touch about one of your alerts")
def request_contact(alert_id: Id, partner: PartnerCall, session: SessionDep) -> ContactRequestOut:
    return _request(service.request_contact(session, partner.org_id, alert_id))


@router.post("/partner/contact-requests/{request_id}/accept", response_model=ContactRequestOut,
             responses=REFUSAL_RESPONSES, summary="Accept a contact request made to you: both sides then see each other's contact")
def accept(request_id: Id, partner: PartnerCall, session: SessionDep) -> ContactRequestOut:
    return _request(service.decide(session, partner.org_id, request_id, accept=True))


@router.post("/partner/contact-requests/{request_id}/decline", response_model=ContactRequestOut,
             responses=REFUSAL_RESPONSES, summary="Decline a contact request made to you")
def decline(request_id: Id, partner: PartnerCall, session: SessionDep) -> ContactRequestOut:
    return _request(service.decide(session, partner.org_id, request_id, accept=False))


@router.put("/orgs/{org_id}/contact", response_model=ContactOut, responses=REFUSAL_RESPONSES,
            summary="Set an organisation's named contact for alerts (operators)")
def set_contact(org_id: Annotated[str, Path(max_length=64)], body: ContactIn, operator: RequireOperator,
                session: SessionDep) -> ContactOut:
    org = service.set_contact(session, org_id, body.contact, actor=operator.actor)
    return ContactOut(org_id=org.id, contact=org.contact)
