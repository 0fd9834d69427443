"""Reading partners' CSV exports as they really are: encoding, delimiter, Excel dates, chunks."""

import codecs
import csv
import functools
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Final

from partner_client.errors import ClientError

SNIFF_BYTES: Final = 256 * 1024
DELIMITERS: Final = (",", ";", "\t")
DEFAULT_CHUNK_ROWS: Final = 20_000
ROW_KEY: Final = "\x00row"
"""Key under which ``read_chunks`` stores each row's line number in the file."""
EXCEL_EPOCH: Final = date(1899, 12, 30)
DEFAULT_DATE_FORMATS: Final = (
    "%Y-%m-%d",
    "%d/%m/%Y",
    "%d/%m/%y",
    "%d-%m-%Y",
    "%d.%m.%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%d-%b-%Y",
    "%d-%b-%y",
    "%Y%m%d",
    "%Y/%m/%d",
)
_TIME_SUFFIX: Final = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?( ?[AP]M)?(Z|[+-]\d{2}:?\d{2})?$", re.I)
_SERIAL: Final = re.compile(r"^\d{4,5}(\.\d+)?$")


@dataclass(frozen=True)
class CsvFormat:
    encoding: str
    delimiter: str
    headers: tuple[str, ...]


def detect_encoding(sample: bytes) -> str:
    """UTF-8 (with or without BOM) when the bytes decode as UTF-8, otherwise Windows-1252.

    >>> detect_encoding(b"\\xef\\xbb\\xbfName")
    'utf-8-sig'
    >>> detect_encoding("Zoë".encode("cp1252"))
    'cp1252'
    """
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A full sample may end inside a multi-byte character; anything else is not UTF-8.
        if not (len(sample) >= SNIFF_BYTES and exc.start >= len(sample) - 3):
            return "cp1252"
    return "utf-8"


def detect_delimiter(text: str) -> str:
    """The one of comma, semicolon and tab that splits the header and first lines most consistently.

    >>> detect_delimiter("a;b;c\\n1;2,5;3\\n")
    ';'
    """
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    if not lines:
        return ","
    best, best_score = ",", -1.0
    for delimiter in DELIMITERS:
        try:
            rows = list(csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter))
        except csv.Error:
            continue
        width = len(rows[0])
        if width < 2:
            continue
        same = sum(1 for row in rows if len(row) == width)
        score = width * same / len(rows)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def sniff(path: Path) -> CsvFormat:
    """Detect the encoding, delimiter and header of an export; refuse empty or header-less files."""
    try:
        with path.open("rb") as handle:
            sample = handle.read(SNIFF_BYTES)
    except OSError as exc:
        raise ClientError(
            f"The file {path.name} cannot be opened.", hint="Check the path and that you may read it."
        ) from exc
    if not sample.strip(b"\r\n\t ,;\xef\xbb\xbf"):
        raise ClientError(
            f"The file {path.name} is empty.",
            hint="Export the quarter's records again from your case system and try once more.",
        )
    encoding = detect_encoding(sample)
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, final=False)
    delimiter = detect_delimiter(text)
    header = next(csv.reader(io.StringIO(text.split("\n", 1)[0]), delimiter=delimiter), [])
    headers = tuple(h.strip().lstrip("\ufeff") for h in header)
    if not any(headers):
        raise ClientError(
            f"The file {path.name} has no header row.",
            hint="The first line must hold the column names; export with headers switched on.",
        )
    return CsvFormat(encoding=encoding, delimiter=delimiter, headers=headers)


@dataclass(frozen=True)
class Chunk:
    first_row: int
    """Spreadsheet row number of the first row in this chunk (the header is row 1)."""
    rows: list[dict[str, str]]


def read_chunks(
    path: Path, fmt: CsvFormat | None = None, chunk_rows: int = DEFAULT_CHUNK_ROWS
) -> Iterator[Chunk]:
    """Rows as ``{header: text}`` in chunks, so a 200 MB export never sits in memory whole.

    Rows shorter than the header are padded with empty strings; blank lines are skipped (their
    row numbers are still counted, so numbers match what the user sees in a spreadsheet).
    """
    fmt = fmt or sniff(path)
    with path.open("r", encoding=fmt.encoding, errors="replace", newline="") as handle:
        reader = csv.reader(handle, delimiter=fmt.delimiter)
        next(reader, None)
        rows: list[dict[str, str]] = []
        first = 2
        width = len(fmt.headers)
        for values in reader:
            row_number = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if not rows:
                first = row_number
            if len(values) < width:
                values = values + [""] * (width - len(values))
            rows.append({h: v.strip() for h, v in zip(fmt.headers, values, strict=False)})
            rows[-1][ROW_KEY] = str(row_number)
            if len(rows) >= chunk_rows:
                yield Chunk(first_row=first, rows=rows)
                rows = []
        if rows:
            yield Chunk(first_row=first, rows=rows)


def parse_date(value: str, formats: tuple[str, ...] = DEFAULT_DATE_FORMATS) -> date | None:
    """A date from the styles exports use, Excel serial numbers included; ``None`` if not a date.

    >>> parse_date("45123")
    datetime.date(2023, 7, 16)
    >>> parse_date("03/04/2026 14:05")
    datetime.date(2026, 4, 3)
    >>> parse_date("2026-04-03T10:00:00Z")
    datetime.date(2026, 4, 3)
    >>> parse_date("not a date") is None
    True
    """
    text = value.strip()
    if not text:
        return None
    if _SERIAL.match(text):
        serial = float(text)
        if 1 <= serial < 80_000 and not re.match(r"^(19|20)\d{6}$", text):
            return EXCEL_EPOCH + timedelta(days=int(serial))
    text = _TIME_SUFFIX.sub("", text).strip()
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no zone
        except ValueError:
            continue
    return None


cached_parse_date: Final = functools.lru_cache(maxsize=1 << 14)(parse_date)
""":func:`parse_date` for the rows of an export, which repeat their dates."""
