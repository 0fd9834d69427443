"""`msht-hub`: serve, migrate, and the operator's commands (partners, users, agreements, audit)."""

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from hub.config import HubSettings
from hub.db import is_migrated, make_engine, make_sessionmaker, session_scope
from hub.db import migrate as run_migrations
from hub.errors import HubError, Rejected

app = typer.Typer(help="The msht-hub service and its operator commands.", no_args_is_help=True)
partner_app = typer.Typer(help="Organisations, enrolment tokens and partner keys.", no_args_is_help=True)
user_app = typer.Typer(help="Local user accounts.", no_args_is_help=True)
agreement_app = typer.Typer(help="Data-sharing agreements.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
stats_app = typer.Typer(help="The summary counts the statistics are read from.", no_args_is_help=True)
app.add_typer(partner_app, name="partner")
app.add_typer(user_app, name="user")
app.add_typer(agreement_app, name="agreement")
app.add_typer(audit_app, name="audit")
app.add_typer(stats_app, name="stats")


def settings() -> HubSettings:
    return HubSettings()


@app.command()
def migrate() -> None:
    """Bring the database to the newest migration (the hub refuses to serve an unmigrated one)."""
    from hub.records import summaries

    s = settings()
    run_migrations(s.database_url)
    with _db() as session:  # submissions stored before the summaries existed get theirs now
        missing = summaries.missing(session)
        summaries.refresh(session, missing)
    typer.echo("database migrated" + (f"; summaries computed for {len(missing)} submission(s)" if missing else ""))


@app.command()
def serve(
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Processes; they share state through the database.")] = 1,
) -> None:
    """Serve the hub with uvicorn on MSHT_HOST:MSHT_PORT."""
    import uvicorn

    from hub.main import create_app

    s = settings()
    if workers == 1:
        uvicorn.run(create_app(s), host=s.host, port=s.port, log_level="info")
    else:  # each worker process builds its own app from the same environment
        uvicorn.run("hub.main:from_environment", factory=True, workers=workers, host=s.host, port=s.port, log_level="info")


# --- shared helpers for operator commands ------------------------------------------------------


@contextmanager
def _db() -> Iterator[Session]:
    """One transaction against the configured, migrated database; domain errors end the command."""
    s = settings()
    engine = make_engine(s.database_url)
    try:
        if not is_migrated(engine):
            typer.echo("the database is not at the newest migration: run `msht-hub migrate`", err=True)
            raise typer.Exit(2)
        try:
            with from_session(make_sessionmaker(engine)) as session:
                yield session
        except HubError as exc:
            typer.echo(f"error: {exc.detail}", err=True)
            raise typer.Exit(1) from exc
    finally:
        engine.dispose()


from_session = contextmanager(session_scope)


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


@app.command()
def demo(
    check: Annotated[bool, typer.Option("--check", help="Exit 0 once the pages answer, instead of serving.")] = False,
    port: Annotated[int, typer.Option("--port", help="Loopback port for the demo hub.")] = 8000,
    rows: Annotated[int, typer.Option("--rows", min=20, help="Rows in each synthetic export.")] = 300,
    workdir: Annotated[Path, typer.Option("--workdir", help="Where the demo keeps everything (wiped first).")] = Path("var/demo"),
) -> None:
    """Run the whole job on the embedded default: SQLite hub, demo agreement, four synthetic partners uploading."""
    from hub.demo import run

    run(workdir=workdir, port=port, rows=rows, check=check)


@app.command()
def keygen(directory: Annotated[Path, typer.Option("--dir", help="Where to write the three secret files.")]) -> None:
    """Create the hub's secrets (pseudonym key, session key, Ed25519 signing key) as 0600 files."""
    from hub.secrets import write_secret_file, write_signing_key

    directory.mkdir(parents=True, exist_ok=True)
    targets = {"pseudonym.key": "MSHT_PSEUDONYM_KEY_FILE", "session.key": "MSHT_SESSION_KEY_FILE", "signing.pem": "MSHT_SIGNING_KEY_FILE"}
    if any((directory / name).exists() for name in targets):
        typer.echo(f"error: {directory} already holds hub secrets; they are never overwritten", err=True)
        raise typer.Exit(1)
    write_secret_file(directory / "pseudonym.key")
    write_secret_file(directory / "session.key")
    write_signing_key(directory / "signing.pem")
    typer.echo("created; point the hub at them with:")
    for name, env in targets.items():
        typer.echo(f"  {env}={(directory / name).resolve()}")
    typer.echo("Back up the pseudonym key: without it, stored pseudonyms can never be matched again.")


# --- agreements and retention (hub.agreements) --------------------------------------------------


@agreement_app.command("load")
def agreement_load(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]) -> None:
    """Validate FILE and store it as a new version (its version must be higher than every stored one)."""
    from hub.agreements import service

    text = file.read_text(encoding="utf-8")
    with _db() as session:
        try:
            agreement = service.load_version(session, text, actor=_actor())
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


@agreement_app.command("validate")
def agreement_validate(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]) -> None:
    """Check FILE without storing it; each problem is printed with its line and field path."""
    from anonymise.agreement_check import check_agreement_text

    problems = check_agreement_text(file.read_text(encoding="utf-8"))
    for problem in problems:
        typer.echo(f"{file}:{problem}", err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"{file}: valid")


@agreement_app.command("list")
def agreement_list() -> None:
    """Every agreement's current version: id, version, status, validity, title."""
    from hub.agreements import service

    with _db() as session:
        for a in service.current_agreements(session):
            demo = " [demo]" if a.demo else ""
            typer.echo(f"{a.id}\tv{a.version}\t{a.status.value}\t{a.valid_from}..{a.valid_until}\t{a.title}{demo}")


@agreement_app.command("show")
def agreement_show(
    agreement_id: Annotated[str, typer.Argument(metavar="ID")],
    version: Annotated[int | None, typer.Option("--version", min=1, help="A stored version (default: current).")] = None,
    history: Annotated[bool, typer.Option("--history", help="List every version instead.")] = False,
) -> None:
    """Print an agreement's YAML (current version, or --version N), or its version history."""
    from hub.agreements import service

    with _db() as session:
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

    with _db() as session:
        agreement = service.set_status(session, agreement_id, status, actor=_actor())
    typer.echo(f"{agreement.id} is now {agreement.status.value} (version {agreement.version})")


@agreement_app.command("activate")
def agreement_activate(agreement_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Make ID active (a new version); its providers' records count again at once."""
    _set_status(agreement_id, "active")


@agreement_app.command("suspend")
def agreement_suspend(agreement_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Suspend ID (a new version): its records leave every view at once; uploads are refused."""
    _set_status(agreement_id, "suspended")


@agreement_app.command("revoke")
def agreement_revoke(agreement_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """Revoke ID for good (a new version): its records leave every view at once."""
    _set_status(agreement_id, "revoked")


@agreement_app.command("diff")
def agreement_diff(
    agreement_id: Annotated[str, typer.Argument(metavar="ID")],
    v1: Annotated[int, typer.Argument(min=1)],
    v2: Annotated[int, typer.Argument(min=1)],
) -> None:
    """Unified diff of versions V1 and V2 of ID."""
    from hub.agreements import service

    with _db() as session:
        text = service.diff(session, agreement_id, v1, v2)
    typer.echo(text or "(no difference)", nl=not text.endswith("\n"))


@app.command()
def purge() -> None:
    """Delete records past their agreement's retention period now (also runs daily while serving)."""
    from datetime import UTC, datetime

    from hub.agreements import service

    with _db() as session:
        counts = service.purge_expired_records(session, datetime.now(UTC).date(), actor=_actor())
    typer.echo("purged " + ", ".join(f"{n} {name}" for name, n in counts.items()))


@stats_app.command("rebuild")
def stats_rebuild() -> None:
    """Recompute every summary count and the repeat-people index from the stored records."""
    from hub import audit
    from hub.records import summaries

    with _db() as session:
        rows = summaries.rebuild(session)
        audit.record(session, actor=_actor(), action="stats.rebuild", target="stats:summaries", details={"rows": rows})
    typer.echo(f"summaries rebuilt: {rows} rows")


# Commands for organisations, users, partner keys and the audit log live in hub/cli_accounts.py;
# importing it registers them on the sub-apps above.
from hub.cli import accounts  # noqa: E402, F401 - registers its commands; must follow the sub-apps
