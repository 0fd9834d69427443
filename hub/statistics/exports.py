"""Exports of protected figures: CSV escaped against formula injection (the PDF report: hub.pages.report_pdf)."""

import csv
import io
from collections.abc import Iterable
from typing import Final

from hub.statistics.schemas import CrossTable, PrivacyLabel, Table

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """A cell spreadsheets will not run: text starting like a formula gets a leading apostrophe.

    >>> csv_safe("=1+1"), csv_safe("-5"), csv_safe("fewer than 5"), csv_safe(None)
    ("'=1+1", "'-5", 'fewer than 5', '')
    """
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _label(p: PrivacyLabel) -> str:
    return (
        f"threshold {p.min_count}; rounded to {p.rounding_base}; partners {p.partners_included} of "
        f"{p.partners_considered}; {' '.join(p.explanations)}"
    )


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
