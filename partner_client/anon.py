"""The one place `prepare` calls the anonymise core: geocoding, generalising, k, scrubbing."""

import csv
import importlib
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import h3

from anonymise import generalise, london
from anonymise.schema import Nationality
from partner_client.errors import ClientError
from partner_client.profile import Profile


def _optional(module: str) -> Any:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError:
        return None


# --- dates and ages ----------------------------------------------------------------------------


def age_at(dob: date, on: date) -> int:
    return generalise.age_at(dob, on)


def age_band(age: int) -> str:
    return generalise.age_band(age).value


def age_group(age: int) -> str:
    return generalise.age_group(age).value


# --- nationality -------------------------------------------------------------------------------


def nationality_code(text: str) -> str:
    """An ISO 3166-1 alpha-2 code for what the export wrote, or ``unknown``."""
    countries = _optional("anonymise.countries")
    code: str | None = None
    if countries is not None:
        code = countries.nationality_code(text)
    elif len(text.strip()) == 2:
        code = text.strip().upper()
    if code is None:
        return "unknown"
    try:
        from pydantic import TypeAdapter

        return str(TypeAdapter(Nationality).validate_python(code))
    except ValueError:
        return "unknown"


# --- locations ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float
    la_code: str | None
    pfa_code: str | None


class PostcodeLookupLike(Protocol):
    def find(self, postcode: str) -> Place | None: ...


class _CsvPostcodes:
    """A postcode file in ONS Postcode Directory layout (pcds, lat, long, oslaua/lad, pfa)."""

    def __init__(self, path: Path) -> None:
        self.places: dict[str, Place] = {}
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                key = _pc_key(row.get("pcds") or row.get("pcd") or "")
                try:
                    lat, lon = float(row["lat"]), float(row["long"])
                except (KeyError, ValueError):
                    continue
                la = row.get("oslaua") or row.get("lad") or row.get("laua") or None
                self.places[key] = Place(lat, lon, la or None, row.get("pfa") or None)

    def find(self, postcode: str) -> Place | None:
        return self.places.get(_pc_key(postcode))


def _pc_key(text: str) -> str:
    return "".join(text.split()).upper()


class _GeoLookup:
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def find(self, postcode: str) -> Place | None:
        found = self.inner.lookup(postcode)
        if found is None:
            return None
        return Place(
            float(found.lat), float(found.lon), getattr(found, "la_code", None), getattr(found, "pfa_code", None)
        )


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
    geo = _optional("anonymise.geo")
    if geo is not None and hasattr(geo, "PostcodeLookup"):
        return _GeoLookup(geo.PostcodeLookup.from_csv(path))
    return _CsvPostcodes(path)


def parse_point(lat: str, lon: str) -> tuple[float, float] | None:
    try:
        point = float(lat), float(lon)
    except ValueError:
        return None
    if not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180) or not all(map(math.isfinite, point)):
        return None
    return point


def cell_of(lat: float, lon: float, resolution: int) -> str:
    geo = _optional("anonymise.geo")
    if geo is not None and hasattr(geo, "to_cell"):
        return str(geo.to_cell(lat, lon, resolution))
    return str(h3.latlng_to_cell(lat, lon, resolution))


def cell_resolution(cell: str) -> int:
    return int(h3.get_resolution(cell))


def borough_for_point(lat: float, lon: float) -> str | None:
    return london.borough_for_point(lat, lon)


def police_force(gss: str) -> str | None:
    if gss in london.BY_GSS:
        return london.police_force_for(gss)
    return None


def coarsen(cells: Sequence[str | None], min_count: int, resolution: int) -> list[str | None]:
    """A cell with fewer than ``min_count`` incidents moves to its parent, then to borough only."""
    geo = _optional("anonymise.geo")
    if geo is not None and hasattr(geo, "coarsen_cells"):
        return list(geo.coarsen_cells(list(cells), min_count))
    counts = Counter(c for c in cells if c is not None)
    parents = {c: h3.cell_to_parent(c, resolution - 1) for c in counts if resolution > 0}
    parent_counts: Counter[str] = Counter()
    for c, n in counts.items():
        if n < min_count and c in parents:
            parent_counts[parents[c]] += n
    out: list[str | None] = []
    for cell in cells:
        if cell is None or counts[cell] >= min_count:
            out.append(cell)
        elif cell in parents and parent_counts[parents[cell]] >= min_count:
            out.append(parents[cell])
        else:
            out.append(None)
    return out


# --- re-identification risk ------------------------------------------------------------------


QUASI_IDENTIFIERS = ("age_band", "gender", "nationality", "h3_cell", "first_known_month")


def enforce_k(persons: list[dict[str, Any]], incidents: dict[str, dict[str, Any]], k: int) -> dict[str, Any]:
    """Measure uniqueness on the quasi-identifiers; below k generalise nationality to region, then suppress."""
    def key(p: dict[str, Any]) -> tuple[Any, ...]:
        inc = incidents[p["incident_pid"]]
        return (
            p.get("age_band", "unknown"),
            p.get("gender", "unknown"),
            p.get("nationality", "unknown"),
            inc.get("h3_cell") or inc.get("la_gss_code"),
            inc.get("first_known_month"),
        )

    def measure() -> tuple[int, int]:
        groups = Counter(key(p) for p in persons)
        unique = sum(1 for p in persons if groups[key(p)] == 1)
        below = sum(1 for p in persons if groups[key(p)] < max(k, 2))
        return unique, below

    unique_before, below_before = measure()
    regionalised = suppressed = 0
    if k > 1 and below_before:
        countries = _optional("anonymise.countries")
        groups = Counter(key(p) for p in persons)
        for p in persons:
            if groups[key(p)] < k and p.get("nationality", "unknown") not in ("unknown", "not_asked", "not_applicable"):
                region = countries.region_of(p["nationality"]) if countries is not None else None
                p["nationality"] = f"region:{region}" if region else "other"
                regionalised += 1
        groups = Counter(key(p) for p in persons)
        for p in persons:
            if groups[key(p)] < k:
                for field in ("age_band", "gender", "nationality"):
                    p[field] = "unknown"
                p["age_group"] = "unknown"
                suppressed += 1
    unique_after, below_after = measure()
    n = max(len(persons), 1)
    return {
        "quasi_identifiers": list(QUASI_IDENTIFIERS),
        "k": k,
        "persons": len(persons),
        "unique_before": unique_before,
        "share_unique_before": round(unique_before / n, 4),
        "nationality_generalised_to_region": regionalised,
        "persons_suppressed": suppressed,
        "unique_after": unique_after,
        "share_unique_after": round(unique_after / n, 4),
        "below_k_after": below_after if k > 1 else 0,
    }


# --- free text ---------------------------------------------------------------------------------


def make_scrubber(ner: bool | None, workers: int | None) -> Any:
    scrub = _optional("anonymise.scrub")
    if scrub is None:
        return None
    if ner is False:
        return scrub.Scrubber(ner=False, workers=workers)
    return scrub.Scrubber(workers=workers)


def scrub_many(scrubber: Any, items: list[tuple[str, list[str]]]) -> list[tuple[str | None, list[str], bool]]:
    """(scrubbed text or None, entity types replaced, dropped) per input; fail closed."""
    if scrubber is None:
        return [(None, [], True) for _ in items]
    scrub = importlib.import_module("anonymise.scrub")
    results = scrubber.scrub_many([scrub.ScrubInput(text, known) for text, known in items])
    out = []
    for result in results:
        kinds = [str(getattr(e, "type", getattr(e, "entity_type", "ENTITY"))) for e in result.entities]
        out.append((result.text, kinds, bool(result.dropped) or result.text is None))
    return out


def ner_note(scrubber: Any) -> str:
    if scrubber is None:
        return "no free text was sent"
    if getattr(scrubber, "ner_available", False):
        return "person names detected by the spaCy pipeline as well as from the record's columns"
    return "names not present in any column may be missed: the NER extra is not installed"
