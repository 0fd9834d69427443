"""The disclosure audit across linked tables: everything one viewer fetched for a scope and quarter, as one system.

The same cell appears in several tables (victims are the total of the age, gender, age band and
nationality tables and of the gender × adult/child table, whose margins are the gender and the
adult/child cells; incidents are the headline, the premises and hotspot totals and every rate's
denominator). :func:`constraints` turns published responses into one variable per cell, what
each published figure says about it (``anonymise.intervals.window``, intersected over every
place it appears) and every additive line; :func:`narrowed` solves the integer programs and
names each cell shown as "fewer than N" whose interval an intruder holding all of it can narrow
to within +-1.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from anonymise import Line, Window, intervals, protect, window
from hub.statistics.figures import NOT_RECORDED, OTHER, fold_markers, percent_of

__all__ = ["Constraints", "constraints", "hidden", "joint", "narrowed", "protected", "to_hide"]

OTHER_GENDER: Final = "other_gender"
PROTECTED: Final = {"value": None, "display": "suppressed", "suppressed": "protected"}
"""What a figure the audit hides shows instead (no value, no "fewer than N" label)."""
SPLIT_GENDERS: Final = ("female", "male", "not_recorded")


@dataclass
class Constraints:
    names: list[str] = field(default_factory=list)
    windows: list[Window] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    small: set[int] = field(default_factory=set)
    shown_missing: list[tuple[int, tuple[int, ...], int]] = field(default_factory=list)
    """The missing count of every shown share, the terms it sums and N: it is 0 or at least N."""
    _index: dict[str, int] = field(default_factory=dict)

    def var(self, name: str) -> int:
        if name not in self._index:
            self._index[name] = len(self.names)
            self.names.append(name)
            self.windows.append((0, None))
        return self._index[name]

    def see(self, name: str, figure: Mapping[str, Any], min_count: int, base: int) -> int:
        """Intersect what ``figure`` says with what is known of cell ``name``."""
        i = self.var(name)
        status = "shown" if figure["suppressed"] is None else figure["suppressed"]
        lo, hi = window(figure["value"], status, min_count=min_count, rounding_base=base)
        old_lo, old_hi = self.windows[i]
        new_hi = hi if old_hi is None else (old_hi if hi is None else min(hi, old_hi))
        self.windows[i] = (max(lo, old_lo), new_hi)
        if status == "small":
            self.small.add(i)
        return i

    def line(self, members: Sequence[int], total: int) -> None:
        self.lines.append(Line(tuple(members), total))

    def bound(self, name: str, w: Window) -> int:
        """Intersect the window ``w`` with what is known of cell ``name``."""
        i = self.var(name)
        (lo, hi), (old_lo, old_hi) = w, self.windows[i]
        self.windows[i] = (max(lo, old_lo), hi if old_hi is None else (old_hi if hi is None else min(hi, old_hi)))
        return i


def _table(c: Constraints, t: Mapping[str, Any], m: int, b: int) -> None:
    unit = t["unit"]
    total = c.see(f"{unit}:total", t["total"], m, b)
    if not t["additive"]:
        return  # multi-valued rows (several codes per incident): only the total is a cell of the system
    members = [c.see(f"{unit}:{t['id']}:{f['key']}", f, m, b) for f in t["rows"]]
    c.line(members, total)
    if t["id"] == "gender":  # the cross table folds every other gender into one row
        others = [c.var(f"{unit}:gender:{f['key']}") for f in t["rows"] if f["key"] not in SPLIT_GENDERS]
        c.line(others, c.var(f"{unit}:gender:{OTHER_GENDER}"))


def _cross(c: Constraints, t: Mapping[str, Any], m: int, b: int) -> None:
    unit = t["unit"]
    rows = [c.see(f"{unit}:gender:{f['key']}", f, m, b) for f in t["row_totals"]]
    cols = [c.see(f"{unit}:age_group:{f['key']}", f, m, b) for f in t["col_totals"]]
    total = c.see(f"{unit}:total", t["total"], m, b)
    grid = [[c.see(f"{unit}:gender_by_age_group:{f['key']}", f, m, b) for f in row] for row in t["cells"]]
    for i, row in enumerate(grid):
        c.line(row, rows[i])
    for j, col in enumerate(zip(*grid, strict=True)):
        c.line(list(col), cols[j])
    c.line(rows, total)
    c.line(cols, total)


def _rates(c: Constraints, rates: Iterable[Mapping[str, Any]], m: int, b: int) -> None:
    for r in rates:
        total = c.see("incidents:total", r["denominator"], m, b)
        yes = c.see(f"incidents:rate:{r['key']}", r["numerator"], m, b)
        c.line([yes, c.var(f"incidents:rate:not_{r['key']}")], total)


def _citizenship(c: Constraints, responses: Mapping[str, Mapping[str, Any]]) -> None:
    """Line the CTDC table to the nationality breakdown through their common finest cells: the
    potential victims of one recorded citizenship and country of exploitation (``citizenship``
    of the route body, the audit's own input). Each CTDC cell, a region's or "elsewhere" included,
    is the sum of the pairs rolled into it, and each nationality row the sum of its countries'
    pairs (a top country's own, "other" every country folded into it, "not recorded" the markers'),
    so a CTDC region cell minus the nationality rows of its countries is in the system.

    The pairs are placed where the roll-up really put them, which an intruder can only guess at:
    the audit assumes the intruder knows more than it can, never less."""
    pairs = [p for body in responses.values() for p in body.get("citizenship", [])]
    nationality = next(
        (t for body in responses.values() for t in body.get("tables", []) if t["id"] == "nationality" and t["additive"]), None
    )
    if not pairs or nationality is None:
        return
    unit = nationality["unit"]
    top = {f["key"] for f in nationality["rows"]} - {OTHER, NOT_RECORDED}
    by_row: dict[str, list[int]] = {f["key"]: [] for f in nationality["rows"]}
    by_cell: dict[str, list[int]] = {}
    for p in pairs:
        fine = c.var(f"{unit}:citizenship:{p['nationality']}|{p['exploitation_country']}")
        code = fold_markers(p["nationality"])
        row = code if code in top or code == NOT_RECORDED else OTHER
        by_row.setdefault(row, []).append(fine)
        by_cell.setdefault(p["cell"], []).append(fine)
    for cell, members in by_cell.items():
        c.line(members, c.var(f"{unit}:ctdc:{cell}"))
    for row, members in by_row.items():
        c.line(members, c.var(f"{unit}:nationality:{row}"))


def filled_window(percent: int, total: int, m: int, b: int) -> Window:
    """What a pooled share of ``percent`` (``figures.share``: the published filled count over the
    published ``total``) says about the true filled count: the union of the windows of every
    publishable filled value (0, or a multiple of ``b`` of at least ``m``) giving that percentage.

    >>> filled_window(50, 20, 5, 5)   # only a published 10 of 20 gives 50 %: 10 stands for 1..19
    (5, 19)
    """
    lo: int | None = None
    hi: int | None = None
    for p in range(0, 2 * total + 4 * b + 1, b):
        if 0 < p < m or percent_of(p, total) != percent:
            continue
        w_lo, w_hi = window(p, "shown", min_count=m, rounding_base=b)
        assert w_hi is not None
        lo, hi = (w_lo, w_hi) if lo is None or hi is None else (min(lo, w_lo), max(hi, w_hi))
    return (0, None) if lo is None else (lo, hi)


VICTIM_TABLES: Final = ("gender", "age_band", "nationality")
"""Person fields whose potential victims' breakdown has a "not recorded" row."""


def _coverage(c: Constraints, body: Mapping[str, Any], m: int, b: int, incidents: int | None) -> None:
    """The pooled shares of the coverage page as cells of the system.

    A share of field ``f`` is its filled count over its total, both published (perturbed) and
    the percentage rounded to 5 points (``figures.share``), so with the published total it bounds
    the filled count (:func:`filled_window`), and ``filled + missing = total``. An incident field's
    missing count is its breakdown's "not recorded" row where there is one, and its total the
    incidents headline. A person field counts every person (victims, suspects and others
    together): ``persons = victims + the rest`` and ``missing = victims' "not recorded" + the
    rest's``. The persons total is not published; an audit body may give it (``totals``), so the
    audit assumes the intruder knows it. A share shown below 100 % says its missing count is
    shown too (a zero gives 100 %), so at least ``m``."""
    totals: dict[str, int | None] = {"incidents": incidents, **{k: v for k, v in (body.get("totals") or {}).items() if v is not None}}
    shares = [s for s in body.get("pooled", []) if s["field"].partition(".")[0] in ("incidents", "persons")]
    if any(s["field"].startswith("persons.") for s in shares):
        c.line([c.var("potential victims:total"), c.var("persons:not_victims")], c.var("persons:total"))
        if totals.get("persons"):
            c.see("persons:total", {"value": totals["persons"], "suppressed": None}, m, b)
    for s in shares:
        unit, _, column = s["field"].partition(".")
        filled, total = c.var(f"{unit}:coverage:{column}"), c.var(f"{unit}:total")
        if unit == "incidents":
            missing = c.var(f"incidents:{column}:{NOT_RECORDED}")
        else:
            missing = c.var(f"persons:coverage_missing:{column}")
            victims = f"potential victims:{column}:{NOT_RECORDED}" if column in VICTIM_TABLES else f"potential victims:coverage_missing:{column}"
            rest = c.var(f"persons:rest_missing:{column}")
            c.line([c.var(victims), rest], missing)
            if s["percent"] is not None:
                c.shown_missing.append((missing, (c.var(victims), rest), m))
            c.line([rest, c.var(f"persons:rest_filled:{column}")], c.var("persons:not_victims"))
        c.line([filled, missing], total)
        shown_total = totals.get(unit)
        if s["percent"] is None or not shown_total:
            continue
        c.bound(f"{unit}:coverage:{column}", filled_window(s["percent"], shown_total, m, b))
        if s["percent"] != 100:
            c.bound(c.names[missing], (m, None))


def _incidents_shown(responses: Mapping[str, Mapping[str, Any]]) -> int | None:
    for body in responses.values():
        for h in body.get("headlines", []):
            if h["key"] == "incidents" and h["figure"]["suppressed"] is None:
                return int(h["figure"]["value"])
    return None


def constraints(responses: Mapping[str, Mapping[str, Any]]) -> Constraints:
    """One system from the JSON a viewer fetched for one scope and quarter (``overview``,
    ``breakdowns``, ``hotspots``, ``coverage``... keyed by endpoint); all must share a quarter."""
    c = Constraints()
    _citizenship(c, responses)
    for body in responses.values():
        privacy = body.get("privacy") or {}
        m, b = int(privacy.get("min_count", 5)), int(privacy.get("rounding_base", 5))
        for h in body.get("headlines", []):
            c.see(f"{'incidents' if h['key'] == 'incidents' else 'potential victims'}:total", h["figure"], m, b)
        for t in [*body.get("tables", []), *([body["table"]] if "table" in body and body["table"].get("additive") else [])]:
            _table(c, t, m, b)
        for t in body.get("cross", []):
            _cross(c, t, m, b)
        _rates(c, body.get("rates", []), m, b)
        if "pooled" in body:
            _coverage(c, body, m, b, _incidents_shown(responses))
    _not_small(c)
    return c


def _not_small(c: Constraints) -> None:
    """A shown share's missing count is 0 or at least N (1..N−1 would be small, and the share not
    shown). A linear system cannot hold "0 or at least N", so a share of 100 % leaves the missing
    count free, which is looser than the intruder; but once a term of the missing count is known
    to be at least 1 (victims' "not recorded" shown as "fewer than N"), the intruder knows the
    missing count is at least N, and so does the audit."""
    for missing, terms, m in c.shown_missing:
        if any(c.windows[t][0] >= 1 for t in terms):
            c.bound(c.names[missing], (m, None))


UNLINED: Final = (":nationality:", ":hotspots:", ":routes:", ":ctdc:")
"""Cells not lined across areas: each area folds its own top nationalities into "other", lists
only the hotspot cells it shows and rolls up its own small route flows, so a London row of these
is not the sum of the boroughs' rows of that name."""


def joint(
    areas: Mapping[str, Mapping[str, Mapping[str, Any]]], *, london: str, pooled: Iterable[str], complete: bool,
) -> Constraints:
    """One system over every area a viewer fetched for one quarter (``areas``: area -> the
    responses of :func:`constraints`; names become ``area/name``), with, for every additive cell
    London publishes, ``London = the sum of the boroughs in pooled + rest``: ``pooled`` are the
    boroughs whose figures draw on some of London's sources and no other (so each is a part of
    London's cell; one of them with no such cell counts 0), ``rest/name`` a free term (>= 0) for
    the rest of London's records, left out when ``complete`` (every borough with records is in
    ``pooled`` and draws on all of London's sources)."""
    c = Constraints()
    for area, responses in areas.items():
        one = constraints(responses)
        offset = len(c.names)
        for name, w in zip(one.names, one.windows, strict=True):
            c._index[f"{area}/{name}"] = len(c.names)
            c.names.append(f"{area}/{name}")
            c.windows.append(w)
        c.lines += [Line(tuple(m + offset for m in line.members), line.total + offset) for line in one.lines]
        c.small |= {i + offset for i in one.small}
    if london not in areas:
        return c
    boroughs = [b for b in pooled if b != london and b in areas]
    for name in [n.removeprefix(f"{london}/") for n in c.names if n.startswith(f"{london}/")]:
        if any(u in name for u in UNLINED) and not name.endswith(":total"):
            continue
        members = [c._index[f"{b}/{name}"] for b in boroughs if f"{b}/{name}" in c._index]
        if not complete:
            members.append(c.var(f"rest/{name}"))
        c.line(members, c._index[f"{london}/{name}"])
    return c


def protected(c: Constraints, cancelled: Callable[[], bool] | None = None) -> frozenset[str]:
    """The cells of ``c`` to hide as well so that no small cell can be narrowed to +-1
    (``anonymise.intervals.protect``; smallest published cells first); fails closed on
    inconsistent windows, hiding every cell on a line with a small one. ``cancelled``: see
    ``protect`` (raises ``anonymise.Cancelled``)."""
    if not c.small:
        return frozenset()
    size = [w[0] for w in c.windows]
    try:
        extra = protect(c.windows, c.lines, sorted(c.small), size, cancelled=cancelled)
    except ValueError:
        extra = sorted({i for line in c.lines if c.small & {*line.members, line.total} for i in (*line.members, line.total)})
    return frozenset(c.names[i] for i in extra)


def narrowed(c: Constraints, *, narrow: int = 2) -> dict[str, Window]:
    """Cells shown as "fewer than N" that the whole system pins or narrows to ``narrow`` or less."""
    found = intervals(c.windows, c.lines, sorted(c.small))
    return {c.names[i]: w for i, w in found.items() if w[1] is not None and w[1] - w[0] <= narrow}


def _named(body: Mapping[str, Any]) -> Iterable[tuple[str, dict[str, Any]]]:
    """Every figure of a response that is a cell of the system, with its name (as in :func:`constraints`)."""
    for h in body.get("headlines", []):
        yield f"{'incidents' if h['key'] == 'incidents' else 'potential victims'}:total", h["figure"]
    tables = [*body.get("tables", []), *([body["table"]] if body.get("table") else [])]
    for t in tables:
        yield f"{t['unit']}:total", t["total"]
        if t["additive"]:
            yield from ((f"{t['unit']}:{t['id']}:{f['key']}", f) for f in t["rows"])
    for t in body.get("cross", []):
        unit = t["unit"]
        yield from ((f"{unit}:gender:{f['key']}", f) for f in t["row_totals"])
        yield from ((f"{unit}:age_group:{f['key']}", f) for f in t["col_totals"])
        yield f"{unit}:total", t["total"]
        yield from ((f"{unit}:gender_by_age_group:{f['key']}", f) for row in t["cells"] for f in row)
    for r in body.get("rates", []):
        yield "incidents:total", r["denominator"]
        yield f"incidents:rate:{r['key']}", r["numerator"]
    for cell in body.get("cells", []):
        yield f"incidents:hotspots:{cell['figure']['key']}", cell["figure"]


def to_hide(responses: Mapping[str, Mapping[str, Any]]) -> frozenset[str]:
    """The cells to hide as well, everywhere, so that no small cell of the system can be narrowed
    to +-1 (``anonymise.intervals.protect``; smallest published cells first)."""
    return protected(constraints(responses))


def hidden(body: dict[str, Any], names: frozenset[str]) -> dict[str, Any]:
    """``body`` with every figure of a cell in ``names`` protected, and what was computed from them
    (rates, changes against other quarters, mapped hotspot cells) withdrawn with it."""
    for name, figure in _named(body):
        if name in names:  # shown, or "fewer than N" that must lose its label too
            figure.update(PROTECTED)
    for r in body.get("rates", []):
        if r["numerator"]["value"] is None or not r["denominator"]["value"]:
            r.update(percent=None, display="not available (small numbers)")
    for h in body.get("headlines", []):
        if h["figure"]["value"] is None:
            for change in h.get("changes", []):
                change.update(percent=None, display=f"no comparison with {change['quarter']} (no or small figures)")
    if "cells" in body:
        body["cells"] = [cell for cell in body["cells"] if cell["figure"]["value"] is not None]
    return body
