"""The protected tables, series and rates of the statistics answers, assembled from query rows.

Every function takes rows already restricted to what the viewer may see and returns figures
protected by the disclosure rules (``anonymise.disclosure`` through :mod:`hub.statistics.figures`).
"""

from collections.abc import Iterable, Sequence
from typing import Final, Literal

from sqlalchemy.orm import Session

from anonymise import Visibility, protect_series, vocab
from hub.statistics import figures, queries
from hub.statistics.queries import Scope
from hub.statistics.schemas import Change, FieldCompleteness, Rate, Table, Trend

TOP_NATIONALITIES: Final = 10
VICTIM: Final = vocab.Role.potential_victim.value
SUSPECT: Final = vocab.Role.suspect.value


def shift(quarter: str, back: int) -> str:
    year, q = int(quarter[:4]), int(quarter[-1])
    index = year * 4 + (q - 1) - back
    return f"{index // 4}-Q{index % 4 + 1}"


def per_quarter_series(
    rows: Sequence[tuple[str, str, int]], quarters: Sequence[str], visibility: Visibility, key: str, label: str
) -> Trend:
    """Quarterly counts, each protected on its own (a time series has no published total)."""
    pooled, per, _ = figures.pivot(rows, quarters)
    protected = figures.checked(protect_series(pooled, visibility, providers=per, additive=False, total=0), key)
    points = [
        figures.figure(protected.cells[i], q, q, visibility.min_count) for i, q in enumerate(quarters)
    ]
    return Trend(key=key, label=label, points=points)


def changes(trend: Trend, quarter: str) -> list[Change]:
    by_q = {p.key: p for p in trend.points}
    out: list[Change] = []
    pairs: tuple[tuple[Literal["previous_quarter", "same_quarter_last_year"], int], ...] = (
        ("previous_quarter", 1), ("same_quarter_last_year", 4),
    )
    for against, back in pairs:
        other = shift(quarter, back)
        now, then = by_q.get(quarter), by_q.get(other)
        percent: int | None = None
        if now is not None and then is not None and now.value is not None and then.value:
            percent = round(100 * (now.value - then.value) / then.value)
        if percent is not None and then is not None:
            text = f"{percent:+d}% against {other} ({then.display})"
        else:
            shown = f" ({then.display})" if then is not None and then.display else ""
            text = f"no comparison with {other}{shown}: no or small figures"
        out.append(Change(against=against, quarter=other, display=text, percent=percent, previous=then))
    return out


def rates(
    session: Session, scope: Scope, visibility: Visibility, totals: Sequence[tuple[str, str, int]] | None = None
) -> list[Rate]:
    rows = totals if totals is not None else queries.incidents_by_provider(session, scope)
    incidents = {p: n for _, p, n in rows}
    referred = queries.incidents_with_referral(session, scope, ["nrm", "duty_to_notify"])
    out = []
    for code, label in (("nrm", "Referred to the NRM"), ("duty_to_notify", "Duty to Notify report")):
        with_ = {p: n for k, p, n in referred if k == code}
        out.append(figures.rate(code, label, with_, incidents, visibility))
    return out


def exploitation(
    session: Session, scope: Scope, visibility: Visibility, raw: Sequence[tuple[str, str, int]] | None = None,
    totals: Sequence[tuple[str, str, int]] | None = None,
) -> Table:
    if raw is None:
        raw = queries.incident_codes(session, scope, "exploitation_types")
    rows = figures.folded(raw)
    lines = [(k, p, n) for k, p, n in queries.incident_field(session, scope, "county_lines") if k == "yes"]
    rows += [("county_lines", p, n) for _, p, n in lines]
    cats = figures.categories_for(vocab.ExploitationType, [(k, p, n) for k, p, n in rows if k != "county_lines"])
    cats.append("county_lines")
    return figures.table(
        id_="exploitation_types", title="Exploitation types", unit="incidents", rows=rows, categories=cats,
        visibility=visibility, rules=visibility, additive=False,
        total_rows=totals if totals is not None else queries.incidents_by_provider(session, scope),
        labels={"county_lines": "of which county lines (flagged)"},
        note="An incident may involve several types, so the rows add up to more than the total.",
    )


def incident_table(session: Session, scope: Scope, visibility: Visibility, name: str, title: str, voc: Iterable[str]) -> Table:
    rows = figures.folded(queries.incident_field(session, scope, name))
    return figures.table(
        id_=name, title=title, unit="incidents", rows=rows, categories=figures.categories_for(voc, rows),
        visibility=visibility, rules=visibility,
    )


def person_table(
    session: Session, scope: Scope, visibility: Visibility, name: str, title: str, voc: Iterable[str] | None,
    raw: Sequence[tuple[str, str, int]] | None = None,
) -> Table:
    if raw is None:
        raw = queries.person_field(session, scope, name, VICTIM)
    if voc is None:  # nationality: the top N, the rest as "other"
        totals: dict[str, int] = {}
        for k, _, n in raw:
            if k not in figures.MARKERS:
                totals[k] = totals.get(k, 0) + n
        ranked = sorted((k for k, n in totals.items() if n >= visibility.min_count), key=lambda k: (-totals[k], k))
        top = ranked[:TOP_NATIONALITIES]
        rows = figures.folded(raw, keep=top)
        cats = [*top, figures.OTHER, figures.NOT_RECORDED]
    else:
        rows = figures.folded(raw)
        cats = figures.categories_for(voc, rows)
    return figures.table(
        id_=name, title=title, unit="potential victims", rows=rows, categories=cats, visibility=visibility, rules=visibility,
    )


def codes_table(
    session: Session, scope: Scope, visibility: Visibility, field: str, title: str, voc: Iterable[str],
    raw: Sequence[tuple[str, str, int]], totals: Sequence[tuple[str, str, int]],
) -> Table:
    rows = figures.folded(raw)
    return figures.table(
        id_=field, title=title, unit="incidents", rows=rows, categories=figures.categories_for(voc, rows),
        visibility=visibility, rules=visibility, additive=False,
        total_rows=totals,
        note="An incident may record several, so the rows add up to more than the total.",
    )


def referral_table(
    visibility: Visibility, name: str, title: str, voc: Iterable[str], raw: Sequence[tuple[str, str, int]]
) -> Table:
    rows = figures.folded(raw)
    return figures.table(
        id_=name, title=title, unit="referrals", rows=rows, categories=figures.categories_for(voc, rows),
        visibility=visibility, rules=visibility,
    )


def percent(filled: int, total: int, min_count: int) -> FieldCompleteness:
    return FieldCompleteness(field="", percent=None, display="no records") if total == 0 else FieldCompleteness(
        field="", percent=round(100 * filled / total), display=f"{round(100 * filled / total)}%"
    ) if total >= min_count else FieldCompleteness(field="", percent=None, display=f"fewer than {min_count} records")
