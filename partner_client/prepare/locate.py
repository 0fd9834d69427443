"""The one place `prepare` calls the anonymise core: geocoding, generalising, k, scrubbing."""

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final, Protocol

import h3
from pydantic import TypeAdapter, ValidationError

from anonymise import countries, generalise, geo, london, scrub
from anonymise.schema import Nationality
from partner_client.errors import ClientError
from partner_client.profile import Profile

_NATIONALITY: Final = TypeAdapter(Nationality)

# --- dates and ages ----------------------------------------------------------------------------


def age_at(dob: date, on: date) -> int:
    return generalise.age_at(dob, on)


def age_band(age: int) -> str:
    return generalise.age_band(age).value


def age_group(age: int) -> str:
    return generalise.age_group(age).value


# --- nationality -------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def nationality_code(text: str) -> str:
    """An ISO 3166-1 alpha-2 code for what the export wrote, or ``unknown`` (cached: exports repeat them)."""
    code = countries.nationality_code(text)
    if code is None:
        return "unknown"
    try:
        return str(_NATIONALITY.validate_python(code))
    except ValidationError:
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


# --- free text ---------------------------------------------------------------------------------


def make_scrubber(ner: bool | None, workers: int | None, model: str | None = None) -> scrub.Scrubber:
    if model is not None:
        return scrub.Scrubber(ner=ner, model=model, workers=workers)
    return scrub.Scrubber(ner=ner, workers=workers)


Scrubbed = list[tuple[str | None, list[str], bool]]


def scrub_many(scrubber: scrub.Scrubber | None, items: list[tuple[str, list[str]]]) -> Scrubbed:
    """(scrubbed text or None, entity types replaced, dropped) per input; fail closed."""
    return submit_scrub(scrubber, items)()


def submit_scrub(scrubber: scrub.Scrubber | None, items: list[tuple[str, list[str]]]) -> Callable[[], Scrubbed]:
    """Like :func:`scrub_many`, started on the scrubber's workers; call the answer to wait for the results."""
    if scrubber is None:
        dropped: Scrubbed = [(None, [], True) for _ in items]
        return lambda: dropped
    wait = scrubber.submit_many([scrub.ScrubInput(text, known) for text, known in items])

    def results() -> Scrubbed:
        out: Scrubbed = []
        for result in wait():
            kinds = [str(e.type) for e in result.entities]
            out.append((result.text, kinds, bool(result.dropped) or result.text is None))
        return out

    return results


def ner_note(scrubber: scrub.Scrubber | None) -> str:
    if scrubber is None:
        return "no free text was sent"
    if scrubber.ner_available:
        return "person names detected by the spaCy pipeline as well as from the record's columns"
    return "names not present in any column may be missed: the NER extra is not installed"
