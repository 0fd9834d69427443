"""Builds anonymise/data/{forenames,surnames,words,places}.txt.gz from the vendored sources beside this file.

    .venv/bin/python vendor/lexicon/build.py

Sources and licences: vendor/lexicon/README.md. Every entry is folded (NFKC, accents stripped,
case folded; anonymise.normalise.fold) and written one per line, sorted, gzip without a time
stamp, so a rebuild gives the same bytes.
"""

import csv
import gzip
import io
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from anonymise.normalise import fold  # noqa: E402

HERE = Path(__file__).resolve().parent
OUT = ROOT / "anonymise" / "data"
WORD = re.compile(r"[a-z]+(?:['’-][a-z]+)*")


def _lines(name: str) -> list[str]:
    with gzip.open(HERE / name, "rt", encoding="utf-8-sig") as f:
        return f.read().splitlines()


def _tokens(name: str) -> set[str]:
    return {t for t in re.split(r"[\s'’-]+", fold(name)) if len(t) >= 2 and t.isalpha()}


def forenames() -> set[str]:
    names: set[str] = set()
    for row in csv.DictReader(io.StringIO("\n".join(_lines("sigpwned-forenames-by-country.csv.gz")))):
        names |= _tokens(row["Romanized Name"]) | _tokens(row["Localized Name"])
    for file in ("census1990-dist.female.first.gz", "census1990-dist.male.first.gz"):
        names |= {fold(line.split()[0]) for line in _lines(file) if line.strip()}
    return names


def surnames() -> list[str]:
    """``name rank``: rank 0 for the by-country lists, the census rank (1 = Smith) otherwise."""
    ranks: dict[str, int] = {}
    for row in csv.DictReader(io.StringIO("\n".join(_lines("sigpwned-surnames-by-country.csv.gz")))):
        for name in _tokens(row["Romanized Name"]) | _tokens(row["Localized Name"]):
            ranks[name] = 0
    # 1990 US census: ~89,000 surnames with their rank; the lexicon decides how far down to trust it.
    for line in _lines("census1990-dist.all.last.gz"):
        if line.strip():
            name, _, _, rank = line.split()
            ranks.setdefault(fold(name), int(rank))
    return sorted(f"{n} {r}" for n, r in ranks.items() if n.isalpha())


def words() -> list[str]:
    """SCOWL's British list: ``w`` lower-case entries (ordinary words), ``P`` capitalised-only ones (proper nouns)."""
    lower: set[str] = set()
    proper: set[str] = set()
    for line in _lines("scowl-british-english.txt.gz"):
        word = line.removesuffix("'s")
        if not word or not word.isalpha():
            continue
        (lower if word[0].islower() else proper).add(fold(word))
    return sorted({f"w {w}" for w in lower} | {f"P {w}" for w in proper - lower})


def places() -> list[str]:
    """Place names, folded, one per line: GeoNames' British places of 5,000 people or more and the
    world's cities of 150,000 or more outside East Asia, Nigeria and Ghana (where romanised city names
    are given names or surnames too); ``anonymise.namewords`` keeps only those that no name list holds."""
    rows = _lines("geonames-places.tsv.gz")[1:]
    return sorted({" ".join(fold(row.split("\t")[2]).replace("-", " ").split()) for row in rows if row.strip()})


def _write(name: str, entries: list[str]) -> None:
    OUT.mkdir(exist_ok=True)
    data = ("\n".join(entries) + "\n").encode()
    with open(OUT / name, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as f:
        f.write(data)
    print(f"{name}: {len(entries)} entries")  # noqa: T201 - a build script


if __name__ == "__main__":
    _write("forenames.txt.gz", sorted(forenames()))
    _write("surnames.txt.gz", surnames())
    _write("words.txt.gz", words())
    _write("places.txt.gz", places())
