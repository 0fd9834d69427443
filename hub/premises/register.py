"""Reading the Food Standards Agency's food hygiene rating open data (FHRS XML) into counts of premises.

The published layout: ``FHRSEstablishment`` > ``Header`` (``ExtractDate``, ``ItemCount``) and
``EstablishmentCollection`` > ``EstablishmentDetail`` (``FHRSID``, ``BusinessName``,
``BusinessType``, ``BusinessTypeID``, ``AddressLine1``–``4``, ``PostCode``, ``RatingValue``,
``LocalAuthorityCode``, ``LocalAuthorityName``, ``Scores``, ``Geocode`` …); the FSA publishes one
file per local authority.

Only three fields of an establishment are read: its business type (name and id) and its local
authority. Every other element — the business name, address, postcode, phone, coordinates — is
cleared the moment the parser finishes it, before the next element is read, so no name or
address is kept for longer than the parser needs to skip it, and none is ever returned, stored
or logged. What leaves this module is a count per (borough GSS, premises type).
"""

import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from anonymise import BY_GSS, vocab

SOURCE: Final = "FSA FHRS"
MAX_BYTES: Final = 200 * 1024 * 1024  # the largest authority's file is a few tens of MB
PROLOG_BYTES: Final = 4096

BY_TYPE_NAME: Final[dict[str, vocab.PremisesType]] = {
    "Takeaway/sandwich shop": vocab.PremisesType.hot_food_takeaway,
    "Retailers - other": vocab.PremisesType.convenience_store,
    "Restaurant/Cafe/Canteen": vocab.PremisesType.restaurant,
    "Hospitals/Childcare/Caring Premises": vocab.PremisesType.care_home,
    "Farmers/growers": vocab.PremisesType.agricultural_site,
    "Manufacturers/packers": vocab.PremisesType.factory_warehouse,
    "Distributors/Transporters": vocab.PremisesType.factory_warehouse,
}
"""FHRS business type → the hub's premises type. The FHRS has no convenience-store, care-home or
warehouse type of its own: "Retailers - other" holds convenience stores with other small food
shops, "Hospitals/Childcare/Caring Premises" holds care homes with hospitals and nurseries; the
indicator page says so. Types not listed (pubs, hotels, schools, supermarkets, mobile caterers …)
are counted as skipped."""

BY_TYPE_ID: Final[dict[str, vocab.PremisesType]] = {
    "7844": vocab.PremisesType.hot_food_takeaway,
    "4613": vocab.PremisesType.convenience_store,
    "1": vocab.PremisesType.restaurant,
}
"""Fallback when a file carries the id but no type name (ids checked against the FSA's API)."""
_BY_LOWER: Final = {name.lower(): kind for name, kind in BY_TYPE_NAME.items()}

COVERED: Final = tuple(dict.fromkeys([*BY_TYPE_NAME.values()]))
"""The premises types this register gives a denominator for, in a fixed order."""

_KEEP: Final = frozenset({"BusinessType", "BusinessTypeID", "LocalAuthorityName", "ExtractDate", "EstablishmentDetail"})


class RegisterError(ValueError):
    """A register file the hub will not read; the message names the file and the rule, never a value."""


def _authority_key(name: str) -> str:
    text = name.lower().replace("&", " and ").replace("-", " ")
    text = re.sub(r"\b(london borough of|royal borough of|city of westminster)\b", lambda m: "westminster" if m.group(0) == "city of westminster" else "", text)
    text = re.sub(r"\b(council|corporation|borough)\b", "", text)
    return " ".join(text.split())


_AUTHORITIES: Final = {_authority_key(b.name): gss for gss, b in BY_GSS.items()}


def borough_of(authority_name: str) -> str | None:
    """The GSS code of the London borough an FHRS ``LocalAuthorityName`` names, else ``None``.

    >>> borough_of("Newham"), borough_of("Kingston-Upon-Thames"), borough_of("City of London Corporation")
    ('E09000025', 'E09000021', 'E09000001')
    >>> borough_of("Cambridge City") is None
    True
    """
    return _AUTHORITIES.get(_authority_key(authority_name))


def premises_type_of(type_name: str | None, type_id: str | None) -> vocab.PremisesType | None:
    if type_name:
        return _BY_LOWER.get(type_name.strip().lower())
    return BY_TYPE_ID.get((type_id or "").strip())


@dataclass
class RegisterCounts:
    """What a register file gave: premises per (borough GSS, premises type), and how many were skipped and why."""

    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    read: int = 0
    outside_london: int = 0
    other_types: int = 0
    extract_date: str | None = None

    def add(self, other: "RegisterCounts") -> None:
        self.counts.update(other.counts)
        self.read += other.read
        self.outside_london += other.outside_london
        self.other_types += other.other_types
        dates = [d for d in (self.extract_date, other.extract_date) if d]
        self.extract_date = max(dates) if dates else None


def _refuse_dtd(path: Path) -> None:
    with path.open("rb") as f:
        prolog = f.read(PROLOG_BYTES)
    if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog:
        raise RegisterError(f"{path.name}: a document type declaration is not accepted in a register file")


def read_fhrs(path: Path) -> RegisterCounts:
    """Count the premises of one FHRS XML file by borough and premises type."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise RegisterError(f"{path.name}: larger than {MAX_BYTES // (1024 * 1024)} MB")
    _refuse_dtd(path)
    out = RegisterCounts()
    found_collection = False
    type_name: str | None = None
    type_id: str | None = None
    authority: str | None = None
    try:
        for _event, elem in ET.iterparse(path, events=("end",)):  # noqa: S314 - see _refuse_dtd
            tag = elem.tag.rsplit("}", 1)[-1]  # a namespaced copy of the layout reads the same
            if tag == "EstablishmentCollection":
                found_collection = True
            elif tag == "BusinessType":
                type_name = elem.text
            elif tag == "BusinessTypeID":
                type_id = elem.text
            elif tag == "LocalAuthorityName":
                authority = elem.text
            elif tag == "ExtractDate":
                out.extract_date = (elem.text or "").strip()[:10] or None
            elif tag == "EstablishmentDetail":
                out.read += 1
                gss = borough_of(authority or "")
                kind = premises_type_of(type_name, type_id)
                if gss is None:
                    out.outside_london += 1
                elif kind is None:
                    out.other_types += 1
                else:
                    out.counts[(gss, kind.value)] += 1
                type_name = type_id = authority = None
            if tag not in _KEEP or tag == "EstablishmentDetail":
                elem.clear()  # names, addresses, postcodes, coordinates: dropped as soon as parsed
    except ET.ParseError as exc:
        raise RegisterError(f"{path.name}: not well-formed XML (line {exc.position[0]})") from None
    if not found_collection:
        raise RegisterError(f"{path.name}: no EstablishmentCollection: not an FHRS open data file")
    return out


def read_files(paths: Iterable[Path]) -> RegisterCounts:
    total = RegisterCounts()
    for path in paths:
        total.add(read_fhrs(path))
    return total
