"""Page: the operator's audit log — filtered by actor, action and days, searched, exported as CSV.

Timestamps read as "1 Dec 2026, 11:29:39 UTC" and details as "key: value" lines, never a Python
dict; the export holds the same readable columns, escaped against spreadsheet formulas, and is
itself written to the log.
"""

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, Query, Request, Response

from hub import audit
from hub.auth.pages import OperatorPage, csrf_token
from hub.deps import DB_INT_MAX, SessionDep
from hub.models import AuditEntry
from hub.pages.templating import templates
from hub.statistics.exports import csv_safe

router = APIRouter(prefix="/console")
Operator = OperatorPage
PAGE: Final = 100
EXPORT_MAX: Final = 50_000
TEXT_MAX: Final = 120


def when(at: datetime) -> str:
    """An entry's time for people: day, month name, year and seconds, in UTC.

    >>> from datetime import UTC
    >>> when(datetime(2026, 12, 1, 11, 29, 39, 123456, tzinfo=UTC))
    '1 Dec 2026, 11:29:39 UTC'
    """
    return f"{at.day} {at:%b %Y, %H:%M:%S} UTC"


def who(actor: str) -> str:
    """``user:olive`` → ``olive (user)``; ``system`` stays."""
    kind, _, name = actor.partition(":")
    return f"{name} ({kind})" if name else actor


def _value(value: object) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(_value(v) for v in value) or "none"
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_value(v)}" for k, v in sorted(value.items()))
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def details(values: dict[str, object]) -> list[tuple[str, str]]:
    """An entry's details as (label, text) pairs, labels in words.

    >>> details({"quarter": "2026-Q3", "agreements": ["demo-london"], "reason_given": True})
    [('agreements', 'demo-london'), ('quarter', '2026-Q3'), ('reason given', 'yes')]
    """
    return [(k.replace("_", " "), _value(v)) for k, v in sorted(values.items())]


def _row(e: AuditEntry) -> dict[str, Any]:
    return {
        "id": e.id, "when": when(e.at), "iso": e.at.isoformat(timespec="seconds"), "who": who(e.actor), "action": e.action,
        "target": e.target, "agreement": e.agreement_id or "", "providers": ", ".join(e.providers or []),
        "details": details(dict(e.details or {})),
        "org": e.target.removeprefix("org:") if e.target.startswith("org:") else "",
    }


def _filter(
    actor: str | None, action: str | None, since: date | None, until: date | None, q: str | None
) -> audit.AuditFilter:
    def clean(value: str | None) -> str | None:
        return value.strip()[:TEXT_MAX] or None if value else None

    return audit.AuditFilter(actor=clean(actor), action=clean(action), since=since, until=until, text=clean(q))


Text = Annotated[str | None, Query(max_length=TEXT_MAX)]


@router.get("/audit")
def audit_page(
    request: Request, operator: Operator, session: SessionDep, actor: Text = None, action: Text = None,
    since: date | None = None, until: date | None = None, q: Text = None,
    before: Annotated[int | None, Query(ge=1, le=DB_INT_MAX)] = None,
) -> Response:
    f = _filter(actor, action, since, until, q)
    entries = audit.search(session, f, limit=PAGE, before=before)
    query = {k: v for k, v in (("actor", f.actor), ("action", f.action), ("since", since), ("until", until), ("q", f.text)) if v}
    context = {
        "principal": operator, "csrf_token": csrf_token(request), "notice": None,
        "report": audit.verify(session), "entries": [_row(e) for e in entries], "filter": f, "actions": audit.actions(session),
        "older": entries[-1].id if len(entries) == PAGE else None, "query": query,
    }
    return templates.TemplateResponse(request, "console_audit.html", context)


def _csv(entries: Iterable[AuditEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["id", "when (UTC)", "who", "action", "target", "agreement", "providers", "details"])
    for e in entries:
        r = _row(e)
        text = "; ".join(f"{k}: {v}" for k, v in r["details"])
        writer.writerow([csv_safe(x) for x in (r["id"], r["iso"], r["who"], r["action"], r["target"], r["agreement"], r["providers"], text)])
    return out.getvalue()


@router.get("/audit.csv")
def audit_csv(
    operator: Operator, session: SessionDep, actor: Text = None, action: Text = None,
    since: date | None = None, until: date | None = None, q: Text = None,
) -> Response:
    f = _filter(actor, action, since, until, q)
    entries = audit.search(session, f, limit=EXPORT_MAX)
    audit.record(
        session, actor=operator.actor, action="audit.export", target="audit_log",
        details={"entries": len(entries), "filtered": any((f.actor, f.action, f.since, f.until, f.text))},
    )
    return Response(
        _csv(entries), media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="msht-audit-log.csv"'},
    )
