"""The signed bundle: one zip holding the anonymised tables (Parquet) and a signed manifest.

Layout (deterministic: sorted entries, fixed timestamps, no compression of Parquet):

- ``manifest.json`` — the envelope: versions, partner, agreement, quarter, row counts, the
  SHA-256 of every table file, and the privacy report of what was removed and generalised;
- ``manifest.sig`` — Ed25519 signature over the canonical bytes of ``manifest.json``;
- ``<table>.parquet`` for each table of ``anonymise.schema.TABLES``.

The whole zip's SHA-256 is what the upload token binds.
"""

import base64
import hashlib
import io
import json
import re
import shutil
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, BinaryIO, Final
from uuid import UUID

import pyarrow as pa
import pyarrow.parquet as pq
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from anonymise.schema import SCHEMA_VERSION, TABLES, Quarter, Record, TableName
from anonymise.vocab import PartnerType

BUNDLE_FORMAT: Final = 1
MANIFEST: Final = "manifest.json"
SIGNATURE: Final = "manifest.sig"
MAX_BUNDLE_BYTES: Final = 200 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES: Final = 1024 * 1024 * 1024
_ZIP_EPOCH: Final = (2000, 1, 1, 0, 0, 0)


class BundleError(ValueError):
    """A bundle that cannot be read, verified or trusted; the message never holds record data."""


REPORT_KEY: Final = re.compile(r"^[a-z0-9][a-z0-9_.]{0,63}$|^[A-Z][A-Z0-9_]{0,63}$")  # field.path, 8, PHONE_NUMBER
REPORT_CODE: Final = re.compile(r"^[a-z][a-z_]{0,63}$|^[0-9a-f]{16,64}$|^v[0-9]{1,4}:[0-9a-f]{4}(-[0-9a-f]{4}){3}$")
"""A privacy report holds counts and codes only: a code has no digit, space or capital (no phone,
postcode, date or name written as text fits), or is a key fingerprint."""
MAX_REPORT_ENTRIES: Final = 1000
MAX_REPORT_DEPTH: Final = 5
VersionText = Annotated[str, StringConstraints(pattern=r"^[0-9A-Za-z][0-9A-Za-z.+_-]{0,39}$")]
"""A version string: ``1.4.0``, ``2026-11-21``, ``0.1.0+dev`` — short and patterned, never free text."""


def _closed_report(value: dict[str, Any]) -> dict[str, Any]:
    """Check that a privacy report is counts and codes only; ValueError names the rule, never a value.

    >>> _closed_report({"rows_read": 10, "risk": {"k": 3, "quasi_identifiers": ["age_band"]}})["risk"]["k"]
    3
    >>> _closed_report({"client": "John Smith"})
    Traceback (most recent call last):
    ...
    ValueError: the privacy report holds counts and codes only (text at depth 1)
    """
    entries = 0

    def walk(node: object, depth: int) -> None:
        nonlocal entries
        entries += 1
        if entries > MAX_REPORT_ENTRIES or depth > MAX_REPORT_DEPTH:
            raise ValueError("the privacy report is larger or deeper than a report of counts can be")
        if node is None or isinstance(node, bool):
            return
        if isinstance(node, int | float):
            if not -1e15 < node < 1e15 or node != node:
                raise ValueError(f"the privacy report holds a number out of range (depth {depth})")
            return
        if isinstance(node, str):
            if not REPORT_CODE.match(node):
                raise ValueError(f"the privacy report holds counts and codes only (text at depth {depth})")
            return
        if isinstance(node, list):
            for item in node:
                walk(item, depth + 1)
            return
        if isinstance(node, dict):
            for key, item in node.items():
                if not isinstance(key, str) or not REPORT_KEY.match(key):
                    raise ValueError(f"the privacy report holds counts and codes only (a key at depth {depth + 1})")
                walk(item, depth + 1)
            return
        raise ValueError(f"the privacy report holds counts and codes only (depth {depth})")

    for key, item in value.items():
        if not REPORT_KEY.match(key):
            raise ValueError("the privacy report holds counts and codes only (a key at depth 1)")
        walk(item, 1)
    return value


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)

    bundle_format: int = BUNDLE_FORMAT
    submission_id: UUID
    schema_version: str = SCHEMA_VERSION
    client_version: VersionText
    profile_version: VersionText = Field(description="Version of the mapping profile (crosswalk) used.")
    partner_id: str
    partner_type: PartnerType
    agreement_id: str
    agreement_version: int
    reporting_period: Quarter
    key_version: int = Field(ge=1, description="Linkage key version the pseudonyms were made with.")
    h3_resolution: int | None = None
    created_at: datetime
    record_counts: dict[str, int]
    files: dict[str, str] = Field(description="File name → SHA-256 hex of its bytes.")
    privacy_report: Annotated[dict[str, Any], AfterValidator(_closed_report)] = Field(
        default_factory=dict,
        description="Counts of what was removed, generalised, coarsened or suppressed, and risk: counts and codes only.",
    )


def canonical_json(data: Mapping[str, Any]) -> bytes:
    """The exact bytes that are signed: sorted keys, no spaces, UTF-8.

    >>> canonical_json({"b": 1, "a": [1, 2]})
    b'{"a":[1,2],"b":1}'
    """
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _arrow_schema(model: type[Record]) -> pa.Schema:
    fields = []
    for name, info in model.model_fields.items():
        annotation = str(info.annotation)
        if "tuple" in annotation:
            fields.append(pa.field(name, pa.list_(pa.string())))
        elif annotation in ("<class 'int'>", "int | None", "typing.Optional[int]"):
            fields.append(pa.field(name, pa.int32()))
        else:
            fields.append(pa.field(name, pa.string()))
    return pa.schema(fields)


def table_to_parquet(table: TableName, records: Sequence[Record]) -> bytes:
    """Serialise validated records of one table to Parquet bytes (columns in schema order)."""
    model = TABLES[table]
    schema = _arrow_schema(model)
    columns: dict[str, list[Any]] = {name: [] for name in schema.names}
    for record in records:
        dumped = record.model_dump(mode="json")
        for name in schema.names:
            columns[name].append(dumped[name])
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pydict(columns, schema=schema), buffer, compression="zstd")
    return buffer.getvalue()


def arrow_schema(table: TableName) -> pa.Schema:
    """The Parquet schema of one table: columns in schema order, as :func:`table_to_parquet` writes."""
    return _arrow_schema(TABLES[table])


def dumped_to_arrow(table: TableName, dumped: Sequence[Mapping[str, Any]]) -> pa.Table:
    """Records already dumped with ``model_dump(mode="json")`` as an Arrow table of ``table``'s schema."""
    schema = arrow_schema(table)
    return pa.Table.from_pydict({name: [d[name] for d in dumped] for name in schema.names}, schema=schema)


def write_bundle_files(
    out: BinaryIO,
    manifest_fields: Mapping[str, Any],
    tables: Mapping[TableName, Path],
    counts: Mapping[TableName, int],
    signing_key: Ed25519PrivateKey,
) -> Manifest:
    """Like :func:`write_bundle`, from Parquet files on disk (``{"incidents": path, …}``) into ``out``.

    For large submissions: no table is held in memory. ``counts`` are the tables' row counts.
    """
    hashes: dict[str, str] = {}
    paths = {f"{table}.parquet": tables[table] for table in TABLES}
    for name, path in paths.items():
        digest = hashlib.sha256()
        with path.open("rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
        hashes[name] = digest.hexdigest()
    manifest = Manifest.model_validate(
        {**manifest_fields, "record_counts": {table: counts.get(table, 0) for table in TABLES}, "files": hashes}
    )
    manifest_bytes = canonical_json(manifest.model_dump(mode="json"))
    small = {MANIFEST: manifest_bytes, SIGNATURE: base64.b64encode(signing_key.sign(manifest_bytes))}
    with zipfile.ZipFile(out, "w") as archive:
        for name in sorted([*small, *hashes]):
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            if name in small:
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, small[name])
                continue
            path = paths[name]
            info.compress_type = zipfile.ZIP_STORED
            info.file_size = path.stat().st_size
            with path.open("rb") as src, archive.open(info, "w", force_zip64=info.file_size > 2**31) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    return manifest


def parquet_rows(data: bytes) -> list[dict[str, Any]]:
    """Rows of a Parquet table as plain dicts (lists for multi-valued fields)."""
    try:
        return pq.read_table(io.BytesIO(data)).to_pylist()  # type: ignore[no-any-return]
    except (pa.ArrowException, OSError) as exc:
        raise BundleError("a table file is not readable Parquet") from exc


def write_bundle(
    manifest_fields: Mapping[str, Any],
    tables: Mapping[TableName, Sequence[Record]],
    signing_key: Ed25519PrivateKey,
) -> tuple[bytes, Manifest]:
    """Build the bundle zip: Parquet tables, their hashes in the manifest, the manifest signed.

    ``manifest_fields`` holds every manifest field except ``files`` and ``record_counts``.
    """
    files: dict[str, bytes] = {}
    for table in TABLES:
        files[f"{table}.parquet"] = table_to_parquet(table, tables.get(table, ()))
    manifest = Manifest.model_validate(
        {
            **manifest_fields,
            "record_counts": {table: len(tables.get(table, ())) for table in TABLES},
            "files": {name: sha256_hex(data) for name, data in files.items()},
        }
    )
    manifest_bytes = canonical_json(manifest.model_dump(mode="json"))
    files[MANIFEST] = manifest_bytes
    files[SIGNATURE] = base64.b64encode(signing_key.sign(manifest_bytes))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_STORED if name.endswith(".parquet") else zipfile.ZIP_DEFLATED
            archive.writestr(info, files[name])
    return buffer.getvalue(), manifest


class OpenedBundle(BaseModel):
    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    manifest: Manifest
    manifest_bytes: bytes
    signature: bytes
    tables: dict[str, bytes]


MAX_MANIFEST_BYTES: Final = 64 * 1024
"""A manifest is a few kilobytes of counts and codes; anything larger is refused unread."""
MAX_EXPANSION: Final = 20
"""A compressed member may expand to this many times its compressed size (plus 1 MiB), by what is read."""
_MEMBER_LIMITS: Final = {MANIFEST: MAX_MANIFEST_BYTES, SIGNATURE: 1024}


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int) -> bytes:
    """One member's bytes, read no further than its limit: the header's sizes are not trusted."""
    limit = min(budget, _MEMBER_LIMITS.get(info.filename, budget))
    if info.compress_type == zipfile.ZIP_STORED:
        limit = min(limit, info.compress_size)
    else:
        limit = min(limit, info.compress_size * MAX_EXPANSION + (1 << 20))
    out = bytearray()
    try:
        with archive.open(info) as member:
            while block := member.read(min(1 << 20, limit + 1 - len(out))):
                out.extend(block)
                if len(out) > limit:
                    raise BundleError("a file in the bundle expands beyond the size limit")
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
        if isinstance(exc, BundleError):
            raise
        raise BundleError("a file in the bundle is damaged: its size or CRC does not match") from exc
    return bytes(out)


def open_bundle(data: bytes) -> OpenedBundle:
    """Unpack and check a bundle's structure and file hashes (not yet its signature)."""
    if len(data) > MAX_BUNDLE_BYTES:
        raise BundleError(f"bundle larger than {MAX_BUNDLE_BYTES} bytes")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
        raise BundleError("bundle is not a zip archive") from exc
    with archive:
        infos = archive.infolist()
        expected = {MANIFEST, SIGNATURE} | {f"{name}.parquet" for name in TABLES}
        names = {info.filename for info in infos}
        if names != expected or len(infos) != len(expected):
            unexpected = len(infos) - len(names & expected)
            raise BundleError(  # the members' own names are never repeated: they are the sender's text
                f"bundle must hold exactly {sorted(expected)}; "
                f"{unexpected} unexpected member(s), missing {sorted(expected - names)}"
            )
        budget = MAX_UNCOMPRESSED_BYTES
        contents: dict[str, bytes] = {}
        for info in infos:
            contents[info.filename] = _read_member(archive, info, budget)
            budget -= len(contents[info.filename])
    manifest_bytes = contents.pop(MANIFEST)
    try:
        signature = base64.b64decode(contents.pop(SIGNATURE), validate=True)
        manifest = Manifest.model_validate_json(manifest_bytes)
    except (ValueError, ValidationError) as exc:
        raise BundleError("manifest or signature is malformed") from exc
    if manifest.bundle_format != BUNDLE_FORMAT:
        raise BundleError(f"bundle format {manifest.bundle_format} is not supported")
    for name, content in contents.items():
        if manifest.files.get(name) != sha256_hex(content):
            raise BundleError(f"{name} does not match its SHA-256 in the manifest")
    return OpenedBundle(
        manifest=manifest, manifest_bytes=manifest_bytes, signature=signature, tables=contents
    )


def verify_signature(bundle: OpenedBundle, public_key: Ed25519PublicKey) -> None:
    try:
        public_key.verify(bundle.signature, bundle.manifest_bytes)
    except InvalidSignature as exc:
        raise BundleError("manifest signature does not verify with the partner's key") from exc


def utcnow() -> datetime:
    return datetime.now(UTC)
