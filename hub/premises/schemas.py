"""What the premises indicators return: published incident counts over register counts, as rates with intervals and ranks."""

from pydantic import BaseModel, ConfigDict

from hub.statistics.schemas import Figure, PrivacyLabel


class Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class AreaRate(Out):
    area: str
    area_name: str
    incidents: Figure
    """the published (disclosure-controlled) count: the same cell as the area's Premises breakdown"""
    premises: int
    """premises of this type the public register lists in the area"""
    rate: float | None
    """incidents per 100 premises; null when the count is not published or the register lists none"""
    lower: float | None
    upper: float | None
    display: str
    rank: int | None
    """1 = highest published rate among the areas shown; null when not ranked"""


class PremisesRanking(Out):
    premises_type: str
    label: str
    register_types: list[str]
    """the register's own business types counted as this premises type"""
    areas: list[AreaRate]
    """ranked areas first (highest rate first), then unranked ones by name"""
    london: AreaRate | None = None
    """all of London for comparison (its published Premises cell over the register's London total); never ranked"""


class RegisterLabel(Out):
    source: str
    extract_date: str | None
    imported_at: str


class PremisesIndicators(Out):
    scope: str
    scope_name: str
    quarter: str | None
    quarters: list[str]
    source: RegisterLabel | None
    """the register the denominators came from; null before the first import"""
    method: str
    boroughs_shown: int
    """boroughs whose figures the viewer's agreements open (a ranking needs borough_detail grants)"""
    rankings: list[PremisesRanking]
    not_covered: list[str]
    """premises types the register gives no denominator for (no rate can be shown)"""
    privacy: PrivacyLabel
