"""create_app(settings): the one place the FastAPI application is assembled."""

from fastapi import FastAPI

from hub.agreements.router import router as agreements_router
from hub.config import HubSettings
from hub.db import is_migrated, make_engine, make_sessionmaker
from hub.errors import HubError, install_handlers
from hub.pages.router import router as pages_router
from hub.partners.router import router as partners_router
from hub.statistics.router import router as statistics_router
from hub.submissions.router import router as submissions_router


class NotMigrated(HubError):
    status_code = 503
    code = "not_migrated"


def create_app(settings: HubSettings, *, check_migrated: bool = True) -> FastAPI:
    engine = make_engine(settings.database_url)
    if check_migrated and not is_migrated(engine):
        engine.dispose()
        raise NotMigrated("the database is not at the newest migration: run `msht-hub migrate`")
    app = FastAPI(title="msht-hub", version="0.1.0")
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)
    install_handlers(app)

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(partners_router)
    app.include_router(submissions_router)
    app.include_router(agreements_router)
    app.include_router(statistics_router)
    app.include_router(pages_router)
    return app
