"""`msht-hub returns …`: which providers owe which quarter's return, and reminders left at the hub for them."""

import json
from typing import Annotated

import typer

from hub.cli.context import actor, database
from hub.returns import service

app = typer.Typer(help="Returns owed by providers, and reminders (the hub is the mailbox: no email).", no_args_is_help=True)

QuarterOpt = Annotated[str | None, typer.Option("--quarter", help="Only this quarter, e.g. 2026-Q3.", show_default=False)]
OrgOpt = Annotated[str | None, typer.Option("--org", help="Only this organisation id.", show_default=False)]
AgreementOpt = Annotated[str | None, typer.Option("--agreement", help="Only this agreement id.", show_default=False)]


def _pick(owed: list[service.Owed], quarter: str | None, org: str | None, agreement: str | None) -> list[service.Owed]:
    return [
        o for o in owed
        if (quarter is None or o.quarter == quarter) and (org is None or o.org_id == org)
        and (agreement is None or o.agreement_id == agreement)
    ]


@app.command("list")
def returns_list(
    quarter: QuarterOpt = None, org: OrgOpt = None, agreement: AgreementOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Every return still owed in the quarters the console's grid shows: late ones first."""
    with database() as session:
        rows = _pick(service.owed(session, service.today()), quarter, org, agreement)
    for o in rows:
        if as_json:
            typer.echo(json.dumps({"agreement": o.agreement_id, "org": o.org_id, "quarter": o.quarter, "due": o.due.isoformat(),
                                   "late": o.late, "reminders": len(o.reminders)}))
        else:
            typer.echo(f"{o.quarter}  {o.org_id:<28} {o.agreement_id:<24} {'LATE' if o.late else 'due '} {o.due.isoformat()}"
                       f"  reminders: {len(o.reminders)}")
    if not rows and not as_json:
        typer.echo("no return is owed")


@app.command("remind")
def returns_remind(
    quarter: QuarterOpt = None, org: OrgOpt = None, agreement: AgreementOpt = None,
    include_due: Annotated[bool, typer.Option("--include-due", help="Also remind returns not yet late.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation (for scripts).")] = False,
) -> None:
    """Leave a reminder at the hub for every late return matching the filters; each is written to the audit log."""
    with database() as session:
        targets = [o for o in _pick(service.owed(session, service.today()), quarter, org, agreement) if o.late or include_due]
        if not targets:
            typer.echo("no return matching these filters is owed: nobody reminded")
            return
        for o in targets:
            typer.echo(f"  {o.org_id} — {o.agreement_id} {o.quarter} ({'late' if o.late else 'due'} since {o.due.isoformat()})")
        if not yes:
            typer.confirm(f"Remind these {len(targets)} return(s)?", abort=True)
        sent = service.remind_many(session, targets, actor=actor(), on=service.today())
    typer.echo(f"{len(sent)} reminder(s) left at the hub; the partners see them in `msht-client status`")
