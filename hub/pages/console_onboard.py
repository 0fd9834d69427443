"""Page: add an organisation to an agreement from a form, seeing the YAML diff it will store first.

A new organisation can upload only once an agreement in force names it as a provider. The form
asks who it is and what it may share; the page then shows the next version of the agreement's
file as a unified diff against the current one, and stores that exact text (checked by the same
validator as an upload, audited by ``load_version``) only when the operator confirms with a reason.
The text is edited by inserting lines, so the file's comments and layout stay as they were.
"""

import difflib
import re
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.responses import RedirectResponse

from anonymise import PartnerType, check_agreement_text, parse_agreement
from hub import audit
from hub.agreements import service as agreements
from hub.agreements.schemas import MAX_DOCUMENT_CHARS
from hub.auth.pages import CsrfForm, OperatorPage, csrf_token
from hub.auth.principal import Principal
from hub.deps import SessionDep
from hub.errors import HubError
from hub.pages.errors import PageFailed, attempt
from hub.pages.forms import REASON_MAX, FieldError, reason_errors
from hub.pages.templating import templates
from hub.partners import service as partners

router = APIRouter(prefix="/console")
Operator = OperatorPage
AgreementIdPath = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
Share = Literal["borough_detail", "pooled_london", "none"]
SHARES: Final = {
    "borough_detail": "Boroughs may see its figures for their own borough, and pooled London figures",
    "pooled_london": "Boroughs may see pooled London figures only",
    "none": "Nobody yet (add sharing rules later)",
}
TOP_KEY: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*:")


def _block_end(lines: list[str], key: str) -> tuple[int, int] | None:
    """The index of the top-level ``key:`` line and of the first line after its block."""
    start = next((i for i, line in enumerate(lines) if line.startswith(f"{key}:")), None)
    if start is None:
        return None
    end = start + 1
    for i in range(start + 1, len(lines)):
        if TOP_KEY.match(lines[i]):
            break
        if lines[i].strip() and not lines[i].lstrip().startswith("#"):
            end = i + 1
    return start, end


def _indent(lines: list[str], start: int, end: int) -> str:
    item = next((line for line in lines[start + 1 : end] if line.lstrip().startswith("- ")), "  - ")
    return item[: len(item) - len(item.lstrip())]


def with_partner(document: str, *, org: str, kind: PartnerType, gss_code: str | None, provider: bool, recipient: bool, share: Share) -> str:
    """``document`` with ``org`` added to its parties (and, for a provider sharing something, a rule).

    >>> doc = "id: a\\nparties:\\n  - {org: x, kind: NGO, roles: [provider]}\\nsharing: []\\nlinkage: {cross_partner: false}\\n"
    >>> print(with_partner(doc, org="y", kind=PartnerType.NGO, gss_code=None, provider=True, recipient=False, share="pooled_london"), end="")
    id: a
    parties:
      - {org: x, kind: NGO, roles: [provider]}
      - {org: y, kind: NGO, roles: [provider]}
    sharing:
      - provider: y
        grants:
          - {kind: LocalGovernmentOrganisation, level: pooled_london}
    linkage: {cross_partner: false}
    """
    lines = document.splitlines()
    roles = ", ".join(r for r, on in (("provider", provider), ("recipient", recipient)) if on)
    party = f"{{org: {org}, kind: {kind.value}, roles: [{roles}]" + (f", gss_code: {gss_code}}}" if gss_code else "}")
    found = _block_end(lines, "parties")
    if found is None:
        raise ValueError("the agreement has no parties list")
    start, end = found
    lines.insert(end, f"{_indent(lines, start, end)}- {party}")
    if provider and share != "none":
        found = _block_end(lines, "sharing")
        if found is not None and lines[found[0]].split(":", 1)[1].strip() == "[]":
            lines[found[0]] = "sharing:"
        if found is None:
            lines.append("sharing:")
            found = (len(lines) - 1, len(lines))
        start, end = found
        pad = _indent(lines, start, end)
        lines[end:end] = [
            f"{pad}- provider: {org}",
            f"{pad}  grants:",
            f"{pad}    - {{kind: LocalGovernmentOrganisation, level: {share}}}",
        ]
    return "\n".join(lines) + "\n"


def _diff(before: str, after: str, agreement_id: str, v1: int, v2: int) -> list[tuple[str, str]]:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), fromfile=f"{agreement_id} v{v1}", tofile=f"{agreement_id} v{v2}"
    )
    out = []
    for line in lines:
        kind = "head" if line.startswith(("+++", "---")) else {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")
        out.append((kind, line.rstrip("\n")))
    return out


def _render(request: Request, operator: Principal, session: SessionDep, agreement_id: str, status: int = 200, **extra: Any) -> Response:
    rows = agreements.versions(session, agreement_id)
    if not rows:
        raise PageFailed(HubError("no agreement has this id"), "/console/agreements")
    current = parse_agreement(rows[0].document)
    named = {p.org for p in current.parties}
    context = {
        "principal": operator, "csrf_token": csrf_token(request), "notice": None, "agreement": current,
        "orgs": [o for o in partners.list_orgs(session) if o.id not in named], "shares": SHARES, "errors": [],
        "form": {"org": "", "provider": True, "recipient": False, "share": "borough_detail", "reason": "", "onboard": False},
    } | extra
    return templates.TemplateResponse(request, "console_onboard.html", context, status_code=status)


@router.get("/agreements/{agreement_id}/add-partner")
def add_partner_form(
    request: Request, operator: Operator, session: SessionDep, agreement_id: AgreementIdPath,
    org: Annotated[str, Query(max_length=64)] = "", onboard: Annotated[bool, Query()] = False,
) -> Response:
    """``org`` chooses the organisation beforehand; ``onboard`` returns to its onboarding steps once stored."""
    form = {"org": org, "provider": True, "recipient": False, "share": "borough_detail", "reason": "", "onboard": onboard}
    return _render(request, operator, session, agreement_id, form=form)


@router.post("/agreements/{agreement_id}/add-partner")
def add_partner(
    request: Request, operator: Operator, _csrf: CsrfForm, session: SessionDep, agreement_id: AgreementIdPath,
    org: Annotated[str, Form(max_length=64)] = "", provider: Annotated[bool, Form()] = False,
    recipient: Annotated[bool, Form()] = False, share: Annotated[Share, Form()] = "borough_detail",
    reason: Annotated[str, Form(max_length=REASON_MAX)] = "", document: Annotated[str, Form(max_length=MAX_DOCUMENT_CHARS)] = "",
    action: Annotated[Literal["preview", "store"], Form()] = "preview", onboard: Annotated[bool, Form()] = False,
) -> Response:
    form = {"org": org, "provider": provider, "recipient": recipient, "share": share, "reason": reason, "onboard": onboard}
    rows = agreements.versions(session, agreement_id)
    if not rows:
        raise PageFailed(HubError("no agreement has this id"), "/console/agreements")
    errors: list[FieldError] = []
    chosen = next((o for o in partners.list_orgs(session) if o.id == org), None)
    if chosen is None:
        errors.append(FieldError("org", "Choose the organisation to add"))
    if not (provider or recipient):
        errors.append(FieldError("provider", "Tick what the organisation does: sends data, sees figures, or both"))
    if action == "store":
        errors += reason_errors(reason)
    if errors or chosen is None:
        return _render(request, operator, session, agreement_id, status=422, errors=errors, form=form)
    before = rows[0].document
    after = with_partner(
        agreements.next_version_text(rows[0]), org=chosen.id, kind=PartnerType(chosen.kind), gss_code=chosen.gss_code,
        provider=provider, recipient=recipient, share=share,
    )
    problems = check_agreement_text(after)
    if problems:
        errors = [FieldError("org", f"The new version would not be valid: {p.path} {p.message}") for p in problems]
        return _render(request, operator, session, agreement_id, status=422, errors=errors, form=form)
    if action == "store":
        # a browser sends a form field's line breaks as CRLF (HTML form encoding): compare the text, not its line ends
        if document.replace("\r\n", "\n") != after:  # the agreement changed since the preview: show the new diff again
            errors = [FieldError("org", "The agreement changed since you previewed it; check the new difference")]
        else:
            try:
                with attempt(session):
                    loaded = agreements.load_version(session, after, actor=operator.actor)
                    audit.record(
                        session, actor=operator.actor, action="agreement.add_party", target=f"agreement:{agreement_id}",
                        agreement_id=agreement_id,
                        details={"org": chosen.id, "version": loaded.version, "provider": provider, "recipient": recipient,
                                 "share": share, "reason": reason.strip()},
                    )
            except HubError as exc:
                errors = [FieldError("org", exc.detail)]
            else:
                back = f"/console/onboard/{chosen.id}?notice=agreement" if onboard else f"/console/agreements/{agreement_id}?notice=loaded"
                return RedirectResponse(back, status_code=303)
    diff = _diff(before, after, agreement_id, rows[0].version, rows[0].version + 1)
    return _render(
        request, operator, session, agreement_id, status=422 if errors else 200, errors=errors, form=form, diff=diff,
        document=after, next_version=rows[0].version + 1,
    )
