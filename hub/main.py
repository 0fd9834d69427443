"""create_app(settings): the one place the FastAPI application is assembled."""

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, contextmanager, suppress
from datetime import timedelta
from typing import Final

from fastapi import FastAPI, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import delete, event
from sqlalchemy.orm import Session
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub import openapi, ratelimit
from hub.agreements import retention
from hub.agreements.router import partner_router as agreements_partner_router
from hub.agreements.router import router as agreements_router
from hub.alerts.router import router as alerts_router
from hub.audit_api import router as audit_router
from hub.auth import replay
from hub.auth.web_sessions import set_session_cookie
from hub.config import HubSettings
from hub.db import STATS_CHANGED, is_migrated, make_engine, make_sessionmaker, session_scope
from hub.errors import HubError, install_handlers
from hub.models import WebSession
from hub.networks.router import router as networks_router
from hub.pages.errors import install_page_handlers
from hub.pages.router import router as pages_router
from hub.pages.templating import STATIC_DIR, templates
from hub.partners.router import router as partners_router
from hub.premises.router import router as premises_router
from hub.proxies import TrustedProxies, parse_networks
from hub.returns.router import router as returns_router
from hub.secrets import load_secrets
from hub.statistics import precompute
from hub.statistics.router import router as statistics_router
from hub.submissions.router import router as submissions_router
from hub.submissions.slots import IngestSlots

log = logging.getLogger(__name__)

# Every asset is served by the hub itself: no external origin may be named here.
CSP: Final = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


INTERNAL_ERROR: Final = {"error": "internal", "detail": "the hub failed to answer; nothing was changed, try again later"}


class NotMigrated(HubError):
    status_code = 503
    code = "not_migrated"


def _purge(app: FastAPI) -> None:
    """Forget expired replay ids, rate counters and sessions (any process may do it; all share the DB)."""
    from datetime import UTC, datetime

    with contextmanager(session_scope)(app.state.sessions) as session:
        used = replay.purge_expired(session)
        counters = ratelimit.purge_expired(session)
        session.execute(delete(WebSession).where(WebSession.expires_at < datetime.now(UTC)))
        log.info("purged %d used token ids and %d rate counters", used, counters)


_lifespans_lock = threading.Lock()


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Purge on start; close pooled connections when the last server running this app stops.

    Tests may run several servers of one app at once (one TestClient per thread); disposing the
    pool while another still has connections checked out would leak them, hence the count.
    """
    with _lifespans_lock:
        app.state.running = getattr(app.state, "running", 0) + 1
    retention_task = asyncio.create_task(
        retention.purge_loop(app.state.sessions, timedelta(hours=app.state.settings.purge_interval_hours))
    )
    worker: precompute.Worker | None = app.state.audit_worker
    if worker is not None:
        worker.start()
    try:
        _purge(app)
        yield
    finally:
        retention_task.cancel()
        with suppress(asyncio.CancelledError):
            await retention_task
        with _lifespans_lock:
            app.state.running -= 1
            last = app.state.running == 0
        if last:
            if worker is not None:
                await asyncio.to_thread(worker.stop)
            await _quiesce(app)
            app.state.engine.dispose()


async def _quiesce(app: FastAPI, *, timeout: float = 30.0) -> None:
    """Wait for connections still out (e.g. a purge thread the cancel could not stop) to come back.

    Disposing the pool under a checked-out connection would leak that connection.
    """
    pool = app.state.engine.pool
    checkedout = getattr(pool, "checkedout", None)
    if checkedout is None:
        return
    deadline = asyncio.get_running_loop().time() + timeout
    while checkedout() and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.02)


class SecurityHeaders:
    """Pure ASGI middleware: security headers on every response, and a renewed session cookie.

    (Starlette's ``BaseHTTPMiddleware`` costs a few milliseconds a request on this path.)
    """

    HEADERS: Final = (
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Cross-Origin-Resource-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    )

    def __init__(self, app: ASGIApp, settings: HubSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in self.HEADERS:
                    headers.setdefault(name, value)
                if not str(scope.get("path", "")).startswith("/static/"):
                    headers.setdefault("Cache-Control", "no-store")
                if self.settings.https:
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
                renewed = scope.get("state", {}).get("renewed_session")
                if renewed:
                    cookie = Response()
                    set_session_cookie(cookie, self.settings, renewed)
                    for key, raw in cookie.raw_headers:
                        if key == b"set-cookie":
                            headers.append("set-cookie", raw.decode("latin-1"))
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            # Starlette's server-error response is built outside every middleware, without these
            # headers: answer here instead (never the exception's text), then let it be logged.
            if not started:
                await JSONResponse(INTERNAL_ERROR, status_code=500)(scope, receive, send_with_headers)
            raise


def _audit_worker(settings: HubSettings, app: FastAPI) -> precompute.Worker:
    """The disclosure audits computed ahead (``hub.statistics.precompute``): woken by every commit
    that changed what statistics read, reading through an engine that takes no write lock."""
    worker = precompute.Worker(make_engine(settings.database_url, reader=True), app.state.sessions, poll=settings.audit_poll_seconds,
                               answers=settings.answers_ahead)

    @event.listens_for(app.state.sessions, "after_commit")
    def _changed(session: Session) -> None:
        if session.info.pop(STATS_CHANGED, False):
            worker.wake()

    return worker


def create_app(settings: HubSettings, *, check_migrated: bool = True) -> FastAPI:
    secrets = load_secrets(settings)
    engine = make_engine(settings.database_url)
    if check_migrated and not is_migrated(engine):
        engine.dispose()
        raise NotMigrated("the database is not at the newest migration: run `msht-hub migrate`")
    app = FastAPI(title="msht-hub", version="0.1.0", lifespan=_lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.secrets = secrets
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)
    app.state.ingest_slots = IngestSlots(settings.max_concurrent_ingests)
    app.state.audit_worker = _audit_worker(settings, app) if settings.audit_ahead else None
    install_handlers(app)
    openapi.install(app)
    install_page_handlers(app)
    app.add_middleware(SecurityHeaders, settings=settings)
    app.add_middleware(TrustedProxies, networks=parse_networks(settings.trusted_proxies))

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return Response(status_code=204, headers={"Cache-Control": "max-age=86400"})

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def docs(request: Request) -> Response:
        """The API reference, rendered here from the OpenAPI schema (no CDN-hosted Swagger UI)."""
        return templates.TemplateResponse(request, "api_docs.html", {"api": app.openapi()})

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(partners_router)
    app.include_router(audit_router)
    app.include_router(submissions_router)
    app.include_router(agreements_router)
    app.include_router(agreements_partner_router)
    app.include_router(statistics_router)
    app.include_router(premises_router)
    app.include_router(alerts_router)
    app.include_router(returns_router)
    app.include_router(networks_router)
    app.include_router(pages_router)
    return app


def from_environment() -> FastAPI:
    """The app from MSHT_* settings: the factory each `msht-hub serve --workers N` process calls."""
    return create_app(HubSettings())
