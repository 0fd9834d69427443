"""Reading exports as partners produce them: encodings, delimiters, Excel dates, chunks, empty files."""

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partner_client.csvread import ROW_KEY, parse_date, read_chunks, sniff
from partner_client.errors import ClientError

ROWS = [["Case Ref", "Client Name", "Notes"], ["A1", "Zoë Kovács", "met at café"], ["A2", "Renée O'Neil", "ok"]]


def _write(path: Path, rows: list[list[str]], *, encoding: str, delimiter: str, newline: str = "\r\n") -> Path:
    text = newline.join(delimiter.join(f'"{c}"' if delimiter in c else c for c in row) for row in rows) + newline
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize(
    ("encoding", "expected"), [("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252")]
)
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_encodings_and_delimiters_are_detected(tmp_path: Path, encoding: str, expected: str, delimiter: str) -> None:
    path = _write(tmp_path / "x.csv", ROWS, encoding=encoding, delimiter=delimiter)
    fmt = sniff(path)
    assert (fmt.encoding, fmt.delimiter, fmt.headers) == (expected, delimiter, tuple(ROWS[0]))
    rows = [row for chunk in read_chunks(path, fmt) for row in chunk.rows]
    assert [r["Client Name"] for r in rows] == ["Zoë Kovács", "Renée O'Neil"]
    assert [r[ROW_KEY] for r in rows] == ["2", "3"]


def test_chunks_keep_spreadsheet_row_numbers_across_blank_lines(tmp_path: Path) -> None:
    lines = ["id,x", *[f"{i},v" if i % 7 else "" for i in range(1, 50)]]
    path = tmp_path / "c.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    chunks = list(read_chunks(path, chunk_rows=10))
    assert len(chunks) >= 5
    assert all(len(c.rows) <= 10 for c in chunks)
    numbers = [int(r[ROW_KEY]) for c in chunks for r in c.rows]
    assert numbers == [i + 1 for i in range(1, 50) if i % 7]


def test_short_rows_are_padded(tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("a,b,c\n1,2\n", encoding="utf-8")
    assert next(read_chunks(path)).rows[0]["c"] == ""


@pytest.mark.parametrize("content", [b"", b"\r\n\r\n", b"\xef\xbb\xbf"])
def test_empty_files_are_refused_plainly(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(content)
    with pytest.raises(ClientError, match="is empty") as info:
        sniff(path)
    assert info.value.hint


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45123", date(2023, 7, 16)),
        ("45123.5", date(2023, 7, 16)),
        ("16/07/2023", date(2023, 7, 16)),
        ("16/07/23", date(2023, 7, 16)),
        ("16-Jul-2023", date(2023, 7, 16)),
        ("16 July 2023", date(2023, 7, 16)),
        ("2023-07-16T08:30", date(2023, 7, 16)),
        ("2023-07-16 08:30:00", date(2023, 7, 16)),
        ("16/07/2023 00:00", date(2023, 7, 16)),
        ("16.07.2023", date(2023, 7, 16)),
        ("20230716", date(2023, 7, 16)),
        ("", None),
        ("soon", None),
    ],
)
def test_excel_and_uk_date_styles(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


@given(st.dates(min_value=date(1903, 1, 1), max_value=date(2099, 12, 31)))
def test_every_date_round_trips_through_the_styles_exports_use(day: date) -> None:
    serial = str((day - date(1899, 12, 30)).days)
    for text in (day.isoformat(), day.strftime("%d/%m/%Y"), day.strftime("%d-%b-%Y"), serial):
        assert parse_date(text) == day
