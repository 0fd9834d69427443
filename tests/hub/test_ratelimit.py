"""Database rate limits: one count shared by every process, and no free burst at a window boundary."""

from datetime import UTC, datetime, timedelta

import pytest

from hub.db import make_engine, make_sessionmaker
from hub.errors import TooManyRequests
from hub.ratelimit import count_hit, hit, window_start
from tests.factories.accounts import transaction

WINDOW = timedelta(minutes=15)


def test_counts_shared_and_sliding_across_the_boundary(db_url: str) -> None:
    engines = [make_engine(db_url), make_engine(db_url)]
    boundary = window_start(datetime(2026, 11, 22, 0, 14, tzinfo=UTC), WINDOW) + WINDOW
    try:
        for i in range(6):  # the last minute before the boundary, alternating "processes"
            with transaction(make_sessionmaker(engines[i % 2])) as session:
                count_hit(session, "login:user:x", window=WINDOW, now=boundary - timedelta(seconds=60 - i))
        with transaction(make_sessionmaker(engines[0])) as session:
            just_after = count_hit(session, "login:user:x", window=WINDOW, now=boundary + timedelta(seconds=1))
            assert just_after == 7  # the six before the boundary still count
            later = count_hit(session, "login:user:x", window=WINDOW, now=boundary + WINDOW - timedelta(seconds=1))
            assert later == 3  # 2 in this window + ceil(6 × 1/900) of the previous
            assert count_hit(session, "login:user:y", window=WINDOW, now=boundary) == 1
    finally:
        for engine in engines:
            engine.dispose()


def test_hit_refuses_over_the_limit(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        with transaction(make_sessionmaker(engine)) as session:
            for _ in range(3):
                hit(session, "enrol:127.0.0.1", limit=3, window=WINDOW)
            with pytest.raises(TooManyRequests):
                hit(session, "enrol:127.0.0.1", limit=3, window=WINDOW)
    finally:
        engine.dispose()
