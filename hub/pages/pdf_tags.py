"""A tagged PDF from fpdf2: a structure tree of headings, paragraphs, figures and tables, in reading order.

fpdf2 (2.8) tags only images (``/Figure`` with ``/Alt``) and outline titles, each directly under
``/Document``, and offers no public way to nest (issue py-pdf/fpdf2#355). ``TaggedPdf`` keeps
fpdf2's own structure objects and output, and adds what a screen reader needs:

- ``tag("/H1")``, ``tag("/P")``, ``tag("/TH")``…: the content drawn inside is one marked-content
  sequence (``BDC``/``EMC`` with an MCID) belonging to a new structure element;
- ``group("/Table")``, ``group("/TR")``: structure elements that hold others, so a table is
  ``Table → TR → TH/TD`` as PDF 1.7 §14.8.4.3 asks;
- ``artifact()``: running headers and footers (marking, page numbers) marked as pagination
  artifacts, outside the tree, so nothing on a page is untagged.

Elements are appended in drawing order, which is the reading order. A tagged sequence must not
cross a page: ``tag`` raises if it does (the callers break pages before drawing).
"""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from fpdf import FPDF
from fpdf.structure_tree import StructElem, StructureTreeBuilder
from fpdf.syntax import PDFObject


class HeaderCell(StructElem):
    """A ``/TH`` with its attribute dictionary: ``/A << /O /Table /Scope /Column >>`` (PDF 1.7
    §14.8.5.7, table attributes), so a reader ties each data cell to its column's heading."""

    __slots__ = ("a",)

    def __init__(self, *args: Any, scope: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.a = f"<</O /Table /Scope /{scope}>>"  # serialised as written (fpdf2 writes a str value raw)


class NestedStructure(StructureTreeBuilder):
    """fpdf2's builder, with elements nested under the group open when they are added."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[StructElem] = [self.doc_struct_elem]
        self.elements: list[StructElem] = []
        self.mcids: dict[int, int] = {}
        self.scope: str | None = None
        """the /Scope of the next /TH added (set by TaggedPdf.tag)"""

    def _new(self, struct_type: str, page_number: int, kids: list[int], title: str | None, alt: str | None) -> StructElem:
        parent = self.open[-1]
        if struct_type == "/TH" and self.scope is not None:
            elem: StructElem = HeaderCell(
                struct_type=struct_type, parent=parent, kids=kids, page_number=page_number, title=title, alt=alt, scope=self.scope,
            )
        else:
            elem = StructElem(struct_type=struct_type, parent=parent, kids=kids, page_number=page_number, title=title, alt=alt)
        parent.k.append(elem)
        self.elements.append(elem)
        return elem

    def begin_group(self, page_number: int, struct_type: str) -> StructElem:
        elem = self._new(struct_type, page_number, [], None, None)
        self.open.append(elem)
        return elem

    def end_group(self) -> None:
        if len(self.open) == 1:
            raise RuntimeError("no structure group is open")
        self.open.pop()

    def add_marked_content(
        self, page_number: int, struct_type: str, mcid: int | None = None, title: str | None = None, alt_text: str | None = None
    ) -> tuple[StructElem, int]:
        spid = self.spid_per_page_number.setdefault(page_number, len(self.spid_per_page_number))
        elem = self._new(struct_type, page_number, [] if mcid is None else [mcid], title, alt_text)
        if mcid is not None:
            nums = self.struct_tree_root.parent_tree.nums[spid]
            if len(nums) != mcid:
                raise RuntimeError("marked content ids must follow each other on a page")
            nums.append(elem)
        return elem, spid

    def next_mcid_for_page(self, page_number: int) -> int:
        spid = self.spid_per_page_number.get(page_number)
        return 0 if spid is None else len(self.struct_tree_root.parent_tree.nums[spid])

    def empty(self) -> bool:
        return not self.elements

    def __iter__(self) -> Iterator[PDFObject]:
        yield self.struct_tree_root
        yield self.doc_struct_elem
        yield self.struct_tree_root.parent_tree
        yield from self.elements


class TaggedPdf(FPDF):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.struct_builder = NestedStructure()

    @property
    def structure(self) -> NestedStructure:
        builder = self.struct_builder
        assert isinstance(builder, NestedStructure)
        return builder

    @contextmanager
    def tag(self, struct_type: str, *, alt: str | None = None, scope: str | None = None) -> Iterator[StructElem]:
        """Everything drawn inside is one marked-content sequence of a new ``struct_type`` element
        (a ``/TH`` given ``scope`` "Column" or "Row" carries it as its table attribute)."""
        mcid = self.structure.next_mcid_for_page(self.page)
        self.structure.scope = scope
        try:
            elem = self._add_marked_content(struct_type=struct_type, mcid=mcid, alt_text=alt)
        finally:
            self.structure.scope = None
        start = self.page
        self._out(f"{struct_type} <</MCID {mcid}>> BDC")
        yield elem
        if self.page != start:
            raise RuntimeError(f"a {struct_type} crossed a page: break the page before drawing it")
        self._out("EMC")

    @contextmanager
    def group(self, struct_type: str) -> Iterator[StructElem]:
        """A structure element holding the elements tagged inside (a table, a row)."""
        elem = self.structure.begin_group(self.page, struct_type)
        elem.pg = self.pages[self.page]  # type: ignore[assignment]  # fpdf2 types pg as None until its output sets a page there
        try:
            yield elem
        finally:
            self.structure.end_group()

    @contextmanager
    def artifact(self) -> Iterator[None]:
        """Content that is not part of the text (running headers and footers): outside the tree."""
        self._out("/Artifact <</Type /Pagination>> BDC")
        try:
            yield
        finally:
            self._out("EMC")

    def _add_marked_content(self, **kwargs: Any) -> StructElem:
        """fpdf2's, with the element's page set for nested elements too (fpdf2 sets it for /Document's children only)."""
        elem: StructElem = super()._add_marked_content(**kwargs)
        elem.pg = self.pages[self.page]  # type: ignore[assignment]  # as in group()
        return elem

    def fits(self, height: float) -> bool:
        return self.get_y() + height <= self.page_break_trigger

    def fit(self, height: float) -> None:
        """A new page first unless ``height`` more millimetres fit above the bottom margin."""
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    def lines_height(self, width: float, line_height: float, text: str) -> float:
        lines = self.multi_cell(width, line_height, text, dry_run=True, output="LINES")
        assert isinstance(lines, list)
        return float(line_height * max(len(lines), 1))

    def table_rows(
        self, head: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float], *, line_height: float = 5,
    ) -> None:
        """A table tagged ``Table → TR → TH/TD``, each ``TH`` with ``/Scope /Column``: the first column
        left-aligned, the others right.

        On each new page the heading row is drawn again, as a pagination artifact, not as a second
        ``TH`` row: the table is one ``/Table`` element whose header row is in the tree once and
        scoped to its columns, so a reader names every cell's column on any page; a second tagged
        header row would be read out again in the middle of the data and make the table look like
        two header rows with data between them."""
        with self.group("/Table"):
            self._row(head, widths, line_height, header=True)
            for row in rows:
                height = max(self.lines_height(w, line_height, text) for w, text in zip(widths, row, strict=True))
                if self.get_y() + height > self.page_break_trigger:
                    self.add_page()
                    with self.artifact():
                        self._draw_row(head, widths, line_height, header=True, tagged=False)
                self._row(row, widths, line_height, header=False)

    def _row(self, cells: Sequence[str], widths: Sequence[float], line_height: float, *, header: bool) -> None:
        with self.group("/TR"):
            self._draw_row(cells, widths, line_height, header=header, tagged=True)

    def _draw_row(self, cells: Sequence[str], widths: Sequence[float], line_height: float, *, header: bool, tagged: bool) -> None:
        family, size = self.font_family, self.font_size_pt
        self.set_font(family, "B" if header else "", size)
        height = max(self.lines_height(w, line_height, text) for w, text in zip(widths, cells, strict=True))
        top, x = self.get_y(), self.l_margin
        for i, (w, text) in enumerate(zip(widths, cells, strict=True)):
            self.set_xy(x, top)
            align = "L" if i == 0 else "R"
            if tagged:
                with self.tag("/TH" if header else "/TD", scope="Column" if header else None):
                    self.multi_cell(w, line_height, text, align=align, new_x="RIGHT", new_y="TOP")
            else:
                self.multi_cell(w, line_height, text, align=align, new_x="RIGHT", new_y="TOP")
            x += w
        self.set_draw_color(60 if header else 190)
        with self.artifact():
            self.line(self.l_margin, top + height, x, top + height)
        self.set_draw_color(0)
        self.set_xy(self.l_margin, top + height)
        self.set_font(family, "", size)
