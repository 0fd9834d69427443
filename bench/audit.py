"""Benchmark the disclosure audit on the demo data: the first London question with the audit on the question, against audits computed ahead.

Works on a copy of the SQLite database `msht-hub demo` leaves (`--workdir`, default var/demo),
whose agreement opens every borough's detail to the pan-London analyst. In one run:

1. **baseline**: no hide set stored; the analyst's first London overview computes its audits on
   the question (this quarter's, and those of the quarters its changes compare with);
2. **ahead**: every pending audit computed as the worker does after an upload
   (`precompute.run_pending`: every viewer class x every quarter), timed; then the analyst's
   first London overview, reading the stored hide sets;
3. **after one upload**: one submission of the latest quarter has its summaries written again
   (as a new upload of that quarter does), and the pending audits are timed again: only that
   quarter's are due.

    make demo DEMO_ARGS=--check                      # once, leaves var/demo/hub.db
    nice -n 10 flock /work/locks/bench .venv/bin/python bench/audit.py
"""

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import delete, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from hub.auth.principal import principal_for  # noqa: E402
from hub.db import make_engine, make_sessionmaker, session_scope  # noqa: E402
from hub.models import HubState, Submission, User  # noqa: E402
from hub.records import summaries  # noqa: E402
from hub.statistics import hidesets, precompute, service  # noqa: E402


def _forget_copies() -> None:
    hidesets.forget_copies()


def _first_london(scope: Callable[[], Iterator[Session]]) -> tuple[float, str | None]:
    _forget_copies()
    with session_scope_cm(scope) as s:
        analyst = principal_for(s, s.scalars(select(User).where(User.username == "analyst")).one())
        started = time.perf_counter()
        answer = service.overview(s, analyst, "london")
        return time.perf_counter() - started, answer.quarter


def session_scope_cm(scope: Callable[[], Iterator[Session]]) -> AbstractContextManager[Session]:
    return contextmanager(scope)()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workdir", type=Path, default=ROOT / "var" / "demo")
    args = parser.parse_args()
    source = args.workdir / "hub.db"
    if not source.exists():
        sys.exit(f"{source} not found: run `make demo DEMO_ARGS=--check` first")
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "hub.db"
        shutil.copy(source, db)
        url = f"sqlite:///{db}"
        writer, reader = make_engine(url), make_engine(url, reader=True)
        write = lambda: session_scope(make_sessionmaker(writer))  # noqa: E731
        read = lambda: session_scope(make_sessionmaker(reader))  # noqa: E731
        with session_scope_cm(write) as s:
            s.execute(delete(HubState).where(HubState.name.startswith(hidesets.PREFIX) | HubState.name.startswith(hidesets.CLAIM)))
            classes = len({p.org_id + p.role for p in precompute.principals(s)})
            quarters = sorted(set(s.scalars(select(Submission.quarter).where(Submission.status == "active"))))
        print(f"demo data: {source}, {len(quarters)} quarters, {classes} (organisation, role) accounts; load {os.getloadavg()[0]:.1f}")

        baseline, quarter = _first_london(write)
        print(f"baseline  first London overview, analyst (every borough), audit on the question: {baseline:8.2f} s ({quarter})")
        with session_scope_cm(write) as s:  # back to nothing stored
            s.execute(delete(HubState).where(HubState.name.startswith(hidesets.PREFIX)))
        _forget_copies()

        started = time.perf_counter()
        result = precompute.run_pending(read, write)
        ahead = time.perf_counter() - started
        print(f"ahead     every hide set computed after the uploads (worker): {ahead:8.2f} s "
              f"({result.computed} audits: viewer classes x quarters)")
        first, _ = _first_london(write)
        print(f"ahead     first London overview, analyst, hide sets stored:   {first:8.2f} s "
              f"({baseline / first:.0f}x faster than the baseline)")

        with session_scope_cm(write) as s:
            latest = s.scalars(select(Submission.id).where(Submission.status == "active", Submission.quarter == quarters[-1])).first()
            assert latest is not None
            summaries.refresh(s, [latest])  # as a new upload of that quarter writes its summaries
        started = time.perf_counter()
        again = precompute.run_pending(read, write)
        one = time.perf_counter() - started
        print(f"upload    hide sets after one upload of {quarters[-1]}: {one:8.2f} s ({again.computed} audits; "
              f"{again.up_to_date} other quarters' kept) against {ahead:.2f} s for all")
        print(f"load average at the end: {os.getloadavg()[0]:.1f}")
        writer.dispose()
        reader.dispose()


if __name__ == "__main__":
    main()
