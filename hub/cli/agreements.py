"""`msht-hub agreement …` and `purge`: data-sharing agreements and their retention."""

from pathlib import Path
from typing import Annotated

import typer

from hub.cli.context import actor, database, settings
from hub.errors import Rejected

app = typer.Typer(help="Data-sharing agreements.", no_args_is_help=True)


@app.command("load")
def agreement_load(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]) -> None:
    """Validate FILE and store it as a new version (its version must be higher than every stored one)."""
    from hub.agreements import service

    text = file.read_text(encoding="utf-8")
    with database() as session:
        try:
            agreement = service.load_version(session, text, actor=actor())
        except Rejected as exc:
            for problem in exc.problems:
                where = f"line {problem['line']}, " if problem["line"] is not None else ""
                typer.echo(f"{file}: {where}{problem['path'] or '(document)'}: {problem['rule']}", err=True)
            raise
    typer.echo(f"loaded {agreement.id} version {agreement.version} ({agreement.status.value})")
    if agreement.demo and not settings().demo:
        typer.echo(
            "WARNING: this is a demo agreement: uploads under it are refused unless MSHT_DEMO=true", err=True
        )


@app.command("validate")
def agreement_validate(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]) -> None:
    """Check FILE without storing it; each problem is printed with its line and field path."""
    from anonymise import check_agreement_text

    problems = check_agreement_text(file.read_text(encoding="utf-8"))
    for problem in problems:
        typer.echo(f"{file}:{problem}", err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"{file}: valid")


@app.command("list")
def agreement_list() -> None:
    """Every agreement's current version: id, version, status, validity, title."""
    from hub.agreements import service

    with database() as session:
        for a in service.current_agreements(session):
            demo = " [demo]" if a.demo else ""
            typer.echo(f"{a.id}\tv{a.version}\t{a.status.value}\t{a.valid_from}..{a.valid_until}\t{a.title}{demo}")


@app.command("show")
def agreement_show(
    agreement_id: Annotated[str, typer.Argument(metavar="ID")],
    version: Annotated[int | None, typer.Option("--version", min=1, help="A stored version (default: current).")] = None,
    history: Annotated[bool, typer.Option("--history", help="List every version instead.")] = False,
) -> None:
    """Print an agreement's YAML (current version, or --version N), or its version history."""
    from hub.agreements import service

    with database() as session:
        rows = service.versions(session, agreement_id)
        if not rows:
            typer.echo(f"error: no agreement {agreement_id}", err=True)
            raise typer.Exit(1)
        if history:
            for row in rows:
                typer.echo(f"v{row.version}\t{row.status}\t{row.created_at:%Y-%m-%d %H:%M}\t{row.created_by}\t{row.sha256}")
            return
        row = rows[0] if version is None else service.version_row(session, agreement_id, version)
        typer.echo(row.document, nl=not row.document.endswith("\n"))


def _set_status(agreement_id: str, status: str) -> None:
    from hub.agreements import service

    with database() as session:
        agreement = service.set_status(session, agreement_id, status, actor=actor())
    typer.echo(f"{agreement.id} is now {agreement.status.value} (version {agreement.version})")


@app.command("activate")
def agreement_activate(agreement_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Make ID active (a new version); its providers' records count again at once."""
    _set_status(agreement_id, "active")


@app.command("suspend")
def agreement_suspend(agreement_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Suspend ID (a new version): its records leave every view at once; uploads are refused."""
    _set_status(agreement_id, "suspended")


@app.command("revoke")
def agreement_revoke(agreement_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Revoke ID for good (a new version): its records leave every view at once."""
    _set_status(agreement_id, "revoked")


@app.command("diff")
def agreement_diff(
    agreement_id: Annotated[str, typer.Argument(metavar="ID")],
    v1: Annotated[int, typer.Argument(min=1)],
    v2: Annotated[int, typer.Argument(min=1)],
) -> None:
    """Unified diff of versions V1 and V2 of ID."""
    from hub.agreements import service

    with database() as session:
        text = service.diff(session, agreement_id, v1, v2)
    typer.echo(text or "(no difference)", nl=not text.endswith("\n"))


def purge() -> None:
    """Delete records past their agreement's retention period now (also runs daily while serving)."""
    from datetime import UTC, datetime

    from hub.agreements import service

    with database() as session:
        counts = service.purge_expired_records(session, datetime.now(UTC).date(), actor=actor())
    typer.echo("purged " + ", ".join(f"{n} {name}" for name, n in counts.items()))
