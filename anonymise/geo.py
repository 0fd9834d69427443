"""Locations made coarse: postcodes looked up locally, points to H3 cells, sparse cells coarsened.

Raw coordinates, postcodes and addresses never leave the partner: a postcode is resolved on the
partner's machine through the partner's own ONS Postcode Directory extract, the point becomes
an H3 cell at the resolution the agreement allows (never finer than 8), and cells holding too
few incidents in a submission climb to their parents until they hold enough, or are dropped so
that only the borough remains.
"""

import csv
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, NamedTuple

import h3

from anonymise.schema import MAX_UPLOAD_H3_RESOLUTION

__all__ = [
    "CoarsenReport",
    "Coarsened",
    "PostcodeLookup",
    "PostcodeRecord",
    "coarsen_cells",
    "normalise_postcode",
    "to_cell",
]

_POSTCODE: Final = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")
_COLUMNS: Final[dict[str, tuple[str, ...]]] = {
    "postcode": ("pcds", "pcd", "pcd2", "postcode"),
    "lat": ("lat", "latitude"),
    "lon": ("long", "lon", "lng", "longitude"),
    "la": ("oslaua", "lad", "ladcd", "laua", "lad23cd", "lad24cd", "lad25cd"),
    "pfa": ("pfa", "pfacd", "pfa23cd", "pfa24cd"),
}
_NO_GRID: Final = 99.999999
"""ONSPD's latitude for postcodes with no grid reference."""
_GSS: Final = re.compile(r"^[ENSW][0-9]{8}$")


def normalise_postcode(text: str) -> str | None:
    """A UK postcode in its usual form (``SE1 7PB``), or ``None`` if the text is not one.

    :param text: a postcode in any case and spacing. A full postcode locates about 15 homes:
        it is resolved locally and never sent.

    >>> normalise_postcode(" se17pb "), normalise_postcode("EC1A  1bb"), normalise_postcode("nope")
    ('SE1 7PB', 'EC1A 1BB', None)
    """
    compact = "".join(text.split()).upper()
    match = _POSTCODE.match(compact)
    return f"{match.group(1)} {match.group(2)}" if match else None


@dataclass(frozen=True, slots=True)
class PostcodeRecord:
    lat: float
    lon: float
    la_gss_code: str | None
    police_force_area: str | None


class PostcodeLookup:
    """Postcode → location, from the partner's ONS Postcode Directory extract; offline."""

    def __init__(self, records: Mapping[str, PostcodeRecord]) -> None:
        self._records = dict(records)

    def __len__(self) -> int:
        return len(self._records)

    def __contains__(self, postcode: object) -> bool:
        return isinstance(postcode, str) and self.lookup(postcode) is not None

    @classmethod
    def from_csv(cls, path: Path) -> "PostcodeLookup":
        """Read a lookup in the ONS Postcode Directory layout.

        Columns are found by name, in any case: ``pcds`` (or ``pcd``/``pcd2``/``postcode``),
        ``lat``, ``long``, ``oslaua`` (local authority GSS) and ``pfa`` (police force area
        GSS); other columns are ignored. Rows without a grid reference are skipped.

        :param path: the partner's lookup file (UTF-8, with or without BOM, comma separated).
            It holds no personal data, but postcodes looked up in it do: do not log them.

        >>> import tempfile, pathlib
        >>> f = pathlib.Path(tempfile.mkdtemp()) / "pc.csv"
        >>> _ = f.write_text("PCDS,lat,long,oslaua,pfa,extra\\nE34 7RW,51.52,0.03,E09000025,E23000001,x\\n")
        >>> PostcodeLookup.from_csv(f).lookup("e347rw")
        PostcodeRecord(lat=51.52, lon=0.03, la_gss_code='E09000025', police_force_area='E23000001')
        """
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = [name.strip().lower() for name in next(reader, [])]
            columns = _find_columns(header)
            records: dict[str, PostcodeRecord] = {}
            for row in reader:
                record = _record(row, columns)
                if record is not None:
                    records[record[0]] = record[1]
        return cls(records)

    def lookup(self, postcode: str) -> PostcodeRecord | None:
        """The location of a postcode, or ``None`` if it is malformed or not in the file.

        :param postcode: a postcode in any case and spacing.

        >>> lookup = PostcodeLookup({"E34 7RW": PostcodeRecord(51.52, 0.03, "E09000025", None)})
        >>> lookup.lookup("E347RW").la_gss_code, lookup.lookup("E34 7RX")
        ('E09000025', None)
        """
        key = normalise_postcode(postcode)
        return None if key is None else self._records.get(key)


def _find_columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for role, names in _COLUMNS.items():
        for name in names:
            if name in header:
                found[role] = header.index(name)
                break
    missing = [role for role in ("postcode", "lat", "lon") if role not in found]
    if missing:
        wanted = ", ".join(_COLUMNS[role][0] if role != "lon" else "long" for role in missing)
        raise ValueError(f"postcode lookup lacks the column(s) {wanted} (ONS Postcode Directory layout)")
    return found


def _record(row: list[str], columns: dict[str, int]) -> tuple[str, PostcodeRecord] | None:
    def cell(role: str) -> str:
        index = columns.get(role)
        return row[index].strip() if index is not None and index < len(row) else ""

    key = normalise_postcode(cell("postcode"))
    try:
        lat, lon = float(cell("lat")), float(cell("lon"))
    except ValueError:
        return None
    if key is None or not (-90 <= lat <= 90 and -180 <= lon <= 180) or lat == _NO_GRID:
        return None
    la, pfa = cell("la"), cell("pfa")
    return key, PostcodeRecord(lat, lon, la if _GSS.match(la) else None, pfa if _GSS.match(pfa) else None)


def to_cell(lat: float, lon: float, resolution: int) -> str:
    """The H3 cell (v4 API) holding a point, at most resolution 8.

    :param lat: latitude in degrees, WGS84. A raw point can be someone's front door: it never
        leaves the partner; only the cell does.
    :param lon: longitude in degrees, WGS84.
    :param resolution: 0-8. The agreement sets it; finer than 8 (≈0.7 km²) is refused.

    >>> to_cell(51.5255, 0.0352, 8)
    '88194e68a3fffff'
    >>> to_cell(51.5255, 0.0352, 9)
    Traceback (most recent call last):
    ...
    ValueError: H3 resolution must be between 0 and 8
    """
    if not isinstance(resolution, int) or not 0 <= resolution <= MAX_UPLOAD_H3_RESOLUTION:
        raise ValueError(f"H3 resolution must be between 0 and {MAX_UPLOAD_H3_RESOLUTION}")
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError("latitude/longitude out of range")
    return str(h3.latlng_to_cell(lat, lon, resolution))


@dataclass(frozen=True)
class CoarsenReport:
    """What :func:`coarsen_cells` did: counts only, never cells."""

    min_count: int
    floor_resolution: int
    incidents: int
    kept: int
    coarsened: int
    dropped: int
    missing: int
    by_resolution: dict[int, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "min_count": self.min_count, "floor_resolution": self.floor_resolution,
            "incidents": self.incidents, "kept": self.kept, "coarsened": self.coarsened,
            "dropped": self.dropped, "missing": self.missing,
            "by_resolution": {str(r): n for r, n in sorted(self.by_resolution.items())},
        }


class Coarsened(NamedTuple):
    cells: list[str | None]
    report: CoarsenReport


def coarsen_cells(
    cells: Sequence[str | None], *, min_count: int, floor_resolution: int = 5
) -> Coarsened:
    """Make every cell in a submission hold at least ``min_count`` incidents.

    From the finest resolution down, a cell with fewer than ``min_count`` incidents is replaced
    by its parent (where it may join others); a cell still too small at ``floor_resolution`` is
    dropped (``None``: the incident keeps only its borough). Cells that hold enough stay as
    fine as they came. Returns the new cells, position for position, and a report.

    :param cells: one H3 cell (or ``None``) per incident of the submission.
    :param min_count: the agreement's minimum incidents per cell. A cell with one incident
        places one person's exploitation on a map: keep this at 3 or more.
    :param floor_resolution: the coarsest resolution a cell may climb to before it is dropped.

    >>> a = to_cell(51.5255, 0.0352, 8)
    >>> b = to_cell(51.5400, 0.0000, 8)
    >>> cells, report = coarsen_cells([a, a, a, b, None], min_count=3)
    >>> cells[:3] == [a, a, a], cells[3], cells[4]
    (True, None, None)
    >>> report.kept, report.coarsened, report.dropped, report.missing
    (3, 0, 1, 1)
    >>> cells, report = coarsen_cells([a, a, b], min_count=3, floor_resolution=5)
    >>> len(set(cells)), h3.get_resolution(cells[0]), report.coarsened
    (1, 5, 3)
    """
    if min_count < 1:
        raise ValueError("min_count must be at least 1")
    if not 0 <= floor_resolution <= MAX_UPLOAD_H3_RESOLUTION:
        raise ValueError(f"floor_resolution must be between 0 and {MAX_UPLOAD_H3_RESOLUTION}")
    for position, cell in enumerate(cells):
        if cell is not None and not h3.is_valid_cell(cell):
            raise ValueError(f"item {position} is not a valid H3 cell")
    current: list[str | None] = list(cells)
    resolutions = [h3.get_resolution(c) for c in current if c is not None]
    finest = max(resolutions, default=floor_resolution)
    for level in range(max(finest, floor_resolution), floor_resolution - 1, -1):
        counts = Counter(c for c in current if c is not None)
        for position, cell in enumerate(current):
            if cell is None or counts[cell] >= min_count:
                continue
            resolution = h3.get_resolution(cell)
            if resolution == level and level > floor_resolution:
                current[position] = str(h3.cell_to_parent(cell, level - 1))
            elif resolution <= floor_resolution and level == floor_resolution:
                current[position] = None
    return Coarsened(current, _report(cells, current, min_count, floor_resolution))


def _report(
    before: Sequence[str | None], after: Iterable[str | None], min_count: int, floor_resolution: int
) -> CoarsenReport:
    kept = coarsened = dropped = missing = 0
    by_resolution: Counter[int] = Counter()
    for old, new in zip(before, after, strict=True):
        if old is None:
            missing += 1
        elif new is None:
            dropped += 1
        elif new == old:
            kept += 1
        else:
            coarsened += 1
        if new is not None:
            by_resolution[h3.get_resolution(new)] += 1
    return CoarsenReport(min_count, floor_resolution, len(before), kept, coarsened, dropped, missing,
                         dict(by_resolution))
