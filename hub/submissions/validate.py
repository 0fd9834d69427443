"""Checking a bundle's rows: every row of every table against the common schema, then across rows.

Problems name the table, the row (1-based, in file order), the column and the rule broken —
never the value. The list is capped; the total says how many there were.
"""

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, cast

import h3
import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import TypeAdapter, ValidationError

from anonymise.bundle import Manifest, OpenedBundle
from anonymise.schema import TABLES, Incident, Person, Record, Referral, Selector, TableName

MAX_PROBLEMS: Final = 200
_SAFE_COLUMN: Final = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_ADAPTERS: Final = {table: TypeAdapter(list[model]) for table, model in TABLES.items()}  # type: ignore[valid-type]


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
    incidents: list[Incident]
    persons: list[Person]
    selectors: list[Selector]
    referrals: list[Referral]

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in TABLES}


def _safe_column(name: object, table: TableName) -> str:
    if isinstance(name, str) and (name in TABLES[table].model_fields or _SAFE_COLUMN.match(name)):
        return name
    return "(unrecognised column)"


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
        if rows > max_rows:
            problems.add(table, "row_limit", message=f"more than {max_rows} rows")
        if bundle.manifest.record_counts.get(table) != rows:
            problems.add(table, "count_mismatch", message="row count differs from the manifest")
    extra = set(bundle.manifest.record_counts) - set(TABLES)
    if extra:
        problems.add(None, "unknown_table", message="the manifest counts a table the schema does not have")
    return counts


def read_rows(data: bytes) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], pq.read_table(io.BytesIO(data)).to_pylist())


def validate_table(table: TableName, rows: Sequence[Mapping[str, Any]], problems: Problems) -> list[Record]:
    """Validate every row of one table; collect each error by row, column and rule."""
    try:
        return cast(list[Record], _ADAPTERS[table].validate_python(rows))
    except ValidationError as exc:
        for error in exc.errors(include_url=False, include_context=False, include_input=False):
            loc = error["loc"]
            row = loc[0] + 1 if loc and isinstance(loc[0], int) else None
            column = _safe_column(loc[1], table) if len(loc) > 1 else None
            problems.add(table, error["type"], row=row, column=column, message=error["msg"])
        return []


def _known_columns(table: TableName, bundle: OpenedBundle, problems: Problems) -> list[dict[str, Any]]:
    """The table's rows; a column the schema does not know is one problem, not one per row."""
    rows = read_rows(bundle.tables[f"{table}.parquet"])
    known = TABLES[table].model_fields
    unknown = sorted({name for row in rows[:1] for name in row if name not in known})
    for name in unknown:
        problems.add(table, "unknown_column", column=_safe_column(name, table),
                     message="the common schema has no such column")
    if unknown:
        for row in rows:
            for name in unknown:
                row.pop(name, None)
    return rows


def check_rows(bundle: OpenedBundle, problems: Problems) -> ValidTables | None:
    """Validate all tables, then the rules between rows; ``None`` when anything is wrong."""
    records = {table: validate_table(table, _known_columns(table, bundle, problems), problems) for table in TABLES}
    if problems:
        return None
    tables = ValidTables(
        incidents=cast(list[Incident], records["incidents"]),
        persons=cast(list[Person], records["persons"]),
        selectors=cast(list[Selector], records["selectors"]),
        referrals=cast(list[Referral], records["referrals"]),
    )
    _check_across(tables, bundle.manifest, problems)
    return None if problems else tables


def _check_across(tables: ValidTables, manifest: Manifest, problems: Problems) -> None:
    quarter = manifest.reporting_period
    declared = manifest.h3_resolution
    incidents: set[str] = set()
    for i, incident in enumerate(tables.incidents, start=1):
        if incident.incident_pid in incidents:
            problems.add("incidents", "duplicate_key", row=i, column="incident_pid")
        incidents.add(incident.incident_pid)
        if incident.reporting_quarter != quarter:
            problems.add("incidents", "quarter_mismatch", row=i, column="reporting_quarter",
                         message="differs from the manifest's reporting period")
        if incident.h3_cell is not None:
            resolution = h3.get_resolution(incident.h3_cell)
            if incident.h3_resolution != resolution:
                problems.add("incidents", "h3_resolution_mismatch", row=i, column="h3_resolution",
                             message="does not match the resolution of h3_cell")
            if declared is None or resolution > declared:
                problems.add("incidents", "h3_finer_than_manifest", row=i, column="h3_cell",
                             message="finer than the h3_resolution the manifest declares")
    persons: set[tuple[str, int]] = set()
    for i, person in enumerate(tables.persons, start=1):
        if person.incident_pid not in incidents:
            problems.add("persons", "unknown_incident", row=i, column="incident_pid",
                         message="no incident in this bundle has this key")
        key = (person.incident_pid, person.person_seq)
        if key in persons:
            problems.add("persons", "duplicate_key", row=i, column="person_seq")
        persons.add(key)
    for i, selector in enumerate(tables.selectors, start=1):
        if selector.incident_pid not in incidents:
            problems.add("selectors", "unknown_incident", row=i, column="incident_pid",
                         message="no incident in this bundle has this key")
    for i, referral in enumerate(tables.referrals, start=1):
        if referral.incident_pid not in incidents:
            problems.add("referrals", "unknown_incident", row=i, column="incident_pid",
                         message="no incident in this bundle has this key")
        elif referral.person_seq is not None and (referral.incident_pid, referral.person_seq) not in persons:
            problems.add("referrals", "unknown_person", row=i, column="person_seq",
                         message="no person of this incident has this sequence number")


def present_fields(tables: ValidTables) -> dict[str, set[str]]:
    """Per table, the fields holding a non-default value in some row (what the agreement rules ask about)."""
    present: dict[str, set[str]] = {}
    for table, model in TABLES.items():
        records: list[Record] = getattr(tables, table)
        defaults = {
            name: (None if info.is_required() else info.default) for name, info in model.model_fields.items()
        }
        found = {name for name, info in model.model_fields.items() if info.is_required() and records}
        remaining = [name for name in defaults if name not in found]
        for record in records:
            if not remaining:
                break
            still = []
            for name in remaining:
                if getattr(record, name) != defaults[name]:
                    found.add(name)
                else:
                    still.append(name)
            remaining = still
        present[table] = found
    return present
