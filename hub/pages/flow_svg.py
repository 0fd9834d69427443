"""Pages: the route diagrams, drawn here as SVG — a Sankey diagram of origin → transit →
destination and a flow map over the real borough boundaries.

Server-side SVG like the hotspot map (:mod:`hub.pages.hotspot_map`): Vega-Lite has no Sankey
mark, and three fixed columns need no layout library. Only published flows are drawn (a
suppressed flow has no value to draw); every drawn figure is also in the table beside it.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

from hub.pages.hotspot_map import Label, place_labels
from hub.statistics.places import boundaries, thames
from hub.statistics.schemas import Flow

WIDTH: Final = 960.0
NODE_W: Final = 14.0
GAP: Final = 10.0
COLUMNS: Final = (270.0, 480.0, 740.0)  # x of the origin, transit and destination columns (labels: left of the first, right of the others)
MAP_MARGIN: Final = 0.04  # degrees around London's boroughs
MIN_STROKE: Final = 2.0
MAX_STROKE: Final = 12.0


@dataclass(frozen=True)
class Node:
    x: float
    y: float
    h: float
    label: str
    value: int
    side: str  # "left", "middle" or "right": where its label goes


@dataclass(frozen=True)
class Band:
    d: str
    title: str
    tone: int  # colour class of the band, by origin


@dataclass(frozen=True)
class SankeyView:
    width: float
    height: float
    nodes: list[Node]
    bands: list[Band]


def _shown(flows: Sequence[Flow]) -> list[Flow]:
    return [f for f in flows if f.figure.value]


def sankey(flows: Sequence[Flow], height: float = 460.0) -> SankeyView:
    """Origins, routes and destinations as three columns of nodes sized by their published
    flows, with a band for each origin → route and route → destination pair."""
    shown = _shown(flows)
    columns: list[dict[str, int]] = [{}, {}, {}]
    labels: list[dict[str, str]] = [{}, {}, {}]
    for f in shown:
        v = f.figure.value or 0
        for i, (code, name) in enumerate(((f.origin, f.origin_label), (f.transit, f.transit_label), (f.destination, f.destination_label))):
            columns[i][code] = columns[i].get(code, 0) + v
            labels[i][code] = name
    total = sum(columns[0].values())
    if not total:
        return SankeyView(WIDTH, 80.0, [], [])
    most = max(len(c) for c in columns)
    scale = (height - GAP * (most - 1)) / total
    place: list[dict[str, tuple[float, float]]] = [{}, {}, {}]
    nodes: list[Node] = []
    for i, column in enumerate(columns):
        y = 0.0
        for code in sorted(column, key=lambda c: (-column[c], labels[i][c])):
            h = max(column[code] * scale, 2.0)
            place[i][code] = (y, h)
            nodes.append(Node(COLUMNS[i], y, h, labels[i][code], column[code], ("left", "middle", "right")[i]))
            y += h + GAP
    tones = {code: k % 6 for k, code in enumerate(sorted(columns[0], key=lambda c: -columns[0][c]))}
    out_at = [{c: 0.0 for c in col} for col in columns]
    in_at = [{c: 0.0 for c in col} for col in columns]
    pairs: list[dict[tuple[str, str], tuple[int, str, int]]] = [{}, {}]
    for f in sorted(shown, key=lambda f: (f.origin, f.transit, f.destination)):
        v = f.figure.value or 0
        for j, (a, b) in enumerate(((f.origin, f.transit), (f.transit, f.destination))):
            old = pairs[j].get((a, b), (0, "", tones[f.origin]))
            name = f"{labels[j][a]} → {labels[j + 1][b]}"
            pairs[j][(a, b)] = (old[0] + v, name, old[2])
    bands: list[Band] = []
    for j in (0, 1):
        for (a, b), (v, name, tone) in sorted(pairs[j].items(), key=lambda kv: (place[j][kv[0][0]][0], place[j + 1][kv[0][1]][0])):
            h = v * scale
            y0 = place[j][a][0] + out_at[j][a]
            y1 = place[j + 1][b][0] + in_at[j + 1][b]
            out_at[j][a] += h
            in_at[j + 1][b] += h
            x0, x1 = COLUMNS[j] + NODE_W, COLUMNS[j + 1]
            xm = (x0 + x1) / 2
            d = (f"M{x0:.1f},{y0:.1f}C{xm:.1f},{y0:.1f} {xm:.1f},{y1:.1f} {x1:.1f},{y1:.1f}"
                 f"L{x1:.1f},{y1 + h:.1f}C{xm:.1f},{y1 + h:.1f} {xm:.1f},{y0 + h:.1f} {x0:.1f},{y0 + h:.1f}Z")
            bands.append(Band(d, f"{name}: {v}", tone))
    bottom = max(n.y + n.h for n in nodes)
    return SankeyView(WIDTH, bottom + 4, nodes, bands)


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    width: float
    title: str
    label: str | None  # where the flow leaves the map ("to Kent", "from Birmingham")
    anchor: str = "middle"  # of the label: "end" near the right edge, "start" near the left


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    r: float
    title: str


@dataclass(frozen=True)
class FlowMap:
    width: float
    height: float
    boroughs: list[tuple[str, str]]  # name, SVG path
    river: list[str]
    lines: list[Line]
    dots: list[Dot]
    labels: list[Label] = field(default_factory=list)  # the names of the drawn flows' ends on the map, none overlapping


class _Projection:
    def __init__(self, west: float, south: float, east: float, north: float) -> None:
        self.k = math.cos(math.radians((south + north) / 2))
        self.west, self.south, self.east, self.north = west, south, east, north
        self.scale = WIDTH / ((east - west) * self.k)
        self.height = (north - south) * self.scale

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self.west) * self.k * self.scale, (self.north - lat) * self.scale

    def clamp(self, lon: float, lat: float, inset: float = 0.01) -> tuple[float, float, bool]:
        """The point, or where the line from London's middle towards it leaves the view."""
        w, s, e, n = self.west + inset, self.south + inset, self.east - inset, self.north - inset
        if w <= lon <= e and s <= lat <= n:
            return lon, lat, False
        cx, cy = (self.west + self.east) / 2, (self.south + self.north) / 2
        t = min(
            ((e - cx) / (lon - cx)) if lon > cx else ((w - cx) / (lon - cx)) if lon < cx else math.inf,
            ((n - cy) / (lat - cy)) if lat > cy else ((s - cy) / (lat - cy)) if lat < cy else math.inf,
        )
        return cx + (lon - cx) * t, cy + (lat - cy) * t, True


def flow_map(flows: Sequence[Flow]) -> FlowMap:
    """London's boroughs and the Thames, a line per published flow between two places on the
    map (width by its figure), a dot for a flow within one borough; flows to a place beyond
    London run to the map's edge towards it, labelled."""
    bounds = boundaries()
    west = min(b.bbox[0] for b in bounds.values()) - MAP_MARGIN
    south = min(b.bbox[1] for b in bounds.values()) - MAP_MARGIN
    east = max(b.bbox[2] for b in bounds.values()) + MAP_MARGIN
    north = max(b.bbox[3] for b in bounds.values()) + MAP_MARGIN
    proj = _Projection(west, south, east, north)

    def path(polygons: Sequence[Sequence[Sequence[tuple[float, float]]]]) -> str:
        return "".join(
            "M" + " ".join(f"{x:.1f},{y:.1f}" for x, y in (proj.xy(lon, lat) for lon, lat in ring)) + "Z"
            for polygon in polygons for ring in polygon
        )

    drawn = [(f, f.origin_point, f.destination_point) for f in _shown(flows)]
    ends = [(f, a, b) for f, a, b in drawn if a is not None and b is not None]
    top = max((f.figure.value or 0 for f, _, _ in ends), default=1)
    lines: list[Line] = []
    dots: list[Dot] = []
    names: dict[str, tuple[float, float]] = {}  # each end inside the map, named once, so a reader can tell the lines apart
    for f, start, stop in ends:
        for label, point in ((f.origin_label, start), (f.destination_label, stop)):
            if label not in names and not proj.clamp(*point)[2]:
                names[label] = proj.xy(*point)
        v = f.figure.value or 0
        width = MIN_STROKE + (MAX_STROKE - MIN_STROKE) * v / top
        title = f"{f.origin_label} → {f.destination_label}: {f.figure.display}"
        if f.origin == f.destination:
            x, y = proj.xy(*start)
            dots.append(Dot(x, y, width, title))
            continue
        lon1, lat1, from_beyond = proj.clamp(*start)
        lon2, lat2, beyond = proj.clamp(*stop)
        x1, y1 = proj.xy(lon1, lat1)
        x2, y2 = proj.xy(lon2, lat2)
        note = f"to {f.destination_label}" if beyond else (f"from {f.origin_label}" if from_beyond else None)
        at = x2 if beyond else x1
        anchor = "end" if at > WIDTH * 0.8 else ("start" if at < WIDTH * 0.2 else "middle")
        lines.append(Line(x1, y1, x2, y2, width, title, note, anchor))
    return FlowMap(
        WIDTH, proj.height, [(b.name, path(b.polygons)) for b in bounds.values()], [path([p]) for p in thames()],
        sorted(lines, key=lambda ln: -ln.width), dots,
        place_labels([(name, x, y + 22, False) for name, (x, y) in names.items()], WIDTH, proj.height),
    )
