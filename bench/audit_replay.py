"""Replay the disclosure audit's integer programs: every ``protect`` problem the demo's audits pose, timed, same answers.

``bench/audit.py`` times the whole audit (building each viewer's constraints from the summaries,
then ``anonymise.intervals.protect``). This isolates the second part, which is most of it:

1. ``--capture DIR``: on a copy of the SQLite database `msht-hub demo` leaves, every pending
   audit is computed as the worker does (``precompute.run_pending``), and each problem handed to
   ``protect`` (windows, lines, small cells) is written to DIR with the hide set it returned;
2. ``--replay DIR`` (default): each problem is solved again, once by ``protect`` and once by the
   baseline in the same run: ``protect(shortcuts=False)`` (every interval solved from scratch
   each round), or with ``--against FILE`` another copy of ``intervals.py`` (an earlier
   commit's); every hide set must equal the one captured.

    make demo DEMO_ARGS=--check                      # once, leaves var/demo/hub.db
    .venv/bin/python bench/audit_replay.py --capture var/audit-problems
    git show HEAD~1:anonymise/intervals.py > /tmp/intervals_before.py
    nice -n 10 flock /work/locks/bench .venv/bin/python bench/audit_replay.py --against /tmp/intervals_before.py
"""

import argparse
import gzip
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from anonymise.intervals import Line, protect  # noqa: E402


def _capture(workdir: Path, out: Path) -> None:
    from contextlib import contextmanager

    from sqlalchemy import delete

    from hub.db import make_engine, make_sessionmaker, session_scope
    from hub.models import HubState
    from hub.statistics import hidesets, linked, precompute

    source = workdir / "hub.db"
    if not source.exists():
        sys.exit(f"{source} not found: run `make demo DEMO_ARGS=--check` first")
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    original = linked.protect

    def recording(bounds: Any, lines: Any, small: Any, true: Any, **kw: Any) -> list[int]:
        nonlocal count
        hidden = original(bounds, lines, small, true, **kw)
        problem = {
            "bounds": [list(b) for b in bounds],
            "lines": [[list(line.members), line.total] for line in lines],
            "small": list(small),
            "true": list(true),
            "hidden": hidden,
        }
        with gzip.open(out / f"{count:04d}.json.gz", "wt") as f:
            json.dump(problem, f)
        count += 1
        return hidden

    linked.protect = recording  # type: ignore[assignment]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "hub.db"
        shutil.copy(source, db)
        url = f"sqlite:///{db}"
        writer, reader = make_engine(url), make_engine(url, reader=True)
        write = lambda: session_scope(make_sessionmaker(writer))  # noqa: E731
        read = lambda: session_scope(make_sessionmaker(reader))  # noqa: E731
        with contextmanager(write)() as s:
            s.execute(delete(HubState).where(HubState.name.startswith(hidesets.PREFIX) | HubState.name.startswith(hidesets.CLAIM)))
        hidesets.forget_copies()
        started = time.perf_counter()
        precompute.run_pending(read, write)
        print(f"captured {count} problems in {time.perf_counter() - started:.1f} s (load {os.getloadavg()[0]:.1f}) to {out}")
        writer.dispose()
        reader.dispose()


def _against(path: Path | None) -> Any:
    """``protect`` from another copy of ``anonymise/intervals.py`` (e.g. the last commit's, from
    ``git show HEAD~1:anonymise/intervals.py``), or, with none, this one without its shortcuts."""
    if path is None:
        return lambda *a, **kw: protect(*a, **kw, shortcuts=False)
    import importlib.util

    spec = importlib.util.spec_from_file_location("intervals_before", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.protect


def _replay(folder: Path, against: Path | None) -> None:
    files = sorted(folder.glob("*.json.gz"))
    if not files:
        sys.exit(f"no problems in {folder}: run with --capture first")
    baseline = _against(against)
    print(f"{len(files)} problems from {folder}; baseline {against or 'no shortcuts'}; load {os.getloadavg()[0]:.1f}")
    totals = {"shortcuts": 0.0, "baseline": 0.0}
    worst: list[tuple[float, float, str]] = []
    for path in files:
        with gzip.open(path, "rt") as f:
            p = json.load(f)
        bounds = [(lo, hi) for lo, hi in p["bounds"]]
        lines = [Line(tuple(m), t) for m, t in p["lines"]]
        times = {}
        for mode in ("shortcuts", "baseline"):
            solve = protect if mode == "shortcuts" else baseline
            started = time.perf_counter()
            got = solve(bounds, lines, p["small"], p["true"])
            times[mode] = time.perf_counter() - started
            totals[mode] += times[mode]
            if got != p["hidden"]:
                sys.exit(f"{path.name}: {mode} hid {len(got)} cells, the capture {len(p['hidden'])}: hide sets differ")
        worst.append((times["baseline"], times["shortcuts"], path.name))
        print(f"  {path.name}: {len(bounds)} cells, {len(lines)} lines, {len(p['small'])} small, {len(got)} hidden: "
              f"baseline {times['baseline']:.2f} s, protect {times['shortcuts']:.2f} s", flush=True)
    for base, fast, name in sorted(worst, reverse=True)[:3]:
        print(f"slowest {name}: baseline {base:7.2f} s  protect {fast:7.2f} s  ({base / max(fast, 1e-9):.1f}x)")
    print(f"all {len(files)}: baseline {totals['baseline']:.1f} s, protect {totals['shortcuts']:.1f} s "
          f"({totals['baseline'] / max(totals['shortcuts'], 1e-9):.1f}x); every hide set equal to the capture; "
          f"load at the end {os.getloadavg()[0]:.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "demo")
    parser.add_argument("--capture", type=Path, help="write the demo's problems here")
    parser.add_argument("--replay", type=Path, default=ROOT / "var" / "audit-problems")
    parser.add_argument("--against", type=Path, help="the baseline: protect() from this copy of intervals.py")
    args = parser.parse_args()
    if args.capture:
        _capture(args.workdir, args.capture)
    else:
        _replay(args.replay, args.against)


if __name__ == "__main__":
    main()
