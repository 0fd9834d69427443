"""FSA food hygiene rating (FHRS) open data files in the published XML layout, built for tests (every premises invented)."""

from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple
from xml.sax.saxutils import escape


class Establishment(NamedTuple):
    name: str
    business_type: str
    authority: str
    address: str = "1 Invented Road"
    postcode: str = "ZZ9 9ZZ"
    type_id: str = ""


def fhrs_xml(establishments: Iterable[Establishment], *, extract_date: str = "2026-11-28") -> str:
    items = list(establishments)
    body = "".join(
        f"""    <EstablishmentDetail>
      <FHRSID>{800000 + i}</FHRSID>
      <LocalAuthorityBusinessID>T{i}</LocalAuthorityBusinessID>
      <BusinessName>{escape(e.name)}</BusinessName>
      <BusinessType>{escape(e.business_type)}</BusinessType>
      <BusinessTypeID>{e.type_id}</BusinessTypeID>
      <AddressLine1>{escape(e.address)}</AddressLine1>
      <AddressLine2 />
      <PostCode>{escape(e.postcode)}</PostCode>
      <RatingValue>4</RatingValue>
      <RatingKey>fhrs_4_en-gb</RatingKey>
      <RatingDate>2026-05-01</RatingDate>
      <LocalAuthorityCode>{900 + i % 7}</LocalAuthorityCode>
      <LocalAuthorityName>{escape(e.authority)}</LocalAuthorityName>
      <Scores><Hygiene>5</Hygiene><Structural>5</Structural><ConfidenceInManagement>5</ConfidenceInManagement></Scores>
      <SchemeType>FHRS</SchemeType>
      <NewRatingPending>False</NewRatingPending>
      <Geocode><Longitude>0.0401</Longitude><Latitude>51.5301</Latitude></Geocode>
    </EstablishmentDetail>
"""
        for i, e in enumerate(items)
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<!-- synthetic test data in the FHRS layout: every name and address is invented -->
<FHRSEstablishment xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <Header><ExtractDate>{extract_date}</ExtractDate><ItemCount>{len(items)}</ItemCount><ReturnCode>Success</ReturnCode></Header>
  <EstablishmentCollection>
{body}  </EstablishmentCollection>
</FHRSEstablishment>
"""


def write_fhrs(path: Path, establishments: Iterable[Establishment]) -> Path:
    path.write_text(fhrs_xml(establishments), encoding="utf-8")
    return path
