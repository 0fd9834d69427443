"""Fictional postcodes for London boroughs and the ONS Postcode Directory file that locates them.

Outward codes use real London postcode areas with district numbers that do not exist
(E37, SE34, CR56 ...), inward codes follow the real letter rules, so every postcode looks like
a UK postcode and none is one. Points are drawn near the borough's centroid and kept only when
``anonymise.london.borough_for_point`` agrees, so geocoding lands in the right borough.
"""

import csv
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from anonymise.london import BOROUGHS, borough_for_point, police_force_for
from partner_client.demo_data.people import INWARD_LETTERS

AREAS: Final[dict[str, str]] = {
    "E09000001": "EC", "E09000002": "RM", "E09000003": "N", "E09000004": "DA", "E09000005": "NW",
    "E09000006": "BR", "E09000007": "NW", "E09000008": "CR", "E09000009": "W", "E09000010": "EN",
    "E09000011": "SE", "E09000012": "E", "E09000013": "W", "E09000014": "N", "E09000015": "HA",
    "E09000016": "RM", "E09000017": "UB", "E09000018": "TW", "E09000019": "N", "E09000020": "SW",
    "E09000021": "KT", "E09000022": "SE", "E09000023": "SE", "E09000024": "SW", "E09000025": "E",
    "E09000026": "IG", "E09000027": "TW", "E09000028": "SE", "E09000029": "SM", "E09000030": "E",
    "E09000031": "E", "E09000032": "SW", "E09000033": "W",
}
"""Borough → postcode area; districts 30-99 are used, which no London area has."""

ONS_COLUMNS: Final = ("pcd", "pcd2", "pcds", "dointr", "doterm", "oslaua", "osward", "pfa", "lat", "long")


@dataclass(frozen=True)
class Postcode:
    pcds: str
    gss: str
    lat: float
    lon: float


def make_postcodes(rng: random.Random, per_borough: int = 24) -> dict[str, list[Postcode]]:
    """``per_borough`` fictional postcodes for each borough, GSS → postcodes."""
    districts: dict[str, int] = {}
    result: dict[str, list[Postcode]] = {}
    for borough in BOROUGHS:
        area = AREAS[borough.gss]
        districts[area] = districts.get(area, 29) + 1 + rng.randrange(3)
        outward = f"{area}{districts[area]}"
        seen: set[str] = set()
        codes: list[Postcode] = []
        while len(codes) < per_borough:
            lat = borough.lat + rng.gauss(0, 0.010)
            lon = borough.lon + rng.gauss(0, 0.016)
            inward = f"{rng.randrange(1, 10)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
            pcds = f"{outward} {inward}"
            if pcds in seen or borough_for_point(lat, lon) != borough.gss:
                continue
            seen.add(pcds)
            codes.append(Postcode(pcds, borough.gss, round(lat, 6), round(lon, 6)))
        result[borough.gss] = codes
    return result


def write_postcode_directory(path: Path, postcodes: dict[str, list[Postcode]]) -> None:
    """Write the lookup in the ONS Postcode Directory layout (a subset of its columns)."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(ONS_COLUMNS)
        for codes in postcodes.values():
            for code in codes:
                outward, inward = code.pcds.split()
                writer.writerow([
                    f"{outward:<4}{inward}", f"{outward:<5}{inward}", code.pcds, "202401", "",
                    code.gss, "", police_force_for(code.gss), f"{code.lat:.6f}", f"{code.lon:.6f}",
                ])
