"""Ingest throughput: rows/second of a full 100,000-row upload beside a bare bulk insert of the same rows.

    .venv/bin/python bench/ingest.py [--rows 100000] [--pg URL]
    .venv/bin/python bench/ingest.py --repeat 10     # ten consecutive uploads to one quarter (PostgreSQL)

Each repeated upload prints its seconds per stage (``bench/stages.py``: validate, prepare,
copy, relink, networks, summaries, alerts, audit, commit).

Rows are the submission's table rows (incidents, persons, selectors, referrals); the multi-valued
codes the hub also stores (``incident_codes``) are written in both runs but not counted.
The upload path is the hub's own (``hub.submissions.service.receive``: token check, bundle
verification, every row validated, re-keyed, inserted, receipt signed, audited, committed).
The baseline inserts the very same prepared database rows with SQLAlchemy Core executemany
and nothing else, and again by the driver's fastest bulk path (PostgreSQL COPY, sqlite3
executemany) — the paths the hub itself uses. Each measurement runs on a freshly migrated database: SQLite in a temporary
directory, and PostgreSQL from ``--pg``, ``MSHT_BENCH_DATABASE_URL`` or the local server at
127.0.0.1:5432/test (a fresh database per measurement, dropped afterwards). Target: the upload
path at least half as fast as the bare insert.
"""

import argparse
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from anonymise.bundle import open_bundle  # noqa: E402
from bench.stages import line, staged  # noqa: E402
from hub.config import HubSettings  # noqa: E402
from hub.db import make_engine, make_sessionmaker, migrate  # noqa: E402
from hub.records import store  # noqa: E402
from hub.secrets import load_secrets, write_signing_key  # noqa: E402
from hub.submissions import ingest, service  # noqa: E402
from hub.submissions.rekey import Rekeyer  # noqa: E402
from hub.submissions.validate import Problems, check_rows  # noqa: E402
from tests.factories import FakePartner, add_agreement, add_partner, make_bundle, make_tables  # noqa: E402

PSEUDONYM_KEY = "bench-hub-pseudonym-key-0123456789abcdef0123456789"
SESSION_KEY = "bench-hub-session-key-0123456789abcdef0123456789ab"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@contextmanager
def sqlite_database(workdir: Path) -> Iterator[str]:
    path = workdir / f"{uuid.uuid4().hex}.db"
    url = f"sqlite:///{path}"
    migrate(url)
    yield url


@contextmanager
def pg_database(base: str) -> Iterator[str]:
    name = f"msht_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(base).set(database=name).render_as_string(hide_password=False)
    try:
        migrate(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def settings_for(url: str, workdir: Path) -> HubSettings:
    key = workdir / f"signing-{uuid.uuid4().hex}.pem"
    write_signing_key(key)
    return HubSettings(
        database_url=url,
        pseudonym_key=PSEUDONYM_KEY,
        session_key=SESSION_KEY,
        signing_key_file=key,
    )


def add_partner_offline() -> FakePartner:
    return FakePartner(org_id="ngo-bench", kid="bench", private_key=Ed25519PrivateKey.generate())


def split(total: int) -> int:
    """Incidents for ``total`` rows: each incident brings 2 persons, 1 selector, 1 referral."""
    return max(1, total // 5)


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def measure_upload(url: str, workdir: Path, tables: Any) -> tuple[float, int]:
    settings = settings_for(url, workdir)
    secrets = load_secrets(settings)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions() as session, session.begin():
        partner = add_partner(session, "ngo-bench")
        add_agreement(session, ["ngo-bench"], agreement_id="bench-agreement")
    warm, _ = make_bundle(partner, make_tables(3, seed=99, quarter="2026-Q2"), agreement_id="bench-agreement", quarter="2026-Q2")
    with sessions() as session, session.begin():  # a running hub has imported and cached everything
        service.receive(session, settings, secrets, partner.token(bundle=warm), warm)
    body, _ = make_bundle(partner, tables, agreement_id="bench-agreement")
    token = partner.token(bundle=body)
    rows = sum(len(records) for records in tables.values())

    def run() -> None:
        with sessions() as session, session.begin():
            received = service.receive(session, settings, secrets, token, body)
            assert received.created

    seconds = timed(run)
    engine.dispose()
    return seconds, rows


def measure_bare(url: str, tables: Any, *, copy: bool = False) -> float:
    """The same database rows (re-keyed, with provenance) inserted by Core executemany alone,
    or with ``copy`` by the driver's fastest bulk path (PostgreSQL COPY, sqlite3 executemany)."""
    body, _ = make_bundle(add_partner_offline(), tables, agreement_id="bench-agreement")
    problems = Problems()
    valid = check_rows(open_bundle(body), problems)
    assert valid is not None
    assert not problems
    origin = ingest.Provenance("00000000-0000-4000-8000-000000000000", "ngo-bench", "bench-agreement", "2026-Q3")
    rows = ingest.prepare_rows(valid, origin, Rekeyer(PSEUDONYM_KEY.encode(), "bench-agreement"))
    for i, row in enumerate(rows["incidents"], start=1):
        row["id"] = i
    id_of = {pid: i for i, pid in enumerate(valid.columns["incidents"]["incident_pid"], start=1)}
    for name in ("incident_codes", "persons", "selectors", "referrals"):
        for row in rows[name]:
            row["incident_id"] = id_of[row.pop("incident_pid")]
    engine = make_engine(url)
    with engine.begin() as conn:  # the foreign key target, outside the timing
        conn.execute(text("INSERT INTO organisations (id, name, kind, status, created_at) VALUES ('ngo-bench', 'b', 'NGO', 'active', CURRENT_TIMESTAMP)"))
        conn.execute(
            text(
                "INSERT INTO submissions (id, org_id, agreement_id, agreement_version, quarter, status, bundle_sha256, "
                "signing_kid, manifest, receipt, record_counts, received_at) VALUES (:id, 'ngo-bench', 'bench-agreement', 1, "
                "'2026-Q3', 'active', 'x', 'k', '{}', '{}', '{}', CURRENT_TIMESTAMP)"
            ),
            {"id": origin.submission_id},
        )

    def run() -> None:
        with engine.begin() as conn:
            for name, table in (("incidents", store.INCIDENTS), ("incident_codes", store.CODES), ("persons", store.PERSONS),
                                ("selectors", store.SELECTORS), ("referrals", store.REFERRALS)):
                batch = rows[name]
                if copy:
                    columns = list(batch[0])
                    driver = conn.connection.driver_connection
                    if conn.dialect.name == "postgresql":
                        with driver.cursor() as cursor, cursor.copy(
                            f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
                        ) as pipe:
                            for row in batch:
                                pipe.write_row([row[c] for c in columns])
                    else:
                        driver.executemany(
                            f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                            [tuple(row[c] for c in columns) for row in batch],
                        )
                    continue
                for i in range(0, len(batch), 5000):
                    conn.execute(insert(table), batch[i : i + 5000])

    seconds = timed(run)
    engine.dispose()
    return seconds


def report(name: str, database: Callable[[], Any], workdir: Path, tables: Any, *, copy: bool = False) -> None:
    with database() as url:
        bare = measure_bare(url, tables)
    bare_copy = None
    if copy:
        with database() as url:
            bare_copy = measure_bare(url, tables, copy=True)
    with database() as url:
        upload, rows = measure_upload(url, workdir, tables)
    print(f"{name:<11} rows {rows:>7}  upload {rows / upload:>9,.0f} rows/s ({upload:5.2f} s)  "
          f"bare executemany {rows / bare:>9,.0f} rows/s ({bare:5.2f} s)  ratio {bare / upload:4.2f}  (target >= 0.50)")
    if bare_copy is not None:
        label = "bare COPY" if name == "PostgreSQL" else "bare driver"
        print(f"{'':<11} {'':>12}  {'':>34}  {label:<16} {rows / bare_copy:>9,.0f} rows/s ({bare_copy:5.2f} s)  "
              f"ratio {bare_copy / upload:4.2f}")


def measure_repeats(url: str, workdir: Path, tables: Any, repeat: int) -> list[float]:
    """``repeat`` consecutive uploads of the same export to one quarter (each supersedes the last,
    whose rows stay stored): the case that once stalled on stale planner statistics."""
    settings = settings_for(url, workdir)
    secrets = load_secrets(settings)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions() as session, session.begin():
        partner = add_partner(session, "ngo-bench")
        add_agreement(session, ["ngo-bench"], agreement_id="bench-agreement")
    times = []
    for _ in range(repeat):
        body, _ = make_bundle(partner, tables, agreement_id="bench-agreement")
        token = partner.token(bundle=body)

        start = time.perf_counter()
        with staged() as stages, sessions() as session:
            with session.begin():
                assert service.receive(session, settings, secrets, token, body).created
                committing = time.perf_counter()
            stages.seconds["commit"] = time.perf_counter() - committing
        times.append(time.perf_counter() - start)
        print(f"  upload {len(times):>2}: {times[-1]:6.2f} s  [{line(stages.seconds, times[-1])}]", flush=True)
    engine.dispose()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--pg", default=os.environ.get("MSHT_BENCH_DATABASE_URL", DEFAULT_PG))
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--repeat", type=int, default=0,
                        help="PostgreSQL only: this many consecutive uploads to one quarter, each timed (target: each < 30 s)")
    args = parser.parse_args()
    incidents = split(args.rows)
    started = time.perf_counter()
    tables = make_tables(incidents, persons_per_incident=2, selectors_per_incident=1, referrals_per_incident=1, seed=7)
    print(f"generated {sum(len(v) for v in tables.values())} rows ({incidents} incidents) in {time.perf_counter() - started:.1f} s")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        if args.repeat:
            with pg_database(args.pg) as url:
                print(f"PostgreSQL: {args.repeat} consecutive uploads of {sum(len(v) for v in tables.values())} rows to one quarter")
                times = measure_repeats(url, workdir, tables, args.repeat)
            print(f"slowest {max(times):.2f} s, mean {sum(times) / len(times):.2f} s (target: each < 30 s) "
                  f"-> {'PASS' if max(times) < 30 else 'FAIL'}")
            return
        report("SQLite", lambda: sqlite_database(workdir), workdir, tables, copy=True)
        if not args.skip_pg:
            try:
                report("PostgreSQL", lambda: pg_database(args.pg), workdir, tables, copy=True)
            except Exception as exc:  # report and carry on without PostgreSQL
                print(f"PostgreSQL  skipped: {type(exc).__name__}: cannot use {make_url(args.pg).render_as_string(hide_password=True)}")


if __name__ == "__main__":
    main()
