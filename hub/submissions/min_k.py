"""The agreement's ``upload_min_k``, re-checked by the hub on the quasi-identifiers of an authentic bundle.

The client enforces k before anything leaves (``anonymise.kanon.enforce_k``); the hub does not
trust that and counts the same groups with the same function (``anonymise.kanon.below_k``). A
bundle with any person in a group smaller than k (fully suppressed persons aside) is refused
whole, with one problem that names the table, the columns and the rule — never a value.

``service.receive`` calls it with the agreement checks, once the bundle has opened, verified and
been validated; it reads only the seven quasi-identifier columns.
"""

import io
import logging
from enum import Enum
from typing import Any, Final

import pyarrow as pa
import pyarrow.parquet as pq

from anonymise import (
    INCIDENT_QUASI_IDENTIFIERS,
    PERSON_QUASI_IDENTIFIERS,
    TABLES,
    Agreement,
    OpenedBundle,
    QuasiIdentifiers,
    TableName,
    below_k,
)
from hub.submissions.validate import Problems

RULE: Final = "upload_min_k"
COLUMNS: Final = ", ".join(PERSON_QUASI_IDENTIFIERS)

log = logging.getLogger(__name__)


def _default(table: TableName, name: str) -> Any:
    value = TABLES[table].model_fields[name].default
    return value.value if isinstance(value, Enum) else value


def _columns(bundle: OpenedBundle, table: TableName, names: tuple[str, ...]) -> list[list[Any]] | None:
    """The named columns (the schema default where a column is absent), or None if unreadable."""
    try:
        parquet = pq.ParquetFile(io.BytesIO(bundle.tables[f"{table}.parquet"]))
        present = [n for n in names if n in parquet.schema_arrow.names]
        data = parquet.read(columns=present).to_pydict() if present else {}
        rows = parquet.metadata.num_rows
    except (pa.ArrowException, OSError, KeyError):
        return None
    return [data[n] if n in data else [_default(table, n)] * rows for n in names]


def quasi_identifiers(bundle: OpenedBundle) -> QuasiIdentifiers | None:
    """The bundle's persons and incidents as ``anonymise.kanon`` tuples; None if a value is not text."""
    persons = _columns(bundle, "persons", ("incident_pid", *PERSON_QUASI_IDENTIFIERS))
    incidents = _columns(bundle, "incidents", ("incident_pid", *INCIDENT_QUASI_IDENTIFIERS))
    if persons is None or incidents is None:
        return None
    if not all(type(v) is str for column in persons for v in column):
        return None
    if not all(type(v) is str or (v is None and n < 3) for n, column in enumerate(incidents) for v in column):
        return None  # only h3_cell and la_gss_code may be empty
    qi = QuasiIdentifiers()
    qi.persons = [list(row) for row in zip(*persons, strict=True)]
    qi.incidents = {row[0]: list(row[1:]) for row in zip(*incidents, strict=True)}
    return qi


def check_min_k(bundle: OpenedBundle, agreement: Agreement, problems: Problems, *, org_id: str) -> None:
    """Add one problem when the bundle breaks its agreement's ``upload_min_k``."""
    k = agreement.upload_min_k
    if k == 1:
        return
    qi = quasi_identifiers(bundle)
    if qi is None:
        return  # values of the wrong type: row validation has named them already
    found = below_k(qi, k)
    if not found:
        return
    log.info("upload from %s rejected: rule %s (k=%d, %d person(s) in %d group(s))",
             org_id, RULE, k, found.persons, found.groups)
    problems.add(
        "persons", RULE, column=COLUMNS,
        message=(
            f"{found.persons} person(s) in {found.groups} group(s) share their {COLUMNS}, incident "
            f"location (incidents.h3_cell, else la_gss_code) and incidents.first_known_month with "
            f"fewer than {k - 1} other(s); agreement {agreement.id} requires groups of at least {k} "
            f"(upload_min_k). Prepare the bundle again with msht-client, which generalises or "
            f"suppresses them."
        ),
    )
