"""Fixtures of the statistics tests: a seeded hub with routes and a premises register."""

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hub.db import make_engine, make_sessionmaker
from hub.premises import service as premises
from tests.factories.accounts import add_user
from tests.factories.routes_seed import add_routes, every_borough_agreement
from tests.factories.stats_seed import load_agreement, seed
from tests.hub.premises.test_indicators import pooled_agreement_text, register


def _agreement(analyst_boroughs: bool) -> str:
    return every_borough_agreement() if analyst_boroughs else pooled_agreement_text()


@pytest.fixture
def routed(db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    factory = make_sessionmaker(engine)
    caplog.set_level(logging.DEBUG)
    with factory() as s:
        seed(s, per_quarter=30, seed_=5, with_agreement=False)
        load_agreement(s, _agreement(analyst_boroughs=True))
        assert add_routes(s) > 0
        premises.import_register(s, [register(tmp_path / "fhrs.xml")], actor="test")
        add_user(s, "newham.officer", "borough_officer", "lb-newham")
        add_user(s, "analyst", "analyst", "hub-operator")
        s.commit()
    yield factory
    engine.dispose()
