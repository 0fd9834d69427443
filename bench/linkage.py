"""How well the person match keys link the synthetic partners' repeat persons, and how many false links they make.

Run: .venv/bin/python bench/linkage.py [--rows 400] [--seed 7]

Generates the four demo partner exports (``msht-client demo-data``), makes every row's match
keys with anonymise.pseudonymise under one test key, joins rows that share any key, and scores
the result against ``ground_truth.csv``: pairs of rows of the same true person that are linked
(recall, overall and by how the name was spelt), and pairs of different people that are linked
(false links). Each match key alone is shown beside the four together.
"""

import argparse
import csv
import itertools
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from anonymise.keys import LinkageKey
from anonymise.pseudonymise import Pseudonymiser
from anonymise.schema import MatchKey
from partner_client.demo_data import generate

# file → (encoding, delimiter, full name, given, family, dob, sex) as the demo layouts write them
LAYOUTS = {
    "ngo_cases.csv": ("utf-8-sig", ",", "Client Name", None, None, "DOB", "Gender"),
    "borough_safeguarding.csv": ("cp1252", ";", None, "First Name", "Last Name", "D.O.B.", "Sex"),
    "hospital_flags.csv": ("utf-8", "\t", None, "pt_forename", "pt_surname", "dob", "sex"),
    "police_intel.csv": ("utf-8", ",", None, "Forename(s)", "Surname", "DOB", "Sex"),
}
BENCH_KEY = LinkageKey.from_bytes(b"bench-linkage-key-not-a-real-secret-0123456789")


@dataclass(frozen=True)
class Row:
    file: str
    row: int
    person: str
    spelling: str
    keys: dict[MatchKey, str | None]


def read_rows(directory: Path) -> list[Row]:
    truth = {(r["file"], int(r["row"])): r for r in csv.DictReader((directory / "ground_truth.csv").open(encoding="utf-8"))}
    pseudonymiser = Pseudonymiser(BENCH_KEY, "bench-agreement")
    rows = []
    for name, (encoding, delimiter, full, given, family, dob, sex) in LAYOUTS.items():
        with (directory / name).open(encoding=encoding, newline="") as handle:
            for number, record in enumerate(csv.DictReader(handle, delimiter=delimiter), start=1):
                keys = pseudonymiser.person_keys(
                    full_name=record[full] if full else None,
                    given=record[given] if given else None,
                    family=record[family] if family else None,
                    dob=record[dob] or None,
                    sex=record[sex] or None,
                )
                gt = truth[(name, number)]
                rows.append(Row(name, number, gt["person_id"], gt["spelling"], keys))
    return rows


def linked_pairs(rows: list[Row], keys: tuple[MatchKey, ...]) -> set[tuple[int, int]]:
    parent = list(range(len(rows)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[tuple[MatchKey, str], int] = {}
    for index, row in enumerate(rows):
        for key in keys:
            value = row.keys[key]
            if value is None:
                continue
            other = first.setdefault((key, value), index)
            parent[find(index)] = find(other)
    clusters: dict[int, list[int]] = defaultdict(list)
    for index in range(len(rows)):
        clusters[find(index)].append(index)
    return {pair for members in clusters.values() for pair in itertools.combinations(sorted(members), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        generate(Path(tmp), seed=args.seed, rows=args.rows)
        rows = read_rows(Path(tmp))
    by_person: dict[str, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        by_person[row.person].append(index)
    true_pairs = {pair for members in by_person.values() for pair in itertools.combinations(members, 2)}
    repeat_persons = [p for p, members in by_person.items() if len(members) > 1]
    missing_dob = sum(all(v is None for v in r.keys.values()) for r in rows)
    print(f"{len(rows)} rows from 4 partners (seed {args.seed}); {len(by_person)} true persons, "
          f"{len(repeat_persons)} seen on more than one row, {len(true_pairs)} true pairs; "
          f"{missing_dob} rows without a usable name and date of birth (no keys)")
    print(f"\n{'match keys':44s} {'pairs linked':>13s} {'recall':>7s} {'persons fully linked':>21s} {'false links':>12s}")
    for keys in [*((k,) for k in MatchKey), tuple(MatchKey)]:
        linked = linked_pairs(rows, keys)
        hits = linked & true_pairs
        false = linked - true_pairs
        full = sum(all(p in linked for p in itertools.combinations(by_person[person], 2)) for person in repeat_persons)
        label = " + ".join(k.value for k in keys) if len(keys) == 1 else "all four (any key links)"
        print(f"{label:44s} {len(hits):13d} {len(hits) / max(1, len(true_pairs)):7.1%} "
              f"{full:>10d} of {len(repeat_persons):<8d} {len(false):12d}")
    linked = linked_pairs(rows, tuple(MatchKey))
    with_dob = {(a, b) for a, b in true_pairs if rows[a].keys[MatchKey.sorted_tokens_yob] and rows[b].keys[MatchKey.sorted_tokens_yob]}
    print(f"\npairs where both rows carry a date of birth (the only ones any key can link): {len(with_dob)}; "
          f"linked {len(with_dob & linked)} ({len(with_dob & linked) / max(1, len(with_dob)):.1%})")
    print("\nrecall of true pairs by the spelling of the later row (all four keys):")
    by_spelling: Counter[str] = Counter()
    hit_spelling: Counter[str] = Counter()
    for a, b in true_pairs:
        spelling = rows[b].spelling if rows[b].spelling != "exact" else rows[a].spelling
        by_spelling[spelling] += 1
        hit_spelling[spelling] += (a, b) in linked
    for spelling, total in sorted(by_spelling.items()):
        print(f"  {spelling:16s} {hit_spelling[spelling]:5d} of {total:5d}  {hit_spelling[spelling] / total:7.1%}")


if __name__ == "__main__":
    main()
