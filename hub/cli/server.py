"""`msht-hub migrate`, `serve`, `demo` and `keygen`: the database, the service and its secrets."""

from pathlib import Path
from typing import Annotated

import typer

from hub.cli.context import database, settings
from hub.db import migrate as run_migrations
from hub.records import summaries


def migrate() -> None:
    """Bring the database to the newest migration (the hub refuses to serve an unmigrated one)."""
    s = settings()
    run_migrations(s.database_url)
    with database() as session:  # submissions stored before the summaries existed get theirs now
        missing = summaries.missing(session)
        summaries.refresh(session, missing)
    typer.echo("database migrated" + (f"; summaries computed for {len(missing)} submission(s)" if missing else ""))


def serve(
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Processes; they share state through the database.")] = 1,
) -> None:
    """Serve the hub with uvicorn on MSHT_HOST:MSHT_PORT."""
    import uvicorn

    from hub.main import create_app

    s = settings()
    if workers == 1:
        uvicorn.run(create_app(s), host=s.host, port=s.port, log_level="info", proxy_headers=False)  # hub.proxies decides
    else:  # each worker process builds its own app from the same environment
        uvicorn.run("hub.main:from_environment", factory=True, workers=workers, host=s.host, port=s.port, log_level="info",
                    proxy_headers=False)


def demo(
    check: Annotated[bool, typer.Option("--check", help="Exit 0 once the pages answer, instead of serving.")] = False,
    port: Annotated[int, typer.Option("--port", help="Loopback port for the demo hub.")] = 8000,
    rows: Annotated[int, typer.Option("--rows", min=20, help="Rows in each synthetic export.")] = 300,
    workdir: Annotated[Path, typer.Option("--workdir", help="Where the demo keeps everything (wiped first).")] = Path("var/demo"),
) -> None:
    """Run the whole job on the embedded default: SQLite hub, demo agreement, four synthetic partners uploading."""
    from hub.demo import run

    run(workdir=workdir, port=port, rows=rows, check=check)


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
