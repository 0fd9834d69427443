"""Fixtures shared by the hub's tests: the hub under test in-process (`hub`), a partner enrolled in an
agreement, and two real hub processes on one database (`hub_processes`)."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import make_settings
from tests.factories import FakePartner, add_agreement, add_partner
from tests.hubs import HubUnderTest, serve_processes, start_hub


@pytest.fixture
def hub(db_url: str, tmp_path: Path) -> Iterator[HubUnderTest]:
    """A hub app on a fresh migrated database (SQLite, and PostgreSQL when configured)."""
    running = start_hub(make_settings(db_url, tmp_path))
    yield running
    running.client.close()
    running.app.state.engine.dispose()


@pytest.fixture
def partner(hub: HubUnderTest) -> FakePartner:
    """ngo-one, enrolled, provider in an active agreement with ngo-two."""
    made: FakePartner = hub.arrange(add_partner, "ngo-one")
    hub.arrange(add_agreement, ["ngo-one", "ngo-two"])
    return made


@pytest.fixture
def hub_processes(db_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two real `msht-hub serve` processes on one database; yields their base URLs."""
    with serve_processes(db_url, tmp_path, n=2) as urls:
        yield urls[0], urls[1]
