"""London's borough boundaries and the Thames (vendored GeoJSON), and plain names for map areas.

The boundaries are the ONS/OS 2013 London boroughs as GeoJSON, kept in the hub's static files
with their licence (``docs/map-data.md``); the Thames is the gap between them, derived once from
the same file. They draw the hotspot map and name each area by the borough it lies in ("north
Newham", or "Newham and Tower Hamlets" for an area across a boundary) — never a cell id. Both
describe public geography only: nothing here sees a record.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Final

import h3

GEO_DIR: Final = Path(__file__).resolve().parents[1] / "pages" / "static" / "geo"
BOROUGHS_FILE: Final = GEO_DIR / "london-boroughs.geojson"
THAMES_FILE: Final = GEO_DIR / "thames.geojson"
SAMPLE_DEPTH: Final = 2
"""An area is named from its sub-cells this many resolutions finer (49 sample points)."""
SHARE_NAMED: Final = 0.15
"""A borough is named for an area across boundaries when at least this share of it lies there."""
MOSTLY: Final = 0.7
"""An area is named by one borough (and where in it) when this share of its London part lies there."""

Ring = list[tuple[float, float]]  # (lon, lat) points, as GeoJSON has them
Polygon = list[Ring]  # outer ring first, then holes


@dataclass(frozen=True)
class Boundary:
    gss: str
    name: str
    polygons: list[Polygon]
    bbox: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat

    def contains(self, lon: float, lat: float) -> bool:
        west, south, east, north = self.bbox
        if not (west <= lon <= east and south <= lat <= north):
            return False
        return any(_inside(polygon, lon, lat) for polygon in self.polygons)


def _inside(polygon: Polygon, lon: float, lat: float) -> bool:
    """Even-odd rule over every ring, so a hole is outside."""
    inside = False
    for ring in polygon:
        for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
            if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
    return inside


def _polygons(geometry: dict[str, Any]) -> list[Polygon]:
    coords = geometry["coordinates"]
    polys = [coords] if geometry["type"] == "Polygon" else coords
    return [[[(float(x), float(y)) for x, y in ring] for ring in poly] for poly in polys]


def _bbox(polygons: Sequence[Polygon]) -> tuple[float, float, float, float]:
    xs = [x for p in polygons for x, _ in p[0]]
    ys = [y for p in polygons for _, y in p[0]]
    return min(xs), min(ys), max(xs), max(ys)


@cache
def boundaries() -> dict[str, Boundary]:
    """GSS code → the borough's boundary.

    >>> b = boundaries()
    >>> len(b), b["E09000025"].name
    (33, 'Newham')
    """
    data = json.loads(BOROUGHS_FILE.read_text(encoding="utf-8"))
    out: dict[str, Boundary] = {}
    for feature in data["features"]:
        props = feature["properties"]
        polygons = _polygons(feature["geometry"])
        out[props["gss_code"]] = Boundary(props["gss_code"], props["name"], polygons, _bbox(polygons))
    return dict(sorted(out.items()))


@cache
def thames() -> list[Polygon]:
    """The river as polygons, for the map."""
    data = json.loads(THAMES_FILE.read_text(encoding="utf-8"))
    return [p for feature in data["features"] for p in _polygons(feature["geometry"])]


def borough_at(lat: float, lon: float) -> str | None:
    """The GSS code of the borough whose boundary holds a point, or None (outside London, the river).

    >>> borough_at(51.5416, 0.0027)  # Stratford
    'E09000025'
    >>> borough_at(51.495, 0.0) is None  # the Thames off the Greenwich peninsula
    True
    """
    return next((b.gss for b in boundaries().values() if b.contains(lon, lat)), None)


def _part(boundary: Boundary, lat: float, lon: float) -> str:
    """Where a point lies within its borough, in words: north, south-east, central..."""
    west, south, east, north = boundary.bbox
    fx = (lon - west) / ((east - west) or 1.0)
    fy = (lat - south) / ((north - south) or 1.0)
    ns = "north" if fy > 2 / 3 else "south" if fy < 1 / 3 else ""
    ew = "east" if fx > 2 / 3 else "west" if fx < 1 / 3 else ""
    return f"{ns}-{ew}" if ns and ew else ns or ew or "central"


@lru_cache(maxsize=4096)
def area_name(cell: str) -> str:
    """A plain name for an H3 area: the borough it lies in and where in it, or the boroughs it spans.

    >>> area_name(h3.latlng_to_cell(51.5416, 0.0027, 8))
    'west Newham'
    >>> area_name(h3.latlng_to_cell(51.52, -0.05, 6))
    'Southwark, Tower Hamlets and 7 more boroughs'
    """
    res = h3.get_resolution(cell)
    samples = list(h3.cell_to_children(cell, min(res + SAMPLE_DEPTH, 15)))
    found: dict[str, int] = {}
    for child in samples:
        gss = borough_at(*h3.cell_to_latlng(child))
        if gss is not None:
            found[gss] = found.get(gss, 0) + 1
    if not found:
        return "Outside London"
    b = boundaries()
    ranked = sorted(found, key=lambda g: (-found[g], b[g].name))
    top = ranked[0]
    if found[top] >= MOSTLY * sum(found.values()):
        return f"{_part(b[top], *h3.cell_to_latlng(cell))} {b[top].name}"
    named = [g for g in ranked if found[g] >= SHARE_NAMED * len(samples)][:3] or ranked[:2]
    names = [b[g].name for g in named]
    rest = len(ranked) - len(named)
    if rest:
        return ", ".join(names) + f" and {rest} more borough{'s' if rest > 1 else ''}"
    return ", ".join(names[:-1]) + " and " + names[-1]


def area_names(cells: Sequence[str]) -> dict[str, str]:
    """Each cell's plain name, made unique where two areas of one borough part share one
    ("north Newham", "north Newham (2)"), so a table never has two rows of the same name.

    >>> c = h3.latlng_to_cell(51.5416, 0.0027, 8)
    >>> list(area_names([c, h3.grid_ring(c, 1)[0]]).values())[0]
    'west Newham'
    """
    out: dict[str, str] = {}
    seen: dict[str, int] = {}
    for cell in sorted(cells, key=lambda c: h3.cell_to_latlng(c)[::-1]):
        name = area_name(cell)
        seen[name] = seen.get(name, 0) + 1
        out[cell] = name if seen[name] == 1 else f"{name} ({seen[name]})"
    return {c: out[c] for c in cells}
