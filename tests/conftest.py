"""Shared test fixtures: loopback-only sockets, migrated databases (SQLite and PostgreSQL), hub settings."""

import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from hub.config import HubSettings
from hub.db import migrate
from hub.models import Base

if TYPE_CHECKING:
    from playwright.sync_api import Browser
from hub.secrets import write_signing_key

PG_URL_ENV = "MSHT_TEST_DATABASE_URL"
TEST_PSEUDONYM_KEY = "test-hub-pseudonym-key-0123456789abcdef0123456789"
TEST_SESSION_KEY = "test-hub-session-key-0123456789abcdef0123456789abcd"

_real_connect = socket.socket.connect


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--reverse", action="store_true", default=False,
        help="run the collected tests in reverse order (tests must not depend on each other's order)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--reverse"):
        items.reverse()
    doctests = [item for item in items if isinstance(item, pytest.DoctestItem)]
    examples = sum(len(item.dtest.examples) for item in doctests if item.dtest is not None)
    config.stash[_DOCTESTS] = (len(doctests), examples, len({item.path for item in doctests}))


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    docstrings, examples, modules = config.stash.get(_DOCTESTS, (0, 0, 0))
    terminalreporter.write_line(f"doctests collected: {docstrings} docstrings, {examples} examples, {modules} modules")


_DOCTESTS = pytest.StashKey[tuple[int, int, int]]()


def _loopback_only(self: socket.socket, address: Any) -> Any:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0]
        if host not in ("127.0.0.1", "::1", "localhost") and not str(host).startswith("127."):
            raise RuntimeError("tests may only open sockets to loopback")
    return _real_connect(self, address)


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    socket.socket.connect = _loopback_only  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]


def _pg_base_url() -> str | None:
    url = os.environ.get(PG_URL_ENV)
    if not url:
        return None
    return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "template.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def _pg_migrated() -> Iterator[str | None]:
    base = _pg_base_url()
    if base is None:
        yield None
        return
    name = f"msht_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    migrate(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_pg(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, _sqlite_template: Path) -> str:
    """A freshly migrated, empty database: SQLite always, PostgreSQL when MSHT_TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        path = tmp_path / "hub.db"
        shutil.copy(_sqlite_template, path)
        return f"sqlite:///{path}"
    url: str | None = request.getfixturevalue("_pg_migrated")
    if url is None:
        pytest.skip(f"PostgreSQL tests need {PG_URL_ENV} (CI sets it)")
    _truncate_pg(url)
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path, _sqlite_template: Path) -> str:
    """A freshly migrated SQLite database only (for tests where the engine does not matter)."""
    path = tmp_path / "hub.db"
    shutil.copy(_sqlite_template, path)
    return f"sqlite:///{path}"


def make_settings(db: str, tmp_path: Path, **overrides: Any) -> HubSettings:
    values: dict[str, Any] = {
        "database_url": db,
        "pseudonym_key": TEST_PSEUDONYM_KEY,
        "session_key": TEST_SESSION_KEY,
        "signing_key_file": tmp_path / "hub-signing.pem",
        "policies_dir": Path(__file__).resolve().parent.parent / "policies",
        "audit_ahead": False,  # questions audit on demand; tests/hub/statistics/test_precompute.py runs the worker
    }
    values.update(overrides)
    key_file = values.get("signing_key_file")
    if "signing_key_file" not in overrides and isinstance(key_file, Path) and not key_file.exists():
        write_signing_key(key_file)  # a fresh test key per test directory
    return HubSettings(**values)


@pytest.fixture
def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("browser tests need Debian's chromium (.ci/run installs it)")
    return path


@pytest.fixture
def browser(chromium_path: str) -> Iterator["Browser"]:
    """Headless Debian Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM_ARGS

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
