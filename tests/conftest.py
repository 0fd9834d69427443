"""Shared test fixtures: loopback-only sockets, migrated databases (SQLite and PostgreSQL), hub settings."""

import os
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from hub.config import HubSettings
from hub.db import make_engine, make_sessionmaker, migrate
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


def pytest_configure(config: pytest.Config) -> None:
    if _worker(config) is None:
        # One id for the run, shared with pytest-xdist's workers: it names their PostgreSQL databases,
        # so the controller can drop them at the end even when a worker died before its teardown.
        run_id = getattr(config.option, "testrunuid", None) or uuid.uuid4().hex
        if hasattr(config.option, "testrunuid"):
            config.option.testrunuid = run_id
        config.stash[_RUN_ID] = run_id


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--reverse"):
        items.reverse()
    doctests = [item for item in items if isinstance(item, pytest.DoctestItem)]
    examples = sum(len(item.dtest.examples) for item in doctests if item.dtest is not None)
    config.stash[_DOCTESTS] = (len(doctests), examples, len({item.path for item in doctests}))
    if hasattr(config, "workeroutput"):  # a pytest-xdist worker: the controller prints the count
        config.workeroutput["doctests"] = config.stash[_DOCTESTS]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist: the controller collects nothing itself, so it takes the doctest count from a worker."""
    counted = getattr(node, "workeroutput", {}).get("doctests")
    if counted is not None:
        node.config.stash[_DOCTESTS] = tuple(counted)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Drop every PostgreSQL database this run made (the workers' too), even after a crash."""
    base = _pg_base_url()
    if base is None or _worker(session.config) is not None or _RUN_ID not in session.config.stash:
        return
    prefix = _pg_prefix(session.config.stash[_RUN_ID])
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            names = conn.scalars(text("SELECT datname FROM pg_database WHERE starts_with(datname, :p)"), {"p": prefix})
            for name in list(names):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    except OperationalError:
        pass  # the server is gone: nothing of ours is left on it to drop
    finally:
        admin.dispose()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    docstrings, examples, modules = config.stash.get(_DOCTESTS, (0, 0, 0))
    terminalreporter.write_line(f"doctests collected: {docstrings} docstrings, {examples} examples, {modules} modules")


_DOCTESTS = pytest.StashKey[tuple[int, int, int]]()
_RUN_ID = pytest.StashKey[str]()


def _worker(config: pytest.Config) -> str | None:
    """The pytest-xdist worker id (gw0, gw1, ...), or None in the controller or a run without xdist."""
    workerinput = getattr(config, "workerinput", None)
    return None if workerinput is None else str(workerinput["workerid"])


def _pg_prefix(run_id: str) -> str:
    return f"msht_t_{run_id[:12]}_"


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
def _pg_migrated(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """This process's own PostgreSQL database on the server of MSHT_TEST_DATABASE_URL, migrated once.

    Each pytest-xdist worker makes its own (named by the run and the worker); the controller's
    `pytest_sessionfinish` drops whatever a crashed worker left."""
    base = _pg_base_url()
    if base is None:
        yield None
        return
    config = request.config
    workerinput = getattr(config, "workerinput", None)
    run_id = str(workerinput["testrunuid"]) if workerinput is not None else config.stash[_RUN_ID]
    name = _pg_prefix(run_id) + (_worker(config) or "main")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
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


SeededCopy = Callable[[str, Callable[[Session], None]], str]


@pytest.fixture(scope="session")
def _seeded_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[tuple[str, str], str]]:
    """Databases seeded once in this process, by engine and key (SQLite file paths, PostgreSQL URLs)."""
    made: dict[tuple[str, str], str] = {}
    yield made
    base = _pg_base_url()
    if base is None:
        return
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for (engine, _), url in made.items():
            if engine == "postgresql":
                conn.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def seeded_copy(request: pytest.FixtureRequest, db_url: str, _seeded_templates: dict[tuple[str, str], str]) -> SeededCopy:
    """``seeded_copy(key, fill)``: the URL of a database on ``db_url``'s engine holding what ``fill``
    commits, seeded once per process and key, then copied for each test (a file copy on SQLite,
    ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL), so a test may change its copy freely.
    ``fill`` must seed the same rows every time for one key and write nothing outside the database."""
    engine = "sqlite" if db_url.startswith("sqlite") else "postgresql"

    def copy(key: str, fill: Callable[[Session], None]) -> str:
        assert key.isidentifier(), "the key names a database: an identifier"
        assert len(key) <= 24, "the key names a database: at most 24 characters"
        template = _seeded_templates.get((engine, key))
        if engine == "sqlite":
            path = Path(str(make_url(db_url).database))
            if template is None:
                template = str(path.with_name(f"seeded_{key}.db"))
                shutil.copy(path, template)  # the freshly migrated, empty database
                _fill(f"sqlite:///{template}", fill)
                _seeded_templates[(engine, key)] = template
            shutil.copy(template, path)
            return db_url
        config = request.config
        workerinput = getattr(config, "workerinput", None)
        run_id = str(workerinput["testrunuid"]) if workerinput is not None else config.stash[_RUN_ID]
        stem = f"{_pg_prefix(run_id)}{_worker(config) or 'main'}_{key}"
        admin = create_engine(db_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                if template is None:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{stem}" WITH (FORCE)'))
                    conn.execute(text(f'CREATE DATABASE "{stem}"'))
                    template = make_url(db_url).set(database=stem).render_as_string(hide_password=False)
                    migrate(template)
                    _fill(template, fill)
                    _seeded_templates[(engine, key)] = template
                name = f"{stem}_{uuid.uuid4().hex[:6]}"
                conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{stem}"'))
        finally:
            admin.dispose()
        request.addfinalizer(lambda: _drop_pg(db_url, name))
        return make_url(db_url).set(database=name).render_as_string(hide_password=False)

    return copy


def _fill(url: str, fill: Callable[[Session], None]) -> None:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            fill(session)
            session.commit()
    finally:
        engine.dispose()


def _drop_pg(url: str, name: str) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


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


def _find_chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("browser tests need Debian's chromium (.ci/run installs it)")
    return path


@pytest.fixture
def chromium_path() -> str:
    return _find_chromium()


@pytest.fixture(scope="module")
def _module_chromium() -> Iterator["Browser"]:
    """One headless Chromium per test module: launching it costs seconds under load.
    Module scope, not session: Playwright's sync API leaves its event loop set on the thread while it
    runs, so it must not outlive the browser tests' module (other modules start their own)."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM_ARGS

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=_find_chromium(), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def browser(_module_chromium: "Browser") -> Iterator["Browser"]:
    """Headless Debian Chromium driven by Playwright (no browser download). Shared by the module's
    tests, but every context a test opened (its cookies, storage and pages) is closed after it, so no
    test sees another's state."""
    assert not _module_chromium.contexts, "a browser test starts with no context open"
    yield _module_chromium
    for context in list(_module_chromium.contexts):
        context.close()
