"""The 33 London local authorities: GSS codes, names, centroids and approximate outlines.

The outlines are **approximate**: each borough is drawn as the union of the H3 cells whose
centres lie inside a coarse Greater London shape and nearest that borough's centroid (a
Voronoi partition of the centroids, quantised to H3). They are good enough to place a hotspot
map in context without a tile server and must never be used to assign a record to a borough;
the partner's own postcode lookup does that.
"""

import math
from dataclasses import dataclass
from functools import cache
from typing import Final

import h3

__all__ = [
    "BOROUGHS",
    "BY_GSS",
    "CITY_OF_LONDON_POLICE",
    "GREATER_LONDON_SHAPE",
    "METROPOLITAN_POLICE",
    "OUTLINE_LABEL",
    "Borough",
    "borough_cells",
    "borough_for_point",
    "borough_outlines",
    "police_force_for",
]


@dataclass(frozen=True)
class Borough:
    gss: str
    name: str
    lat: float
    lon: float


BOROUGHS: Final[tuple[Borough, ...]] = (
    Borough("E09000001", "City of London", 51.5155, -0.0922),
    Borough("E09000002", "Barking and Dagenham", 51.5465, 0.1293),
    Borough("E09000003", "Barnet", 51.6150, -0.2070),
    Borough("E09000004", "Bexley", 51.4600, 0.1450),
    Borough("E09000005", "Brent", 51.5588, -0.2817),
    Borough("E09000006", "Bromley", 51.3665, 0.0617),
    Borough("E09000007", "Camden", 51.5450, -0.1620),
    Borough("E09000008", "Croydon", 51.3550, -0.0840),
    Borough("E09000009", "Ealing", 51.5130, -0.3089),
    Borough("E09000010", "Enfield", 51.6480, -0.0800),
    Borough("E09000011", "Greenwich", 51.4650, 0.0650),
    Borough("E09000012", "Hackney", 51.5450, -0.0553),
    Borough("E09000013", "Hammersmith and Fulham", 51.4927, -0.2239),
    Borough("E09000014", "Haringey", 51.5906, -0.1110),
    Borough("E09000015", "Harrow", 51.5898, -0.3346),
    Borough("E09000016", "Havering", 51.5575, 0.2350),
    Borough("E09000017", "Hillingdon", 51.5352, -0.4481),
    Borough("E09000018", "Hounslow", 51.4609, -0.3731),
    Borough("E09000019", "Islington", 51.5465, -0.1058),
    Borough("E09000020", "Kensington and Chelsea", 51.5020, -0.1947),
    Borough("E09000021", "Kingston upon Thames", 51.3880, -0.2840),
    Borough("E09000022", "Lambeth", 51.4571, -0.1231),
    Borough("E09000023", "Lewisham", 51.4452, -0.0209),
    Borough("E09000024", "Merton", 51.4100, -0.1880),
    Borough("E09000025", "Newham", 51.5255, 0.0352),
    Borough("E09000026", "Redbridge", 51.5901, 0.0819),
    Borough("E09000027", "Richmond upon Thames", 51.4400, -0.3070),
    Borough("E09000028", "Southwark", 51.4660, -0.0730),
    Borough("E09000029", "Sutton", 51.3618, -0.1945),
    Borough("E09000030", "Tower Hamlets", 51.5203, -0.0293),
    Borough("E09000031", "Waltham Forest", 51.5908, -0.0134),
    Borough("E09000032", "Wandsworth", 51.4500, -0.2000),
    Borough("E09000033", "Westminster", 51.5120, -0.1550),
)
"""The 32 London boroughs and the City of London, centroids approximate (to ~1 km)."""

BY_GSS: Final[dict[str, Borough]] = {b.gss: b for b in BOROUGHS}

OUTLINE_LABEL: Final = (
    "Borough outlines are approximate (H3 cells nearest each borough's centre), not legal boundaries."
)
"""Caption to show wherever :func:`borough_outlines` is drawn."""

METROPOLITAN_POLICE: Final = "E23000001"
CITY_OF_LONDON_POLICE: Final = "E23000034"

GREATER_LONDON_SHAPE: Final[tuple[tuple[float, float], ...]] = (
    (51.692, -0.170), (51.684, -0.030), (51.650, 0.100), (51.630, 0.200), (51.625, 0.290),
    (51.560, 0.334), (51.500, 0.320), (51.470, 0.220), (51.420, 0.170), (51.370, 0.150),
    (51.310, 0.100), (51.290, 0.010), (51.286, -0.120), (51.320, -0.230), (51.330, -0.310),
    (51.380, -0.330), (51.420, -0.460), (51.470, -0.510), (51.560, -0.505), (51.600, -0.500),
    (51.630, -0.420), (51.640, -0.300), (51.670, -0.250),
)
"""A coarse (lat, lon) outline of Greater London, about 1-2 km accurate: outlines only."""


def _inside_london(lat: float, lon: float) -> bool:
    inside = False
    ring = GREATER_LONDON_SHAPE
    for (lat1, lon1), (lat2, lon2) in zip(ring, ring[1:] + ring[:1], strict=True):
        if (lon1 > lon) != (lon2 > lon):
            crossing = lat1 + (lon - lon1) * (lat2 - lat1) / (lon2 - lon1)
            if lat < crossing:
                inside = not inside
    return inside


def _nearest(lat: float, lon: float) -> Borough:
    scale = math.cos(math.radians(51.5))
    return min(BOROUGHS, key=lambda b: (b.lat - lat) ** 2 + ((b.lon - lon) * scale) ** 2)


def borough_for_point(lat: float, lon: float) -> str | None:
    """The GSS code of the borough whose centroid is nearest a point inside Greater London.

    Approximate near borough edges (nearest centroid, not the legal boundary); ``None``
    outside the coarse Greater London shape.

    :param lat: latitude in degrees (WGS84). A raw coordinate is a direct identifier when it
        is someone's home: call this on the partner's machine, never send the point.
    :param lon: longitude in degrees (WGS84).

    >>> borough_for_point(51.5390, 0.0500)  # Stratford area
    'E09000025'
    >>> borough_for_point(52.2, 0.12) is None  # Cambridge
    True
    """
    if not _inside_london(lat, lon):
        return None
    return _nearest(lat, lon).gss


def police_force_for(gss: str) -> str:
    """The police force area GSS code of a London local authority.

    :param gss: a London local authority GSS code (E09000001..E09000033).

    >>> police_force_for("E09000001")
    'E23000034'
    >>> police_force_for("E09000030")
    'E23000001'
    """
    if gss not in BY_GSS:
        raise KeyError("not a London local authority GSS code")
    return CITY_OF_LONDON_POLICE if gss == "E09000001" else METROPOLITAN_POLICE


@cache
def _cells_by_borough(resolution: int) -> dict[str, frozenset[str]]:
    if not 4 <= resolution <= 9:
        raise ValueError("outline resolution must be between 4 and 9")
    shape = h3.LatLngPoly(list(GREATER_LONDON_SHAPE))
    grouped: dict[str, set[str]] = {b.gss: set() for b in BOROUGHS}
    for cell in h3.polygon_to_cells(shape, resolution):
        lat, lon = h3.cell_to_latlng(cell)
        grouped[_nearest(lat, lon).gss].add(cell)
    return {gss: frozenset(cells) for gss, cells in grouped.items()}


def borough_cells(gss: str, resolution: int = 7) -> frozenset[str]:
    """The H3 cells making up a borough's approximate outline at a resolution.

    :param gss: a London local authority GSS code.
    :param resolution: H3 resolution, 4-9. Display only: these cells are a Voronoi
        approximation and must not decide which borough a record belongs to.

    >>> cells = borough_cells("E09000025")
    >>> len(cells) > 5, all(len(c) == 15 for c in cells)
    (True, True)
    """
    if gss not in BY_GSS:
        raise KeyError("not a London local authority GSS code")
    return _cells_by_borough(resolution)[gss]


@cache
def borough_outlines(resolution: int = 7) -> dict[str, list[list[tuple[float, float]]]]:
    """APPROXIMATE borough outlines, GSS code → polygons as (lat, lon) rings (not closed).

    Each borough is the union of H3 cells whose centres fall inside a coarse Greater London
    shape and nearest the borough's centroid. For drawing a map background only.

    :param resolution: H3 resolution of the building cells, 4-9 (7 ≈ 5 km² cells).

    >>> outlines = borough_outlines()
    >>> len(outlines), all(outlines[g] for g in outlines)
    (33, True)
    >>> lat, lon = outlines["E09000033"][0][0]
    >>> 51.3 < lat < 51.7 and -0.6 < lon < 0.4
    True
    """
    outlines: dict[str, list[list[tuple[float, float]]]] = {}
    for gss, cells in _cells_by_borough(resolution).items():
        shape = h3.cells_to_h3shape(sorted(cells))
        polys = shape.polys if isinstance(shape, h3.LatLngMultiPoly) else [shape]
        outlines[gss] = [[(float(lat), float(lon)) for lat, lon in poly.outer] for poly in polys]
    return outlines
