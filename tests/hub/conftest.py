"""Fixtures shared by the hub's tests: a migrated hub under test and a partner enrolled in an agreement."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import make_settings
from tests.factories import FakePartner, HubUnderTest, add_agreement, add_partner, start_hub


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
