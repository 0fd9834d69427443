"""Late returns and reminders: the grid of who owes what, sending a reminder (audited), a partner's own list.

Built from agreement and submission metadata only. A reminder is outstanding while its quarter's
return has not arrived; once an active submission for it is stored, it is no longer shown.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import audit
from hub.agreements import service as agreements
from hub.errors import Conflict, NotFound
from hub.models import AuditEntry, ReturnReminder
from hub.partners import service as partners
from hub.returns.grid import Cell, Grid, build_grid
from hub.submissions import service as submissions

OWED: Final = frozenset({"missing", "due"})
"""Grid states in which a return is still expected: ``missing`` (its deadline passed) or ``due``."""


@dataclass(frozen=True)
class Owed:
    """One return a provider still owes, with the reminders sent about it (oldest first)."""

    agreement_id: str
    org_id: str
    quarter: str
    due: date
    late: bool
    reminders: list[datetime] = field(default_factory=list)


def today() -> date:
    return datetime.now(UTC).date()


def grid(session: Session, on: date) -> Grid:
    joined = {o.id: o.created_at.date() for o in partners.list_orgs(session)}
    return build_grid(agreements.current_agreements(session), submissions.all_submissions(session), on, joined)


def _reminders(session: Session, org_id: str | None = None) -> dict[tuple[str, str, str], list[datetime]]:
    stmt = select(ReturnReminder).order_by(ReturnReminder.sent_at, ReturnReminder.id)
    if org_id is not None:
        stmt = stmt.where(ReturnReminder.org_id == org_id)
    out: dict[tuple[str, str, str], list[datetime]] = {}
    for r in session.scalars(stmt):
        out.setdefault((r.agreement_id, r.org_id, r.quarter), []).append(r.sent_at)
    return out


def owed(session: Session, on: date, org_id: str | None = None) -> list[Owed]:
    """Every return still expected in the quarters the grid shows (late ones first, then by quarter),
    for one organisation or for all."""
    g = grid(session, on)
    sent = _reminders(session, org_id)
    out: list[Owed] = []
    for row in g.rows:
        if org_id is not None and row.org_id != org_id:
            continue
        for quarter, cell in zip(g.quarters, row.cells, strict=True):
            if cell.state in OWED and cell.due is not None:
                key = (row.agreement_id, row.org_id, quarter)
                out.append(Owed(row.agreement_id, row.org_id, quarter, cell.due, cell.state == "missing", sent.get(key, [])))
    return sorted(out, key=lambda o: (not o.late, o.quarter, o.org_id, o.agreement_id))


def _cell(g: Grid, agreement_id: str, org_id: str, quarter: str) -> Cell:
    row = next((r for r in g.rows if r.agreement_id == agreement_id and r.org_id == org_id), None)
    if row is None:
        raise NotFound("this organisation is not a provider in this agreement")
    if quarter not in g.quarters:
        raise NotFound("reminders can be sent for the quarters the returns grid shows only")
    return row.cells[g.quarters.index(quarter)]


def remind(
    session: Session, *, agreement_id: str, org_id: str, quarter: str, actor: str, on: date,
    at: datetime | None = None, built: Grid | None = None,
) -> ReturnReminder:
    """Leave a reminder at the hub for a provider whose return is due or late, and audit who sent it."""
    cell = _cell(built or grid(session, on), agreement_id, org_id, quarter)
    if cell.state not in OWED or cell.due is None:
        raise Conflict(f"no return is owed for {quarter}: the grid shows it as {cell.label}")
    reminder = ReturnReminder(
        agreement_id=agreement_id, org_id=org_id, quarter=quarter, due=cell.due,
        sent_at=at or datetime.now(UTC), sent_by=actor,
    )
    session.add(reminder)
    session.flush()
    audit.record(
        session, actor=actor, action="returns.remind", target=f"org:{org_id}", agreement_id=agreement_id,
        details={"quarter": quarter, "due": cell.due.isoformat(), "state": "late" if cell.state == "missing" else "due",
                 "reminder": reminder.id},
    )
    return reminder


def remind_many(session: Session, targets: Sequence[Owed], *, actor: str, on: date) -> list[ReturnReminder]:
    built = grid(session, on)
    return [
        remind(session, agreement_id=t.agreement_id, org_id=t.org_id, quarter=t.quarter, actor=actor, on=on, built=built)
        for t in targets
    ]


def partner_view(session: Session, org_id: str, on: date) -> list[Owed]:
    """What a partner is told of its own returns; audited, so its console page shows when it last looked."""
    mine = owed(session, on, org_id)
    audit.record(session, actor=f"partner:{org_id}", action="returns.listed", target=f"org:{org_id}",
                 details={"owed": len(mine), "late": sum(1 for o in mine if o.late), "reminders": sum(len(o.reminders) for o in mine)})
    return mine


def last_checked(session: Session, org_id: str) -> datetime | None:
    """When the partner last read its returns from the hub (its client's status or local page)."""
    stmt = (
        select(AuditEntry.at).where(AuditEntry.action == "returns.listed", AuditEntry.actor == f"partner:{org_id}")
        .order_by(AuditEntry.id.desc()).limit(1)
    )
    return session.scalar(stmt)


def reminders_sent(session: Session, org_id: str) -> list[ReturnReminder]:
    """Every reminder sent to one organisation, newest first (its console page)."""
    stmt = (
        select(ReturnReminder).where(ReturnReminder.org_id == org_id)
        .order_by(ReturnReminder.sent_at.desc(), ReturnReminder.id.desc())
    )
    return list(session.scalars(stmt))
