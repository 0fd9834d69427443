"""`msht-hub`: serve, migrate, and the operator's commands (partners, users, agreements, audit)."""

import typer

from hub.config import HubSettings
from hub.db import migrate as run_migrations

app = typer.Typer(help="The msht-hub service and its operator commands.", no_args_is_help=True)
partner_app = typer.Typer(help="Organisations, enrolment tokens and partner keys.", no_args_is_help=True)
user_app = typer.Typer(help="Local user accounts.", no_args_is_help=True)
agreement_app = typer.Typer(help="Data-sharing agreements.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log.", no_args_is_help=True)
app.add_typer(partner_app, name="partner")
app.add_typer(user_app, name="user")
app.add_typer(agreement_app, name="agreement")
app.add_typer(audit_app, name="audit")


def settings() -> HubSettings:
    return HubSettings()


@app.command()
def migrate() -> None:
    """Bring the database to the newest migration (the hub refuses to serve an unmigrated one)."""
    s = settings()
    run_migrations(s.database_url)
    typer.echo("database migrated")


@app.command()
def serve() -> None:
    """Serve the hub with uvicorn on MSHT_HOST:MSHT_PORT."""
    import uvicorn

    from hub.main import create_app

    s = settings()
    uvicorn.run(create_app(s), host=s.host, port=s.port, log_level="info")
