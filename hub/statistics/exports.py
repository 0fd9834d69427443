"""Exports of protected figures: CSV escaped against formula injection (the PDF report: hub.pages.report_pdf)."""

import csv
import io
from collections.abc import Iterable
from typing import Final

from hub.statistics.schemas import (
    BoroughComparison,
    CrossTable,
    CtdcTable,
    PrivacyLabel,
    RouteFlows,
    Table,
)

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """A cell spreadsheets will not run: text starting like a formula gets a leading apostrophe.

    >>> csv_safe("=1+1"), csv_safe("-5"), csv_safe("fewer than 5"), csv_safe(None)
    ("'=1+1", "'-5", 'fewer than 5', '')
    """
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _label(p: PrivacyLabel) -> str:
    """The privacy column: the rules, then the partners counted, said once ("based on 3 of 4 partners; …")."""
    parts = [f"threshold {p.min_count}", f"rounded to {p.rounding_base}"]
    if not any(e.startswith("based on") for e in p.explanations):
        noun = "partner" if p.partners_considered == 1 else "partners"
        parts.append(f"based on {p.partners_included} of {p.partners_considered} {noun}")
    return "; ".join(parts + p.explanations)


def tables_csv(tables: Iterable[Table], crosses: Iterable[CrossTable] = (), *, scope: str, quarter: str | None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["scope", "quarter", "table", "category", "figure", "value", "suppressed", "unit", "privacy"])
    for t in tables:
        for f in [*t.rows, t.total]:
            writer.writerow(
                [csv_safe(x) for x in (scope, quarter, t.title, f.label, f.display, f.value, f.suppressed, t.unit, _label(t.privacy))]
            )
    for c in crosses:
        for i, row in enumerate(c.cells):
            for f in [*row, c.row_totals[i]]:
                writer.writerow(
                    [csv_safe(x) for x in (scope, quarter, c.title, f.label, f.display, f.value, f.suppressed, c.unit, _label(c.privacy))]
                )
        for f in [*c.col_totals, c.total]:
            writer.writerow(
                [csv_safe(x) for x in (scope, quarter, c.title, f.label, f.display, f.value, f.suppressed, c.unit, _label(c.privacy))]
            )
    return out.getvalue()


ROUTES_HEADER: Final = (
    "scope", "quarter", "direction", "origin", "origin_label", "transit", "transit_label", "destination",
    "destination_label", "figure", "value", "suppressed", "unit", "privacy",
)
CTDC_HEADER: Final = (
    "scope", "quarter", "citizenship", "citizenship_label", "CountryOfExploitation", "CountryOfExploitation_label",
    "figure", "value", "suppressed", "unit", "privacy",
)


def routes_csv(r: RouteFlows) -> str:
    """The rolled-up flows of one route question, one row per flow then the total (docs/statistics.md)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(ROUTES_HEADER)
    unit, privacy = r.table.unit, _label(r.privacy)
    for f in r.flows:
        writer.writerow([csv_safe(x) for x in (
            r.scope, r.quarter, r.direction, f.origin, f.origin_label, f.transit, f.transit_label, f.destination,
            f.destination_label, f.figure.display, f.figure.value, f.figure.suppressed, unit, privacy,
        )])
    t = r.table.total
    writer.writerow([csv_safe(x) for x in (r.scope, r.quarter, r.direction, "total", "Total", "", "", "total", "Total",
                                           t.display, t.value, t.suppressed, unit, privacy)])
    return out.getvalue()


def ctdc_csv(c: CtdcTable) -> str:
    """Citizenship × country of exploitation after disclosure control, CTDC's variable names."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CTDC_HEADER)
    privacy = _label(c.privacy)
    for row in c.rows:
        f = row.figure
        writer.writerow([csv_safe(x) for x in (
            c.scope, c.quarter, row.citizenship, row.citizenship_label, row.country_of_exploitation,
            row.country_of_exploitation_label, f.display, f.value, f.suppressed, "potential victims", privacy,
        )])
    t = c.total
    writer.writerow([csv_safe(x) for x in (c.scope, c.quarter, "total", "Total", "total", "Total", t.display, t.value,
                                           t.suppressed, "potential victims", privacy)])
    return out.getvalue()


BOROUGHS_HEADER: Final = (
    "scope", "quarter", "gss_code", "borough", "incidents_figure", "incidents_value", "incidents_suppressed",
    "potential_victims_figure", "potential_victims_value", "potential_victims_suppressed", "residents",
    "population_year", "incidents_per_100k", "potential_victims_per_100k", "privacy", "population_source",
)


def boroughs_csv(c: BoroughComparison) -> str:
    """Each borough's published headline with its rate per 100,000 residents; a suppressed count has
    an empty rate (hub.statistics.population)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(BOROUGHS_HEADER)
    for r in c.rows:
        v = r.potential_victims
        writer.writerow([csv_safe(x) for x in (
            c.scope, c.quarter, r.gss_code, r.name, r.incidents.display, r.incidents.value, r.incidents.suppressed,
            v.display if v else "", v.value if v else None, v.suppressed if v else None, r.residents,
            c.population_year, r.incidents_rate, r.victims_rate, _label(r.privacy), c.population_source,
        )])
    return out.getvalue()
