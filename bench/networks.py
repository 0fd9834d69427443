"""Networks at scale on PostgreSQL: building them, updating them after an upload, and the list and chart calls.

Run: flock /work/locks/bench .venv/bin/python bench/networks.py --db postgresql+psycopg://postgres@127.0.0.1:5432/msht_bench [--incidents 1000000] [--upload 100000] [--template msht_bench_1m] [--no-baseline]

The database is dropped and migrated afresh. ``--incidents`` synthetic incidents of the demo
agreement (four providers, cross-partner linkage) are written straight to the tables with COPY,
each holding one or two selectors drawn from a pool and one or two persons whose hub person ids
(clusters) come from a pool, the pools' sizes set by ``--density`` (``DENSITY``); then, timed:

1. ``hub.records.networks.rebuild`` from scratch; beside it, in the same run, the baseline: the
   same components by a pure-Python union-find over the same edges.
2. An upload of ``--upload`` more incidents (another quarter): ``networks.update`` and the alerts
   refresh that follow it (only what the upload touched); beside it, in the same run, the
   baseline: a full rebuild and a full alerts refresh of the same data (rolled back).
3. ``hub.networks.service.list_networks`` (no filter, a borough filter, a type filter) and
   ``chart`` of the largest networks, as the demo analyst, 60 calls each: p50 and p95.

``--template NAME`` keeps the state before step 2 (the records written, networks built, alerts
raised) as a PostgreSQL template database: the first run builds it (step 1 timed as above), a
later run with the same ``--incidents``, ``--density`` and ``--seed`` copies it (``CREATE
DATABASE … TEMPLATE``, seconds instead of minutes), migrates the copy to head and goes on with
step 2. The upload is drawn from its own random stream, so it is the same either way.
``--no-baseline`` skips step 2's same-run full rebuild (for trials while developing).
"""

import argparse
import logging
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from anonymise import ViewerRole
from anonymise.london import BOROUGHS
from hub.agreements import service as agreements
from hub.alerts import links as alert_links
from hub.auth.principal import Principal
from hub.db import migrate
from hub.models import Network, Organisation
from hub.networks import service
from hub.records import networks

REPO = Path(__file__).resolve().parent.parent
AGREEMENT = "demo-london"
PROVIDERS = ("demo-ngo", "lb-newham", "demo-hospital", "demo-police")
ORGS = {"demo-ngo": "NGO", "lb-newham": "LocalGovernmentOrganisation", "demo-hospital": "HealthServiceOrganisation",
        "demo-police": "LawEnforcement", "hub-operator": "CentralGovernmentOrganisation"}
ANALYST = Principal(None, "bench", "Bench analyst", "hub-operator", "CentralGovernmentOrganisation", None, ViewerRole.analyst)
TYPES = ("labour", "criminal", "sexual", "domestic_servitude")
KINDS = ("phone", "phone", "vehicle", "address", "email", "business")


def _admin(url: str) -> psycopg.Connection[Any]:
    base = url.rsplit("/", 1)[0]
    return psycopg.connect(base.replace("postgresql+psycopg", "postgresql") + "/postgres", autocommit=True)


def _reset(url: str, template: str | None = None) -> None:
    """Drop and recreate the bench database: migrated afresh, or a copy of ``template`` migrated to head."""
    name = url.rsplit("/", 1)[1]
    with _admin(url) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}"')
        c.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    migrate(url)


def _template(url: str, template: str, label: str) -> bool:
    """Whether ``template`` exists and was made with these parameters (``label``, its comment)."""
    with _admin(url) as c:
        row = c.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", (template,)).fetchone()
    if row is not None and row[0] != label:
        raise SystemExit(f"template {template} was made with {row[0]}, not {label}: drop it or name another")
    return row is not None


def _keep_as_template(url: str, template: str, label: str) -> None:
    name = url.rsplit("/", 1)[1]
    with _admin(url) as c:
        c.execute(f'CREATE DATABASE "{template}" TEMPLATE "{name}"')
        c.execute(f"COMMENT ON DATABASE \"{template}\" IS '{label}'")


def _copy(session: Session, table: str, columns: tuple[str, ...], rows: Iterator[tuple[Any, ...]]) -> None:
    driver = session.connection().connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row(row)


DENSITY = {"dense": (0.9, 1.15), "sparse": (3.0, 5.0)}
"""Selector values and hub person ids drawn from pools this many times the incidents (persons).
``dense`` (the first bench's): a selector value is held by about 1.5 incidents and a person id
by about 0.9 of the others: a random graph past its percolation threshold, with one giant network
of a quarter of all incidents that every upload touches. ``sparse``: values and people recur
rarely (about 0.4 and 0.2), so networks stay small (the largest tens of incidents), as in casework."""


def _fill(session: Session, rng: random.Random, start: int, n: int, quarter: str, pool: int, people: float) -> list[str]:
    """``n`` incidents from id ``start`` in ``quarter``, one submission per provider."""
    subs = {p: str(uuid.UUID(int=rng.getrandbits(128), version=4)) for p in PROVIDERS}
    now = datetime.now(UTC)
    for provider, sub in subs.items():
        session.execute(text(
            "INSERT INTO submissions (id, org_id, agreement_id, agreement_version, quarter, status, bundle_sha256, signing_kid,"
            " manifest, receipt, record_counts, received_at) VALUES (:id, :org, :a, 1, :q, 'active', :sha, 'bench', '{}', '{}', '{}', :at)"
        ), {"id": sub, "org": provider, "a": AGREEMENT, "q": quarter, "sha": f"{rng.getrandbits(256):064x}", "at": now})
    year, q = int(quarter[:4]), int(quarter[-1])
    gss = [b.gss for b in BOROUGHS]
    ids = range(start, start + n)
    org = [PROVIDERS[i % 4] for i in ids]
    _copy(session, "incidents", ("id", "submission_id", "org_id", "agreement_id", "quarter", "incident_key", "first_known_month",
                                 "source_channel", "county_lines", "premises_type", "exploitation_scope", "la_gss_code", "record_key"),
          ((i, subs[o], o, AGREEMENT, quarter, f"h1.{i:064x}", f"{year}-{3 * q - 2 + rng.randrange(3):02d}", "outreach",
            rng.choice(("yes", "no", "no")), "unknown", "uk_only", rng.choice(gss), 0) for i, o in zip(ids, org, strict=True)))
    _copy(session, "incident_codes", ("incident_id", "field", "code"),
          ((i, "exploitation_types", rng.choice(TYPES)) for i in ids))
    _copy(session, "selectors", ("incident_id", "submission_id", "org_id", "kind", "selector_key"),
          ((i, subs[o], o, rng.choice(KINDS), f"h1.{rng.randrange(pool):064x}")
           for i, o in zip(ids, org, strict=True) for _ in range(rng.choice((1, 1, 2)))))
    person_rows = [(i, subs[o], o, seq) for i, o in zip(ids, org, strict=True) for seq in range(1, rng.choice((2, 2, 3)))]
    first = session.scalar(text("SELECT nextval(pg_get_serial_sequence('persons', 'id'))")) or 1
    session.execute(text("SELECT setval(pg_get_serial_sequence('persons', 'id'), :v)"), {"v": first + len(person_rows)})
    _copy(session, "persons", ("id", "incident_id", "submission_id", "org_id", "person_seq", "role", "gender", "age_band",
                               "age_group", "nationality", "relationship", "record_key"),
          ((first + k, i, s, o, seq, "potential_victim", "male", "18-20", "adult", "GB", "unknown", 0)
           for k, (i, s, o, seq) in enumerate(person_rows)))
    people_pool = int(len(person_rows) * people) + start
    _copy(session, "person_clusters", ("person_id", "agreement_id", "cluster_id"),
          ((first + k, AGREEMENT, rng.randrange(people_pool)) for k in range(len(person_rows))))
    return list(subs.values())


def _union_find(session: Session) -> tuple[float, int]:
    """The baseline: components of the same edges by a pure-Python union-find."""
    started = time.perf_counter()
    edges = session.execute(text(
        "SELECT incident_id, 's' || kind || selector_key FROM selectors UNION ALL "
        "SELECT p.incident_id, 'p' || c.cluster_id FROM persons p JOIN person_clusters c ON c.person_id = p.id")).all()
    parent: dict[object, object] = {}

    def find(x: object) -> object:
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(x, x) != root:
            parent[x], x = root, parent[x]
        return root

    for incident, node in edges:
        a, b = find(("i", incident)), find(node)
        if a != b:
            parent[a] = b
    held: dict[object, set[int]] = {}
    for incident, _ in edges:
        held.setdefault(find(("i", incident)), set()).add(incident)
    return time.perf_counter() - started, sum(1 for members in held.values() if len(members) >= 2)


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def _timed(calls: int, fn: Callable[[], object]) -> tuple[float, float]:
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000, float(np.percentile(times, 95)) * 1000


def _analyze(engine: Any) -> None:
    for table in ("incidents", "selectors", "persons", "person_clusters", "incident_codes"):
        with engine.begin() as c:
            c.execute(text(f"ANALYZE {table}"))


def _build(factory: sessionmaker[Session], engine: Any, rng: random.Random, incidents: int, selectors: float, people: float) -> None:
    """Step 1: the records written, then networks built and alerts raised from scratch (timed)."""
    with factory() as session, session.begin():
        for org, kind in ORGS.items():
            session.add(Organisation(id=org, name=org, kind=kind, gss_code=None, status="active", created_at=datetime.now(UTC)))
        session.flush()
        agreements.load_version(session, (REPO / "policies" / "demo.yaml").read_text(encoding="utf-8"), actor="bench")
        started = time.perf_counter()
        _fill(session, rng, 1, incidents, "2026-Q2", int(incidents * selectors), people)
        print(f"written {incidents:,} incidents and their selectors, persons, clusters: {time.perf_counter() - started:.1f} s")
    _analyze(engine)
    with factory() as session, session.begin():
        baseline, found = _union_find(session)
        print(f"baseline, pure-Python union-find over the same edges: {baseline:.1f} s, {found:,} networks")
        started = time.perf_counter()
        built = networks.rebuild(session, AGREEMENT)
        print(f"networks.rebuild from scratch: {time.perf_counter() - started:.1f} s ({built.incidents:,} incidents, "
              f"{built.edges:,} edges, {built.networks:,} networks, {built.in_networks:,} incidents in one; target < 120 s)")
        started = time.perf_counter()
        raised = alert_links.refresh(session, AGREEMENT, actor="bench")
        print(f"alerts from scratch: {time.perf_counter() - started:.1f} s ({raised.raised:,} raised)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a PostgreSQL URL whose database the bench drops and recreates")
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--upload", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--density", choices=sorted(DENSITY), default="dense", help="how often selectors and people recur (DENSITY)")
    parser.add_argument("--calls", type=int, default=60)
    parser.add_argument("--template", help="a database name to keep the loaded, built state in (made once, copied after)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the same-run full rebuild after the upload")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="  %(name)s: %(message)s")
    logging.getLogger("hub.records.networks").setLevel(logging.INFO)  # the update's time per step
    print(f"load average at the start: {_load()}")
    rng = random.Random(args.seed)
    selectors, people = DENSITY[args.density]
    label = f"bench/networks.py --incidents {args.incidents} --density {args.density} --seed {args.seed}"
    reuse = args.template is not None and _template(args.db, args.template, label)
    _reset(args.db, args.template if reuse else None)
    engine = create_engine(args.db)
    factory = sessionmaker(engine, expire_on_commit=False, autoflush=False)
    if reuse:
        print(f"copied template {args.template} ({label})")
    else:
        _build(factory, engine, rng, args.incidents, selectors, people)
        if args.template is not None:
            engine.dispose()
            _keep_as_template(args.db, args.template, label)
            print(f"kept as template {args.template}")
    rng = random.Random(args.seed + 1)  # the upload's own stream: the same whether the template was built or copied
    with factory() as session, session.begin():
        subs = _fill(session, rng, args.incidents + 1, args.upload, "2026-Q3", int(args.incidents * selectors), people)
    _analyze(engine)
    if not args.no_baseline:
        with factory() as session, session.begin():  # the baseline, in the same run: what every upload cost before (rolled back)
            started = time.perf_counter()
            built = networks.rebuild(session, AGREEMENT)
            rebuilt = time.perf_counter() - started
            started = time.perf_counter()
            alert_links.refresh(session, AGREEMENT, actor="bench")
            print(f"baseline after the upload: full networks.rebuild {rebuilt:.1f} s ({built.networks:,} networks), "
                  f"full alerts refresh {time.perf_counter() - started:.1f} s")
            session.rollback()
    with factory() as session, session.begin():
        started = time.perf_counter()
        built = networks.update(session, AGREEMENT, added=subs)
        updated = time.perf_counter() - started
        started = time.perf_counter()
        raised = alert_links.refresh(session, AGREEMENT, actor="bench")
        print(f"after an upload of {args.upload:,} incidents, networks.update {updated:.1f} s ({built.incidents:,} incidents "
              f"recomputed, {built.networks:,} networks written), alerts {time.perf_counter() - started:.1f} s "
              f"({raised.raised:,} raised, {raised.dropped:,} dropped); target < 10 s")
    with engine.begin() as c:
        c.execute(text("ANALYZE networks"))
        c.execute(text("ANALYZE network_facets"))
        c.execute(text("ANALYZE network_members"))
    with factory() as session:
        largest = list(session.scalars(select(Network.id).order_by(Network.incidents.desc()).limit(args.calls)))
        sizes = list(session.scalars(select(Network.incidents).order_by(Network.incidents.desc()).limit(3)))
        print(f"largest networks: {sizes} incidents")
        calls: list[tuple[str, Callable[[], object]]] = [
            ("list, no filter", lambda: service.list_networks(session, ANALYST)),
            ("list, one borough", lambda: service.list_networks(session, ANALYST, borough="E09000025")),
            ("list, labour, 3+ incidents", lambda: service.list_networks(session, ANALYST, kind="labour", min_size=3)),
        ]
        order = iter(largest * 2)
        calls.append(("chart of a large network", lambda: service.chart(session, ANALYST, next(order))))
        for name, fn in calls:
            p50, p95 = _timed(args.calls, fn)
            session.rollback()  # the audit entries each call wrote
            print(f"{name}: p50 {p50:.0f} ms, p95 {p95:.0f} ms (target p95 < 300 ms)")
    print(f"load average at the end: {_load()}")


if __name__ == "__main__":
    main()
