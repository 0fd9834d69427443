"""The operator's submissions grid: providers × quarters, each cell received, late, superseded, missing or due.

Built from submission metadata and the current agreements only (no record is read). A quarter's
return is due the agreement's ``returns_due_days`` after the quarter ends; a return received after that is late,
and no active return once the deadline has passed is missing.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Final

from anonymise import Agreement, PartyRole, quarter_bounds
from hub.models import Submission, SubmissionStatus

QUARTERS_SHOWN: Final = 6


@dataclass
class Cell:
    state: str  # received | late | missing | due | withdrawn | purged | not_covered
    submissions: list[Submission] = field(default_factory=list)
    due: date | None = None
    """the day this return is due (from the agreement), where one is expected"""

    @property
    def resubmissions(self) -> int:
        return sum(1 for s in self.submissions if s.status == SubmissionStatus.superseded)

    @property
    def active(self) -> Submission | None:
        return next((s for s in self.submissions if s.status == SubmissionStatus.active), None)

    @property
    def label(self) -> str:
        text = {
            "received": "received",
            "late": "late",
            "missing": "missing",
            "due": f"due {self.due.day} {self.due:%b %Y}" if self.due else "due",
            "withdrawn": "withdrawn",
            "purged": "purged",
            "not_covered": "—",
        }[self.state]
        if self.resubmissions:
            text += f" (supersedes {self.resubmissions})"
        return text


@dataclass
class Row:
    agreement_id: str
    org_id: str
    cells: list[Cell]
    due_days: int = 30


@dataclass
class Grid:
    quarters: list[str]
    rows: list[Row]
    current: str

    def missing(self) -> list[tuple[Row, list[str]]]:
        """Every row with a return missing in the quarters shown, with those quarters: the same
        cells the grid marks missing, so the console's card and the grid always agree."""
        out = []
        for row in self.rows:
            quarters = [q for q, c in zip(self.quarters, row.cells, strict=True) if c.state == "missing"]
            if quarters:
                out.append((row, quarters))
        return out

    def tally(self) -> dict[str, int]:
        """How many cells of the grid are in each state (received, late, missing, due, ...)."""
        counts: dict[str, int] = {}
        for row in self.rows:
            for cell in row.cells:
                counts[cell.state] = counts.get(cell.state, 0) + 1
        return counts

    def missing_now(self) -> list[Row]:
        """Rows whose newest quarter whose deadline has passed has no return."""
        return [r for r in self.rows if any(c.state == "missing" for c in r.cells[-2:])]


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def recent_quarters(today: date, count: int = QUARTERS_SHOWN) -> list[str]:
    """The ``count`` quarters ending with the current one, oldest first.

    >>> recent_quarters(date(2026, 2, 1), 3)
    ['2025-Q3', '2025-Q4', '2026-Q1']
    """
    year, q = today.year, (today.month - 1) // 3 + 1
    out: list[str] = []
    for _ in range(count):
        out.append(f"{year}-Q{q}")
        year, q = (year - 1, 4) if q == 1 else (year, q - 1)
    return out[::-1]


def deadline(quarter: str, days: int) -> date:
    """The day a quarter's return is due: ``days`` after the quarter's last day."""
    return quarter_bounds(quarter)[1] + timedelta(days=days)


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)


def _cell(
    agreement: Agreement, quarter: str, subs: list[Submission], today: date, joined: date | None = None
) -> Cell:
    first, last = quarter_bounds(quarter)
    if last < agreement.valid_from or first > agreement.valid_until:
        return Cell("not_covered", subs)
    if joined is not None and last < joined and not subs:
        return Cell("not_covered", subs)  # nothing is expected from before a partner joined the hub
    due = deadline(quarter, agreement.returns_due_days)
    active = next((s for s in subs if s.status == SubmissionStatus.active), None)
    if active is not None:
        received = _aware(active.received_at).date()
        return Cell("late" if received > due else "received", subs, due)
    if any(s.status == SubmissionStatus.purged for s in subs):
        return Cell("purged", subs, due)
    if any(s.status == SubmissionStatus.withdrawn for s in subs):
        return Cell("withdrawn", subs, due)
    return Cell("missing" if today > due else "due", subs, due)


def build_grid(
    agreements: Sequence[Agreement],
    submissions: Sequence[Submission],
    today: date,
    joined: Mapping[str, date] | None = None,
) -> Grid:
    """One row per (agreement, provider party), one column per recent quarter; ``joined`` (org id
    to the day it was added) keeps quarters that ended before a partner joined out of missing."""
    quarters = recent_quarters(today)
    by_key: dict[tuple[str, str, str], list[Submission]] = {}
    for s in submissions:
        by_key.setdefault((s.agreement_id, s.org_id, s.quarter), []).append(s)
    rows: list[Row] = []
    for agreement in sorted(agreements, key=lambda a: a.id):
        for party in agreement.parties:
            if PartyRole.provider not in party.roles:
                continue
            cells = [
                _cell(
                    agreement,
                    q,
                    sorted(
                        by_key.get((agreement.id, party.org, q), []),
                        key=lambda s: _aware(s.received_at),
                    ),
                    today,
                    (joined or {}).get(party.org),
                )
                for q in quarters
            ]
            rows.append(Row(agreement.id, party.org, cells, agreement.returns_due_days))
    return Grid(quarters=quarters, rows=rows, current=quarter_of(today))
