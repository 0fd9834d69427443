"""Hotspots as H3 cells at the viewer's allowed resolution, small cells merged upward, then protected.

One resolution per view: every cell is lifted to the agreement's view resolution, or up to two
coarser when too much would otherwise be hidden. A cell with fewer incidents than the minimum
count — or whose count, less any one provider's own records, would be small — goes to
"elsewhere (not mapped)". The resulting cells, the unmapped remainder and the incidents without a
location form one additive table protected like any other (so nothing hidden can be recovered
from the total). Each area is named by its borough (hub.statistics.places), never by cell id.
"""

from collections.abc import Sequence
from typing import Final

import h3

from anonymise import Visibility
from hub.statistics import figures, places
from hub.statistics.schemas import HotspotCell, Table

MAX_LIFT: Final = 2
UNMAPPED_SHARE: Final = 0.25
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


def _at(rows: Sequence[tuple[str | None, str, int]], resolution: int, min_count: int) -> dict[str, dict[str, int]]:
    """Every located incident lifted to one resolution; small cells go to UNMAPPED."""
    cells: dict[str, dict[str, int]] = {}
    out: dict[str, dict[str, int]] = {}
    for cell, provider, n in rows:
        if n <= 0:
            continue
        located = cell is not None and h3.is_valid_cell(cell)
        key = _to_resolution(cell, resolution) if located and cell is not None else NO_LOCATION
        bucket = (cells if located else out).setdefault(key, {})
        bucket[provider] = bucket.get(provider, 0) + n
    for cell, counts in cells.items():
        bucket = out.setdefault(UNMAPPED if _small(counts, min_count) else cell, {})
        for provider, n in counts.items():
            bucket[provider] = bucket.get(provider, 0) + n
    return out


def merge_cells(rows: Sequence[tuple[str | None, str, int]], resolution: int, min_count: int) -> dict[str, dict[str, int]]:
    """Cell (or UNMAPPED / NO_LOCATION) → provider → incidents, every cell at one resolution.

    The finest of ``resolution`` and up to MAX_LIFT coarser at which no more than
    UNMAPPED_SHARE of the located incidents fall in small cells (those go to UNMAPPED), so a
    map never shows a big coarse hexagon beside small fine ones (which reads as a hotspot).

    >>> c = h3.latlng_to_cell(51.5, -0.1, 8)
    >>> merged = merge_cells([(c, "a", 6), (None, "a", 2)], 7, 5)
    >>> sorted(merged) == sorted([h3.cell_to_parent(c, 7), "no_location"])
    True
    >>> near = next(x for x in h3.cell_to_children(h3.cell_to_parent(c, 6), 8)
    ...             if h3.cell_to_parent(x, 7) != h3.cell_to_parent(c, 7))
    >>> [h3.get_resolution(k) for k in merge_cells([(c, "a", 6), (near, "a", 3)], 7, 5)]  # 3 of 9 hidden at 7
    [6]
    """
    merged: dict[str, dict[str, int]] = {}
    for res in range(resolution, max(resolution - MAX_LIFT, 0) - 1, -1):
        merged = _at(rows, res, min_count)
        located = sum(n for k, counts in merged.items() if k != NO_LOCATION for n in counts.values())
        unmapped = sum(merged.get(UNMAPPED, {}).values())
        if unmapped <= UNMAPPED_SHARE * located:
            break
    return merged


def hotspot_table(rows: Sequence[tuple[str | None, str, int]], visibility: Visibility) -> tuple[list[HotspotCell], Table]:
    merged = merge_cells(rows, visibility.view_h3_resolution, visibility.min_count)
    cells = sorted(k for k in merged if k not in (UNMAPPED, NO_LOCATION))
    cats = [*cells, UNMAPPED, NO_LOCATION]
    flat = [(k, p, n) for k, counts in merged.items() for p, n in counts.items()]
    labels = places.area_names(cells)
    labels[UNMAPPED] = "Elsewhere (areas with small numbers, not mapped)"
    labels[NO_LOCATION] = "No location recorded"
    table = figures.table(
        id_="hotspots", title="Incidents by area", unit="incidents", rows=flat, categories=cats,
        visibility=visibility, rules=visibility, labels=labels,
        note="Areas are named by the borough they lie in; areas with small numbers are counted under “elsewhere”.",
    )
    mapped = [
        HotspotCell(cell=f.key, resolution=h3.get_resolution(f.key), figure=f)
        for f in table.rows
        if f.key in labels and f.key not in (UNMAPPED, NO_LOCATION) and f.value is not None
    ]
    return mapped, table
