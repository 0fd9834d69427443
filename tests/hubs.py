"""The hub under test, in every form the tests run it (and nowhere else):

- `HubUnderTest` / `start_hub`: the app in-process behind a TestClient (most hub tests; the `hub` fixture);
- `serve`: any app under uvicorn in a thread on a loopback port (browser tests);
- `LiveHub` / `run_hub`: a served hub with the demo agreement and its parties loaded (client tests);
- `serve_processes`: real `msht-hub serve` processes on one database (the `hub_processes` fixture).
"""

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from anonymise.vocab import PartnerType
from hub.agreements import service as agreements
from hub.config import HubSettings
from hub.db import make_engine, make_sessionmaker, migrate
from hub.main import create_app
from hub.models import AuditEntry
from hub.partners import service as partners
from hub.secrets import write_signing_key
from tests.conftest import TEST_PSEUDONYM_KEY, TEST_SESSION_KEY, make_settings
from tests.factories import PARTNER_TYP, FakePartner

REPO = Path(__file__).resolve().parents[1]
DEMO_AGREEMENT = REPO / "policies" / "demo.yaml"

ORGS: dict[str, tuple[PartnerType, str | None]] = {
    "demo-ngo": (PartnerType.NGO, None),
    "lb-newham": (PartnerType.LocalGovernmentOrganisation, "E09000025"),
    "demo-hospital": (PartnerType.HealthServiceOrganisation, None),
    "demo-police": (PartnerType.LawEnforcement, None),
    "lb-tower-hamlets": (PartnerType.LocalGovernmentOrganisation, "E09000030"),
    "lb-camden": (PartnerType.LocalGovernmentOrganisation, "E09000007"),
    "hub-operator": (PartnerType.CentralGovernmentOrganisation, None),
}
"""Every party of the demo agreement, as the hub operator would add them."""


@dataclass
class HubUnderTest:
    """A real app on a migrated database, a TestClient, and sessions for arranging and asserting."""

    app: Any
    client: Any
    settings: Any

    def session(self) -> Session:
        factory = self.app.state.sessions
        session: Session = factory()
        return session

    def arrange(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Run ``fn(session, ...)`` in its own committed transaction."""
        with self.session() as session, session.begin():
            return fn(session, *args, **kwargs)

    def upload(self, partner: FakePartner, bundle: bytes, token: str | None = None) -> Any:
        return self.client.post(
            "/api/v1/submissions",
            content=bundle,
            headers={
                "Authorization": f"Bearer {token or partner.token(bundle=bundle)}",
                "Content-Type": "application/zip",
            },
        )

    def counts(self, *models: Any) -> dict[str, int]:
        """Rows stored per table of ``models`` (table models of hub.models), by table name."""
        assert models
        with self.session() as session:
            return {m.__tablename__: session.scalar(select(func.count()).select_from(m)) or 0 for m in models}

    def audit_actions(self) -> list[str]:
        """The audit log's actions, oldest first."""
        with self.session() as session:
            return list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))

    def partner_call(self, partner: FakePartner, method: str, path: str, token: str | None = None) -> Any:
        bearer = token or partner.token(typ=PARTNER_TYP)
        return self.client.request(method, path, headers={"Authorization": f"Bearer {bearer}"})


def start_hub(settings: Any) -> HubUnderTest:
    from fastapi.testclient import TestClient

    from hub.main import create_app

    app = create_app(settings)
    return HubUnderTest(app=app, client=TestClient(app), settings=settings)


@dataclass
class LiveHub:
    url: str
    settings: HubSettings
    directory: Path
    """Everything the hub stores lives under here: the database (with WAL) and its secrets."""

    @contextmanager
    def session(self) -> Iterator[Session]:
        engine = make_engine(self.settings.database_url)
        try:
            with make_sessionmaker(engine)() as session:
                yield session
                session.commit()
        finally:
            engine.dispose()

    def enrolment_token(self, org_id: str) -> str:
        with self.session() as session:
            return partners.issue_enrolment_token(session, org_id, "test-operator", timedelta(hours=1))

    def stored_bytes(self) -> dict[Path, bytes]:
        """Every file the hub wrote, read raw (database, -wal and -shm included)."""
        return {p: p.read_bytes() for p in sorted(self.directory.rglob("*")) if p.is_file()}


@contextmanager
def serve(app: FastAPI, *, lifespan: str = "auto") -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread on a random 127.0.0.1 port; yield its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan=lifespan))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the hub did not start in time"
        assert thread.is_alive(), "the hub stopped while starting"
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    assert httpx.get(f"{base}/healthz").status_code == 200
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def serve_seeded(directory: Path, fill: Callable[[Session], None]) -> Iterator[str]:
    """A migrated SQLite hub in ``directory``, filled by ``fill`` in one committed session, served on loopback."""
    url = f"sqlite:///{directory / 'hub.db'}"
    migrate(url)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as s:
        fill(s)
        s.commit()
    engine.dispose()
    with serve(create_app(make_settings(url, directory))) as base:
        yield base


@contextmanager
def run_hub(directory: Path) -> Iterator[LiveHub]:
    """Start a hub on a random loopback port: freshly migrated SQLite in ``directory``, the demo
    agreement and its parties loaded."""
    directory.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{directory / 'hub.db'}"
    migrate(url)
    settings = make_settings(url, directory, demo=True)
    assert settings.signing_key_file is not None
    if not settings.signing_key_file.exists():
        write_signing_key(settings.signing_key_file)
    hub = LiveHub(url="", settings=settings, directory=directory)
    with hub.session() as session:
        agreements.load_version(session, DEMO_AGREEMENT.read_text(encoding="utf-8"), actor="test-operator")
        for org_id, (kind, gss) in ORGS.items():
            partners.add_org(session, org_id=org_id, name=org_id, kind=kind, gss_code=gss, actor="test-operator")
    with serve(create_app(settings), lifespan="off") as base:
        hub.url = base
        yield hub


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_processes(db_url: str, directory: Path, n: int = 2) -> Iterator[list[str]]:
    """``n`` real `msht-hub serve` processes on one database; yields their base URLs."""
    make_settings(db_url, directory)  # writes the hub signing key file every process reads
    env = os.environ | {
        "MSHT_DATABASE_URL": db_url,
        "MSHT_PSEUDONYM_KEY": TEST_PSEUDONYM_KEY,
        "MSHT_SESSION_KEY": TEST_SESSION_KEY,
        "MSHT_SIGNING_KEY_FILE": str(directory / "hub-signing.pem"),
    }
    procs, urls = [], []
    for _ in range(n):
        port = _free_port()
        procs.append(
            subprocess.Popen(
                [str(Path(sys.executable).parent / "msht-hub"), "serve"],
                env=env | {"MSHT_PORT": str(port)},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url, proc in zip(urls, procs, strict=True):
            for _ in range(600):
                if proc.poll() is not None:
                    raise AssertionError(proc.stderr.read().decode() if proc.stderr else "hub exited")
                try:
                    if httpx.get(f"{url}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                raise AssertionError("hub did not start")
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=30)
            if proc.stderr:
                proc.stderr.close()
