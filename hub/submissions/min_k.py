"""The agreement's ``upload_min_k``, re-checked by the hub on the quasi-identifiers of an authentic bundle.

The client enforces k before anything leaves (``anonymise.kanon.enforce_k``); the hub does not
trust that and counts the same groups with the same function (``anonymise.kanon.below_k``). A
bundle with any person in a group smaller than k (fully suppressed persons aside) is refused
whole, with one problem that names the table, the columns and the rule — never a value.

It runs before ``service.receive`` and reads only the seven quasi-identifier columns. Whatever
it cannot judge (a bundle that does not open or verify, values of the wrong type, an unknown
agreement or another version of it) it leaves to ``receive``, which refuses those itself.
"""

import io
import logging
from enum import Enum
from typing import Any, Final

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy.orm import Session, sessionmaker

from anonymise.bundle import BundleError, OpenedBundle, open_bundle, verify_signature
from anonymise.kanon import (
    INCIDENT_QUASI_IDENTIFIERS,
    PERSON_QUASI_IDENTIFIERS,
    QuasiIdentifiers,
    below_k,
)
from anonymise.schema import TABLES, TableName
from hub.agreements.service import governing_agreement
from hub.errors import Rejected
from hub.submissions.partner_auth import Partner

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


def refuse_below_k(sessions: sessionmaker[Session], caller: Partner, body: bytes) -> None:
    """Raise Rejected (422) when the bundle breaks its agreement's ``upload_min_k``; else return."""
    try:
        bundle = open_bundle(body)
        verify_signature(bundle, caller.public_key)
    except BundleError:
        return
    manifest = bundle.manifest
    if manifest.partner_id != caller.org_id:
        return
    with sessions() as session:  # its own short read: no write lock while the columns are counted
        agreement = governing_agreement(session, manifest.agreement_id)
    if agreement is None or agreement.version != manifest.agreement_version or agreement.upload_min_k == 1:
        return
    qi = quasi_identifiers(bundle)
    if qi is None:
        return
    found = below_k(qi, agreement.upload_min_k)
    if not found:
        return
    k = agreement.upload_min_k
    log.info("upload from %s rejected: rule %s (k=%d, %d person(s) in %d group(s))",
             caller.org_id, RULE, k, found.persons, found.groups)
    problem = {
        "table": "persons",
        "row": None,
        "column": COLUMNS,
        "rule": RULE,
        "message": (
            f"{found.persons} person(s) in {found.groups} group(s) share their {COLUMNS}, incident "
            f"location (incidents.h3_cell, else la_gss_code) and incidents.first_known_month with "
            f"fewer than {k - 1} other(s); agreement {agreement.id} requires groups of at least {k} "
            f"(upload_min_k). Prepare the bundle again with msht-client, which generalises or "
            f"suppresses them."
        ),
    }
    raise Rejected("the bundle was refused whole: 1 problem(s); nothing was stored", problems=[problem])
