"""The places a flow starts and ends at: codes, their coarser parents, human names and map points.

A flow end is the finest place known: a UK area (London borough, or another local authority or
police force area) for people recruited or exploited in the UK, else the country (ISO alpha-2),
else "not recorded". Each has a chain of ever coarser places it is rolled up through when its
flow is too small to show: a borough → "other London boroughs" → the United Kingdom →
"elsewhere"; a country → its world region → "elsewhere".
"""

from typing import Final

from anonymise import BY_GSS, country_name, region_of

ELSEWHERE: Final = "elsewhere"
NOT_RECORDED: Final = "not_recorded"
OTHER_LONDON: Final = "area:london"
OTHER_UK: Final = "area:uk"
OTHER_ROUTES: Final = "*"
DIRECT: Final = ""
MARKERS: Final = frozenset({"", "unknown", "not_asked", "not_applicable", "other"})
UK: Final = "GB"

AREA_NAMES: Final[dict[str, str]] = {
    "E10000016": "Kent", "E10000012": "Essex", "E10000015": "Hertfordshire", "E10000030": "Surrey",
    "E06000034": "Thurrock", "E06000033": "Southend-on-Sea", "E06000043": "Brighton and Hove",
    "E06000044": "Portsmouth", "E06000035": "Medway", "E06000032": "Luton", "E08000025": "Birmingham",
    "E08000003": "Manchester", "E23000001": "Metropolitan Police", "E23000034": "City of London Police",
}
"""UK areas outside London that flows may name (ONS GSS codes; names from the ONS Register of
Geographic Codes). An area not listed here is shown as "elsewhere in the UK", never as a code."""
AREA_POINTS: Final[dict[str, tuple[float, float]]] = {
    "E10000016": (0.72, 51.19), "E10000012": (0.57, 51.77), "E10000015": (-0.24, 51.81), "E10000030": (-0.42, 51.27),
    "E06000034": (0.35, 51.50), "E06000033": (0.71, 51.55), "E06000043": (-0.15, 50.84), "E06000044": (-1.08, 50.80),
    "E06000035": (0.55, 51.40), "E06000032": (-0.42, 51.88), "E08000025": (-1.89, 52.48), "E08000003": (-2.24, 53.48),
}
"""Approximate (longitude, latitude) of each listed area's middle: where the flow map points."""


def area_chain(gss: str) -> tuple[str, str, str, str]:
    """The roll-up chain of a UK area.

    >>> area_chain("E09000025")
    ('E09000025', 'area:london', 'GB', 'elsewhere')
    >>> area_chain("E10000016"), area_chain("E07000999")[0]
    (('E10000016', 'area:uk', 'GB', 'elsewhere'), 'area:uk')
    """
    if gss in BY_GSS:
        return gss, OTHER_LONDON, UK, ELSEWHERE
    return gss if gss in AREA_NAMES else OTHER_UK, OTHER_UK, UK, ELSEWHERE


def chain(country: str, area: str) -> tuple[str, str, str, str]:
    """The roll-up chain of one end of a flow: from the finest place known to "elsewhere".

    >>> chain("GB", "E09000025")[0], chain("AL", "")
    ('E09000025', ('AL', 'region:southern_europe', 'elsewhere', 'elsewhere'))
    >>> chain("unknown", ""), chain("GB", "")
    (('not_recorded', 'not_recorded', 'not_recorded', 'elsewhere'), ('GB', 'GB', 'GB', 'elsewhere'))
    """
    if area and country in (UK, *MARKERS):
        return area_chain(area)
    if country in MARKERS:
        return NOT_RECORDED, NOT_RECORDED, NOT_RECORDED, ELSEWHERE
    if country == UK:
        return UK, UK, UK, ELSEWHERE
    region = region_of(country) if not country.startswith("region:") else country
    return country, region, ELSEWHERE, ELSEWHERE


def label(code: str) -> str:
    """Human words for a flow end or a transit route (never a raw code).

    >>> label("E09000025"), label("region:eastern_africa"), label("VN")
    ('Newham', 'Elsewhere in Eastern Africa', 'Vietnam')
    """
    if code == ELSEWHERE:
        return "Elsewhere"
    if code == NOT_RECORDED:
        return "Not recorded"
    if code == OTHER_LONDON:
        return "Other London boroughs"
    if code == OTHER_UK:
        return "Elsewhere in the UK"
    if code in BY_GSS:
        return BY_GSS[code].name
    if code in AREA_NAMES:
        return AREA_NAMES[code]
    if code.startswith("region:"):
        return "Elsewhere in " + code.removeprefix("region:").replace("_", " ").title()
    if len(code) == 2 and code.isupper():
        return country_name(code)
    return code


def route_label(transit: str) -> str:
    """Human words for the countries of transit of a flow.

    >>> route_label("IT>FR"), route_label(""), route_label("*")
    ('via Italy, France', 'direct or not recorded', 'other routes (rolled up)')
    """
    if transit == OTHER_ROUTES:
        return "other routes (rolled up)"
    if transit == DIRECT:
        return "direct or not recorded"
    return "via " + ", ".join(country_name(c) for c in transit.split(">"))
