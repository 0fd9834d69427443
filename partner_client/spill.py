"""Chunks of prepared rows kept on disk between passes, so a large export never sits in memory whole.

Everything lives in one private temporary directory (0700, created by :class:`Workspace`) that is
removed when the run ends, however it ends. Only anonymised values are spilled (pseudonyms, codes,
months, cells, scrubbed notes); raw cells are never written.
"""

import json
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Final

import pyarrow as pa
import pyarrow.parquet as pq

from anonymise.bundle import arrow_schema, dumped_to_arrow
from anonymise.schema import TableName


class Workspace:
    """A private temporary directory, removed on exit (also after an error or Ctrl-C)."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="msht-prepare-"))

    def __enter__(self) -> "Workspace":
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


class Spill:
    """Chunks (lists of JSON values) written one per file, read back in the order written.

    The first chunk stays in memory (an export of one chunk never touches the disk); memory
    stays bounded by one chunk.
    """

    def __init__(self, directory: Path, name: str) -> None:
        self.directory = directory
        self.name = name
        self.files: list[Path] = []
        self._first: list[Any] | None = None

    def write(self, chunk: list[Any]) -> None:
        if self._first is None and not self.files:
            self._first = chunk
            return
        path = self.directory / f"{self.name}-{len(self.files):05d}.json"
        with path.open("w", encoding="utf-8") as handle:
            # dumps, not dump: only the one-shot encoder is the C one.
            handle.write(json.dumps(chunk, ensure_ascii=False, separators=(",", ":")))
        self.files.append(path)

    def __iter__(self) -> Iterator[list[Any]]:
        if self._first is not None:
            yield self._first
        for path in self.files:
            with path.open(encoding="utf-8") as handle:
                chunk: list[Any] = json.load(handle)
            yield chunk

    def remove(self) -> None:
        self._first = None
        for path in self.files:
            path.unlink(missing_ok=True)
        self.files = []


ROW_GROUP_ROWS: Final = 200_000
"""Rows buffered (as Arrow, compactly) per Parquet row group: small groups compress worse."""


class TableFiles:
    """One Parquet writer per table, fed chunk by chunk with dumped records."""

    def __init__(self, directory: Path, tables: tuple[TableName, ...]) -> None:
        self.paths = {table: directory / f"{table}.parquet" for table in tables}
        self.counts = dict.fromkeys(tables, 0)
        self._writers = {
            table: pq.ParquetWriter(str(path), arrow_schema(table), compression="zstd")
            for table, path in self.paths.items()
        }
        self._buffered: dict[TableName, list[pa.Table]] = {table: [] for table in tables}

    def write(self, table: TableName, dumped: list[dict[str, Any]]) -> None:
        if dumped:
            self._buffered[table].append(dumped_to_arrow(table, dumped))
            self.counts[table] += len(dumped)
            if sum(t.num_rows for t in self._buffered[table]) >= ROW_GROUP_ROWS:
                self._flush(table)

    def _flush(self, table: TableName) -> None:
        if self._buffered[table]:
            combined = pa.concat_tables(self._buffered[table])
            self._buffered[table] = []
            self._writers[table].write_table(combined, row_group_size=max(combined.num_rows, 1))

    def close(self) -> None:
        for table, writer in self._writers.items():
            try:
                self._flush(table)
            finally:
                writer.close()
