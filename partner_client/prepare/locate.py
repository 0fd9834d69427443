"""Where an incident was: the profile's postcode file, coordinates, H3 cells, borough and police force; small cells coarsened."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import h3

from anonymise import geo, london
from partner_client.errors import ClientError
from partner_client.profile import Profile


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float
    la_code: str | None
    pfa_code: str | None


class PostcodeLookupLike(Protocol):
    def find(self, postcode: str) -> Place | None: ...


class _GeoLookup:
    def __init__(self, inner: geo.PostcodeLookup) -> None:
        self.inner = inner

    def find(self, postcode: str) -> Place | None:
        found = self.inner.lookup(postcode)
        if found is None:
            return None
        return Place(found.lat, found.lon, found.la_gss_code, found.police_force_area)


def postcode_lookup(profile: Profile, *search: Path) -> PostcodeLookupLike | None:
    """The profile's postcode file, found beside the profile or beside the export."""
    if profile.postcode_lookup is None:
        return None
    path = Path(profile.postcode_lookup)
    if not path.is_absolute():
        path = next((d / path for d in search if (d / path).exists()), search[0] / path)
    if not path.exists():
        raise ClientError(
            f"The postcode lookup file {path.name} named in the profile does not exist.",
            hint="Set `postcode_lookup:` to your ONS Postcode Directory extract (relative to the profile).",
        )
    return _GeoLookup(geo.PostcodeLookup.from_csv(path))


def parse_point(lat: str, lon: str) -> tuple[float, float] | None:
    try:
        point = float(lat), float(lon)
    except ValueError:
        return None
    if not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180) or not all(map(math.isfinite, point)):
        return None
    return point


def cell_of(lat: float, lon: float, resolution: int) -> str:
    return geo.to_cell(lat, lon, resolution)


def cell_resolution(cell: str) -> int:
    return int(h3.get_resolution(cell))


def borough_for_point(lat: float, lon: float) -> str | None:
    return london.borough_for_point(lat, lon)


def police_force(gss: str) -> str | None:
    if gss in london.BY_GSS:
        return london.police_force_for(gss)
    return None


def coarsen(cells: Sequence[str | None], min_count: int) -> tuple[list[str | None], dict[str, object]]:
    """A cell with fewer than ``min_count`` incidents moves to its parent, then to borough only."""
    result = geo.coarsen_cells(list(cells), min_count=min_count)
    return result.cells, result.report.as_dict()
