"""Ingest that cannot stall on PostgreSQL (issue 17, H1): fresh planner statistics after a bulk
load, bounded statements and lock waits, the quarter's lock answered 503 + Retry-After."""

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import make_settings
from tests.factories import FakePartner, add_agreement, add_partner, make_tables
from tests.hubs import HubUnderTest, start_hub


@pytest.fixture
def pg_hub(db_url: str, tmp_path: Path) -> Iterator[HubUnderTest]:
    if not db_url.startswith("postgresql"):
        pytest.skip("advisory locks, planner statistics and statement timeouts are PostgreSQL's")
    running = start_hub(make_settings(db_url, tmp_path, ingest_lock_wait_seconds=1))
    yield running
    running.client.close()
    running.app.state.engine.dispose()


def _partner(hub: HubUnderTest) -> FakePartner:
    made: FakePartner = hub.arrange(add_partner, "ngo-one")
    hub.arrange(add_agreement, ["ngo-one", "ngo-two"])
    return made


def test_statistics_are_fresh_after_an_upload(pg_hub: HubUnderTest) -> None:
    partner = _partner(pg_hub)
    assert pg_hub.upload(partner, partner.bundle(make_tables(40))).status_code == 201
    with pg_hub.session() as session:
        tuples = session.execute(text("SELECT relname, reltuples FROM pg_class WHERE relname IN ('persons', 'incidents')")).all()
    assert {name: n for name, n in tuples} == {"persons": pytest.approx(80, abs=1), "incidents": pytest.approx(40, abs=1)}


def test_a_held_quarter_lock_is_answered_503_with_retry_after(pg_hub: HubUnderTest) -> None:
    partner = _partner(pg_hub)
    bundle = partner.bundle(make_tables(3))
    digest = hashlib.sha256(b"submission|ngo-one|test-agreement|2026-Q3").digest()
    other = create_engine(pg_hub.settings.database_url)
    with other.connect() as holder:  # another upload of the same quarter, in its transaction
        holder.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": int.from_bytes(digest[:8], "big", signed=True)})
        response = pg_hub.upload(partner, bundle)
        holder.rollback()
    other.dispose()
    assert response.status_code == 503, response.text
    assert response.json()["error"] == "busy"
    assert int(response.headers["Retry-After"]) >= 1
    assert pg_hub.upload(partner, bundle, partner.token(bundle=bundle)).status_code == 201  # once free, it goes through


def test_ingest_statements_are_bounded(pg_hub: HubUnderTest) -> None:
    from hub.submissions.service import bound_ingest

    with pg_hub.session() as session, session.begin():
        bound_ingest(session, pg_hub.settings)
        values = session.execute(text("SELECT current_setting('statement_timeout'), current_setting('lock_timeout')")).one()
    assert values == ("2min", "1s")
    with pg_hub.session() as session, session.begin():  # transaction-scoped: the next one is unbounded again
        assert session.execute(text("SELECT current_setting('statement_timeout')")).scalar_one() == "0"
