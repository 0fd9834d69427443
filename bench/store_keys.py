"""Storing person key rows at linkage scale on PostgreSQL: COPY in arrival order beside COPY sorted by (kind, key).

    flock /work/locks/bench .venv/bin/python bench/store_keys.py [--persons 100000] [--uploads 4] [--pg URL]

Each upload brings ``--persons`` incidents of one person with 18 key kinds (the partner client's
``anonymise.matchkeys`` kinds and the classic match keys: about 1.8 million key rows per 100,000
records), keys random 60-bit integers as the hub's re-keyed values are. Two freshly migrated
databases get the same uploads in turn, one COPYing the rows as prepared (person by person) and
one sorted by the ``ix_person_keys_kind_key`` order; each upload's seconds are printed side by
side (the (kind, key) index grows past PostgreSQL's shared buffers after a few uploads, where
random-order inserts read and write back one index page per row).
"""

import argparse
import random
import sys
import time
from datetime import UTC, datetime
from operator import itemgetter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.ingest import DEFAULT_PG, pg_database  # noqa: E402
from hub.db import make_engine  # noqa: E402
from hub.models import Incident, Organisation, PersonKey, Submission  # noqa: E402
from hub.records import bulk  # noqa: E402

KINDS = 18


def upload(session: Session, number: int, persons: int, rng: random.Random, *, ordered: bool) -> float:
    sid = f"bench-{number}"
    session.add(Submission(id=sid, org_id="ngo", agreement_id="a", agreement_version=1, quarter="2026-Q3", status="active",
                           bundle_sha256=sid.ljust(64, "0"), signing_kid="k", manifest={}, receipt={}, record_counts={},
                           received_at=datetime.now(UTC)))
    session.flush()
    first = number * persons + 1
    bulk.copy(session, Incident.__table__, [  # type: ignore[arg-type]
        {"id": first + i, "submission_id": sid, "org_id": "ngo", "agreement_id": "a", "quarter": "2026-Q3",
         "incident_key": f"{sid}-{i}", "first_known_month": "2026-07", "source_channel": "unknown", "county_lines": "unknown",
         "premises_type": "unknown", "exploitation_scope": "unknown", "record_key": 1} for i in range(persons)])
    rows = [{"incident_id": first + i, "submission_id": sid, "person_seq": 1, "kind": f"kind_{k:02d}", "key": rng.getrandbits(60)}
            for i in range(persons) for k in range(KINDS)]
    start = time.perf_counter()
    if ordered:
        rows.sort(key=itemgetter("kind", "key"))
    bulk.copy(session, PersonKey.__table__, rows)  # type: ignore[arg-type]
    session.flush()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--uploads", type=int, default=4)
    parser.add_argument("--pg", default=DEFAULT_PG)
    args = parser.parse_args()
    with pg_database(args.pg) as plain_url, pg_database(args.pg) as sorted_url:
        engines = {False: make_engine(plain_url), True: make_engine(sorted_url)}
        for engine in engines.values():
            with Session(engine) as session, session.begin():
                session.add(Organisation(id="ngo", name="ngo", kind="ngo", status="active", created_at=datetime.now(UTC)))
        print(f"{args.uploads} uploads of {args.persons * KINDS} key rows each, COPY into person_keys (PostgreSQL)")
        for number in range(args.uploads):
            took = {}
            for ordered, engine in engines.items():
                with Session(engine) as session, session.begin():
                    took[ordered] = upload(session, number, args.persons, random.Random(number), ordered=ordered)
                    session.execute(text("ANALYZE person_keys"))
            print(f"  upload {number + 1}: arrival order {took[False]:6.1f} s   sorted by (kind, key) {took[True]:6.1f} s "
                  f"(sort included)", flush=True)
        for engine in engines.values():
            engine.dispose()


if __name__ == "__main__":
    main()
