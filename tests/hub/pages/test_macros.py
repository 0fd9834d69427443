"""The dashboard's table macro: a table whose every category is 0 is one line, not a card of zeros."""

from types import SimpleNamespace

from hub.pages.templating import templates

MACRO = "{% from 'dashboard_macros.html' import bar_table %}{{ bar_table(t) }}"


def _table(values: list[int | None]) -> SimpleNamespace:
    rows = [SimpleNamespace(label=f"c{i}", value=v, display=str(v), suppressed=None) for i, v in enumerate(values)]
    privacy = SimpleNamespace(min_count=5, rounding_base=5, partners_included=1, partners_considered=1, explanations=[], agreements=[], rules="")
    return SimpleNamespace(id="premises", title="Type of premises", unit="incidents", rows=rows, total=rows[0],
                           additive=True, note="", privacy=privacy)


def test_an_all_zero_table_is_one_line() -> None:
    html = templates.env.from_string(MACRO).render(t=_table([0, 0, 0]))
    assert "data-empty" in html
    assert "<table" not in html
    assert "Type of premises" in html


def test_a_table_with_a_figure_or_a_suppressed_cell_is_drawn() -> None:
    for values in ([0, 5, 0], [0, None, 0]):
        html = templates.env.from_string(MACRO).render(t=_table(values))
        assert "data-empty" not in html
        assert "<table" in html
