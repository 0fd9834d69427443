"""The quarterly report's pictures as SVG: bar charts, the trend chart and the hotspot map.

Drawn from published figures only (each chart from the table printed beside it in the report) and
embedded by fpdf2 as vector images with their alternative text, so the PDF is tagged as figures.
"""

from collections.abc import Sequence
from html import escape
from typing import Final

from hub.pages.hotspot_map import MapView
from hub.statistics.schemas import Figure, Trend

FONT: Final = "Helvetica"
BAR: Final = "#1d5c96"
COLOURS: Final = ("#1d5c96", "#c25e00", "#3b7d3b", "#6b3fa0")
DASHES: Final = ("", "6 3", "2 2", "8 3 2 3")
SHADES: Final = {1: "#fde0c5", 2: "#facba6", 3: "#f59e72", 4: "#e3683c", 5: "#b33a17"}


SWAPS: Final = {"–": "-", "—": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "…": "...", "×": "x", "→": "->", "←": "<-"}


def latin1(text: str) -> str:
    """``text`` in the PDF core fonts' character set (Latin-1): dashes, quotes and arrows swapped
    for their plain forms, anything else outside it as "?".

    >>> latin1("Newham → Camden – 2026")
    'Newham -> Camden - 2026'
    """
    for a, b in SWAPS.items():
        text = text.replace(a, b)
    return text.encode("latin-1", "replace").decode("latin-1")


def _t(x: float, y: float, text: str, *, size: float = 11, anchor: str = "start", weight: str = "normal", fill: str = "#1b1b1b") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-family="{FONT}" font-size="{size}" text-anchor="{anchor}" '
        f'font-weight="{weight}" fill="{fill}">{escape(latin1(text))}</text>'
    )


def _ticks(top: int) -> list[int]:
    """Round tick values from 0 to at least ``top`` (at most about five)."""
    step = 1
    for s in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000):
        step = s
        if top / s <= 5:
            break
    return list(range(0, (top // step + 1) * step + 1, step)) if top else [0, 1]


def bar_chart(rows: Sequence[Figure], *, width: float = 520) -> str:
    """Horizontal bars, one per row, labelled with the published figure ("suppressed" rows have no bar)."""
    label_w = min(0.6 * width, 12 + 6.2 * max((len(f.label) for f in rows), default=4))
    step, top_pad = 22.0, 6.0
    height = top_pad + step * len(rows) + 28
    values = [f.value for f in rows if f.value is not None]
    ticks = _ticks(max(values, default=0))
    scale = (width - label_w - 40) / max(ticks[-1], 1)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}">']
    axis_y = top_pad + step * len(rows)
    for tick in ticks:
        x = label_w + tick * scale
        out.append(f'<line x1="{x:.1f}" y1="{top_pad:.1f}" x2="{x:.1f}" y2="{axis_y:.1f}" stroke="#e2e2e2" stroke-width="1"/>')
        out.append(_t(x, axis_y + 16, f"{tick:,}", size=10, anchor="middle"))
    for i, f in enumerate(rows):
        y = top_pad + i * step
        out.append(_t(label_w - 6, y + 15, f.label, anchor="end"))
        if f.value is not None and f.value > 0:
            w = f.value * scale
            out.append(f'<rect x="{label_w:.1f}" y="{y + 3:.1f}" width="{w:.1f}" height="{step - 6:.1f}" fill="{BAR}"/>')
            out.append(_t(label_w + w + 4, y + 15, f.display, size=10))
        else:
            out.append(_t(label_w + 4, y + 15, f.display, size=10, fill="#5f5f5f"))
    out.append(f'<line x1="{label_w:.1f}" y1="{axis_y:.1f}" x2="{width - 30:.1f}" y2="{axis_y:.1f}" stroke="#1b1b1b" stroke-width="1"/>')
    out.append("</svg>")
    return "".join(out)


def line_chart(quarters: Sequence[str], series: Sequence[Trend], *, width: float = 520, height: float = 230) -> str:
    """One line per series over the quarters, each with its own colour and dash (a legend on top);
    a suppressed point breaks the line."""
    left, right, top, bottom = 44.0, 12.0, 34.0, 30.0
    inset = 30.0  # room for the first and last quarter's label
    values = [p.value for s in series for p in s.points if p.value is not None]
    ticks = _ticks(max(values, default=0))
    plot_w, plot_h = width - left - right, height - top - bottom
    x_step = (plot_w - 2 * inset) / max(len(quarters) - 1, 1)
    x0 = left + inset

    def y_of(v: int) -> float:
        return top + plot_h - v * plot_h / max(ticks[-1], 1)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}">']
    for tick in ticks:
        out.append(f'<line x1="{left}" y1="{y_of(tick):.1f}" x2="{width - right}" y2="{y_of(tick):.1f}" stroke="#e2e2e2" stroke-width="1"/>')
        out.append(_t(left - 5, y_of(tick) + 4, f"{tick:,}", size=10, anchor="end"))
    for i, q in enumerate(quarters):
        if len(quarters) <= 8 or i % 2 == 0 or i == len(quarters) - 1:
            out.append(_t(x0 + i * x_step, height - 10, q, size=10, anchor="middle"))
    legend_x = left
    for k, s in enumerate(series):
        colour, dash = COLOURS[k % len(COLOURS)], DASHES[k % len(DASHES)]
        out.append(f'<line x1="{legend_x:.1f}" y1="12" x2="{legend_x + 22:.1f}" y2="12" stroke="{colour}" stroke-width="2.5" stroke-dasharray="{dash}"/>')
        out.append(_t(legend_x + 27, 16, s.label, size=11))
        legend_x += 40 + 6.3 * len(s.label)
        run: list[str] = []
        for i, p in enumerate(s.points):
            if p.value is None:
                if len(run) > 1:
                    out.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" stroke-width="2.5" stroke-dasharray="{dash}"/>')
                run = []
                continue
            x, y = x0 + i * x_step, y_of(p.value)
            run.append(f"{x:.1f},{y:.1f}")
            out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
        if len(run) > 1:
            out.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" stroke-width="2.5" stroke-dasharray="{dash}"/>')
    out.append("</svg>")
    return "".join(out)


def map_svg(view: MapView) -> str:
    """The hotspot map as the dashboard draws it (boroughs, the Thames, shaded areas, names), styled inline."""
    w, h = view.width, view.height
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0f}" height="{h:.0f}" viewBox="0 0 {w:.1f} {h:.1f}">']
    out.append(f'<rect x="0" y="0" width="{w:.1f}" height="{h:.1f}" fill="#f2f1ec"/>')
    for _gss, _name, focus, d in view.boroughs:
        style = 'fill="#eef4fb" stroke="#1d5c96" stroke-width="2.5"' if focus else 'fill="#ffffff" stroke="#8c96a0" stroke-width="1"'
        out.append(f'<path d="{d}" {style}/>')
    out.extend(f'<path d="{d}" fill="#9cc3e0" stroke="#6f9fc4" stroke-width="0.6"/>' for d in view.river)
    out.extend(f'<path d="{c.path}" fill="{SHADES.get(c.shade, SHADES[1])}" stroke="#7a2a10" stroke-width="0.5"/>' for c in view.cells)
    for label in view.labels:
        if label.box:
            x0, y0, x1, y1 = label.box
            out.append(f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{x1 - x0:.1f}" height="{y1 - y0:.1f}" fill="#ffffff" stroke="#1d5c96" stroke-width="1"/>')
        size = 17.5 if label.focus else 14
        for i, line in enumerate(label.lines):
            # the page centres names on their anchor (dominant-baseline: middle); here the baseline is set by hand
            out.append(_t(label.x, label.y + size * 0.35 + i * size * 1.15, line, size=size, anchor="middle", weight="bold" if label.focus else "normal"))
    out.append("</svg>")
    return "".join(out)
