"""`msht-client alerts`: your cases another partner also holds; ask for, accept or decline contact."""

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from partner_client.alerts import by_case, my_alerts
from partner_client.config import ClientSettings
from partner_client.console import console, echo_json, guarded
from partner_client.upload import Hub

alerts_app = typer.Typer(
    help="Your cases that link to a record another partner holds (the other partner is never named).",
    invoke_without_command=True,
)

HomeOpt = Annotated[
    Path | None,
    typer.Option("--home", help="State directory (default ~/.config/msht-client or MSHT_CLIENT_HOME).", show_default=False),
]


def _settings(home: Path | None) -> ClientSettings:
    return ClientSettings(home=home) if home is not None else ClientSettings()


@alerts_app.callback()
@guarded
def list_alerts(
    ctx: typer.Context,
    home: HomeOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="As JSON: `alerts`, one object per link, and `cases`, the links grouped by your case.")] = False,
) -> None:
    """List your alerts, one row per case of yours: its case reference (from this machine), its links' kinds and months."""
    if ctx.invoked_subcommand is not None:
        return
    alerts = my_alerts(_settings(home))
    cases = by_case(alerts)
    if as_json:
        echo_json({"alerts": [a.as_dict() for a in alerts], "cases": [c.as_dict() for c in cases]})
        return
    if not alerts:
        console.print("No alerts: none of your records links to a record another partner holds (or alerts are off in your agreement).")
        return
    table = Table(title=f"Your cases that another partner also holds a linked record of: {len(cases)} case(s), {len(alerts)} link(s)")
    for column in ("your case", "quarter", "links", "alerts", "found", "contact"):
        table.add_column(column)
    for c in cases:
        contact = "\n".join(f"alert {a.id}: {a.contact_line}" for a in c.links if a.request) or "—"
        table.add_row(Text(c.case), c.quarter, c.summary, ", ".join(str(a.id) for a in c.links), c.first_found, Text(contact))
    console.print(table)
    for a in alerts:
        r = a.request or {}
        if r.get("status") == "accepted":
            console.print(f"Alert {a.id} (your case {a.case}): contact {r.get('organisation')} — {r.get('contact')}", markup=False, soft_wrap=True)
    console.print("Ask to be put in touch: msht-client alerts contact ALERT   ·   answer a request: msht-client alerts accept|decline REQUEST")


@alerts_app.command("contact")
@guarded
def contact(alert: Annotated[int, typer.Argument(help="The alert number, from `msht-client alerts`.")], home: HomeOpt = None) -> None:
    """Ask the hub to put you in touch with the partner holding the other record (they see your request, not your data)."""
    body = Hub(_settings(home)).request_contact(alert)
    console.print(f"✓ Contact request {body.get('id')} sent through the hub; you will see the other partner's contact if they accept.")


def _decide(request: int, home: Path | None, *, accept: bool) -> None:
    body = Hub(_settings(home)).decide_contact(request, accept=accept)
    if accept:
        console.print(f"✓ Accepted: {body.get('organisation')} — {body.get('contact')}. They now see your named contact too.", markup=False)
    else:
        console.print("✓ Declined: neither side is shown the other's contact.")


@alerts_app.command("accept")
@guarded
def accept(request: Annotated[int, typer.Argument(help="The request number, from `msht-client alerts`.")], home: HomeOpt = None) -> None:
    """Accept a contact request made to you: both sides then see each other's named contact."""
    _decide(request, home, accept=True)


@alerts_app.command("decline")
@guarded
def decline(request: Annotated[int, typer.Argument(help="The request number, from `msht-client alerts`.")], home: HomeOpt = None) -> None:
    """Decline a contact request made to you."""
    _decide(request, home, accept=False)
