"""What every operator command shares: the settings, one transaction on the migrated database, and who acts."""

import getpass
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from sqlalchemy.orm import Session

from hub.config import HubSettings
from hub.db import is_migrated, make_engine, make_sessionmaker, session_scope
from hub.errors import HubError


def settings() -> HubSettings:
    return HubSettings()


@contextmanager
def database() -> Iterator[Session]:
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


def actor() -> str:
    return f"cli:{getpass.getuser()}"
