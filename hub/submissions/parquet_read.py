"""Reading a bundle's Parquet table batch by batch, with its memory bounded by what it holds.

A Parquet file is compressed twice over (pages, and repeated values stored once in a dictionary),
so a few megabytes may decode to gigabytes: 100,000 incidents sharing one 4,000-character
narrative are about 3 MB on the wire and 400 MB as a decoded table. This reader

* checks every known column's stored type from the footer before any data is decoded, and decodes
  only the columns the schema has (a column it lacks is named by position and never read);
* reads ``BATCH_ROWS`` rows at a time with text kept dictionary-encoded, and refuses a cell larger
  than ``MAX_CELL_BYTES`` (or a list of more than ``MAX_LIST_ITEMS``) by row, column and rule,
  before the batch becomes Python values;
* turns equal values into one shared Python object (a repeated narrative costs 8 bytes a row),
  and counts the bytes of *distinct* text against the bundle's budget (``TextBudget``).

Problems name the table, the row (1-based, in file order), the column and the rule — never the value.
"""

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from anonymise import TABLES, TableName

MAX_CELL_BYTES: Final = 16 * 1024
"""The most bytes one text cell may hold: a 4,000-character narrative (the schema's limit) in UTF-8
at up to 4 bytes a character. Every other text field is far shorter."""
MAX_LIST_ITEMS: Final = 64
"""The most items one multi-valued cell may hold (every code list of the schema has fewer kinds)."""
MAX_TEXT_BYTES: Final = 256 * 1024 * 1024
"""Distinct text a bundle may hold in all (``HubSettings.max_bundle_text_bytes`` by default)."""
BATCH_ROWS: Final = 16_384

Columns = dict[str, list[Any]]
Report = Callable[..., None]
"""``Problems.add``: (table, rule, *, row=None, column=None, message=None)."""


@dataclass
class TextBudget:
    """Bytes of distinct text left for one bundle; a value seen before costs nothing."""

    left: int = MAX_TEXT_BYTES

    def spend(self, size: int) -> bool:
        self.left -= size
        return self.left >= 0


class Unreadable(ValueError):
    """The table file is not readable Parquet."""


class OverBudget(ValueError):
    """The bundle holds more distinct text than the hub accepts."""


def unknown_column(position: int) -> str:
    """How a column the schema lacks is named: by its position only (its name is the sender's text)."""
    return f"(column {position}, not in the schema)"


def _is_text(data_type: pa.DataType) -> bool:
    if pa.types.is_dictionary(data_type):
        return _is_text(data_type.value_type)
    return bool(pa.types.is_string(data_type) or pa.types.is_large_string(data_type))


def _oversized(array: pa.Array) -> list[tuple[int, str]]:
    """(0-based row, rule) of every cell over the limits, from Arrow lengths (no Python values made)."""
    found: list[tuple[int, str]] = []
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_dictionary(array.type):
        big = pc.greater(pc.binary_length(array.dictionary), MAX_CELL_BYTES)
        if pc.any(big).as_py():
            bad = set(pc.indices_nonzero(big).to_pylist())
            found += [(row, "cell_too_large") for row, i in enumerate(array.indices.to_pylist()) if i in bad]
        return found
    if _is_text(array.type):
        big = pc.greater(pc.binary_length(array), MAX_CELL_BYTES)
        return [(row, "cell_too_large") for row in pc.indices_nonzero(pc.fill_null(big, False)).to_pylist()]
    if pa.types.is_list(array.type) or pa.types.is_large_list(array.type):
        long = pc.fill_null(pc.greater(pc.list_value_length(array), MAX_LIST_ITEMS), False)
        found += [(row, "list_too_long") for row in pc.indices_nonzero(long).to_pylist()]
        values = pc.list_flatten(array)
        if _is_text(values.type):
            parents = pc.list_parent_indices(array)
            big = pc.fill_null(pc.greater(pc.binary_length(values), MAX_CELL_BYTES), False)
            rows = sorted({parents[i].as_py() for i in pc.indices_nonzero(big).to_pylist()})
            found += [(row, "cell_too_large") for row in rows]
    return found


class _Interner:
    """One shared object per distinct value of a column, each new one charged to the budget."""

    def __init__(self, budget: TextBudget) -> None:
        self.seen: dict[Any, Any] = {}
        self.budget = budget

    def __call__(self, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, list):
            value = tuple(self(v) for v in value)
        known = self.seen.get(value)
        if known is not None:
            return known
        if isinstance(value, str) and not self.budget.spend(len(value.encode())):
            raise OverBudget
        self.seen[value] = value
        return value


def _python(array: pa.Array, intern: _Interner) -> list[Any]:
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_dictionary(array.type):
        values = [intern(v) for v in array.dictionary.to_pylist()]
        return [None if i is None else values[i] for i in array.indices.to_pylist()]
    if _is_text(array.type) or pa.types.is_list(array.type) or pa.types.is_large_list(array.type):
        return [intern(v) for v in array.to_pylist()]
    return array.to_pylist()  # type: ignore[no-any-return]


def open_table(data: bytes) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(io.BytesIO(data))
    except (pa.ArrowException, OSError):
        raise Unreadable from None


def read_table(
    table: TableName, parquet: pq.ParquetFile, data: bytes, report: Report, budget: TextBudget
) -> tuple[Columns, int] | None:
    """The known columns of one table as Python lists (equal values shared), or None after reporting
    each oversized cell. Raises ``Unreadable`` or ``OverBudget``."""
    fields = TABLES[table].model_fields
    schema = parquet.schema_arrow
    names = [n for n in dict.fromkeys(schema.names) if n in fields]
    text = [n for n in names if _is_text(schema.field(n).type)]
    columns: Columns = {name: [] for name in names}
    interners = {name: _Interner(budget) for name in names}
    offset, clean = 0, True
    try:
        reader = pq.ParquetFile(io.BytesIO(data), read_dictionary=text) if text else parquet
        batches = reader.iter_batches(batch_size=BATCH_ROWS, columns=names) if names else iter(())
        for batch in batches:
            for name in names:
                array = batch.column(name)
                for row, rule in _oversized(array):
                    clean = False
                    limit = f"{MAX_LIST_ITEMS} items" if rule == "list_too_long" else f"{MAX_CELL_BYTES} bytes"
                    report(table, rule, row=offset + row + 1, column=name, message=f"the cell holds more than {limit}")
                if clean:
                    columns[name].extend(_python(array, interners[name]))
            offset += batch.num_rows
    except (pa.ArrowException, OSError):
        raise Unreadable from None
    rows = parquet.metadata.num_rows if not names else offset
    return (columns, int(rows)) if clean else None
