"""Count the SQL statements (and time) of each statistics question, first and second call, in one process: a figure the machine's load cannot move.

Seeds a SQLite hub (the test factories' synthetic pooled records: 4 partners x 5 quarters x 40
incidents over 3 boroughs, a Newham officer who sees all three), stores every audit, then asks
each dashboard question twice as that officer through ``hub.statistics.service``. Run it with
another checkout first on ``PYTHONPATH`` for a baseline on the same seeded copy:

    .venv/bin/python bench/stats_statements.py --db var/s.db --seed
    cp var/s.db var/base.db && (cd ../old && PYTHONPATH=$PWD ../new/.venv/bin/python ../new/bench/stats_statements.py --db ../new/var/base.db)
    .venv/bin/python bench/stats_statements.py --db var/s.db
"""

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from anonymise import LONDON, ViewerRole
from hub.auth.principal import Principal
from hub.db import make_engine, make_sessionmaker, migrate, session_scope
from hub.statistics import precompute, service

NEWHAM = "E09000025"
OFFICER = Principal(None, "newham.officer", "N", "lb-newham", "LocalGovernmentOrganisation", NEWHAM, ViewerRole.borough_officer)
QUESTIONS = ("overview", "trends", "breakdowns", "hotspots", "repeats", "coverage")


def _scope(factory: sessionmaker[Session]) -> Callable[[], Iterator[Session]]:
    return lambda: session_scope(factory)


def fill(url: str) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from tests.factories.accounts import add_user  # bench-only: the tests' synthetic records
    from tests.factories.stats_seed import (
        CAMDEN,
        TOWER_HAMLETS,
        add_orgs,
        demo_agreement_text,
        load_agreement,
        officers_see_boroughs,
        seed,
    )

    migrate(url)
    factory = make_sessionmaker(make_engine(url))
    with contextmanager(session_scope)(factory) as s:
        add_orgs(s)
        load_agreement(s, officers_see_boroughs(demo_agreement_text(), (NEWHAM, TOWER_HAMLETS, CAMDEN)))
        seed(s, seed_=7, per_quarter=40, with_agreement=False)
        add_user(s, OFFICER.username, "borough_officer", OFFICER.org_id)
    print(precompute.run_pending(_scope(factory), _scope(factory)))


def count(url: str) -> None:
    engine = make_engine(url)
    factory = make_sessionmaker(engine)
    statements = [0]

    def seen(*_: Any) -> None:
        statements[0] += 1

    event.listen(engine, "before_cursor_execute", seen)
    for area in (NEWHAM, LONDON):
        for name in QUESTIONS:
            calls = []
            for _ in range(2):
                with contextmanager(session_scope)(factory) as s:
                    statements[0] = 0
                    t0 = time.perf_counter()
                    getattr(service, name)(s, OFFICER, area).model_dump_json()
                    calls.append(f"{statements[0]} statements, {1000 * (time.perf_counter() - t0):.0f} ms")
            print(area, name, " | ".join(calls), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a SQLite file")
    parser.add_argument("--seed", action="store_true", help="create and seed it, and store every audit")
    args = parser.parse_args()
    url = f"sqlite:///{args.db}"
    fill(url) if args.seed else count(url)


if __name__ == "__main__":
    main()
