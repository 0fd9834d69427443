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
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub import audit
from hub.auth.pages import OperatorPage, csrf_token
from hub.deps import DB_INT_MAX, SessionDep
from hub.models import AuditEntry, Organisation
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


ACTION_WORDS: Final = {
    "agreement.load": "Agreement loaded", "agreement.activate": "Agreement activated",
    "agreement.suspended": "Agreement suspended", "agreement.expired": "Agreement expired",
    "agreement.revoked": "Agreement revoked", "agreement.draft": "Agreement returned to draft",
    "agreement.add_party": "Partner added to an agreement",
    "alerts.listed": "Alerts listed", "alerts.refreshed": "Alerts refreshed",
    "audit.export": "Audit log exported", "audit.verify": "Audit log verified",
    "contact.requested": "Contact requested", "contact.accepted": "Contact request accepted",
    "contact.declined": "Contact request declined",
    "enrolment.token": "Enrolment token issued", "networks.read": "Networks viewed",
    "org.add": "Organisation added", "org.edit": "Organisation edited", "org.contact": "Organisation contact set",
    "org.active": "Organisation re-enabled", "org.disabled": "Organisation disabled",
    "partner.enrol": "Partner client enrolled", "partner.rotate_key": "Partner key rotated",
    "partner.revoke_key": "Partner key revoked", "premises.import": "Premises register imported",
    "retention.purge": "Records purged (retention)", "returns.listed": "Returns listed",
    "returns.remind": "Reminder sent", "session.login": "Signed in", "session.login_failed": "Sign-in failed",
    "session.logout": "Signed out", "stats.read": "Statistics viewed", "stats.rebuild": "Statistics rebuilt",
    "submission.accepted": "Submission accepted", "submission.superseded": "Submission superseded",
    "submission.withdrawn": "Submission withdrawn",
    "user.add": "User added", "user.edit": "User edited", "user.password": "Password changed",
    "user.active": "User re-enabled", "user.disabled": "User disabled",
    "user.api_token": "API token issued", "user.api_token_revoked": "API token revoked",
}
"""audit actions in words for people; the raw action stays beside it (operators search by it)"""


def what(action: str) -> str:
    """An audit action in words: ``returns.remind`` → ``Reminder sent``; one not listed reads as
    its words (``thing.done_now`` → ``Thing: done now``), never empty.

    >>> what("returns.remind"), what("thing.done_now")
    ('Reminder sent', 'Thing: done now')
    """
    if action in ACTION_WORDS:
        return ACTION_WORDS[action]
    kind, _, verb = action.partition(".")
    text = f"{kind}: {verb}" if verb else kind
    return (text[:1].upper() + text[1:]).replace("_", " ") or action


def org_names(session: Session, targets: Iterable[str]) -> dict[str, str]:
    """Display names of the organisations that ``org:…`` targets name, by id."""
    ids = {t.removeprefix("org:") for t in targets if t.startswith("org:")}
    if not ids:
        return {}
    return {i: n for i, n in session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids)))}


def target_words(target: str, names: dict[str, str]) -> str:
    """An entry's target for people: ``org:demo-police`` → the organisation's name; ``user:olive``
    → ``olive (user)``; others as recorded.

    >>> target_words("org:demo-police", {"demo-police": "Demo Police"}), target_words("user:olive", {})
    ('Demo Police', 'olive (user)')
    """
    if target.startswith("org:") and target.removeprefix("org:") in names:
        return names[target.removeprefix("org:")]
    return who(target) if target.startswith("user:") else target


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


def _row(e: AuditEntry, names: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "id": e.id, "when": when(e.at), "iso": e.at.isoformat(timespec="seconds"), "who": who(e.actor), "action": e.action,
        "what": what(e.action), "target": e.target, "target_words": target_words(e.target, names or {}), "agreement": e.agreement_id or "", "providers": ", ".join(e.providers or []),
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
    names = org_names(session, (e.target for e in entries))
    query = {k: v for k, v in (("actor", f.actor), ("action", f.action), ("since", since), ("until", until), ("q", f.text)) if v}
    context = {
        "principal": operator, "csrf_token": csrf_token(request), "notice": None,
        "report": audit.verify(session), "entries": [_row(e, names) for e in entries], "filter": f, "actions": [(a, what(a)) for a in audit.actions(session)],
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
