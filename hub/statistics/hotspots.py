"""Hotspots as H3 cells at the viewer's allowed resolution, small cells merged upward, then protected.

Cells finer than the agreement's view resolution are lifted to their parent at that
resolution. A cell with fewer incidents than the minimum count — or whose count, less any one
provider's own records, would be small — is merged into its parent, up to two resolutions
coarser; what is still small goes to "elsewhere (not mapped)". The resulting cells, the
unmapped remainder and the incidents without a location form one additive table protected
like any other (so nothing hidden can be recovered from the total).
"""

from collections.abc import Sequence
from typing import Final

import h3

from anonymise import Visibility
from hub.statistics import figures
from hub.statistics.schemas import HotspotCell, Table

MAX_LIFT: Final = 2
UNMAPPED: Final = "elsewhere"
NO_LOCATION: Final = "no_location"


def _to_resolution(cell: str, resolution: int) -> str:
    res = h3.get_resolution(cell)
    return h3.cell_to_parent(cell, resolution) if res > resolution else cell


def _small(counts: dict[str, int], min_count: int) -> bool:
    total = sum(counts.values())
    if total < min_count:
        return True
    return any(1 <= total - own < min_count for own in counts.values())


def merge_cells(rows: Sequence[tuple[str | None, str, int]], resolution: int, min_count: int) -> dict[str, dict[str, int]]:
    """Cell (or UNMAPPED / NO_LOCATION) → provider → incidents, after merging small cells.

    >>> c = h3.latlng_to_cell(51.5, -0.1, 8)
    >>> merged = merge_cells([(c, "a", 6), (None, "a", 2)], 7, 5)
    >>> sorted(merged) == sorted([h3.cell_to_parent(c, 7), "no_location"])
    True
    """
    cells: dict[str, dict[str, int]] = {}
    out: dict[str, dict[str, int]] = {}
    for cell, provider, n in rows:
        if n <= 0:
            continue
        if cell is None or not h3.is_valid_cell(cell):
            key = NO_LOCATION
            out.setdefault(key, {}).setdefault(provider, 0)
            out[key][provider] += n
            continue
        key = _to_resolution(cell, resolution)
        cells.setdefault(key, {}).setdefault(provider, 0)
        cells[key][provider] += n
    for _ in range(MAX_LIFT):
        lifted: dict[str, dict[str, int]] = {}
        for cell, counts in cells.items():
            res = h3.get_resolution(cell)
            if _small(counts, min_count) and res > 0:
                cell = h3.cell_to_parent(cell, res - 1)
            bucket = lifted.setdefault(cell, {})
            for provider, n in counts.items():
                bucket[provider] = bucket.get(provider, 0) + n
        cells = lifted
    for cell, counts in cells.items():
        key = UNMAPPED if _small(counts, min_count) else cell
        bucket = out.setdefault(key, {})
        for provider, n in counts.items():
            bucket[provider] = bucket.get(provider, 0) + n
    return out


def hotspot_table(rows: Sequence[tuple[str | None, str, int]], visibility: Visibility) -> tuple[list[HotspotCell], Table]:
    merged = merge_cells(rows, visibility.view_h3_resolution, visibility.min_count)
    cells = sorted(k for k in merged if k not in (UNMAPPED, NO_LOCATION))
    cats = [*cells, UNMAPPED, NO_LOCATION]
    flat = [(k, p, n) for k, counts in merged.items() for p, n in counts.items()]
    labels = {c: f"Cell {c}" for c in cells}
    labels[UNMAPPED] = "Elsewhere (areas with small numbers, not mapped)"
    labels[NO_LOCATION] = "No location recorded"
    table = figures.table(
        id_="hotspots", title="Incidents by area", unit="incidents", rows=flat, categories=cats,
        visibility=visibility, rules=visibility, labels=labels,
        note=f"H3 cells at resolution {visibility.view_h3_resolution} or coarser; small areas are merged.",
    )
    mapped = [
        HotspotCell(cell=f.key, resolution=h3.get_resolution(f.key), figure=f)
        for f in table.rows
        if f.key in labels and f.key not in (UNMAPPED, NO_LOCATION) and f.value is not None
    ]
    return mapped, table
