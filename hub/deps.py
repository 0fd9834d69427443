"""Request-scoped dependencies shared by every router: settings, the database session."""

from collections.abc import Iterator
from typing import Annotated, Final

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from hub.config import HubSettings
from hub.db import session_scope
from hub.secrets import HubSecrets

DB_INT_MAX: Final = 2**31 - 1
"""The largest id or version a query parameter may name: PostgreSQL's ``integer`` (larger is a 422, not a 500)."""

# Dependencies that do no I/O are ``async``: FastAPI runs a sync one in the thread pool, and
# every such hop costs about a millisecond on each request.


async def get_settings(request: Request) -> HubSettings:
    settings: HubSettings = request.app.state.settings
    return settings


async def get_secrets(request: Request) -> HubSecrets:
    secrets: HubSecrets = request.app.state.secrets
    return secrets


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request, committed before the response is sent, rolled back on error."""
    yield from session_scope(request.app.state.sessions)


SettingsDep = Annotated[HubSettings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SecretsDep = Annotated[HubSecrets, Depends(get_secrets)]
