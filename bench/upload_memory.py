"""Hub memory under hostile uploads: a real ``msht-hub serve`` process, its RSS measured.

    .venv/bin/python bench/upload_memory.py [--rows 100000]
    .venv/bin/python bench/upload_memory.py --stages     # where one Parquet bomb's memory goes, in-process

Two bundles, each sent once and then twice at once, by a partner with valid upload tokens:

* a zip bomb: about 1 MB whose ``incidents.parquet`` member inflates to 1 GiB of zeros;
* a Parquet bomb: ``--rows`` incidents (100,000: about 3 MB) sharing one 4,000-character narrative.

For each case the hub's peak resident memory (Linux ``VmHWM``, reset through
``/proc/PID/clear_refs`` before each case) is printed beside the idle hub's RSS measured in the
same run, after one small upload has warmed it. Targets (issue 17, M3): one upload < 200 MB over
idle, two at once < 400 MB. The hub runs on SQLite in a temporary directory with its default
settings (``max_concurrent_ingests`` 2).

``--stages`` receives one Parquet bomb in this process instead (SQLite, the hub's own
``service.receive``) and prints, per ingest stage (``bench/stages.py``), the peak RSS reached
while it ran (``VmRSS`` sampled every 10 ms) and the RSS and Arrow pool bytes when it ended,
each over this process's RSS just before the upload.
"""

import argparse
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from anonymise import TABLES  # noqa: E402
from hub.db import make_engine, make_sessionmaker, migrate  # noqa: E402
from tests.factories import (  # noqa: E402
    FakePartner,
    add_agreement,
    add_partner,
    make_tables,
    raw_bundle,
    record_rows,
)
from tests.hubs import serve_processes  # noqa: E402

NARRATIVE = ("the worker said the shifts were long and the pay was kept back by the person in charge. " * 45)[:4000]
MB = 1_000_000


def zip_bomb() -> bytes:
    """Every member a bundle holds; ``incidents.parquet`` deflates 1 GiB of zeros to about 1 MB."""
    path = Path(tempfile.mkstemp(suffix=".zip")[1])
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name in ["manifest.json", "manifest.sig", *(f"{t}.parquet" for t in TABLES)]:
            with archive.open(name, "w", force_zip64=True) as member:
                if name == "incidents.parquet":
                    block = bytes(1 << 20)
                    for _ in range(1024):
                        member.write(block)
                else:
                    member.write(b"{}")
    data = path.read_bytes()
    path.unlink()
    return data


def parquet_bomb(partner: FakePartner, rows: int, quarter_tag: int) -> bytes:
    template = record_rows(make_tables(1, seed=quarter_tag)["incidents"])[0]
    incidents = [template | {"incident_pid": f"{template['incident_pid'][:-8]}{i:08x}", "narrative": NARRATIVE}
                 for i in range(rows)]
    return raw_bundle(partner, {"incidents": incidents})


def rss(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} for process {pid}")


def reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def send(base: str, partner: FakePartner, body: bytes, out: list[Any]) -> None:
    started = time.perf_counter()
    response = httpx.post(f"{base}/api/v1/submissions", content=body, timeout=600,
                          headers={"Authorization": f"Bearer {partner.token(bundle=body)}", "Content-Type": "application/zip"})
    error = response.json().get("error", "") if response.status_code >= 400 else ""
    rules = sorted({p.get("rule") for p in response.json().get("problems", [])}) if response.status_code >= 400 else []
    out.append((response.status_code, error, rules, time.perf_counter() - started))


def case(name: str, base: str, pid: int, idle: int, partner: FakePartner, bodies: list[bytes], target: int) -> bool:
    reset_peak(pid)
    results: list[Any] = []
    threads = [threading.Thread(target=send, args=(base, partner, body, results)) for body in bodies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    peak = rss(pid, "VmHWM")
    over = peak - idle
    ok = over < target
    answers = ", ".join(f"{status} {error or ''}{' ' + '/'.join(rules) if rules else ''} in {secs:.1f} s"
                        for status, error, rules, secs in results)
    size = sum(len(b) for b in bodies) / len(bodies) / MB
    print(f"{name:<30} {len(bodies)} x {size:4.2f} MB  peak {peak / MB:7.0f} MB  over idle {over / MB:6.0f} MB "
          f"(target < {target // MB} MB) {'PASS' if ok else 'FAIL'}  [{answers}]", flush=True)
    return ok


def _hub_with_partner(directory: Path) -> tuple[str, FakePartner]:
    """A migrated SQLite hub in ``directory`` with one partner in one agreement."""
    url = f"sqlite:///{directory / 'hub.db'}"
    migrate(url)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session, session.begin():
        partner = add_partner(session, "ngo-one")
        add_agreement(session, ["ngo-one"])
    engine.dispose()
    return url, partner


def stage_memory(rows: int) -> None:
    """One Parquet bomb received in a fresh process (built here, so its making costs that process nothing)."""
    import subprocess

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        _, partner = _hub_with_partner(directory)
        for name, body in (("warm", partner.bundle(make_tables(3))), ("bomb", parquet_bomb(partner, rows, 1))):
            (directory / f"{name}.zip").write_bytes(body)
            (directory / f"{name}.token").write_text(partner.token(bundle=body))
        subprocess.run([sys.executable, __file__, "--stages-in", str(directory)], check=True)


def _receive_staged(directory: Path) -> None:
    import os

    import pyarrow as pa

    from bench.stages import staged
    from hub.secrets import load_secrets
    from hub.submissions import service
    from tests.hubs import make_settings

    pid = os.getpid()
    url = f"sqlite:///{directory / 'hub.db'}"
    settings = make_settings(url, directory)
    secrets = load_secrets(settings)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    with sessions() as session, session.begin():
        service.receive(session, settings, secrets, (directory / "warm.token").read_text(), (directory / "warm.zip").read_bytes())
    body, token = (directory / "bomb.zip").read_bytes(), (directory / "bomb.token").read_text()
    time.sleep(0.5)
    base = rss(pid, "VmRSS")
    peaks: dict[str, int] = {}
    ends: list[tuple[str, int, int]] = []
    done = threading.Event()
    with staged() as stages:
        def sample() -> None:
            while not done.is_set():
                now = stages.now()
                peaks[now] = max(peaks.get(now, 0), rss(pid, "VmRSS"))
                time.sleep(0.01)

        stages.on_exit = lambda label: ends.append((label, rss(pid, "VmRSS"), pa.total_allocated_bytes()))
        sampler = threading.Thread(target=sample)
        sampler.start()
        with sessions() as session, session.begin():
            assert service.receive(session, settings, secrets, token, body).created
        done.set()
        sampler.join()
    engine.dispose()
    print(f"one Parquet bomb ({len(body) / MB:.2f} MB) received in a fresh process on SQLite; RSS before {base / MB:.0f} MB, "
          f"peak over it {(max(peaks.values()) - base) / MB:.0f} MB, peak over it (VmHWM) {(rss(pid, 'VmHWM') - base) / MB:.0f} MB")
    for label, peak in peaks.items():
        print(f"  {label:<30} peak while running  +{(peak - base) / MB:5.0f} MB  ({stages.seconds.get(label, 0):.1f} s)")
    seen: set[str] = set()
    for label, resident, arrow in ends:
        if label not in seen or label.startswith("copy"):
            print(f"  after {label:<28} RSS +{(resident - base) / MB:5.0f} MB  Arrow pool {arrow / MB:5.1f} MB")
        seen.add(label)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--stages", action="store_true", help="one Parquet bomb in-process, memory per ingest stage")
    parser.add_argument("--stages-in", type=Path, help=argparse.SUPPRESS)  # the fresh process of --stages
    args = parser.parse_args()
    if args.stages_in:
        _receive_staged(args.stages_in)
        return
    if args.stages:
        stage_memory(args.rows)
        return
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        url, partner = _hub_with_partner(directory)
        started = time.perf_counter()
        zbomb = zip_bomb()
        pbombs = [parquet_bomb(partner, args.rows, tag) for tag in (1, 2, 3)]
        print(f"bundles built in {time.perf_counter() - started:.0f} s: zip bomb {len(zbomb) / MB:.2f} MB, "
              f"Parquet bomb {len(pbombs[0]) / MB:.2f} MB ({args.rows} incidents, one narrative)", flush=True)
        with serve_processes(url, directory, n=1) as (base,):
            pid = _server_pid(base)
            warm: list[Any] = []
            send(base, partner, partner.bundle(make_tables(3)), warm)
            time.sleep(1)
            idle = rss(pid, "VmRSS")
            print(f"idle hub (after one small upload)  RSS {idle / MB:.0f} MB", flush=True)
            ok = [
                case("zip bomb", base, pid, idle, partner, [zbomb], 200 * MB),
                case("zip bomb, two at once", base, pid, idle, partner, [zbomb, zbomb], 400 * MB),
                case("Parquet bomb", base, pid, idle, partner, pbombs[:1], 200 * MB),
                case("Parquet bomb, two at once", base, pid, idle, partner, pbombs[1:], 400 * MB),
            ]
        print("all within bounds" if all(ok) else "OVER A BOUND")


def _server_pid(base: str) -> int:
    """The pid of the process listening on ``base``'s port (from /proc/net/tcp and each process's fds)."""
    port = int(base.rsplit(":", 1)[1])
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "0A":
            inodes.add(fields[9])
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                target = str(fd.readlink())
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    return int(proc.name)
        except OSError:
            continue
    raise RuntimeError("no process listens on the hub's port")


if __name__ == "__main__":
    main()
