"""Benchmark the dashboard API against bare SQL GROUP BY on the same data, SQLite and PostgreSQL.

Loads N synthetic incidents (about 2.5 persons, 2.5 incident codes and one referral each) into
a fresh migrated database per engine (PostgreSQL: a new database on 127.0.0.1:5432, dropped
afterwards), then times every dashboard API call over HTTP to ``msht-hub serve`` in its own process (bearer token,
policy, summed summaries, disclosure control, audit entry, JSON) for a borough and for pooled London, beside
the same aggregations run as bare ``GROUP BY`` statements in the same run.

    .venv/bin/python bench/stats.py                      # 1,000,000 incidents, both engines
    .venv/bin/python bench/stats.py --incidents 20000    # a quick run

Targets (issue 7): p95 under 200 ms on PostgreSQL and within 2x of the bare query.
The API reads the per-submission summary counts ingest keeps (built here in one go after the
load, timed); the bare queries scan the records. Each hub is a fresh process whose worker
makes no answers ahead (``MSHT_ANSWERS_AHEAD=false``), so "api first" is the cold first call of
each kind (hide sets already stored, nothing kept in the process); the later calls are served
from the answers it keeps (``hub.statistics.published``) until the data change.
``--baseline-root`` serves the same database from another checkout first (the commit before a
change): its figures are "base first" and "base p95" in the same run.

    .venv/bin/python bench/stats.py --engines postgresql --pg-database msht_x_1m --keep   # load once, keep
    .venv/bin/python bench/stats.py --engines postgresql --pg-database msht_x_1m --keep --baseline-root ../old
Match keys are shortened to 16 hex digits here (the hub stores 64) to keep the load quick.
"""

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import h3
import httpx
from sqlalchemy import Engine, create_engine, insert, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from anonymise.london import BY_GSS  # noqa: E402
from anonymise.perturb import KEY_RANGE  # noqa: E402
from hub.agreements import service as agreements  # noqa: E402
from hub.auth.api_tokens import create_api_token  # noqa: E402
from hub.auth.passwords import hash_password  # noqa: E402
from hub.config import HubSettings  # noqa: E402
from hub.db import make_engine, make_sessionmaker, migrate  # noqa: E402
from hub.models import Incident, IncidentCode, Organisation, Person, Referral, Submission, User  # noqa: E402
from hub.records import summaries  # noqa: E402
from hub.secrets import write_signing_key  # noqa: E402

PROVIDERS = ("demo-ngo", "lb-newham", "demo-hospital", "demo-police")
ORGS = {
    "demo-ngo": ("NGO", None),
    "lb-newham": ("LocalGovernmentOrganisation", "E09000025"),
    "demo-hospital": ("HealthServiceOrganisation", None),
    "demo-police": ("LawEnforcement", None),
    "lb-tower-hamlets": ("LocalGovernmentOrganisation", "E09000030"),
    "lb-camden": ("LocalGovernmentOrganisation", "E09000007"),
    "hub-operator": ("CentralGovernmentOrganisation", None),
}
QUARTERS = [f"{y}-Q{q}" for y in (2025, 2026) for q in (1, 2, 3, 4)]
NEWHAM = "E09000025"
EXPLOITATION = ["criminal", "labour", "sexual", "domestic_servitude", "other", "unknown"]
CONTROL = ["debt_bondage", "threats", "withholds_documents", "restricts_movement", "physical_abuse"]
PREMISES = ["hand_car_wash", "nail_bar", "private_household", "street", "brothel_residential", "hot_food_takeaway", "care_home", "unknown"]
NATIONALITY = ["GB", "AL", "VN", "RO", "ER", "SD", "NG", "IN", "PL", "IR", "EG", "CN", "unknown"]
BANDS = ["0-8", "9-17", "18-20", "21-23", "24-26", "27-29", "30-38", "39-47", "48+", "unknown"]
BATCH = 50_000


def _key(rng: random.Random) -> str:
    return f"v1.{rng.getrandbits(64):016x}"


def generate(n: int, seed: int = 1) -> Iterator[tuple[str, list[dict[str, object]]]]:
    """Yield (table, rows) batches: incidents first, then their persons, codes and referrals."""
    rng = random.Random(seed)
    boroughs = sorted(BY_GSS)
    cells = {g: list(h3.grid_disk(h3.latlng_to_cell(BY_GSS[g].lat, BY_GSS[g].lon, 8), 6)) for g in boroughs}
    pool = [[_key(rng) for _ in range(4)] for _ in range(max(100, n // 40))]
    subs = {(p, q): str(uuid.uuid4()) for p in PROVIDERS for q in QUARTERS}
    yield "submissions", [
        {
            "id": sid, "org_id": p, "agreement_id": "demo-london", "agreement_version": 1, "quarter": q,
            "status": "active", "bundle_sha256": uuid.uuid4().hex * 2, "signing_kid": "bench",
            "manifest": {}, "receipt": {}, "record_counts": {}, "received_at": datetime.now(UTC),
        }
        for (p, q), sid in subs.items()
    ]
    pid = cid = 0
    inc: list[dict[str, object]] = []
    per: list[dict[str, object]] = []
    cod: list[dict[str, object]] = []
    ref: list[dict[str, object]] = []
    # The hub ingests one submission (a provider's quarter) at a time, so its incidents and
    # their persons sit together in id order; the load keeps that layout.
    order = sorted(((rng.choice(PROVIDERS), rng.choice(QUARTERS)) for _ in range(n)), key=lambda pq: (pq[1], pq[0]))
    for i, (p, q) in enumerate(order, start=1):
        g = rng.choice(boroughs)
        sid = subs[(p, q)]
        inc.append({
            "id": i, "submission_id": sid, "org_id": p, "agreement_id": "demo-london", "quarter": q,
            "incident_key": _key(rng), "first_known_month": f"{q[:4]}-{3 * int(q[-1]) - 2:02d}",
            "source_channel": rng.choice(["outreach", "helpline", "police_operation", "unknown"]),
            "county_lines": rng.choice(["yes", "no", "no", "unknown"]), "premises_type": rng.choice(PREMISES),
            "exploitation_scope": "uk_only", "la_gss_code": g, "police_force_area": "E23000001",
            "h3_cell": rng.choice(cells[g]), "h3_resolution": 8, "narrative": None,
            "record_key": rng.randrange(KEY_RANGE),
        })
        for code in {rng.choice(EXPLOITATION) for _ in range(rng.choice((1, 1, 2)))}:
            cid += 1
            cod.append({"id": cid, "incident_id": i, "field": "exploitation_types", "code": code})
        for code in {rng.choice(CONTROL) for _ in range(rng.choice((0, 1, 2)))}:
            cid += 1
            cod.append({"id": cid, "incident_id": i, "field": "methods_of_control", "code": code})
        for seq in range(1, rng.choice((2, 2, 3, 3)) + 1):
            pid += 1
            keys = rng.choice(pool) if rng.random() < 0.05 else [_key(rng) for _ in range(4)]
            band = rng.choice(BANDS)
            per.append({
                "id": pid, "incident_id": i, "submission_id": sid, "org_id": p, "person_seq": seq,
                "mk_name_dob": keys[0], "mk_initial_surname_dob": keys[1], "mk_sorted_tokens_yob": keys[2],
                "mk_surname_dob_sex": keys[3], "role": "potential_victim" if seq < 3 else "suspect",
                "gender": rng.choice(["female", "male", "male", "unknown"]), "age_band": band,
                "age_group": "child" if band in ("0-8", "9-17") else "adult", "nationality": rng.choice(NATIONALITY),
                "relationship": "unknown", "record_key": rng.randrange(KEY_RANGE),
            })
        ref.append({
            "id": i, "incident_id": i, "submission_id": sid, "org_id": p, "person_seq": 1,
            "referral_type": rng.choice(["nrm", "nrm", "duty_to_notify", "none", "unknown"]),
            "first_responder_type": "police", "reasonable_grounds": rng.choice(["positive", "negative", "pending"]),
            "conclusive_grounds": rng.choice(["positive", "pending", "unknown"]), "decision_month": None,
            "police_outcome": rng.choice(["crime_recorded", "arrest", "no_further_action", "unknown"]),
            "victim_engaged_with_police": "unknown", "support_provided": "", "record_key": rng.randrange(KEY_RANGE),
        })
        if len(inc) >= BATCH or i == n:
            yield "incidents", inc
            yield "persons", per
            yield "incident_codes", cod
            yield "referrals", ref
            inc, per, cod, ref = [], [], [], []


TABLES = {"submissions": Submission, "incidents": Incident, "persons": Person, "incident_codes": IncidentCode, "referrals": Referral}


def load(engine: Engine, n: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    with engine.begin() as conn:
        for org, (kind, gss) in ORGS.items():
            conn.execute(insert(Organisation).values(id=org, name=org, kind=kind, gss_code=gss, status="active", created_at=datetime.now(UTC)))
        for table, rows in generate(n):
            if rows:
                conn.execute(insert(TABLES[table]), rows)
                counts[table] = counts.get(table, 0) + len(rows)
    counts["stat_counts"] = build_summaries(engine)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return counts


def build_summaries(engine: Engine) -> int:
    """Every summary built from scratch (what ingest does per submission, here for all at once), timed."""
    t0 = time.perf_counter()
    with make_sessionmaker(engine)() as s:
        rows = summaries.rebuild(s)
        s.commit()
    print(f"summaries built in {time.perf_counter() - t0:.1f} s ({rows} rows, load {' '.join(f'{x:.1f}' for x in os.getloadavg())})", flush=True)
    return rows


@contextmanager
def serving(settings: HubSettings, root: Path = ROOT, answers_ahead: bool = True) -> Iterator[str]:
    """``msht-hub serve`` in its own process on a loopback port, as in production: calls go over
    real HTTP and the server shares no interpreter (nor its lock) with this benchmark. ``root``:
    the checkout whose ``hub`` serves (an older commit for a same-run baseline; this venv's
    packages); ``answers_ahead``: whether its worker makes the default answers ahead (off: the
    first call of each kind is cold)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert settings.pseudonym_key is not None
    assert settings.session_key is not None
    env = {
        **os.environ,
        "MSHT_DATABASE_URL": settings.database_url,
        "MSHT_PSEUDONYM_KEY": settings.pseudonym_key.get_secret_value(),
        "MSHT_SESSION_KEY": settings.session_key.get_secret_value(),
        "MSHT_SIGNING_KEY_FILE": str(settings.signing_key_file),
        "MSHT_POLICIES_DIR": str(settings.policies_dir),
        "MSHT_HOST": "127.0.0.1",
        "MSHT_PORT": str(port),
        "MSHT_ANSWERS_AHEAD": "true" if answers_ahead else "false",
        "PYTHONPATH": str(root),
    }
    server = subprocess.Popen(
        [sys.executable, "-c", "from hub.cli import app; app()", "serve"], env=env, cwd=root,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise RuntimeError("the hub did not start")
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(30)


def load_average() -> str:
    return "load " + " ".join(f"{x:.1f}" for x in os.getloadavg())


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def timed(call: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """(first call, p50, p95) in ms: the first call is cold (nothing kept between calls yet)."""
    t0 = time.perf_counter()
    call()
    first = (time.perf_counter() - t0) * 1000
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t0) * 1000)
    return first, statistics.median(samples), percentile(samples, 0.95)


BARE_FROM = "FROM incidents i JOIN submissions s ON s.id = i.submission_id AND s.status = 'active' {where}"
BARE = {
    "overview": [
        "SELECT i.quarter, count(*) " + BARE_FROM + " GROUP BY i.quarter",
        "SELECT i.quarter, count(*) " + BARE_FROM.replace("{where}", "JOIN persons p ON p.incident_id = i.id {where} AND p.role = 'potential_victim'") + " GROUP BY i.quarter",
        "SELECT c.code, count(*) " + BARE_FROM.replace("{where}", "JOIN incident_codes c ON c.incident_id = i.id {where} AND c.field = 'exploitation_types' AND i.quarter = :q") + " GROUP BY c.code",
        "SELECT r.referral_type, count(DISTINCT i.id) " + BARE_FROM.replace("{where}", "JOIN referrals r ON r.incident_id = i.id {where} AND i.quarter = :q") + " GROUP BY r.referral_type",
    ],
    "trends": [
        "SELECT i.quarter, count(*) " + BARE_FROM + " GROUP BY i.quarter",
        "SELECT i.quarter, p.role, count(*) " + BARE_FROM.replace("{where}", "JOIN persons p ON p.incident_id = i.id {where}") + " GROUP BY i.quarter, p.role",
    ],
    "breakdowns": [
        "SELECT p.gender, p.age_group, p.age_band, p.nationality, count(*) " + BARE_FROM.replace("{where}", "JOIN persons p ON p.incident_id = i.id {where} AND i.quarter = :q") + " GROUP BY p.gender, p.age_group, p.age_band, p.nationality",
        "SELECT c.field, c.code, count(*) " + BARE_FROM.replace("{where}", "JOIN incident_codes c ON c.incident_id = i.id {where} AND i.quarter = :q") + " GROUP BY c.field, c.code",
        "SELECT i.premises_type, count(*) " + BARE_FROM.replace("{where}", "{where} AND i.quarter = :q") + " GROUP BY i.premises_type",
        "SELECT r.police_outcome, r.reasonable_grounds, r.conclusive_grounds, count(*) " + BARE_FROM.replace("{where}", "JOIN referrals r ON r.incident_id = i.id {where} AND i.quarter = :q") + " GROUP BY r.police_outcome, r.reasonable_grounds, r.conclusive_grounds",
    ],
    "hotspots": ["SELECT i.h3_cell, count(*) " + BARE_FROM.replace("{where}", "{where} AND i.quarter = :q") + " GROUP BY i.h3_cell"],
    "repeats": [
        "SELECT count(*) FROM (SELECT p.mk_name_dob " + BARE_FROM.replace("{where}", "JOIN persons p ON p.incident_id = i.id {where}") + " GROUP BY p.mk_name_dob HAVING count(DISTINCT p.incident_id) > 1) x"
    ],
    "coverage": [
        "SELECT count(*), sum(CASE WHEN i.premises_type NOT IN ('unknown','not_asked','not_applicable') THEN 1 ELSE 0 END) " + BARE_FROM,
        "SELECT count(*), sum(CASE WHEN p.gender NOT IN ('unknown','not_asked','not_applicable') THEN 1 ELSE 0 END) " + BARE_FROM.replace("{where}", "JOIN persons p ON p.incident_id = i.id {where}"),
    ],
}


def bench_engine(
    name: str, url: str, n: int, repeat: int, workdir: Path, *, fill: bool = True, baseline: Path | None = None,
    rebuild: bool = False,
) -> list[tuple[str, ...]]:
    engine = make_engine(url)
    if rebuild and not fill:
        build_summaries(engine)
    if fill:
        migrate(url)
        t0 = time.perf_counter()
        counts = load(engine, n)
        print(f"[{name}] loaded {counts} in {time.perf_counter() - t0:.0f} s", flush=True)
    with make_sessionmaker(engine)() as s:
        user = s.scalar(select(User).where(User.username == "bench.officer"))  # a kept database has it
        if user is None:
            agreements.load_version(s, (ROOT / "policies" / "demo.yaml").read_text(encoding="utf-8"), actor="bench")
            user = User(username="bench.officer", display_name="Bench", org_id="lb-newham", role="borough_officer",
                        password_hash=hash_password("bench password not used"), status="active", created_at=datetime.now(UTC))
            s.add(user)
            s.flush()
        token = create_api_token(s, user, label="bench")
        s.commit()
    if not (workdir / "sign.pem").exists():
        write_signing_key(workdir / "sign.pem")
    settings = HubSettings(
        database_url=url, pseudonym_key="bench-hub-pseudonym-key-0123456789abcdef0123",
        session_key="bench-hub-session-key-0123456789abcdef01234567", signing_key_file=workdir / "sign.pem",
        policies_dir=ROOT / "policies",
    )
    rows: list[tuple[str, ...]] = []
    quarter = QUARTERS[-1]
    plain = create_engine(url)  # bare queries: no hub session hooks (SQLite's BEGIN IMMEDIATE)
    timings: dict[tuple[str, str, str], tuple[float, float, float]] = {}
    hubs = ([("base", baseline)] if baseline is not None else []) + [("this", ROOT)]
    for label, root in hubs:  # one fresh process each: its first call of each kind is cold
        with serving(settings, root, answers_ahead=False) as base, \
                httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=600) as client:
            for scope in (NEWHAM, "london"):
                for endpoint in BARE:
                    def api(path: str = f"/api/v1/stats/{scope}/{endpoint}") -> object:
                        r = client.get(path)
                        assert r.status_code == 200, r.text
                        return r.content

                    timings[(label, scope, endpoint)] = timed(api, repeat)
                    a1, _, a95 = timings[(label, scope, endpoint)]
                    print(f"  [{name} {label}] {scope} {endpoint}: first {a1:.1f} ms, p95 {a95:.1f} ms  ({load_average()})", flush=True)
    with plain.connect() as conn:
        for scope, where in ((NEWHAM, f"WHERE i.la_gss_code = '{NEWHAM}'"), ("london", "WHERE 1 = 1")):
            for endpoint, sqls in BARE.items():
                def bare(sqls: list[str] = sqls, where: str = where) -> object:
                    out = [conn.execute(text(q.replace("{where}", where)), {"q": quarter}).all() for q in sqls]
                    conn.rollback()
                    return out

                _, b50, b95 = timed(bare, repeat)
                a1, a50, a95 = timings[("this", scope, endpoint)]
                before = [f"{timings[('base', scope, endpoint)][i]:.1f}" for i in (0, 2)] if baseline is not None else []
                rows.append((name, scope, endpoint, *before, f"{a1:.1f}", f"{a50:.1f}", f"{a95:.1f}", f"{b50:.1f}", f"{b95:.1f}",
                             f"{a95 / b95:.2f}", load_average()))
                print("  ".join(rows[-1]), flush=True)
    plain.dispose()
    engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--engines", default="postgresql,sqlite")
    parser.add_argument("--pg-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--pg-database", help="use this database, loading it only if it does not exist yet")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL database for another run")
    parser.add_argument("--rebuild", action="store_true", help="on a kept database, time building every summary again first")
    parser.add_argument("--baseline-root", type=Path, help="also serve the same database from this checkout (an older commit), timed first")
    args = parser.parse_args()
    results: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for engine_name in args.engines.split(","):
            if engine_name == "sqlite":
                results += bench_engine("sqlite", f"sqlite:///{work / 'bench.db'}", args.incidents, args.repeat, work,
                                        baseline=args.baseline_root)
            elif engine_name == "postgresql":
                db = args.pg_database or f"msht_bench_{uuid.uuid4().hex[:8]}"
                admin = create_engine(args.pg_url, isolation_level="AUTOCOMMIT")
                with admin.connect() as c:
                    exists = c.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": db}).first() is not None
                    if not exists:
                        c.execute(text(f'CREATE DATABASE "{db}"'))
                try:
                    url = make_url(args.pg_url).set(database=db).render_as_string(hide_password=False)
                    results += bench_engine("postgresql", url, args.incidents, args.repeat, work, fill=not exists,
                                            baseline=args.baseline_root, rebuild=args.rebuild)
                finally:
                    if args.keep:
                        print(f"kept PostgreSQL database {db} (--pg-database {db} reuses it)")
                    else:
                        with admin.connect() as c:
                            c.execute(text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
                    admin.dispose()
    print(f"\n{args.incidents:,} incidents; {args.repeat} calls each; milliseconds")
    before = ("base first", "base p95") if args.baseline_root is not None else ()
    header = ("engine", "scope", "call", *before, "api first", "api p50", "api p95", "bare p50", "bare p95", "p95 ratio", "load")
    widths = [max(len(h), *(len(r[i]) for r in results)) for i, h in enumerate(header)]
    for row in (header, *results):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))
    print("targets: PostgreSQL api p95 < 200 ms and p95 ratio <= 2")


if __name__ == "__main__":
    main()
