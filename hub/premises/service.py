"""Premises indicators: importing a register's counts, and incidents per 100 premises of each type per borough.

The numerators are the statistics service's published figures (``statistics.service.premises_by_area``:
the same cells as each borough's Premises breakdown, after disclosure control); this module
never reads a record or a summary count. The denominators are counts from a public register.
A rate, its interval and its rank are computed from the published figure only, so none of
them can reveal a count the disclosure rules hide.
"""

import logging
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy.orm import Session

from anonymise import BY_GSS, LONDON, window
from hub import audit
from hub.auth.principal import Principal
from hub.errors import HubError
from hub.premises import rates
from hub.premises.register import (
    BY_TYPE_NAME,
    COVERED,
    SOURCE,
    RegisterCounts,
    RegisterError,
    read_files,
)
from hub.premises.schemas import AreaRate, PremisesIndicators, PremisesRanking, RegisterLabel
from hub.records import premises as register
from hub.statistics import service as statistics
from hub.statistics.access import scope_name
from hub.statistics.figures import label_for
from hub.statistics.schemas import Figure, PrivacyLabel

log = logging.getLogger(__name__)

NOT_COVERED = ("hand_car_wash", "nail_bar", "construction_site", "brothel_residential", "private_household")


class BadRegister(HubError):
    status_code = 400
    code = "bad_register"


def import_register(session: Session, paths: Iterable[Path], *, actor: str) -> RegisterCounts:
    """Replace the stored register counts with those of FHRS files (one per local authority)."""
    try:
        read = read_files(paths)
    except RegisterError as exc:
        raise BadRegister(str(exc)) from None
    rows = register.replace(session, read.counts, source=SOURCE, extract_date=read.extract_date)
    details = {
        "establishments": read.read, "outside_london": read.outside_london, "other_types": read.other_types,
        "rows": rows, "extract_date": read.extract_date,
    }
    audit.record(session, actor=actor, action="premises.import", target="premises:register", details=details)
    log.info("premises register imported: %d establishments, %d count rows", read.read, rows)
    return read


def _area_rate(area: str, incidents: Figure | None, premises: int, privacy: PrivacyLabel) -> AreaRate:
    shown = incidents if incidents is not None else Figure(key="none", label="", value=None, display="no data")
    if premises <= 0:
        return AreaRate(area=area, area_name=scope_name(area), incidents=shown, premises=premises, rate=None,
                        lower=None, upper=None, display="no premises of this type on the register", rank=None)
    if shown.value is None:
        why = "not shown: " + shown.display if shown.suppressed else "no data"
        return AreaRate(area=area, area_name=scope_name(area), incidents=shown, premises=premises, rate=None,
                        lower=None, upper=None, display=why, rank=None)
    allowed = window(shown.value, "shown", min_count=privacy.min_count, rounding_base=privacy.rounding_base)
    r = rates.per_hundred(shown.value, premises, within=allowed)  # the interval includes the perturbation noise
    return AreaRate(area=area, area_name=scope_name(area), incidents=shown, premises=premises, rate=r.rate, lower=r.lower,
                    upper=r.upper, display=f"{r.rate:g} per 100 (95% CI {r.lower:g}–{r.upper:g})", rank=None)


def indicators(session: Session, principal: Principal, area: str, quarter: str | None = None) -> PremisesIndicators:
    counted: dict[tuple[str, str], int] = {(c.area, c.premises_type): c.n for c in register.counts(session)}
    boroughs = sorted({a for a, _ in counted}) if area == LONDON else [area]
    published = statistics.premises_by_area(session, principal, area, [*boroughs, LONDON], quarter)
    rankings: list[PremisesRanking] = []
    for kind in COVERED:
        rows: list[AreaRate] = []
        for gss in boroughs:
            table = published.tables.get(gss)
            if table is None:
                continue
            cell = next((f for f in table.rows if f.key == kind.value), None)
            premises = counted.get((gss, kind.value), 0)
            if premises or (cell is not None and cell.value != 0):  # nothing on either side: no row
                rows.append(_area_rate(gss, cell, premises, table.privacy))
        ranked = rates.ranks([r.rate for r in rows])
        rows = [r.model_copy(update={"rank": k}) for r, k in zip(rows, ranked, strict=True)]
        rows.sort(key=lambda r: (r.rank is None, r.rank or 0, BY_GSS[r.area].name if r.area in BY_GSS else r.area))
        london = published.tables.get(LONDON)
        in_london = sum(n for (_, k), n in counted.items() if k == kind.value)
        pooled = None if london is None else _area_rate(
            LONDON, next((f for f in london.rows if f.key == kind.value), None), in_london, london.privacy
        )
        rankings.append(PremisesRanking(
            premises_type=kind.value, label=label_for(kind.value),
            register_types=sorted(name for name, k in BY_TYPE_NAME.items() if k == kind), areas=rows, london=pooled,
        ))
    kept = register.info(session)
    label = None if kept is None else RegisterLabel(
        source=kept.source, extract_date=kept.extract_date, imported_at=kept.imported_at.date().isoformat()
    )
    return PremisesIndicators(
        scope=area, scope_name=scope_name(area), quarter=published.quarter, quarters=published.quarters, source=label,
        method=rates.METHOD, boroughs_shown=sum(1 for a in published.tables if a != LONDON), rankings=rankings,
        not_covered=[label_for(k) for k in NOT_COVERED], privacy=published.privacy,
    )
