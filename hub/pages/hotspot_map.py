"""Pages: the hotspot map, drawn here as SVG over the real borough boundaries and the Thames.

Nothing is fetched from a tile server: the boundaries are the vendored ONS/OS GeoJSON
(hub.statistics.places). Cells are shaded by the published (protected) count in a few classes
with a legend; borough names are placed so that none overlaps another, and a name that finds
no free place is left to the borough's hover title and the table.
"""

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

import h3

from anonymise import LONDON
from hub.statistics.places import Boundary, Polygon, boundaries, thames
from hub.statistics.schemas import BoroughRow, HotspotCell

WIDTH: Final = 960.0
LABEL_PX: Final = 14.0
"""Borough names in viewBox units; the map is never drawn narrower than MIN_WIDTH_PX, so they
stay at 12 px or more on screen."""
MIN_WIDTH_PX: Final = math.ceil(WIDTH * 12 / LABEL_PX)  # dashboard.css .hotspot-map min-width
CHAR_EM: Final = 0.62  # average glyph width of a sans-serif face (bold included), in ems
BREAKS: Final = (5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000)
CLASSES: Final = 5



Box = tuple[float, float, float, float]  # left, top, right, bottom in viewBox units


@dataclass(frozen=True)
class Area:
    path: str
    name: str
    display: str
    shade: int


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    lines: tuple[str, ...]
    focus: bool
    box: Box | None = None
    """Drawn on a white box when it had to go over a shaded area (no free place was left)."""


@dataclass(frozen=True)
class LegendClass:
    shade: int
    text: str


@dataclass(frozen=True)
class RatedBorough:
    """A borough in the rate view: shaded by its rate, or unshaded (shade 0) with the reason."""

    gss: str
    name: str
    path: str
    shade: int
    display: str


@dataclass(frozen=True)
class MapView:
    width: float
    height: float
    boroughs: list[tuple[str, str, bool, str]]  # gss, name, highlighted, SVG path
    river: list[str]
    cells: list[Area]
    labels: list[Label]
    legend: list[LegendClass]
    rated: list[RatedBorough] | None = None
    """the rate view's boroughs (None on the count view)"""


class _Projection:
    """Equirectangular, x scaled by cos(latitude), fitted to WIDTH around a lon/lat box."""

    def __init__(self, west: float, south: float, east: float, north: float) -> None:
        self.k = math.cos(math.radians((south + north) / 2))
        self.west, self.north = west, north
        self.scale = WIDTH / (((east - west) * self.k) or 1e-6)
        self.height = (north - south) * self.scale

    def xy(self, lon: float, lat: float) -> tuple[float, float]:
        return (lon - self.west) * self.k * self.scale, (self.north - lat) * self.scale

    def path(self, polygons: Sequence[Polygon]) -> str:
        parts = []
        for polygon in polygons:
            for ring in polygon:
                pts = " ".join(f"{x:.1f},{y:.1f}" for x, y in (self.xy(lon, lat) for lon, lat in ring))
                parts.append(f"M{pts}Z")
        return "".join(parts)


def _box(focus: Sequence[Boundary], cells: Sequence[HotspotCell], margin: float) -> tuple[float, float, float, float]:
    xs = [v for b in focus for v in (b.bbox[0], b.bbox[2])]
    ys = [v for b in focus for v in (b.bbox[1], b.bbox[3])]
    for c in cells:
        for lat, lon in h3.cell_to_boundary(c.cell):
            xs.append(lon)
            ys.append(lat)
    west, east, south, north = min(xs), max(xs), min(ys), max(ys)
    dx, dy = (east - west) * margin, (north - south) * margin
    return west - dx, south - dy, east + dx, north + dy


def _cell_box(cell: str, proj: _Projection) -> Box:
    pts = [proj.xy(lon, lat) for lat, lon in h3.cell_to_boundary(cell)]
    return min(x for x, _ in pts), min(y for _, y in pts), max(x for x, _ in pts), max(y for _, y in pts)


def legend_classes(values: Sequence[int]) -> list[tuple[int, int | None]]:
    """Up to CLASSES count ranges (low, high or None for 'and more') covering the values shown.

    >>> legend_classes([6, 12, 40])
    [(5, 9), (10, 19), (20, None)]
    >>> legend_classes([])
    []
    """
    if not values:
        return []
    top = max(values)
    cuts = [b for b in BREAKS if b <= top][-CLASSES:]
    if not cuts or cuts[0] > min(values):
        cuts = [min(values), *cuts][-CLASSES:]
    return [(low, (cuts[i + 1] - 1) if i + 1 < len(cuts) else None) for i, low in enumerate(cuts)]


def _shade(value: int, classes: Sequence[tuple[int, int | None]]) -> int:
    offset = 5 - len(classes)  # few classes use the darker end, so a single class is not pale
    for i, (low, high) in reversed(list(enumerate(classes))):
        if value >= low and (high is None or value <= high):
            return offset + i + 1
    return offset + 1


def _text_box(x: float, y: float, lines: Sequence[str], size: float) -> Box:
    w = max(len(t) for t in lines) * size * CHAR_EM + 8
    h = len(lines) * size * 1.15 + 2
    return x - w / 2, y - h / 2, x + w / 2, y + h / 2


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _wrapped(name: str) -> list[tuple[str, ...]]:
    words = name.split()
    options: list[tuple[str, ...]] = [(name,)]
    if len(words) > 1:
        best = min(range(1, len(words)), key=lambda i: abs(len(" ".join(words[:i])) - len(" ".join(words[i:]))))
        options.append((" ".join(words[:best]), " ".join(words[best:])))
    return options


def _nearby(s: float) -> list[tuple[float, float]]:
    return [(0, 0), (0, -s), (0, s), (0, -2 * s), (0, 2 * s), (-2 * s, 0), (2 * s, 0), (0, -3 * s), (0, 3 * s),
            (-3 * s, -s), (3 * s, -s), (-3 * s, s), (3 * s, s), (0, -5 * s), (0, 5 * s), (0, -7 * s), (0, 7 * s)]


def _anchor(b: Boundary, proj: _Projection) -> tuple[float, float]:
    """A point well inside the borough's largest polygon: the middle of its widest horizontal
    run through the polygon's vertical centre (a centroid can fall outside a crescent)."""
    polygon = max(b.polygons, key=lambda p: len(p[0]))
    xs = [proj.xy(lon, lat) for lon, lat in polygon[0]]
    top, bottom = min(y for _, y in xs), max(y for _, y in xs)
    best = (0.0, (sum(x for x, _ in xs) / len(xs), (top + bottom) / 2))
    for frac in (0.5, 0.4, 0.6, 0.3, 0.7):
        y = top + (bottom - top) * frac
        hits = sorted(
            x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            for (x1, y1), (x2, y2) in zip(xs, xs[1:] + xs[:1], strict=True)
            if (y1 > y) != (y2 > y)
        )
        for left, right in zip(hits[::2], hits[1::2], strict=False):
            if right - left > best[0]:
                best = (right - left, ((left + right) / 2, y))
    return best[1]


def _interior(b: Boundary, proj: _Projection, steps: int = 30) -> list[tuple[float, float]]:
    """Points of a grid over the view that lie inside the borough, nearest its anchor first."""
    x0, y0 = _anchor(b, proj)
    inside = []
    for i in range(1, steps):
        for j in range(1, steps):
            gx, gy = WIDTH * i / steps, proj.height * j / steps
            if b.contains(proj.west + gx / (proj.k * proj.scale), proj.north - gy / proj.scale):
                inside.append((gx, gy))
    return sorted(inside, key=lambda p: (p[0] - x0) ** 2 + (p[1] - y0) ** 2)


def _visible_anchor(b: Boundary, proj: _Projection) -> tuple[float, float]:
    """The label point, moved into the view when the borough only enters it at an edge: the
    point of a grid over the view that lies in the borough and is nearest its own anchor."""
    x, y = _anchor(b, proj)
    margin = 3 * LABEL_PX
    if margin <= x <= WIDTH - margin and margin <= y <= proj.height - margin:
        return x, y
    steps = 24
    inside = []
    for i in range(steps + 1):
        for j in range(steps + 1):
            gx = margin + (WIDTH - 2 * margin) * i / steps
            gy = margin + (proj.height - 2 * margin) * j / steps
            lon = proj.west + gx / (proj.k * proj.scale)
            lat = proj.north - gy / proj.scale
            if b.contains(lon, lat):
                inside.append((gx, gy))
    if not inside:
        return x, y
    return min(inside, key=lambda p: (p[0] - x) ** 2 + (p[1] - y) ** 2)


def place_labels(
    candidates: Sequence[tuple[str, float, float, bool]],
    width: float,
    height: float,
    size: float = LABEL_PX,
    obstacles: Sequence[Box] = (),
    focus_spots: Sequence[tuple[float, float]] = (),
) -> list[Label]:
    """Borough names with no two overlapping, and none over a shaded area (``obstacles``): each
    tries its anchor and a few nearby places, on one line or two; the focus borough goes first,
    then the others in the order given; a name with no free place is left out.

    >>> labels = place_labels([("Newham", 100, 100, False), ("Hackney", 104, 100, False)], 400, 400)
    >>> len(labels), labels[0].y != labels[1].y
    (2, True)
    """
    placed: list[Box] = list(obstacles)
    out: list[Label] = []
    ordered = sorted(candidates, key=lambda c: not c[3])
    for name, x, y, focus in ordered:
        s = size * (1.25 if focus else 1.0)
        done = False
        for lines in _wrapped(name):
            spots = _nearby(s) + ([(fx - x, fy - y) for fx, fy in focus_spots] if focus else [])
            for dx, dy in spots:
                box = _text_box(x + dx, y + dy, lines, s)
                if box[0] < 0 or box[1] < 0 or box[2] > width or box[3] > height:
                    continue
                if any(_overlaps(box, other) for other in placed):
                    continue
                placed.append(box)
                out.append(Label(x + dx, y + dy - (len(lines) - 1) * s * 0.575, tuple(lines), focus))
                done = True
                break
            if done:
                break
        if not done and focus:  # the area's own name is always shown, over a cell if it must be
            lines = _wrapped(name)[-1]
            box = _text_box(x, y, lines, s)
            dx = max(0.0, -box[0]) - max(0.0, box[2] - width)
            box = _text_box(x + dx, y, lines, s)
            placed.append(box)
            out.append(Label(x + dx, y - (len(lines) - 1) * s * 0.575, tuple(lines), focus, box))
    return out


def _in_view(every: Iterable[Boundary], proj: _Projection) -> list[Boundary]:
    """The boundaries whose bounding box reaches into the drawn frame."""
    frame = (0.0, 0.0, WIDTH, proj.height)
    return [b for b in every if _overlaps((*proj.xy(b.bbox[0], b.bbox[3]), *proj.xy(b.bbox[2], b.bbox[1])), frame)]


def _by_size(bs: Sequence[Boundary]) -> list[Boundary]:
    """Smallest first, so small boroughs get the first pick of label places."""
    return sorted(bs, key=lambda b: (b.bbox[2] - b.bbox[0]) * (b.bbox[3] - b.bbox[1]))


def _view(
    area: str, proj: _Projection, in_view: Sequence[Boundary], *, cells: list[Area], labels: list[Label],
    legend: list[LegendClass], rated: list[RatedBorough] | None = None,
) -> MapView:
    """The map both views share: boundaries in the frame (the area highlighted), the Thames, and the view's own layers."""
    return MapView(
        width=WIDTH,
        height=round(proj.height, 1),
        boroughs=[(b.gss, b.name, b.gss == area, proj.path(b.polygons)) for b in in_view],
        river=[proj.path([polygon]) for polygon in thames()],
        cells=cells,
        labels=labels,
        legend=legend,
        rated=rated,
    )


def hotspot_map(area: str, cells: Sequence[HotspotCell]) -> MapView:
    """The map of one area: London, or one borough with its neighbours around it."""
    every = boundaries()
    focus = [every[area]] if area in every else list(every.values())
    proj = _Projection(*_box(focus, cells if area == LONDON else [], 0.04 if area == LONDON else 0.3))
    values = [c.figure.value for c in cells if c.figure.value is not None]
    classes = legend_classes(values)
    areas = [
        Area(
            path=proj.path([[[(lon, lat) for lat, lon in h3.cell_to_boundary(c.cell)]]]),
            name=c.figure.label,  # the area's plain name (hub.statistics.places), as in the table
            display=c.figure.display,
            shade=_shade(c.figure.value or 0, classes),
        )
        for c in cells
    ]
    in_view = _in_view(every.values(), proj)
    by_size = _by_size(in_view)
    candidates = [(b.name, *_visible_anchor(b, proj), b.gss == area) for b in by_size]
    legend = [
        LegendClass(_shade(low, classes), f"{low} to {high}" if high is not None else f"{low} or more")
        for low, high in classes
    ]
    labels = place_labels(
        candidates,
        WIDTH,
        proj.height,
        obstacles=[_cell_box(c.cell, proj) for c in cells],
        focus_spots=_interior(every[area], proj) if area in every else [],
    )
    return _view(area, proj, in_view, cells=areas, labels=labels, legend=legend)


NICE_STEPS: Final = (1.0, 2.0, 2.5, 5.0)
"""a band's width is one of these times a power of ten, so every break is a round number"""


def rate_classes(values: Sequence[float]) -> list[tuple[float, float]]:
    """Up to CLASSES equal, round-numbered rate bands [low, high) spanning the published rates.

    The bands come from the rates themselves, as a choropleth's legend does: the narrowest round
    width (1, 2, 2.5 or 5 times a power of ten) that covers lowest to highest in CLASSES bands or
    fewer, so rates that sit close together still fall in different bands.

    >>> rate_classes([12.7, 15.1])
    [(12.0, 13.0), (13.0, 14.0), (14.0, 15.0), (15.0, 16.0)]
    >>> rate_classes([0.8, 3.1, 12.0])
    [(0.0, 2.5), (2.5, 5.0), (5.0, 7.5), (7.5, 10.0), (10.0, 12.5)]
    >>> rate_classes([4.0])
    [(4.0, 5.0)]
    >>> rate_classes([])
    []
    """
    if not values:
        return []
    low, top = min(values), max(values)
    # one rate alone (or all equal) gets one band as wide as its leading digit: 4.0 is "4 to under 5"
    span = (top - low) / CLASSES if top > low else (top or 1.0)
    magnitude = 10.0 ** math.floor(math.log10(span))
    for scale in (magnitude, magnitude * 10, magnitude * 100):
        for nice in NICE_STEPS:
            step = nice * scale
            first, last = math.floor(low / step + 1e-9), math.floor(top / step + 1e-9) + 1
            if last - first <= CLASSES:
                return [(_round(i * step), _round((i + 1) * step)) for i in range(first, last)]
    raise AssertionError("a band width always fits")  # pragma: no cover: 100 × magnitude spans every rate


def _round(value: float) -> float:
    return round(value, 6) + 0.0  # no float dust (0.30000000000000004) and no -0.0 in a label


def _rate_shade(value: float, classes: Sequence[tuple[float, float]]) -> int:
    offset = 5 - len(classes)  # few bands use the darker end, so a single band is not pale
    for i, (low, high) in reversed(list(enumerate(classes))):
        if low <= value < high:
            return offset + i + 1
    return offset + 1


def _per(value: float) -> str:
    return f"{value:g}"


def _boxed(label: Label) -> Label:
    """The label on a white box: in the rate view names sit on shaded boroughs, so every one needs
    its own background to keep its contrast whatever the shade beneath."""
    size = LABEL_PX * (1.25 if label.focus else 1.0)
    y = label.y + (len(label.lines) - 1) * size * 0.575
    return Label(label.x, label.y, label.lines, label.focus, _text_box(label.x, y, label.lines, size))


def rate_map(area: str, rows: Sequence[BoroughRow]) -> MapView:
    """Boroughs shaded by published incidents per 100,000 residents (hub.statistics.population).

    A borough whose count is suppressed, or that is not shared with the viewer, is left unshaded
    and says why: a rate is never made from a hidden count.
    """
    every = boundaries()
    focus = [every[area]] if area in every else list(every.values())
    proj = _Projection(*_box(focus, [], 0.04 if area == LONDON else 0.3))
    by_gss = {r.gss_code: r for r in rows}
    rates = [r.incidents_rate for r in rows if r.incidents_rate is not None]
    classes = rate_classes(rates)
    in_view = _in_view(every.values(), proj)
    rated = []
    for b in in_view:
        row = by_gss.get(b.gss)
        if row is None:
            shade, display = 0, "not shared with you, or no records this quarter"
        elif row.incidents_rate is None:
            shade, display = 0, f"no rate: the count ({row.incidents.display}) is not published"
        else:
            shade = _rate_shade(row.incidents_rate, classes)
            display = f"{_per(row.incidents_rate)} incidents per 100,000 residents ({row.incidents.display} incidents)"
        rated.append(RatedBorough(b.gss, b.name, proj.path(b.polygons), shade, display))
    by_size = _by_size(in_view)
    legend = [
        LegendClass(_rate_shade(low, classes), f"{_per(low)} to under {_per(high)}")
        for low, high in classes
    ]
    labels = [_boxed(label) for label in place_labels(
        [(b.name, *_visible_anchor(b, proj), b.gss == area) for b in by_size],
        WIDTH,
        proj.height,
        focus_spots=_interior(every[area], proj) if area in every else [],
    )]
    return _view(area, proj, in_view, cells=[], labels=labels, legend=legend, rated=rated)
