"""The models and the Alembic migrations agree (SQLite and PostgreSQL); the hub refuses an unmigrated database."""

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from hub.db import is_migrated, make_engine, migrate
from hub.main import NotMigrated, create_app
from hub.models import Base
from tests.conftest import make_settings


def test_models_and_migrations_agree(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True, "compare_server_default": True})
            diffs = compare_metadata(context, Base.metadata)
            tables = set(inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert diffs == []
    assert set(Base.metadata.tables) <= tables


def test_migrate_is_idempotent(db_url: str) -> None:
    migrate(db_url)
    engine = make_engine(db_url)
    assert is_migrated(engine)
    engine.dispose()


def test_hub_refuses_an_unmigrated_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with pytest.raises(NotMigrated, match="msht-hub migrate"):
        create_app(make_settings(url, tmp_path))
    migrate(url)
    app = create_app(make_settings(url, tmp_path))
    app.state.engine.dispose()


def test_sqlite_runs_wal_with_full_sync(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
            assert connection.execute(text("PRAGMA synchronous")).scalar_one() == 2  # FULL
            assert connection.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
            assert connection.execute(text("PRAGMA busy_timeout")).scalar_one() == 30000
    finally:
        engine.dispose()
