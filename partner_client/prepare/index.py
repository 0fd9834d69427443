"""What the whole submission needs from every row, kept while the rows go to disk; the quarter checked on it."""

import sys
from collections import Counter

from partner_client.errors import ClientError, Problem, Problems
from partner_client.prepare.quarter import quarter_months
from partner_client.prepare.row import AnonymisedRow


class SubmissionIndex:
    """Months, cells and incidents of every row: all that must be known before the first record is written."""

    def __init__(self, quarter: str) -> None:
        self.first_month, self.last_month = quarter_months(quarter)
        self.months: Counter[str] = Counter()
        self.after_quarter: list[int] = []
        self.without_date = 0
        self.cells: list[str | None] = []
        self.incidents: dict[str, str | int] = {}
        """incident pid → its first known month (the first row's, or the quarter's first, or any
        earlier month of a later row)."""

    def add(self, rows: list[AnonymisedRow]) -> None:
        for r in rows:
            month = sys.intern(r.month) if r.month is not None else None
            if month is None:
                self.without_date += 1
            else:
                self.months[month] += 1
                if month > self.last_month:
                    self.after_quarter.append(r.row)
            self.cells.append(sys.intern(r.cell) if r.cell is not None else None)
            pid = sys.intern(r.incident_pid)
            known = self.incidents.get(pid)
            if known is None:
                self.incidents[pid] = month or self.first_month
            elif month is not None and isinstance(known, str) and month < known:
                self.incidents[pid] = month


def check_quarter(
    index: SubmissionIndex, quarter: str, problems: Problems, counts: Counter[str], *, date_column: str | None
) -> None:
    """Refuse an export of another quarter; name rows dated after it and warn of rows without a date."""
    months = index.months
    if months and not any(index.first_month <= m <= index.last_month for m in months):
        common = months.most_common(1)[0][0]
        year, month = int(common[:4]), int(common[5:])
        raise ClientError(
            f"None of the rows' dates falls in {quarter}; most are in {year}-Q{(month - 1) // 3 + 1}.",
            hint=f"Check --quarter: did you mean --quarter {year}Q{(month - 1) // 3 + 1}?",
        )
    for row in index.after_quarter:
        problems.add(
            Problem(
                rule="after_quarter",
                row=row,
                column=date_column,
                message=f"the date is after the end of {quarter}",
                hint="Export only records known by the quarter's end, or choose the right quarter.",
            )
        )
    counts["rows_without_date"] += index.without_date
    if counts["rows_without_date"]:
        problems.add(
            Problem(
                rule="missing_dates",
                severity="warning",
                column=date_column,
                message=f"{counts['rows_without_date']} row(s) have no usable date; "
                f"their incidents are dated to the first month of {quarter}",
                hint="Fill in the dates in your case system for a more accurate picture.",
            )
        )
