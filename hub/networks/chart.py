"""The link chart of one network: nodes numbered within their kind and labelled from codes, built from member rows.

Input: the network's incidents (month, borough, provider kind, exploitation types), which
selectors and person clusters each holds (the hub's keys, used here only to tell nodes apart);
output: nodes ``<kind>-<n>`` and incident–node edges. Keys never leave this module: a node is
named by its kind and its number among that kind, numbers given in a fixed order (incidents by
month, others by first appearance) so the same build always numbers the same way.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from anonymise import BY_GSS
from hub.networks.schemas import ChartEdge, ChartNode

__all__ = ["KIND_LABELS", "Graph", "IncidentRow", "build"]

KIND_LABELS: Final = {
    "incident": "Incident", "person": "Person", "phone": "Phone", "email": "Email", "vehicle": "Vehicle",
    "address": "Address", "bank_account": "Bank account", "business": "Business", "social_handle": "Social handle",
}
PARTNER_LABELS: Final = {
    "NGO": "NGO", "LawEnforcement": "police", "HealthServiceOrganisation": "health",
    "LocalGovernmentOrganisation": "local authority", "CentralGovernmentOrganisation": "central government",
    "ImmigrationService": "immigration", "LegalService": "legal", "CorporateBusiness": "business",
    "SchoolOrCollege": "education",
}


@dataclass(frozen=True)
class IncidentRow:
    id: int
    month: str
    gss: str | None
    partner_kind: str
    types: tuple[str, ...]


@dataclass
class Graph:
    nodes: dict[str, ChartNode]
    adjacency: dict[str, set[str]]

    def edges(self, among: Iterable[str]) -> list[ChartEdge]:
        keep = set(among)
        return [
            ChartEdge(source=a, target=b)
            for a in sorted(keep)
            if a.startswith("incident-")
            for b in sorted(self.adjacency[a])
            if b in keep
        ]


def _incident_label(n: int, row: IncidentRow) -> str:
    borough = BY_GSS[row.gss].name if row.gss in BY_GSS else "borough unknown"
    types = "/".join(t.replace("_", " ") for t in row.types) or "type unknown"  # "domestic servitude", not the code
    return f"Incident {n} — {row.month}, {borough}, {types}, {PARTNER_LABELS.get(row.partner_kind, 'partner')}"


def build(
    incidents: Sequence[IncidentRow],
    selectors: Iterable[tuple[int, str, str]],
    people: Iterable[tuple[int, int, str]],
) -> Graph:
    """The chart of a network from its incidents, ``(incident id, kind, key)`` selectors and
    ``(incident id, cluster id, role)`` persons.

    >>> g = build([IncidentRow(7, "2026-07", "E09000025", "NGO", ("domestic_servitude",)),
    ...            IncidentRow(9, "2026-08", None, "LawEnforcement", ())],
    ...           [(7, "phone", "h1.aa"), (9, "phone", "h1.aa")], [(9, 40, "suspect")])
    >>> [n.label for n in g.nodes.values()]
    ['Incident 1 — 2026-07, Newham, domestic servitude, NGO', 'Incident 2 — 2026-08, borough unknown, type unknown, police', 'Phone 1', 'Person 1 — suspect']
    >>> sorted(g.adjacency["phone-1"])
    ['incident-1', 'incident-2']
    """
    ordered = sorted(incidents, key=lambda r: (r.month, r.id))
    name_of = {row.id: f"incident-{n}" for n, row in enumerate(ordered, start=1)}
    labels = {f"incident-{n}": ("incident", _incident_label(n, row)) for n, row in enumerate(ordered, start=1)}
    adjacency: dict[str, set[str]] = defaultdict(set)
    numbered: dict[tuple[str, object], str] = {}
    counters: dict[str, int] = defaultdict(int)

    def node(kind: str, key: object) -> str:
        found = numbered.get((kind, key))
        if found is None:
            counters[kind] += 1
            found = numbered[(kind, key)] = f"{kind}-{counters[kind]}"
        return found

    for incident_id, kind, key in sorted(selectors, key=lambda s: (name_of.get(s[0], ""), s[1], s[2])):
        if incident_id in name_of:
            name = node(kind, key)
            labels[name] = (kind, f"{KIND_LABELS.get(kind, kind)} {name.rsplit('-', 1)[1]}")
            adjacency[name_of[incident_id]].add(name)
            adjacency[name].add(name_of[incident_id])
    roles: dict[str, set[str]] = defaultdict(set)
    for incident_id, cluster, role in sorted(people, key=lambda p: (name_of.get(p[0], ""), p[1])):
        if incident_id in name_of:
            name = node("person", cluster)
            roles[name].add(role)
            adjacency[name_of[incident_id]].add(name)
            adjacency[name].add(name_of[incident_id])
    for name, held in roles.items():
        labels[name] = ("person", f"Person {name.rsplit('-', 1)[1]} — {'/'.join(sorted(held)).replace('_', ' ')}")
    nodes = {
        name: ChartNode(id=name, kind=kind, label=label, degree=len(adjacency[name]))
        for name, (kind, label) in labels.items()
    }
    return Graph(nodes, adjacency)
