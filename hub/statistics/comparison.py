"""Borough comparison for the London page: each borough's own published headline, side by side.

A per-borough split of pooled London figures would be borough detail from partners who share
London-wide figures only (the agreements' ``pooled_london`` level), and would differ from the
borough's own page by exactly what those partners hold there. So each row is what that borough's
overview publishes to this viewer (:func:`hub.statistics.service.overview`, audited per borough,
its linked-table hide set applied), and a borough no agreement opens is named, not shown.
"""

from sqlalchemy.orm import Session

from anonymise import BY_GSS, LONDON
from hub.auth.principal import Principal
from hub.errors import Forbidden
from hub.statistics import access, population, service
from hub.statistics.schemas import BoroughComparison, BoroughRow, Headline
from hub.statistics.tables import shift


def _headline(headlines: list[Headline], key: str) -> Headline | None:
    return next((h for h in headlines if h.key == key), None)


def boroughs(session: Session, principal: Principal, quarter: str | None = None) -> BoroughComparison:
    """Every London borough's published incidents (and potential victims) for ``quarter``, or
    London's latest quarter."""
    quarters = service.overview_quarters(session, principal, LONDON)
    chosen_q = access.check_quarter(quarter) or (quarters[-1] if quarters else None)
    rows: list[BoroughRow] = []
    not_shared: list[str] = []
    no_records: list[str] = []
    for borough in BY_GSS.values():
        try:
            answer = service.overview(session, principal, borough.gss, chosen_q) if chosen_q else None
        except Forbidden:
            not_shared.append(borough.name)
            continue
        incidents = _headline(answer.headlines, "incidents") if answer else None
        if answer is None or incidents is None:
            no_records.append(borough.name)
            continue
        victims = _headline(answer.headlines, "potential_victims")
        rows.append(
            BoroughRow(
                gss_code=borough.gss, name=borough.name, incidents=incidents.figure,
                previous=next((c.previous for c in incidents.changes if c.against == "previous_quarter"), None),
                potential_victims=victims.figure if victims else None, privacy=answer.privacy,
                residents=people.population if (people := population.residents().get(borough.gss)) else None,
                incidents_rate=population.rate(incidents.figure, borough.gss),
                victims_rate=population.rate(victims.figure if victims else None, borough.gss),
            )
        )
    return BoroughComparison(
        scope=LONDON, quarter=chosen_q, previous_quarter=shift(chosen_q, 1) if chosen_q else None,
        rows=rows, not_shared=not_shared, no_records=no_records,
        population_year=population.year(), population_source=population.SOURCE,
    )
