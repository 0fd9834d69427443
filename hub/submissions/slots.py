"""How many uploads one hub process checks and stores at once.

Each upload holds its bundle and its validated columns in memory (bounded per upload by
:mod:`hub.submissions.parquet_read`); a bounded semaphore bounds the process. An upload waits
for a slot at most ``ingest_queue_wait_seconds``, then is answered 503 with Retry-After. The slot
is taken before the body is read, so waiting uploads hold no bundle. Across processes, uploads of
one quarter are serialised by the quarter's database lock (``service._lock_quarter``).
"""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from hub.errors import Busy

log = logging.getLogger(__name__)


class IngestSlots:
    """``size`` uploads at once; the others wait a bounded time."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._free = threading.BoundedSemaphore(size)

    def acquire(self, wait_seconds: float) -> None:
        """Take a slot within ``wait_seconds`` or raise :class:`Busy` (503, Retry-After)."""
        if not self._free.acquire(timeout=wait_seconds):
            log.info("an upload waited %ss for one of %d ingest slots; answered 503", wait_seconds, self.size)
            raise Busy("the hub is storing other uploads; try again shortly", retry_after=max(5, int(wait_seconds)))

    def release(self) -> None:
        self._free.release()

    @contextmanager
    def hold(self, wait_seconds: float) -> Iterator[None]:
        self.acquire(wait_seconds)
        try:
            yield
        finally:
            self.release()
