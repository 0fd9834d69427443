"""Incremental person linkage on PostgreSQL: four partners of N records each, linked as each upload arrives.

Run (keys made first by ``--make-keys``, not timed: they are made on the partners' machines):
    flock /work/locks/bench .venv/bin/python bench/linkage_pg.py --rows 100000 \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/msht_link_bench

The database is emptied and built from ``hub.models``. Per partner: its incidents, persons and
person keys are written by COPY (timed apart: the ingest's storing), then
``hub.records.increments.ingest`` links them into the agreement's clusters in the same
transaction (timed: blocking through the (kind, key) index, scoring with the stored model or,
at the first upload and when the agreement has doubled, a full relink that fits it; links and
cluster merges). Recall and precision of the final clusters against the synthetic truth.
"""

import argparse
import sys
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.linkage import model
from hub.models import Base, Incident, Organisation, Person, PersonCluster, PersonKey, Submission
from hub.records import bulk, increments

PARTNERS = ("ngo", "borough", "hospital", "police")
AGREEMENT = "bench-agreement"


def _cache(rows: int, partner: str) -> Path:
    return Path(f"/tmp/linkage_pg_{rows}_{partner}.npz")


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
        keys = bench.key_rows(got, with_ids=True)
        np.savez(_cache(rows, partner), person=np.array([k[0] for k in keys]),
                 kind=np.array([model.KINDS.index(k[1]) for k in keys]), value=np.array([k[2] for k in keys], dtype=np.int64),
                 truth=np.array([r.person for r in got]), sex=np.array([r.sex for r in got]), nat=np.array([r.nationality for r in got]))


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
    keys = [{"incident_id": first_incident + int(p), "submission_id": sid, "person_seq": 1, "kind": model.KINDS[int(k)], "key": int(v)}
            for p, k, v in zip(data["person"], data["kind"], data["value"], strict=True)]
    bulk.copy(session, Incident.__table__, incidents)  # type: ignore[arg-type]
    bulk.copy(session, Person.__table__, persons)  # type: ignore[arg-type]
    bulk.copy(session, PersonKey.__table__, keys)  # type: ignore[arg-type]
    session.execute(text("ANALYZE incidents, persons, person_keys"))
    return sid


def run(rows: int, url: str) -> None:
    engine = create_engine(url)
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
        data = dict(np.load(_cache(rows, partner)))
        with Session(engine) as session:
            start = time.perf_counter()
            sid = _store(session, partner, data, number * rows + 1)
            stored = time.perf_counter() - start
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
    parser.add_argument("--make-keys", action="store_true")
    args = parser.parse_args()
    if args.make_keys or not _cache(args.rows, PARTNERS[-1]).exists():
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        make_keys(args.rows, args.seed)
    run(args.rows, args.database_url)


if __name__ == "__main__":
    main()
