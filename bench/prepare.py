"""Rows per second of `msht-client prepare` on a synthetic NGO export with notes, with and without NER.

Baseline, measured in the same run on the same file: a plain CSV read and write (csv module),
which is the floor any preparation pays. The export is the demo NGO layout (UTF-8 with BOM,
comma, a note on every row), generated once and tiled to the requested size with distinct case
references. Each prepare runs in its own process, so its peak memory is its own.

    .venv/bin/python bench/prepare.py              # 100,000 rows
    .venv/bin/python bench/prepare.py --rows 5000  # a quick look
    .venv/bin/python bench/prepare.py --memory     # peak memory of prepare on a ~200 MB export

With ``--memory`` the export is tiled to ``--memory-mb`` megabytes (notes left empty unless
``--notes``, so the run measures holding the tables rather than the scrubber's speed) and one
prepare without NER runs in a child process; its peak RSS is printed beside the file's size.
"""

import argparse
import csv
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from anonymise.keys import generate_linkage_key  # noqa: E402
from anonymise.nlp import ner_model_installed  # noqa: E402
from partner_client.config import ClientSettings, ClientState, save_state  # noqa: E402
from partner_client.demo_data import generate  # noqa: E402
from partner_client.keystore import import_linkage_key, new_signing_key, public_key_b64  # noqa: E402

BASE_ROWS = 5_000


def build_export(directory: Path, rows: int, seed: int, *, megabytes: float | None = None, notes: bool = True) -> Path:
    files = generate(directory / "base", seed=seed, rows=BASE_ROWS if megabytes is not None else min(rows, BASE_ROWS))
    source = files.ngo_cases
    with source.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        base = list(reader)
    out = directory / "ngo_cases_big.csv"
    ref = header.index("Case Ref")
    note = header.index("Case Notes")
    limit = int(megabytes * 1e6) if megabytes is not None else None
    with out.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        n = 0
        while (n < rows) if limit is None else (n % 1000 or handle.tell() < limit):
            row = list(base[n % len(base)])
            row[ref] = f"{row[ref]}-{n // len(base)}"
            if not notes:
                row[note] = ""
            writer.writerow(row)
            n += 1
    (directory / "postcodes.csv").write_bytes(files.postcodes.read_bytes())
    return out


def baseline(path: Path, scratch: Path) -> tuple[int, float]:
    start = time.perf_counter()
    rows = 0
    with path.open(encoding="utf-8-sig", newline="") as src, (scratch / "copy.csv").open("w", newline="") as dst:
        writer = csv.writer(dst)
        for row in csv.reader(src):
            writer.writerow(row)
            rows += 1
    return rows - 1, time.perf_counter() - start


def make_home(home: Path) -> None:
    settings = ClientSettings(home=home)
    key = new_signing_key(settings)
    save_state(settings, ClientState(hub_url="http://127.0.0.1:9", org_id="demo-ngo", kid="bench", hub_public_key=public_key_b64(key)))
    key_file = home.parent / "linkage.key"
    key_file.write_text(generate_linkage_key().hex(), encoding="utf-8")
    import_linkage_key(settings, key_file, 1)


def run_prepare(export: Path, home: Path, out: Path, *, ner: bool) -> float:
    command = [
        str(Path(sys.executable).with_name("msht-client")), "prepare", str(export),
        "--profile", str(REPO / "partner_client" / "profiles" / "ngo_cases.yaml"), "--quarter", "2026Q3",
        "--out", str(out), "--agreement", str(REPO / "policies" / "demo.yaml"), "--home", str(home),
    ]
    if not ner:
        command.append("--no-ner")
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=REPO, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"prepare failed:\n{result.stdout}\n{result.stderr}")
    return elapsed


def memory(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-prepare-memory-") as tmp:
        directory = Path(tmp)
        export = build_export(directory, 0, args.seed, megabytes=args.memory_mb, notes=args.notes)
        with export.open("rb") as handle:
            rows = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 22), b"")) - 1
        make_home(directory / "home")
        size_mb = export.stat().st_size / 1e6
        print(f"export: {rows:,} rows, {size_mb:.1f} MB, {'a note on every row' if args.notes else 'notes empty'}")
        elapsed = run_prepare(export, directory / "home", directory / "out.zip", ner=False)
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        bundle_mb = (directory / "out.zip").stat().st_size / 1e6
        print(f"prepare without NER: {elapsed:.1f} s, {rows / elapsed:,.0f} rows/s, bundle {bundle_mb:.1f} MB")
        print(f"peak RSS {peak:,.0f} MB for a {size_mb:.0f} MB export ({peak / size_mb:.1f}× the file); limit 2,048 MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-ner", action="store_true", help="time prepare without NER only")
    parser.add_argument("--memory", action="store_true", help="peak memory of one prepare on a large export")
    parser.add_argument("--memory-mb", type=float, default=200.0, help="size of the --memory export")
    parser.add_argument("--notes", action="store_true", help="with --memory: keep a note on every row")
    args = parser.parse_args()
    if args.memory:
        memory(args)
        return
    with tempfile.TemporaryDirectory(prefix="bench-prepare-") as tmp:
        directory = Path(tmp)
        export = build_export(directory, args.rows, args.seed)
        size_mb = export.stat().st_size / 1e6
        make_home(directory / "home")
        rows, seconds = baseline(export, directory)
        print(f"export: {rows:,} rows, {size_mb:.1f} MB, a note on every row")
        print(f"{'run':<34}{'seconds':>10}{'rows/s':>12}{'× baseline':>12}")
        print(f"{'baseline: csv read + write':<34}{seconds:>10.2f}{rows / seconds:>12,.0f}{1:>12.2f}")
        runs = [("prepare without NER (--no-ner)", False)]
        if args.skip_ner:
            print("prepare with NER: skipped (--skip-ner)")
        elif ner_model_installed():
            runs.append(("prepare with NER (spaCy)", True))
        else:
            print("prepare with NER: skipped, the ner extra is not installed")
        for label, ner in runs:
            elapsed = run_prepare(export, directory / "home", directory / f"out-{ner}.zip", ner=ner)
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            print(f"{label:<34}{elapsed:>10.2f}{rows / elapsed:>12,.0f}{seconds / elapsed:>12.3f}   peak RSS so far {peak:,.0f} MB")


if __name__ == "__main__":
    main()
