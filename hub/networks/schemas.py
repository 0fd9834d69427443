"""API shapes of the network views: kinds, numbers, codes and counts — never a pseudonym or a record id."""

from pydantic import BaseModel, ConfigDict

from hub.statistics.schemas import Figure, PrivacyLabel


class Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class NetworkItem(Out):
    number: int
    """The network's number in the hub's current build (changes when an upload or withdrawal rebuilds it)."""
    incidents: int
    people: int
    selectors: dict[str, int]
    partners: list[str]
    boroughs: list[str]
    exploitation_types: list[str]
    first_month: str
    last_month: str
    last_quarter: str
    added_last_quarter: int
    growth_percent: float | None
    """Incidents added in the last quarter as a share of those before it; null when all are new."""
    spans_boroughs: bool
    county_lines: bool


class NetworkSources(Out):
    partners_included: int
    partners_considered: int
    agreements: list[str]
    explanations: list[str]


class NetworkList(Out):
    networks: list[NetworkItem]
    total: int
    offset: int
    sources: NetworkSources


class ChartNode(Out):
    id: str
    """``<kind>-<number>`` within this network: the number of the node among its kind, never a key."""
    kind: str
    label: str
    degree: int


class ChartEdge(Out):
    source: str
    target: str


class Chart(Out):
    network: int
    nodes: list[ChartNode]
    edges: list[ChartEdge]
    focus: str | None
    complete: bool
    total_nodes: int
    sources: NetworkSources


class NetworkCounts(Out):
    area: str
    area_name: str
    networks: Figure
    spanning_boroughs: Figure
    county_lines: Figure
    by_type: list[Figure]
    privacy: PrivacyLabel
