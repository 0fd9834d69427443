"""What the statistics API returns: protected figures, each table with its privacy label."""

from typing import Literal

from pydantic import BaseModel, ConfigDict


class Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Figure(Out):
    """One published number: ``value`` is null whenever it is suppressed; ``display`` is the text."""

    key: str
    label: str
    value: int | None
    display: str
    suppressed: Literal["small", "protected"] | None = None


class PrivacyLabel(Out):
    scope: str
    min_count: int
    rounding_base: int
    partners_included: int
    partners_considered: int
    agreements: list[str]
    explanations: list[str]
    rules: str
    partners: list[str] = []
    """the partners (organisation ids) whose records the figures draw on"""
    excluded: dict[str, Literal["borough", "none"]] = {}
    """partners of the agreements left out, and why: they share no borough detail with this viewer, or nothing"""


class Table(Out):
    """A one-way breakdown with its total; ``additive`` when the rows partition the total."""

    id: str
    title: str
    unit: str
    rows: list[Figure]
    total: Figure
    additive: bool
    note: str | None = None
    privacy: PrivacyLabel


class CrossTable(Out):
    id: str
    title: str
    unit: str
    row_labels: list[str]
    col_labels: list[str]
    cells: list[list[Figure]]
    row_totals: list[Figure]
    col_totals: list[Figure]
    total: Figure
    privacy: PrivacyLabel


class Change(Out):
    against: Literal["previous_quarter", "same_quarter_last_year"]
    quarter: str
    display: str
    percent: int | None
    previous: Figure | None = None
    """the figure compared against, as published for that quarter"""


class Headline(Out):
    key: str
    label: str
    figure: Figure
    changes: list[Change]


class Rate(Out):
    key: str
    label: str
    numerator: Figure
    denominator: Figure
    percent: int | None
    display: str


class Overview(Out):
    scope: str
    scope_name: str
    quarter: str | None
    quarters: list[str]
    headlines: list[Headline]
    rates: list[Rate]
    tables: list[Table]
    privacy: PrivacyLabel


class Trend(Out):
    key: str
    label: str
    points: list[Figure]


class Trends(Out):
    scope: str
    quarters: list[str]
    series: list[Trend]
    privacy: PrivacyLabel


class Breakdowns(Out):
    scope: str
    quarter: str | None
    tables: list[Table]
    cross: list[CrossTable]
    rates: list[Rate]
    privacy: PrivacyLabel


class HotspotCell(Out):
    cell: str
    resolution: int
    figure: Figure


class Hotspots(Out):
    scope: str
    quarter: str | None
    resolution: int
    cells: list[HotspotCell]
    table: Table
    privacy: PrivacyLabel


class Repeats(Out):
    scope: str
    linkage: str
    table: Table
    privacy: PrivacyLabel


class AreaTables(Out):
    """One published breakdown for each of several areas, all for one quarter (premises indicators)."""

    scope: str
    quarter: str | None
    quarters: list[str]
    tables: dict[str, Table]
    """area (borough GSS or "london") → its table; an area the viewer may not see is absent"""
    privacy: PrivacyLabel


class ProviderQuarters(Out):
    provider: str
    quarters: list[str]


class FieldCompleteness(Out):
    field: str
    percent: int | None
    display: str


class Coverage(Out):
    scope: str
    quarter: str | None
    quarters: list[str]
    providers: list[ProviderQuarters]
    pooled: list[FieldCompleteness]
    own_org: str
    own: list[FieldCompleteness]
    privacy: PrivacyLabel


class Flow(Out):
    """One published flow: its ends and route as codes and words, and its protected count."""

    origin: str
    origin_label: str
    transit: str
    transit_label: str
    destination: str
    destination_label: str
    figure: Figure
    origin_point: tuple[float, float] | None = None  # (longitude, latitude) for the flow map
    destination_point: tuple[float, float] | None = None


class RouteFlows(Out):
    """Potential victims by route, small flows rolled up; ``table`` holds the same cells as ``flows``."""

    scope: str
    scope_name: str
    direction: Literal["in", "out"]
    question: str
    quarter: str | None
    quarters: list[str]
    boroughs_named: bool
    flows: list[Flow]
    table: Table
    privacy: PrivacyLabel


class CtdcRow(Out):
    """One row of the CTDC-comparable export: citizenship × country of exploitation."""

    citizenship: str
    citizenship_label: str
    country_of_exploitation: str
    country_of_exploitation_label: str
    figure: Figure


class CtdcTable(Out):
    scope: str
    quarter: str | None
    rows: list[CtdcRow]
    total: Figure
    privacy: PrivacyLabel


class BoroughRow(Out):
    """One borough's published headline figures, exactly as that borough's overview shows them."""

    gss_code: str
    name: str
    incidents: Figure
    previous: Figure | None
    """the same borough's incidents in the quarter before (its overview's "against" figure)"""
    potential_victims: Figure | None
    privacy: PrivacyLabel
    residents: int | None = None
    """the borough's resident population (hub.statistics.population), the rates' denominator"""
    incidents_rate: float | None = None
    """published incidents per 100,000 residents; None when the count is suppressed"""
    victims_rate: float | None = None
    """published potential victims per 100,000 residents; None when the count is suppressed"""


class BoroughComparison(Out):
    """London's boroughs side by side for one quarter: each row is the borough's own overview
    headline (the same disclosure-controlled cell, hidden where that page hides it); boroughs no
    agreement opens to the viewer are listed by name in ``not_shared``, never shown empty."""

    scope: str
    quarter: str | None
    previous_quarter: str | None
    rows: list[BoroughRow]
    not_shared: list[str]
    no_records: list[str]
    """boroughs open to the viewer with nothing published for the quarter"""
    population_year: int | None = None
    population_source: str = ""
