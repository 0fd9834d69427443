"""HTTP routes of hub.premises: the premises indicators as JSON and CSV under /api/v1/stats."""

import csv
import io

from fastapi import APIRouter, Response

from hub.auth.dependencies import CurrentPrincipal
from hub.deps import SessionDep
from hub.premises import service
from hub.premises.schemas import PremisesIndicators
from hub.statistics.exports import csv_safe

router = APIRouter(prefix="/api/v1/stats", tags=["statistics"])


@router.get("/{scope}/premises")
def premises(scope: str, principal: CurrentPrincipal, session: SessionDep, quarter: str | None = None) -> PremisesIndicators:
    return service.indicators(session, principal, scope, quarter)


def indicators_csv(data: PremisesIndicators) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["scope", "quarter", "premises_type", "area", "area_name", "incidents", "incidents_value", "suppressed",
                     "premises", "rate_per_100", "ci_lower", "ci_upper", "rank"])
    for ranking in data.rankings:
        for a in [*ranking.areas, *([ranking.london] if ranking.london else [])]:
            writer.writerow([csv_safe(x) for x in (
                data.scope, data.quarter, ranking.premises_type, a.area, a.area_name, a.incidents.display, a.incidents.value,
                a.incidents.suppressed, a.premises, a.rate, a.lower, a.upper, a.rank,
            )])
    return out.getvalue()


@router.get("/{scope}/premises.csv")
def premises_csv(scope: str, principal: CurrentPrincipal, session: SessionDep, quarter: str | None = None) -> Response:
    data = service.indicators(session, principal, scope, quarter)
    return Response(indicators_csv(data), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="msht-{scope}-{data.quarter or "all"}-premises.csv"'})
