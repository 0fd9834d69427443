"""A real hub for client tests: migrated SQLite, demo agreement, organisations, uvicorn on a loopback port."""

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy.orm import Session

from anonymise.vocab import PartnerType
from hub.agreements import service as agreements
from hub.config import HubSettings
from hub.db import make_engine, make_sessionmaker, migrate
from hub.main import create_app
from hub.partners import service as partners
from hub.secrets import write_signing_key
from tests.conftest import make_settings

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


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


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
    sock = _free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(settings), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    hub.url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the hub did not start")
        time.sleep(0.05)
    assert httpx.get(f"{hub.url}/healthz").status_code == 200
    try:
        yield hub
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
