"""`prepare`'s read → map steps: the export checked, read in chunks, repeated rows left out, rows mapped.

The export must fit the profile, the agreement and the quarter; each row is mapped through the
profile by `rows.RowReader`, the reader `map --check` uses.
"""

import hashlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from partner_client.csvread import ROW_KEY, CsvFormat, read_chunks, sniff
from partner_client.errors import ClientError, Problem, Problems
from partner_client.prepare.party import Party
from partner_client.prepare.quarter import quarter_bounds
from partner_client.profile import Profile
from partner_client.rows import ParsedRow, RowReader


def check_export(csv_path: Path, profile: Profile, party: Party, quarter: str, today: date) -> CsvFormat:
    """The export's format, once its headers, the quarter and the partner are known to fit; a clear error otherwise."""
    fmt = sniff(csv_path)
    used = profile.columns_used()
    present = [c for c in used if c in fmt.headers]
    if not present:
        raise ClientError(
            f"None of the columns the profile names are in {csv_path.name}.",
            hint="Is this the right export for this profile? `msht-client map CSV` proposes a profile for it.",
        )
    missing = sorted(set(used) - set(fmt.headers))
    if missing:
        raise ClientError(
            f"{len(missing)} column(s) named in the profile are missing from {csv_path.name}.",
            hint="Correct the column names in the profile, or export the file with these columns.",
            problems=[Problem(rule="missing_column", column=c, message="no such header in the file") for c in missing],
        )
    start, _ = quarter_bounds(quarter)
    if start > today:
        raise ClientError(
            f"The quarter {quarter} has not begun yet.",
            hint="Give the quarter the export covers, e.g. --quarter 2026Q3.",
        )
    if party.agreement.party(party.partner_id) is None:
        raise ClientError(
            f"{party.partner_id} is not a party of agreement {party.agreement.id}.",
            hint="Ask your hub operator which agreement you upload under.",
        )
    return fmt


def count_lines(path: Path) -> int:
    """Lines of the file (at least 1): the total a progress bar counts to."""
    lines = 0
    with path.open("rb") as handle:
        while block := handle.read(1 << 22):
            lines += block.count(b"\n")
    return max(lines, 1)


@dataclass
class MappedChunk:
    """One chunk of the export read through the profile; ``read`` counts its rows, repeats included."""

    rows: list[ParsedRow]
    read: int


class ExportReader:
    """Reads an export chunk by chunk through the profile; a row repeating an earlier one exactly is left out."""

    def __init__(self, profile: Profile, problems: Problems, counts: Counter[str], *, today: date) -> None:
        self.problems = problems
        self.counts = counts
        self.reader = RowReader(profile, problems, today=today)
        self.seen: set[bytes] = set()

    def chunks(self, csv_path: Path, fmt: CsvFormat) -> Iterator[MappedChunk]:
        for chunk in read_chunks(csv_path, fmt):
            yield MappedChunk([p for raw in chunk.rows if (p := self._map(raw)) is not None], len(chunk.rows))

    def _map(self, raw: dict[str, str]) -> ParsedRow | None:
        row_number = int(raw[ROW_KEY])
        digest = hashlib.blake2b("\x1f".join(v for k, v in raw.items() if k != ROW_KEY).encode(), digest_size=16).digest()
        self.counts["rows_read"] += 1
        if digest in self.seen:
            self.counts["duplicate_rows"] += 1
            self.problems.add(
                Problem(
                    rule="duplicate_row",
                    severity="warning",
                    row=row_number,
                    message="this row repeats an earlier row exactly and was left out",
                    hint="Nothing to do if the export repeats rows; otherwise check your case system.",
                )
            )
            return None
        self.seen.add(digest)
        return self.reader.read(raw, row_number)

    def finish(self, csv_path: Path) -> None:
        """Report what is known only at the end (unmapped codes); refuse an export without rows."""
        self.seen.clear()
        self.reader.finish()
        if self.counts["rows_read"] == 0:
            raise ClientError(
                f"{csv_path.name} has a header but no rows.",
                hint="Export the quarter's records again; the file holds column names only.",
            )
