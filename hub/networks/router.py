"""HTTP routes of hub.networks: the network list, one network's link chart, a borough's network counts."""

from fastapi import APIRouter

from hub.auth.dependencies import CurrentPrincipal
from hub.deps import SessionDep
from hub.networks import service
from hub.networks.schemas import Chart, NetworkCounts, NetworkList

router = APIRouter(prefix="/api/v1/networks", tags=["networks"])


@router.get("")
def networks(
    principal: CurrentPrincipal, session: SessionDep, borough: str | None = None, type: str | None = None,
    min_size: int = 2, max_size: int | None = None, since: str | None = None, until: str | None = None, offset: int = 0,
) -> NetworkList:
    return service.list_networks(session, principal, borough=borough, kind=type, min_size=min_size, max_size=max_size,
                                 since=since, until=until, offset=offset)


@router.get("/counts/{area}")
def counts(area: str, principal: CurrentPrincipal, session: SessionDep) -> NetworkCounts:
    return service.counts(session, principal, area)


@router.get("/{number}/chart")
def chart(number: int, principal: CurrentPrincipal, session: SessionDep, expand: str | None = None) -> Chart:
    return service.chart(session, principal, number, expand=expand)
