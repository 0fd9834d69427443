"""The quarterly report as a PDF an officer can forward: headlines with last quarter's figures,
the trend, the hotspot map, breakdown charts, repeat people, and which partners the figures cover.

Every figure is the published one (the same service calls as the dashboard and the JSON API);
charts and the map are vector images with alternative text, headings are in the outline, the
language is set, and every page carries the agreement's protective marking and its number. It is a
tagged PDF (``hub.pages.pdf_tags``): H1, H2, H3, P, Figure with Alt, and Table → TR → TH/TD, in
reading order; the running marking and page numbers are artifacts.
"""

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from fastapi import APIRouter, Response
from sqlalchemy.orm import Session

from hub.auth.dependencies import CurrentPrincipal
from hub.auth.principal import Principal
from hub.deps import SessionDep
from hub.pages import report_svg
from hub.pages.dashboard import org_names
from hub.pages.hotspot_map import hotspot_map
from hub.pages.pdf_tags import TaggedPdf
from hub.pages.plain import excluded_why, field_name, period
from hub.pages.report_svg import latin1
from hub.statistics import access, service
from hub.statistics.schemas import (
    BoroughComparison,
    Breakdowns,
    Coverage,
    Figure,
    Hotspots,
    Overview,
    PrivacyLabel,
    Repeats,
    RouteFlows,
    Table,
    Trends,
)

router = APIRouter()

DEFAULT_MARKING: Final = "OFFICIAL-SENSITIVE"
MM_PER_PX: Final = 0.2646  # the SVGs are drawn in CSS pixels (96 per inch)
TOP_AREAS: Final = 8
CHART_MM: Final = 150.0  # the width of a breakdown's bar chart
KEEP_MM: Final = 15.0  # a heading is kept with this much of what follows: a table's heading row and first row


@dataclass(frozen=True)
class Report:
    """Everything one report prints, each the published answer to one question."""

    overview: Overview
    details: Breakdowns
    trends: Trends
    hotspots: Hotspots
    repeats: Repeats
    coverage: Coverage
    boroughs: BoroughComparison | None
    routes: RouteFlows
    names: Mapping[str, str]
    marking: str


class _Pdf(TaggedPdf):
    """The report's pages: the marking, title and page number run as artifacts outside the structure tree."""

    marking = DEFAULT_MARKING
    heading = ""

    def header(self) -> None:
        with self.artifact():
            self.set_font("Helvetica", "B", 10)
            self.set_text_color(140, 20, 20)
            self.cell(0, 6, self.marking, align="C", new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(0, 0, 0)
        self.ln(2)

    def footer(self) -> None:
        with self.artifact():
            self.set_y(-14)
            self.set_font("Helvetica", "", 8)
            self.cell(0, 4, latin1(self.heading), align="L")
            self.set_x(self.l_margin)
            self.cell(0, 4, f"Page {self.page_no()} of {{nb}}", align="R", new_x="LMARGIN", new_y="NEXT")
            self.set_font("Helvetica", "B", 10)
            self.set_text_color(140, 20, 20)
            self.cell(0, 5, self.marking, align="C")
            self.set_text_color(0, 0, 0)


def _heading_height(pdf: _Pdf, text: str, size: int) -> float:
    pdf.set_font("Helvetica", "B", size)
    height = pdf.lines_height(pdf.epw, 7, latin1(text))
    pdf.set_font("Helvetica", "", 10)
    return height


def _h(pdf: _Pdf, text: str, size: int = 13, keep: float = KEEP_MM) -> None:
    """A section heading (``H2``, in the outline at level 0) or a sub-heading (``H3``, level 1),
    kept with the next ``keep`` millimetres (its chart, or a table's first rows): a heading never
    ends a page with what it introduces on the next."""
    height = _heading_height(pdf, text, size)
    pdf.fit(min(height + keep, pdf.page_break_trigger - pdf.t_margin - 10))  # what cannot fit on any page starts a page
    pdf.set_font("Helvetica", "B", size)
    pdf.start_section(latin1(text), level=0 if size >= 13 else 1)
    with pdf.tag("/H2" if size >= 13 else "/H3"):
        pdf.multi_cell(0, 7, latin1(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)


def _p(pdf: _Pdf, text: str, size: float = 10, style: str = "") -> None:
    pdf.set_font("Helvetica", style, size)
    pdf.fit(pdf.lines_height(pdf.epw, size * 0.5, latin1(text)))
    with pdf.tag("/P"):
        pdf.multi_cell(0, size * 0.5, latin1(text), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)


def _svg_size(pdf: _Pdf, svg: str, width_mm: float | None = None) -> tuple[float, float]:
    """The drawn width and height in millimetres of ``svg`` (its own size, scaled to ``width_mm``)."""
    head = svg[: svg.index(">")]
    w_px = float(head.split('width="', 1)[1].split('"', 1)[0])
    h_px = float(head.split('height="', 1)[1].split('"', 1)[0])
    w = width_mm or min(w_px * MM_PER_PX, pdf.epw)
    return w, w * h_px / w_px


def _svg(pdf: _Pdf, svg: str, alt: str, width_mm: float | None = None) -> None:
    w, h = _svg_size(pdf, svg, width_mm)
    if pdf.get_y() + h > pdf.h - 20:
        pdf.add_page()
    with pdf.rect_clip(x=pdf.l_margin, y=pdf.get_y(), w=w, h=h):  # fpdf2 does not clip an SVG to its viewBox
        pdf.image(io.BytesIO(svg.encode()), x=pdf.l_margin, y=pdf.get_y(), w=w, h=h, alt_text=latin1(alt))
    pdf.set_y(pdf.get_y() + h + 2)


def _rows(pdf: _Pdf, head: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float]) -> None:
    pdf.set_font("Helvetica", "", 9.5)
    pdf.fit(15)  # the heading row and a first row together
    pdf.table_rows([latin1(h) for h in head], [[latin1(v) for v in row] for row in rows], widths)
    pdf.ln(2)


def _table_title(t: Table, quarter: str | None) -> str:
    return f"{t.title} ({t.unit}, {period(quarter)})"


def _table_lead(pdf: _Pdf, t: Table, quarter: str | None) -> float:
    """The height of a table's heading and chart: what a heading above it must be kept with."""
    chart = report_svg.bar_chart([f for f in t.rows if f.value != 0 or f.suppressed])
    return _heading_height(pdf, _table_title(t, quarter), 11) + _svg_size(pdf, chart, CHART_MM)[1] + 2


def _table(pdf: _Pdf, t: Table, quarter: str | None) -> None:
    shown = [f for f in t.rows if f.value != 0 or f.suppressed]
    zero = [f.label for f in t.rows if f.value == 0 and not f.suppressed]
    chart = report_svg.bar_chart(shown)
    _h(pdf, _table_title(t, quarter), 11, keep=_svg_size(pdf, chart, CHART_MM)[1] + 2)
    _svg(pdf, chart, f"Bar chart of {t.title.lower()}; the same figures are in the table below", CHART_MM)
    _rows(pdf, ["Category", t.unit.capitalize()], [[f.label, f.display] for f in [*shown, t.total]], [110, 40])
    if zero:
        _p(pdf, f"None recorded: {', '.join(zero)}.", 8.5)
    if t.note:
        _p(pdf, t.note, 8.5, "I")


def _about(pdf: _Pdf, p: PrivacyLabel, names: Mapping[str, str], quarter: str | None) -> None:
    partners = ", ".join(names.get(o, o) for o in p.partners)
    text = f"About these figures ({period(quarter)}): based on {p.partners_included} of {p.partners_considered} partners"
    text += f": {partners}." if partners else "."
    if p.excluded:
        text += " Not included: " + "; ".join(f"{names.get(o, o)} ({excluded_why(why)})" for o, why in p.excluded.items()) + "."
    _p(pdf, text, 9.5)
    _p(pdf, p.rules, 8)
    if p.agreements:
        _p(pdf, f"Data sharing agreement: {', '.join(p.agreements)}.", 8)


def _headlines(pdf: _Pdf, r: Report) -> None:
    _h(pdf, "Headlines")
    rows = []
    for h in r.overview.headlines:
        before = {c.against: c for c in h.changes}
        cells = [h.label, h.figure.display]
        for key in ("previous_quarter", "same_quarter_last_year"):
            c = before.get(key)
            shown = c.previous.display if c is not None and c.previous is not None else "not available"
            change = f" ({c.percent:+d}%)" if c is not None and c.percent is not None else ""
            cells.append(f"{c.quarter if c else ''}: {shown}{change}")
        rows.append(cells)
    q = r.overview.quarter or ""
    _rows(pdf, ["", q, "Last quarter", "Same quarter last year"], rows, [45, 25, 55, 55])
    repeat = {f.key: f for f in r.repeats.table.rows}
    quarters = r.overview.quarters
    span = f"{quarters[0]} to {quarters[-1]}" if quarters else "no quarters yet"
    lines = [f"{f.label.lower()}: {f.display}" for k in ("victims_repeat", "victims_multi_partner") if (f := repeat.get(k)) is not None]
    if lines:
        _p(pdf, f"Repeat people, all quarters sent ({span}): " + "; ".join(lines) + ".")


def _where(pdf: _Pdf, r: Report, area: str) -> None:
    view = hotspot_map(area, r.hotspots.cells)
    drawn = report_svg.map_svg(view)
    _h(pdf, f"Where: incidents by area ({period(r.hotspots.quarter)})", keep=_svg_size(pdf, drawn, pdf.epw)[1] + 2)
    _svg(pdf, drawn, f"Map of {r.overview.scope_name} with borough boundaries, the Thames and areas shaded by incidents; the figures are in the table below", pdf.epw)
    legend = "; ".join(f"{k.text}" for k in view.legend)
    _p(pdf, f"Shading, incidents per area: {legend}. Areas with small numbers are not drawn. Boundaries: ONS and OS data, (c) Crown copyright and database right 2014.", 8)
    mapped = sorted((f for f in r.hotspots.table.rows if f.value is not None), key=lambda f: -(f.value or 0))
    _rows(pdf, ["Area", "Incidents"], [[f.label, f.display] for f in mapped[:TOP_AREAS]], [120, 40])


def _boroughs(pdf: _Pdf, b: BoroughComparison) -> None:
    figures = [Figure(key=r.gss_code, label=r.name, value=r.incidents.value, display=r.incidents.display) for r in b.rows]
    chart = report_svg.bar_chart(figures) if b.rows else None
    _h(pdf, f"Boroughs compared (incidents, {period(b.quarter)})", keep=_svg_size(pdf, chart, CHART_MM)[1] + 2 if chart else KEEP_MM)
    if chart is not None:
        _svg(pdf, chart, "Bar chart of incidents by borough; the same figures are in the table below", CHART_MM)
        _rows(pdf, ["Borough", f"Incidents {b.quarter}", f"Incidents {b.previous_quarter}"],
              [[r.name, r.incidents.display, r.previous.display if r.previous else "not available"] for r in b.rows], [90, 40, 40])
    _p(pdf, "Each row is the figure the borough's own page publishes to you; partners who share only London-wide figures are left out of every borough.", 8.5)
    if b.not_shared:
        n = len(b.not_shared)
        listed = ", ".join(b.not_shared) if n <= 6 else f"{n} boroughs (listed on the London page of the dashboard)"
        _p(pdf, f"Not shared with you: {listed}.", 8)


def _partners(pdf: _Pdf, r: Report) -> None:
    _h(pdf, "Partners and coverage")
    c = r.coverage
    shown = c.quarters[-6:]
    rows = [[r.names.get(p.provider, p.provider), *("sent" if q in p.quarters else "missing" for q in shown)] for p in c.providers]
    _rows(pdf, ["Partner", *shown], rows, [60, *([120 / max(len(shown), 1)] * len(shown))])
    if c.pooled:
        _h(pdf, f"Fields filled in, all partners ({period(c.quarter)})", 11)
        _rows(pdf, ["Field", "Filled"], [[field_name(f.field), f.display] for f in c.pooled], [120, 40])


def build(r: Report, area: str) -> bytes:
    pdf = _Pdf(orientation="P", unit="mm", format="A4")
    pdf.marking = latin1(r.marking)
    pdf.heading = f"Modern slavery: {r.overview.scope_name}, {r.overview.quarter or 'no data yet'}"
    pdf.set_title(latin1(pdf.heading))
    pdf.set_subject("Quarterly management information (pooled, disclosure-controlled figures)")
    pdf.set_author("msht-hub")
    pdf.set_lang("en-GB")
    pdf.set_auto_page_break(auto=True, margin=22)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 17)
    pdf.start_section(latin1(pdf.heading))
    with pdf.tag("/H1"):
        pdf.multi_cell(0, 9, latin1(f"Modern slavery: {r.overview.scope_name}"), new_x="LMARGIN", new_y="NEXT")
    _p(pdf, f"Quarterly management information, {period(r.overview.quarter)}", 12)
    pdf.ln(2)
    _about(pdf, r.overview.privacy, r.names, r.overview.quarter)
    _headlines(pdf, r)
    if r.trends.quarters:
        lines = report_svg.line_chart(r.trends.quarters, r.trends.series)
        _h(pdf, f"Trends ({r.trends.quarters[0]} to {r.trends.quarters[-1]})", keep=_svg_size(pdf, lines, pdf.epw)[1] + 2)
        _svg(pdf, lines, "Line chart of incidents, potential victims and suspects by quarter; the same figures are in the table below", pdf.epw)
        _rows(pdf, ["Quarter", *(s.label for s in r.trends.series)],
              [[q, *(s.points[i].display for s in r.trends.series)] for i, q in enumerate(r.trends.quarters)],
              [40, *([130 / max(len(r.trends.series), 1)] * len(r.trends.series))])
    pdf.add_page()
    _where(pdf, r, area)
    if r.boroughs is not None:
        _boroughs(pdf, r.boroughs)
    pdf.add_page()
    _h(pdf, f"Breakdowns ({period(r.details.quarter)})")
    empty = [t.title for t in r.details.tables if t.rows and all(f.value == 0 for f in t.rows)]
    for t in r.details.tables:
        if t.title not in empty:
            _table(pdf, t, r.details.quarter)
    if empty:
        _p(pdf, f"None recorded this quarter: {', '.join(empty)}.", 9)
    if r.routes.table.rows:
        _h(pdf, f"Routes: {r.routes.question}", 11, keep=_table_lead(pdf, r.routes.table, r.routes.quarter))
        _table(pdf, r.routes.table, r.routes.quarter)
    if r.overview.rates:
        _h(pdf, f"Referral rates ({period(r.overview.quarter)})", 11)
        _rows(pdf, ["Of incidents", "Incidents", "Share"], [[x.label, x.numerator.display, x.display] for x in r.overview.rates], [90, 35, 35])
    _h(pdf, "Repeat people (all quarters sent)", 11)
    _rows(pdf, ["", "People"], [[f.label, f.display] for f in r.repeats.table.rows], [130, 30])
    _p(pdf, r.repeats.linkage + " People are matched only through pseudonymous match keys; nobody is named or listed.", 8.5)
    _partners(pdf, r)
    return bytes(pdf.output())


def marking(session: Session, agreements: Sequence[str]) -> str:
    """The protective marking of the agreements the figures draw on (``id vN`` labels): theirs if
    they agree, else the default, which is the stricter one any of them would print."""
    ids = {a.rsplit(" v", 1)[0] for a in agreements}
    found = {a.protective_marking for a in access.governing_agreements(session) if a.id in ids}
    return found.pop() if len(found) == 1 else DEFAULT_MARKING


def report(session: Session, principal: Principal, area: str, quarter: str | None) -> bytes:
    o = service.overview(session, principal, area, quarter)
    r = Report(
        overview=o,
        details=service.breakdowns(session, principal, area, o.quarter),
        trends=service.trends(session, principal, area),
        hotspots=service.hotspots(session, principal, area, o.quarter),
        repeats=service.repeats(session, principal, area),
        coverage=service.coverage(session, principal, area),
        boroughs=None,  # each borough's first headline costs its linked audit: minutes for London; the page has it
        routes=service.routes(session, principal, area, o.quarter),
        names=org_names(session),
        marking=marking(session, o.privacy.agreements),
    )
    return build(r, area)


@router.get("/api/v1/stats/{scope}/report.pdf")
def report_pdf(scope: str, principal: CurrentPrincipal, session: SessionDep, quarter: str | None = None) -> Response:
    body = report(session, principal, scope, quarter)
    name = f"msht-{scope}-{quarter or 'latest'}-report.pdf"
    return Response(body, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{name}"'})
