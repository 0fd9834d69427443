"""HTTP routes of hub.returns: a partner reads the returns it owes and the reminders about them."""

from fastapi import APIRouter

from hub.auth.partner import PartnerCall
from hub.deps import SessionDep
from hub.returns import service
from hub.returns.schemas import OwedList, OwedOut

router = APIRouter(prefix="/api/v1", tags=["returns"])


@router.get("/partner/returns", response_model=OwedList,
            summary="The returns the calling partner still owes, with the operators' reminders (partner token)")
def my_returns(partner: PartnerCall, session: SessionDep) -> OwedList:
    return OwedList(returns=[
        OwedOut(agreement_id=o.agreement_id, quarter=o.quarter, due=o.due, late=o.late, reminders=o.reminders)
        for o in service.partner_view(session, partner.org_id, service.today())
    ])
