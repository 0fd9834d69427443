"""Write the four demo partner exports, the postcode lookup and the ground truth for a seed."""

import csv
import json
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from anonymise.generalise import parse_quarter, quarter_bounds
from partner_client.demo_data.cases import HOME_BOROUGH, PARTNERS, Case, World
from partner_client.demo_data.layouts import (
    Table,
    borough_table,
    hospital_table,
    ngo_table,
    police_table,
)
from partner_client.demo_data.people import Identifiers, TruePerson
from partner_client.demo_data.places import make_postcodes, write_postcode_directory

__all__ = ["DemoFiles", "generate"]


@dataclass(frozen=True)
class DemoFiles:
    """Where :func:`generate` wrote each file."""

    out_dir: Path
    ngo_cases: Path
    borough_safeguarding: Path
    hospital_flags: Path
    police_intel: Path
    postcodes: Path
    ground_truth: Path
    identifiers: Path

    @property
    def partner_files(self) -> dict[str, Path]:
        """Partner kind (ngo, borough, hospital, police) → its export."""
        return {"ngo": self.ngo_cases, "borough": self.borough_safeguarding,
                "hospital": self.hospital_flags, "police": self.police_intel}


def generate(out_dir: Path, *, seed: int = 7, rows: int = 400, quarter: str = "2026-Q3") -> DemoFiles:
    """Write four quarterly exports of about ``rows`` rows each, all fictional, same for a seed."""
    if rows < 1:
        raise ValueError("rows must be at least 1")
    first, last = quarter_bounds(parse_quarter(quarter))
    rng = random.Random(seed)  # noqa: S311 - seeded fiction, reproducible by design; not security
    ids = Identifiers(rng)
    postcodes = make_postcodes(rng)
    world = World(rng, ids, postcodes, first, last)
    cases = {partner: _cases_for(world, partner, rows) for partner in PARTNERS}
    tables = {
        "ngo": ngo_table(world, cases["ngo"]), "borough": borough_table(world, cases["borough"]),
        "hospital": hospital_table(world, cases["hospital"]), "police": police_table(world, cases["police"]),
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    files = DemoFiles(
        out_dir=out_dir, ngo_cases=out_dir / tables["ngo"].file,
        borough_safeguarding=out_dir / tables["borough"].file,
        hospital_flags=out_dir / tables["hospital"].file, police_intel=out_dir / tables["police"].file,
        postcodes=out_dir / "postcodes.csv", ground_truth=out_dir / "ground_truth.csv",
        identifiers=out_dir / "identifiers.json",
    )
    for table in tables.values():
        table.write(out_dir / table.file)
    write_postcode_directory(files.postcodes, postcodes)
    _write_ground_truth(files.ground_truth, tables.values())
    _write_identifiers(files.identifiers, tables.values())
    return files


def _cases_for(world: World, partner: str, rows: int) -> list[Case]:
    rng = world.rng
    seen: list[TruePerson] = []
    cases: list[Case] = []
    while len(cases) < rows:
        home = HOME_BOROUGH if partner == "borough" and rng.random() < 0.7 else None
        person = world.victim_for(partner, seen, home)
        seen.append(person)
        victim = world.case(partner, person)
        cases.append(victim)
        if partner != "police":
            continue
        present: set[str] = set()
        for _ in range(rng.choices([0, 1, 2], weights=[3, 5, 2])[0]):
            if len(cases) >= rows:
                break
            reuse = world.suspects and rng.random() < 0.2
            suspect = rng.choice(world.suspects[-12:]) if reuse else world.new_person("suspect")  # a ring: the same few recur
            if suspect.pid not in present:
                present.add(suspect.pid)
                cases.append(world.case(partner, suspect, like=victim))
    return cases


def _write_ground_truth(path: Path, tables: Iterable[Table]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "row", "person_id", "role", "incident_id", "spelling"])
        for table in tables:
            for row, case in enumerate(table.cases, start=1):
                writer.writerow([table.file, row, case.person.pid, case.role, case.incident, case.spelling])


def _write_identifiers(path: Path, tables: Iterable[Table]) -> None:
    document = {
        table.file: [
            {"row": row, "column": column, "type": kind, "value": value}
            for row, identifiers in enumerate(table.identifiers, start=1)
            for column, kind, value in identifiers
        ]
        for table in tables
    }
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
