"""Checking a bundle's rows: every value of every row against the common schema, then across rows.

Validation is column-wise: each column's *distinct* values are validated once with the schema
field's own type (annotation, constraints and validators, exactly as the record model applies
them), and every row holding an invalid value is reported. Record models have no rule that
spans fields, so this accepts exactly the rows the models accept (a property test checks it),
at a fraction of the cost of building a model per row.

Problems name the table, the row (1-based, in file order), the column and the rule broken —
never the value. The list is capped; the total says how many there were.
"""

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final

import h3
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import TypeAdapter, ValidationError

from anonymise import TABLES, Manifest, OpenedBundle, TableName, arrow_schema
from hub.submissions import memory
from hub.submissions.parquet_read import (
    MAX_TEXT_BYTES,
    OverBudget,
    TextBudget,
    Unreadable,
    open_table,
    read_table,
    unknown_column,
)

MAX_PROBLEMS: Final = 200
_COLUMN_ADAPTERS: Final[dict[str, dict[str, TypeAdapter[list[Any]]]]] = {
    table: {
        name: TypeAdapter(list[info.rebuild_annotation()])  # type: ignore[misc,arg-type]
        for name, info in model.model_fields.items()
    }
    for table, model in TABLES.items()
}

Columns = dict[str, list[Any]]
"""A table as columns of database-ready values (enum codes as strings, multi-valued as tuples)."""


@dataclass
class Problems:
    """Every problem found, the first ``MAX_PROBLEMS`` kept in full."""

    items: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0

    def add(
        self,
        table: str | None,
        rule: str,
        *,
        row: int | None = None,
        column: str | None = None,
        message: str | None = None,
    ) -> None:
        self.total += 1
        if len(self.items) < MAX_PROBLEMS:
            problem: dict[str, Any] = {"table": table, "row": row, "column": column, "rule": rule}
            if message:
                problem["message"] = message
            self.items.append(problem)

    def __bool__(self) -> bool:
        return self.total > 0


@dataclass(frozen=True)
class ValidTables:
    """Every table of a checked bundle, as columns of validated, database-ready values."""

    columns: dict[str, Columns]
    rows: dict[str, int]

    def counts(self) -> dict[str, int]:
        return dict(self.rows)


KEYS_PER_PERSON: Final = 32
"""``person_keys`` may hold this many rows per allowed person row (about 18 kinds, some with several values)."""


def row_counts(bundle: OpenedBundle, *, max_rows: int, problems: Problems) -> dict[TableName, int]:
    """Rows per table from the Parquet footers, checked against the manifest and the hub's limit."""
    counts: dict[TableName, int] = {}
    for table in TABLES:
        try:
            rows = pq.ParquetFile(io.BytesIO(bundle.tables[f"{table}.parquet"])).metadata.num_rows
        except (pa.ArrowException, OSError):
            problems.add(table, "unreadable_parquet", message="the table file is not readable Parquet")
            continue
        counts[table] = int(rows)
        limit = max_rows * KEYS_PER_PERSON if table == "person_keys" else max_rows
        if rows > limit:
            problems.add(table, "row_limit", message=f"more than {limit} rows")
        if bundle.manifest.record_counts.get(table) != rows:
            problems.add(table, "count_mismatch", message="row count differs from the manifest")
    if set(bundle.manifest.record_counts) - set(TABLES):
        problems.add(None, "unknown_table", message="the manifest counts a table the schema does not have")
    return counts


def _kind(data_type: pa.DataType) -> str:
    if pa.types.is_integer(data_type):
        return "integer"
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        return "text"
    if pa.types.is_dictionary(data_type):
        return _kind(data_type.value_type)
    if pa.types.is_list(data_type) or pa.types.is_large_list(data_type):
        inner = _kind(data_type.value_type)
        return "list of text" if inner in ("text", "empty") else "other"
    if pa.types.is_null(data_type):
        return "empty"
    return "other"


def check_types(table: TableName, schema: pa.Schema, problems: Problems) -> bool:
    """Every known column stored with the Parquet type the schema writes: no coercion (a person_seq
    sent as text, an h3_resolution as a float, a flag as a boolean is refused, not converted)."""
    expected = {f.name: _kind(f.type) for f in arrow_schema(table)}
    ok = True
    for name, data_type in zip(schema.names, schema.types, strict=True):
        want = expected.get(name)
        got = _kind(data_type)
        if want is not None and got not in (want, "empty"):
            problems.add(table, "column_type", column=name, message=f"stored as {got} where the schema needs {want}")
            ok = False
    return ok


def _db_value(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return tuple(v.value if isinstance(v, Enum) else v for v in value)
    return value


def _plain(value: object) -> bool:
    if value is None or type(value) is str:
        return True
    return type(value) is tuple and all(type(v) is str for v in value)


def _validate_column(
    table: str, name: str, values: list[Any], found: list[tuple[int, str, str, str]]
) -> list[Any] | None:
    """Database-ready values of one column, or None after adding each bad row to ``found``."""
    adapter = _COLUMN_ADAPTERS[table][name]
    listed = isinstance(next((v for v in values if v is not None), None), list)
    keys = [tuple(v) if isinstance(v, list) else v for v in values] if listed else values
    try:
        distinct = list(dict.fromkeys(keys))
    except TypeError:  # an unhashable value (a nested structure): validate row by row
        distinct = keys = list(keys)
    try:
        valid = adapter.validate_python(distinct)
    except ValidationError as exc:
        bad: dict[int, list[tuple[str, str]]] = {}
        for error in exc.errors(include_url=False, include_context=False, include_input=False):
            bad.setdefault(int(error["loc"][0]), []).append((error["type"], error["msg"]))
        if distinct is keys:
            for index, errors in bad.items():
                found.extend((index + 1, name, rule, message) for rule, message in errors)
            return None
        bad_keys = {distinct[index]: errors for index, errors in bad.items()}
        for row, key in enumerate(keys, start=1):
            for rule, message in bad_keys.get(key, ()):
                found.append((row, name, rule, message))
        return None
    if distinct is keys:
        return [_db_value(v) for v in valid]
    if valid == distinct and all(_plain(k) for k in distinct):
        return keys  # strings (and tuples of strings) that validate as themselves: already database-ready
    mapping = {key: _db_value(v) for key, v in zip(distinct, valid, strict=True)}
    return [mapping[key] for key in keys]


def unknown_columns(table: TableName, names: list[str], problems: Problems) -> None:
    fields = TABLES[table].model_fields
    for position, name in enumerate(names, start=1):
        if name not in fields:
            problems.add(table, "unknown_column", column=unknown_column(position),
                         message="the common schema has no such column")


def validate_table(table: TableName, columns: Mapping[str, list[Any]], rows: int, problems: Problems) -> Columns | None:
    """Validate every value of one table against its schema fields; None if any is wrong."""
    unknown_columns(table, list(columns), problems)
    return validate_known(table, dict(columns), rows, problems)


def validate_known(table: TableName, columns: Columns, rows: int, problems: Problems) -> Columns | None:
    """``validate_table`` for columns already known to the schema (unknown ones were reported).

    ``columns`` is consumed: each raw column leaves it as its validated one is made, so a table is
    held about once in memory, not twice."""
    fields = TABLES[table].model_fields
    found: list[tuple[int, str, str, str]] = []
    out: Columns = {}
    for name, info in fields.items():
        values = columns.pop(name, None)
        if values is None:
            if info.is_required() and rows:  # an empty table written by pyarrow has no columns
                problems.add(table, "missing_column", column=name, message="a required column is missing")
                continue
            values = [info.default] * rows
        column = _validate_column(table, name, values, found) if rows else []
        if column is not None:
            out[name] = column
    order = {name: i for i, name in enumerate(fields)}
    for row, name, rule, message in sorted(found, key=lambda f: (f[0], order[f[1]])):
        problems.add(table, rule, row=row, column=name, message=message)
    return None if found or len(out) != len(fields) else out


def check_rows(bundle: OpenedBundle, problems: Problems, *, text_bytes: int = MAX_TEXT_BYTES) -> ValidTables | None:
    """Validate all tables, then the rules between rows; ``None`` when anything is wrong.

    Each table is read batch by batch (:mod:`hub.submissions.parquet_read`): stored types checked
    from the footer first, oversized cells refused before they become Python values, equal values
    shared, and at most ``text_bytes`` of distinct text in the whole bundle."""
    memory.arrow_on_the_system_heap()
    columns: dict[str, Columns] = {}
    rows: dict[str, int] = {}
    budget = TextBudget(text_bytes)
    for table in TABLES:
        data = bundle.tables[f"{table}.parquet"]
        try:
            parquet = open_table(data)
            schema = parquet.schema_arrow
            if not check_types(table, schema, problems):
                continue
            unknown_columns(table, schema.names, problems)
            read = read_table(table, parquet, data, problems.add, budget)
        except Unreadable:
            problems.add(table, "unreadable_parquet", message="the table file is not readable Parquet")
            continue
        except OverBudget:
            problems.add(table, "text_limit", message=f"the bundle holds more than {text_bytes} bytes of distinct text")
            return None
        if read is None:
            continue
        raw, count = read
        del read
        checked = validate_known(table, raw, count, problems)
        del raw
        if checked is not None:
            columns[table], rows[table] = checked, count
    if problems:
        return None
    tables = ValidTables(columns=columns, rows=rows)
    _check_across(tables, bundle.manifest, problems)
    return None if problems else tables


def _check_across(tables: ValidTables, manifest: Manifest, problems: Problems) -> None:
    incidents = tables.columns["incidents"]
    seen: set[str] = set()
    for i, pid in enumerate(incidents["incident_pid"], start=1):
        if pid in seen:
            problems.add("incidents", "duplicate_key", row=i, column="incident_pid")
        seen.add(pid)
    for i, quarter in enumerate(incidents["reporting_quarter"], start=1):
        if quarter != manifest.reporting_period:
            problems.add("incidents", "quarter_mismatch", row=i, column="reporting_quarter",
                         message="differs from the manifest's reporting period")
    declared = manifest.h3_resolution
    resolution_of = {cell: h3.get_resolution(cell) for cell in set(incidents["h3_cell"]) if cell is not None}
    for i, (cell, stated) in enumerate(zip(incidents["h3_cell"], incidents["h3_resolution"], strict=True), start=1):
        if cell is None:
            continue
        if stated != resolution_of[cell]:
            problems.add("incidents", "h3_resolution_mismatch", row=i, column="h3_resolution",
                         message="does not match the resolution of h3_cell")
        if declared is None or resolution_of[cell] > declared:
            problems.add("incidents", "h3_finer_than_manifest", row=i, column="h3_cell",
                         message="finer than the h3_resolution the manifest declares")
    persons = tables.columns["persons"]
    people: set[tuple[str, int]] = set()
    for i, (pid, seq) in enumerate(zip(persons["incident_pid"], persons["person_seq"], strict=True), start=1):
        if pid not in seen:
            problems.add("persons", "unknown_incident", row=i, column="incident_pid",
                         message="no incident in this bundle has this key")
        if (pid, seq) in people:
            problems.add("persons", "duplicate_key", row=i, column="person_seq")
        people.add((pid, seq))
    for i, pid in enumerate(tables.columns["selectors"]["incident_pid"], start=1):
        if pid not in seen:
            problems.add("selectors", "unknown_incident", row=i, column="incident_pid",
                         message="no incident in this bundle has this key")
    keys = tables.columns["person_keys"]
    for i, (pid, seq) in enumerate(zip(keys["incident_pid"], keys["person_seq"], strict=True), start=1):
        if (pid, seq) not in people:
            problems.add("person_keys", "unknown_person", row=i, column="person_seq",
                         message="no person of this bundle has this incident key and sequence number")
    referrals = tables.columns["referrals"]
    for i, (pid, seq) in enumerate(zip(referrals["incident_pid"], referrals["person_seq"], strict=True), start=1):
        if pid not in seen:
            problems.add("referrals", "unknown_incident", row=i, column="incident_pid",
                         message="no incident in this bundle has this key")
        elif seq is not None and (pid, seq) not in people:
            problems.add("referrals", "unknown_person", row=i, column="person_seq",
                         message="no person of this incident has this sequence number")


def present_fields(tables: ValidTables) -> dict[str, set[str]]:
    """Per table, the fields holding a non-default value in some row (what the agreement rules ask about)."""
    present: dict[str, set[str]] = {}
    for table, model in TABLES.items():
        columns = tables.columns[table]
        found: set[str] = set()
        if tables.rows[table]:
            for name, info in model.model_fields.items():
                if info.is_required():
                    found.add(name)
                    continue
                default = _db_value(info.default)
                if any(value != default for value in columns[name]):
                    found.add(name)
        present[table] = found
    return present

