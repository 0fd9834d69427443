"""Where an upload's time and memory go: per named ingest stage, by wrapping the hub's own functions.

Used by ``bench/ingest.py --repeat`` (seconds) and ``bench/upload_memory.py --stages`` (resident
memory). Each stage is a module attribute the ingest path calls through its module
(``records.insert_rows``, ``increments.ingest``...), so wrapping the attribute times every call.
Stages nest (alerts may call the audit); seconds are summed per stage, not subtracted from a caller.
"""

import importlib
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

STAGES: dict[str, tuple[str, str]] = {
    "open (bundle)": ("hub.submissions.service", "open_bundle"),
    "validate (check rows)": ("hub.submissions.service", "check_rows"),
    "prepare (re-key rows)": ("hub.submissions.ingest", "prepare_rows"),
    "copy (insert rows)": ("hub.records.store", "insert_rows"),
    "analyze": ("hub.records.store", "analyze"),
    "relink (increments.ingest)": ("hub.records.increments", "ingest"),
    "networks (update)": ("hub.records.networks", "update"),
    "summaries (refresh)": ("hub.records.summaries", "refresh"),
    "alerts (refresh)": ("hub.alerts.links", "refresh"),
    "audit (record)": ("hub.audit", "record"),
}


class Stages:
    """Seconds per stage, and the stack of stages running now (innermost last)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.running: list[str] = []
        self.on_exit: Callable[[str], None] | None = None

    def now(self) -> str:
        return self.running[-1] if self.running else "(between stages)"


@contextmanager
def staged() -> Iterator[Stages]:
    """Track the stages while the block runs; the functions are restored after."""
    stages = Stages()
    saved: list[tuple[Any, str, Callable[..., Any]]] = []
    for label, (module_name, attribute) in STAGES.items():
        module = importlib.import_module(module_name)
        original = getattr(module, attribute, None)
        if original is None:  # a stage another branch renamed: not tracked, not fatal
            continue

        def wrapper(*args: Any, _original: Callable[..., Any] = original, _label: str = label, **kwargs: Any) -> Any:
            stages.running.append(_label)
            start = time.perf_counter()
            try:
                return _original(*args, **kwargs)
            finally:
                stages.seconds[_label] += time.perf_counter() - start
                stages.running.pop()
                if stages.on_exit is not None:
                    stages.on_exit(_label)

        setattr(module, attribute, wrapper)
        saved.append((module, attribute, original))
    try:
        yield stages
    finally:
        for module, attribute, original in saved:
            setattr(module, attribute, original)


def line(seconds: dict[str, float], total: float) -> str:
    parts = [f"{label.split(' ')[0]} {value:.1f}" for label, value in seconds.items()]
    return ", ".join(parts) + f" s (of {total:.1f})"
