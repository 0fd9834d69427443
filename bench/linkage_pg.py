"""Incremental person linkage on PostgreSQL: four partners of N records each, linked as each upload arrives.

Run:
    flock /work/locks/bench .venv/bin/python bench/linkage_pg.py --rows 100000 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/msht_link_bench

The four partners' key rows are made once (partner side and hub re-key, as bench/linkage.py makes
them: about 12 minutes at 100,000 rows each, not timed, as they are made on the partners'
machines) and cached under ``var/linkage_pg/`` (not committed), stamped with a fingerprint of the
code that makes them; a changed key, population or re-key module makes them again, and
``--make-keys`` forces it.

The database is emptied and built from ``hub.models``. Per partner: its incidents, persons and
person keys are written by COPY (timed apart: the ingest's storing), then
``hub.records.increments.ingest`` links them into the agreement's clusters in the same
transaction (timed: blocking through the (kind, key) index, scoring with the stored model or,
at the first upload and when the agreement has doubled, a full relink that fits it; links and
cluster merges). Recall and precision of the final clusters against the synthetic truth.
"""

import argparse
import hashlib
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Engine, create_engine, event, func, select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.models import Base, Incident, Organisation, Person, PersonCluster, Submission
from hub.records import bulk, increments

PARTNERS = ("ngo", "borough", "hospital", "police")
AGREEMENT = "bench-agreement"


ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "linkage_pg"
KEY_SOURCES = ("bench/linkage.py", "anonymise/matchkeys.py", "anonymise/pseudonymise.py", "anonymise/normalise.py",
               "anonymise/names.py", "anonymise/identifiers.py", "hub/submissions/rekey.py", "partner_client/demo_data/people.py")
"""The code the cached key rows depend on: a change to any of them makes the keys again."""


def _cache(rows: int, seed: int, partner: str) -> Path:
    return CACHE / f"{rows}_{seed}_{partner}.npz"


def fingerprint(rows: int, seed: int) -> str:
    digest = hashlib.sha256(f"{rows}:{seed}".encode())
    for name in KEY_SOURCES:
        path = ROOT / name
        digest.update(name.encode() + b"\0" + (path.read_bytes() if path.exists() else b""))
    return digest.hexdigest()[:16]


def cached(rows: int, seed: int) -> bool:
    """Whether every partner's key rows are cached, made by the current code."""
    want = fingerprint(rows, seed)
    for partner in PARTNERS:
        path = _cache(rows, seed, partner)
        if not path.exists():
            return False
        with np.load(path) as data:
            if "fingerprint" not in data or str(data["fingerprint"]) != want:
                return False
    return True


def make_keys(rows: int, seed: int) -> None:
    """The four partners' key rows (partner side and hub re-key, as bench/linkage.py makes them), cached."""
    import random

    import linkage as bench  # bench/linkage.py

    rng = random.Random(seed + 1)
    people = bench.population(int(rows * 0.55), rng)
    recorded = bench.rows_for(people, rng)
    by: dict[str, list[bench.Row]] = defaultdict(list)
    for r in recorded:
        by[r.partner].append(r)
    spare = iter(bench.population(4 * rows, rng))
    for partner in PARTNERS:
        got = by[partner]
        del got[rows:]
        while len(got) < rows:
            got.append(bench.record(next(spare), -1, partner, rng))
        start = time.perf_counter()
        keys = bench.key_rows(got, with_ids=True)
        CACHE.mkdir(parents=True, exist_ok=True)
        part = _cache(rows, seed, partner).with_suffix(".part.npz")
        names = sorted({k[1] for k in keys})
        code = {name: i for i, name in enumerate(names)}
        np.savez(part, person=np.array([k[0] for k in keys], dtype=np.int64), kinds=np.array(names),
                 kind=np.array([code[k[1]] for k in keys], dtype=np.int16), value=np.array([k[2] for k in keys], dtype=np.int64),
                 truth=np.array([r.person for r in got]), sex=np.array([r.sex for r in got]), nat=np.array([r.nationality for r in got]),
                 fingerprint=np.array(fingerprint(rows, seed)))
        part.replace(_cache(rows, seed, partner))
        print(f"  keys of {partner}: {len(keys)} rows made in {time.perf_counter() - start:.0f} s (cached in {CACHE})")


def _store(session: Session, partner: str, data: dict[str, np.ndarray], first_incident: int) -> str:
    now = datetime.now(UTC)
    sid = f"bench-{partner}"
    session.add(Submission(id=sid, org_id=partner, agreement_id=AGREEMENT, agreement_version=1, quarter="2026-Q3",
                           status="active", bundle_sha256=partner.ljust(64, "0"), signing_kid="bench", manifest={},
                           receipt={}, record_counts={}, received_at=now))
    session.flush()
    n = len(data["truth"])
    incidents = [{"id": first_incident + i, "submission_id": sid, "org_id": partner, "agreement_id": AGREEMENT,
                  "quarter": "2026-Q3", "incident_key": f"{partner}-{i}", "first_known_month": "2026-07",
                  "source_channel": "unknown", "county_lines": "unknown", "premises_type": "unknown",
                  "exploitation_scope": "unknown"} for i in range(n)]
    sex = {"m": "male", "f": "female"}
    persons = [{"incident_id": first_incident + i, "submission_id": sid, "org_id": partner, "person_seq": 1, "role": "unknown",
                "gender": sex.get(str(data["sex"][i]), "unknown"), "age_band": "unknown", "age_group": "unknown",
                "nationality": str(data["nat"][i]), "relationship": "unknown"} for i in range(n)]
    names = [str(k) for k in data["kinds"]]
    bulk.copy(session, Incident.__table__, incidents)  # type: ignore[arg-type]
    bulk.copy(session, Person.__table__, persons)  # type: ignore[arg-type]
    # the key rows (millions) as COPY text in blocks: plain ints and kind names, nothing to escape
    driver = session.connection().connection.driver_connection
    with driver.cursor() as cursor, cursor.copy("COPY person_keys (incident_id, submission_id, person_seq, kind, key) FROM STDIN") as copy:  # type: ignore[union-attr]
        for start in range(0, len(data["value"]), 200_000):
            part = slice(start, start + 200_000)
            copy.write("".join(f"{first_incident + p}\t{sid}\t1\t{names[k]}\t{v}\n" for p, k, v in zip(
                data["person"][part].tolist(), data["kind"][part].tolist(), data["value"][part].tolist(), strict=True)))
    session.execute(text("ANALYZE submissions, incidents, persons, person_keys, person_clusters, person_links"))
    return sid


def _time_statements(engine: Engine) -> Counter[str]:
    """Seconds per SQL statement (its first line, cut), for ``--statements``."""
    spent: Counter[str] = Counter()

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        conn.info.setdefault("started", []).append(time.perf_counter())

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        spent[" ".join(statement.split())[:150]] += time.perf_counter() - conn.info["started"].pop()

    return spent


def run(rows: int, seed: int, url: str, *, statements: bool = False) -> None:
    engine = create_engine(url)
    spent = _time_statements(engine) if statements else None
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    truth: dict[int, int] = {}
    total_link = 0.0
    with Session(engine) as session:
        for partner in PARTNERS:
            session.add(Organisation(id=partner, name=partner, kind="ngo", status="active", created_at=datetime.now(UTC)))
        session.commit()
    print(f"four partners of {rows} records, PostgreSQL ({engine.dialect.server_version_info}); machine shared with other engineers")
    for number, partner in enumerate(PARTNERS):
        data = dict(np.load(_cache(rows, seed, partner)))
        with Session(engine) as session:
            start = time.perf_counter()
            sid = _store(session, partner, data, number * rows + 1)
            stored = time.perf_counter() - start
            if spent is not None:
                spent.clear()
            start = time.perf_counter()
            result = increments.ingest(session, AGREEMENT, sid)
            session.commit()
            took = time.perf_counter() - start
            total_link += took
            ids = session.execute(select(Person.id, Person.incident_id).where(Person.submission_id == sid)).all()
            for pid, incident in ids:
                truth[int(pid)] = int(data["truth"][incident - number * rows - 1])
            clustered = session.scalar(select(func.count()).select_from(PersonCluster)) or 0
        print(f"  {partner:9s}: stored {stored:6.1f} s (COPY of {len(data['value'])} key rows), linked in {took:6.1f} s "
              f"({result.candidates} candidates, {result.links} links, {clustered} cluster rows)")
        if spent is not None:
            for statement, seconds in spent.most_common(6):
                print(f"      {seconds:6.1f} s  {statement}")
    print(f"  linking total over the four uploads: {total_link:.1f} s")
    with Session(engine) as session:
        labels = dict(session.execute(select(PersonCluster.person_id, PersonCluster.cluster_id)).all())
    groups: dict[int, list[int]] = defaultdict(list)
    for pid, c in labels.items():
        groups[c].append(pid)
    linked = sum(len(g) * (len(g) - 1) // 2 for g in groups.values())
    hits = sum(n * (n - 1) // 2 for g in groups.values()
               for n in np.unique([truth[p] for p in g if truth[p] >= 0], return_counts=True)[1].tolist())
    by_person: dict[int, int] = defaultdict(int)
    for t in truth.values():
        if t >= 0:
            by_person[t] += 1
    true_pairs = sum(n * (n - 1) // 2 for n in by_person.values())
    print(f"  clusters: recall {hits / max(1, true_pairs):.1%} of {true_pairs} true pairs, precision {hits / max(1, linked):.2%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/msht_link_bench")
    parser.add_argument("--make-keys", action="store_true", help="make the key rows again even when cached by the current code")
    parser.add_argument("--statements", action="store_true", help="print the slowest SQL statements of each upload's linking")
    parser.add_argument("--reuse-keys", action="store_true", help="use cached key rows even when the code that made them changed")
    parser.add_argument("--keys-only", action="store_true", help="make (or check) the cached key rows and stop")
    args = parser.parse_args()
    if not args.make_keys and args.reuse_keys and _cache(args.rows, args.seed, PARTNERS[-1]).exists():
        if not cached(args.rows, args.seed):
            print("warning: the cached key rows were made by other code than this (--reuse-keys)")
    elif args.make_keys or not cached(args.rows, args.seed):
        print(f"making the key rows of four partners of {args.rows} (not timed: partner side)")
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        make_keys(args.rows, args.seed)
    if not args.keys_only:
        run(args.rows, args.seed, args.database_url, statements=args.statements)


if __name__ == "__main__":
    main()
