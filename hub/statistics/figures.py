"""From raw (category, provider, count) rows to protected, labelled tables ready to publish.

This is the only place raw counts become figures: every table goes through
``anonymise.disclosure`` (with each provider's contribution, so no provider can subtract its
own records) and through ``check_table`` before it may leave; a table that fails the check is
published fully suppressed rather than at all wrong.
"""

import logging
from collections.abc import Iterable, Sequence
from typing import Final

from anonymise import (
    Cell,
    ProtectedTable,
    Rules,
    Visibility,
    check_table,
    country_name,
    display,
    protect_series,
    protect_table,
    public_status,
)
from hub.statistics.schemas import CrossTable, FieldCompleteness, Figure, PrivacyLabel, Rate, Table

log = logging.getLogger(__name__)

MARKERS: Final = ("unknown", "not_asked", "not_applicable")
NOT_RECORDED: Final = "not_recorded"
OTHER: Final = "other"
RULES_TEXT: Final = (
    "Counts from 1 to {n1} are shown as 'fewer than {n}'; other counts are shown as a multiple "
    "of {b} with a little consistent noise (cell-key perturbation: the same figure everywhere, "
    "tables need not add up); totals are perturbed on their own; further cells are suppressed where a "
    "hidden count could be worked out by subtraction, including by a partner subtracting its "
    "own records."
)


def label_for(code: str) -> str:
    """Human words for a vocabulary code ("hand_car_wash" → "Hand car wash", "ER" → "Eritrea")."""
    if code == NOT_RECORDED:
        return "Not recorded"
    if len(code) == 2 and code.isupper():  # an ISO 3166 nationality: its country's name
        try:
            return country_name(code)
        except KeyError:
            return code
    if code.startswith("region:"):
        return "Region: " + code.removeprefix("region:").replace("_", " ")
    return code.replace("_", " ").capitalize()


def fold_markers(code: str) -> str:
    return NOT_RECORDED if code in MARKERS or code == "" else code


def privacy(visibility: Visibility) -> PrivacyLabel:
    """The label of every figure the viewer may fetch for a scope: the partners the agreements include.

    Never the partners that sent the records counted (issue 12, attack 5): in a borough or quarter
    where one partner alone sent records, "based on 1 of 4 partners: Demo Police" would name the
    source of every figure under it. The label depends on the agreements and the viewer only, so it
    is the same for every table, area and quarter of a scope whoever sent what.
    """
    included = set(visibility.providers)
    return PrivacyLabel(
        scope=visibility.scope,
        min_count=visibility.min_count,
        rounding_base=visibility.rounding_base,
        partners_included=len(included),
        partners_considered=visibility.providers_considered,
        agreements=[f"{a} v{v}" for a, v in visibility.agreements],
        explanations=list(visibility.explanations),
        rules=RULES_TEXT.format(n1=visibility.min_count - 1, n=visibility.min_count, b=visibility.rounding_base),
        partners=sorted(included),
        excluded={p: ("borough" if why == "borough" else "none") for p, why in sorted(visibility.excluded.items())},
    )


def figure(cell: Cell, key: str, label: str, min_count: int) -> Figure:
    status = public_status(cell)
    return Figure(
        key=key,
        label=label,
        value=cell.value,
        display=display(cell, min_count),
        suppressed="small" if status == "small" else ("protected" if status else None),
    )


def checked(table: ProtectedTable, what: str) -> ProtectedTable:
    problems = check_table(table)
    if not problems:
        return table
    log.error("disclosure check failed for %s (%d problems); publishing it fully suppressed", what, len(problems))
    hidden = tuple(Cell(None, c.status if c.suppressed else type(c.status).secondary) for c in table.cells)
    return ProtectedTable(table.shape, hidden, table.lines, table.min_count, table.rounding_base, table._true, table._views)


def pivot(
    rows: Sequence[tuple[str, str, int]], categories: Sequence[str]
) -> tuple[list[int], list[list[int]], list[str]]:
    """Pooled counts per category, each provider's counts, and the providers (sorted)."""
    providers = sorted({p for _, p, n in rows if n > 0})
    index = {c: i for i, c in enumerate(categories)}
    pooled = [0] * len(categories)
    per = {p: [0] * len(categories) for p in providers}
    for key, provider, n in rows:
        i = index.get(key)
        if i is None or n <= 0:
            continue
        pooled[i] += n
        per[provider][i] += n
    return pooled, [per[p] for p in providers], providers


def folded(rows: Iterable[tuple[str, str, int]], *, keep: Iterable[str] | None = None) -> list[tuple[str, str, int]]:
    """Merge the three marker codes into "not recorded" and, given ``keep``, the rest into other."""
    kept = set(keep) if keep is not None else None
    out: dict[tuple[str, str], int] = {}
    for key, provider, n in rows:
        k = fold_markers(key)
        if kept is not None and k not in kept and k != NOT_RECORDED:
            k = OTHER
        out[(k, provider)] = out.get((k, provider), 0) + n
    return [(k, p, n) for (k, p), n in sorted(out.items())]


def categories_for(vocabulary: Iterable[str], rows: Iterable[tuple[str, str, int]]) -> list[str]:
    """The fixed categories of a breakdown: the vocabulary (markers folded), plus anything seen."""
    cats = [c for c in vocabulary if c not in MARKERS]
    seen = {k for k, _, _ in rows}
    cats += sorted(seen - set(cats) - {NOT_RECORDED})
    return [*cats, NOT_RECORDED]


def table(
    *,
    id_: str,
    title: str,
    unit: str,
    rows: Sequence[tuple[str, str, int]],
    categories: Sequence[str],
    visibility: Visibility,
    rules: Rules,
    additive: bool = True,
    total_rows: Sequence[tuple[str, str, int]] = (),
    labels: dict[str, str] | None = None,
    note: str | None = None,
) -> Table:
    pooled, per, providers = pivot(rows, categories)
    if additive:
        protected = protect_series(pooled, rules, providers=per)
    else:
        total_by = {p: 0 for p in providers}
        for _, p, n in total_rows:
            total_by[p] = total_by.get(p, 0) + n
        all_providers = sorted(total_by)
        shares = {p: v for p, v in zip(providers, per, strict=True)}
        per_all = [shares.get(p, [0] * len(categories)) for p in all_providers]
        protected = protect_series(
            pooled,
            rules,
            providers=per_all,
            additive=False,
            total=sum(total_by.values()),
            provider_totals=[total_by[p] for p in all_providers],
        )
        providers = sorted({*providers, *(p for p, v in total_by.items() if v)})
    protected = checked(protected, id_)
    names = labels or {}
    figures = [
        figure(protected.cells[i], c, names.get(c, label_for(c)), rules.min_count) for i, c in enumerate(categories)
    ]
    total = figure(protected.cells[-1], "total", "Total", rules.min_count)
    return Table(
        id=id_, title=title, unit=unit, rows=figures, total=total, additive=additive, note=note,
        privacy=privacy(visibility),
    )


def cross_table(
    *,
    id_: str,
    title: str,
    unit: str,
    rows: Sequence[tuple[str, str, str, int]],
    row_cats: Sequence[str],
    col_cats: Sequence[str],
    visibility: Visibility,
    rules: Rules,
) -> CrossTable:
    ri = {c: i for i, c in enumerate(row_cats)}
    ci = {c: i for i, c in enumerate(col_cats)}
    providers = sorted({p for _, _, p, n in rows if n > 0})
    grid = [[0] * len(col_cats) for _ in row_cats]
    per = {p: [[0] * len(col_cats) for _ in row_cats] for p in providers}
    for a, b, p, n in rows:
        i, j = ri.get(fold_markers(a)), ci.get(fold_markers(b))
        if i is None or j is None or n <= 0:
            continue
        grid[i][j] += n
        per[p][i][j] += n
    protected = checked(protect_table(grid, rules, providers=[per[p] for p in providers]), id_)
    r, c = len(row_cats), len(col_cats)
    m = rules.min_count
    cells = [
        [figure(protected.cells[i * c + j], f"{row_cats[i]}|{col_cats[j]}", f"{label_for(row_cats[i])}, {label_for(col_cats[j])}", m) for j in range(c)]
        for i in range(r)
    ]
    return CrossTable(
        id=id_,
        title=title,
        unit=unit,
        row_labels=[label_for(x) for x in row_cats],
        col_labels=[label_for(x) for x in col_cats],
        cells=cells,
        row_totals=[figure(x, row_cats[i], label_for(row_cats[i]), m) for i, x in enumerate(protected.row_totals())],
        col_totals=[figure(x, col_cats[j], label_for(col_cats[j]), m) for j, x in enumerate(protected.col_totals())],
        total=figure(protected.cells[-1], "total", "Total", m),
        privacy=privacy(visibility),
    )


def rate(
    key: str,
    label: str,
    with_: dict[str, int],
    all_: dict[str, int],
    rules: Rules,
) -> Rate:
    """A share (e.g. incidents referred to the NRM) published only from protected counts.

    The numerator and its complement are protected as one additive table, so neither "fewer
    than N referred" nor "fewer than N not referred" can leak; the percentage is computed from
    the two published (rounded) figures, so it adds nothing an attacker did not have.
    """
    providers = sorted(all_)
    yes = sum(with_.values())
    total = sum(all_.values())
    per = [[with_.get(p, 0), all_[p] - with_.get(p, 0)] for p in providers]
    protected = checked(protect_series([yes, total - yes], rules, providers=per), key)
    num = figure(protected.cells[0], key, label, rules.min_count)
    den = figure(protected.cells[2], "total", "Total", rules.min_count)
    percent = round(100 * num.value / den.value) if num.value is not None and den.value else None
    shown = f"{percent}%" if percent is not None else "not available (small numbers)"
    return Rate(key=key, label=label, numerator=num, denominator=den, percent=percent, display=shown)


def share(filled: int, total: int, rules: Rules) -> FieldCompleteness:
    """A pooled share (records with a field filled), computed only from published counts.

    The filled and missing counts are protected as one additive table (perturbed by their cell
    keys), so neither a small number of missing values nor the exact total can be worked back
    from the percentage: it is the published filled count over the published total, rounded to
    5 points. When either side is small or protected, no percentage is shown.
    """
    if total == 0:
        return FieldCompleteness(field="", percent=None, display="no records")
    if total < rules.min_count:
        return FieldCompleteness(field="", percent=None, display=f"fewer than {rules.min_count} records")
    protected = checked(protect_series([filled, total - filled], rules), "coverage")
    shown, _, whole = protected.cells
    if shown.value is None or whole.value is None or protected.cells[1].value is None or not whole.value:
        return FieldCompleteness(field="", percent=None, display="not available (small numbers)")
    percent = percent_of(shown.value, whole.value)
    return FieldCompleteness(field="", percent=percent, display=f"{percent}%")


def percent_of(filled: int, total: int) -> int:
    """A coverage percentage from published counts, rounded to 5 points (what ``hub.statistics.linked`` inverts).

    >>> percent_of(15, 20), percent_of(45, 50)
    (75, 90)
    """
    return 5 * round(100 * filled / total / 5)
