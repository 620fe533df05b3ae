"""The PDF writer of :mod:`svcov.outputs.document`: A4, Noto Sans CJK SC embedded, typeset for print.

Every text is broken into lines by :func:`svcov.outputs.typeset.break_lines` with the font's own metrics, so a
Latin word, a number or a short bracketed note is never split and no line starts with 「、」 or 「)」. Table columns
are sized to their content (:func:`svcov.outputs.typeset.column_widths`); the header row repeats on every page.
Page breaks follow the rules of a printed report: a heading is kept with the start of what follows it (and a short
paragraph with the table or figure it introduces); a figure that does not fit in the space left is drawn smaller
(down to :data:`MIN_IMAGE_SCALE`) when that space is a large part of the page, or else floats: the text after it
fills the page and the figure follows as soon as it fits (never past the next chapter heading).
"""

from __future__ import annotations

import io
import struct
from functools import lru_cache
from pathlib import Path

from ..files import atomic_path
from .charts import cjk_font_path
from .document import Block, Bullets, Document, Heading, Image, Links, Para, Table
from .typeset import break_lines

__all__ = ["write_pdf", "MIN_IMAGE_SCALE", "MAX_EMPTY_SHARE"]

#: A figure is never drawn smaller than this share of its width to squeeze it onto a page.
MIN_IMAGE_SCALE = 0.6
#: A page may end this share of its body empty before a figure or a kept block moves to the next page.
MAX_EMPTY_SHARE = 0.3
MARGIN_MM = 18.0
BOTTOM_MM = 16.0
TABLE_PADDING_MM = 1.0
TABLE_FONT_PT = 8.0
TABLE_LINE_MM = 4.2
#: Font size (pt) and line height (mm) of each kind of text.
TEXT_STYLE = {"body": (10.0, 5.6), "key": (10.0, 5.6), "note": (8.5, 4.6), "caption": (8.5, 4.5),
              "subtitle": (8.5, 4.6), "title": (18.0, 9.0)}
HEADING_STYLE = {1: (14.0, 7.7), 2: (11.5, 6.3)}
BULLET_INDENT_MM = 4.0


def _pdf_class():
    from fpdf import FPDF

    class _PDF(FPDF):
        footer_text = ""

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("cjk", size=7.5)
            self.set_text_color(90, 90, 90)
            self.cell(0, 6, f"{self.footer_text}  第 {self.page_no()} 页", align="C")
            self.set_text_color(0, 0, 0)

    return _PDF


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height in pixels of a PNG (from its IHDR chunk)."""
    return struct.unpack(">II", png[16:24])


class _Writer:
    """Places the blocks of one document on the pages of one FPDF object."""

    def __init__(self, pdf):
        self.pdf = pdf
        self.pending: list[Image] = []
        self._widths: dict[tuple[float, str], float] = {}

    # --- measuring ------------------------------------------------------------------------------------------

    @property
    def top(self) -> float:
        return self.pdf.t_margin

    @property
    def bottom(self) -> float:
        return self.pdf.page_break_trigger

    @property
    def room(self) -> float:
        return self.bottom - self.pdf.get_y()

    @property
    def body(self) -> float:
        return self.bottom - self.top

    def measure(self, size_pt: float):
        pdf = self.pdf

        def width(text: str) -> float:
            key = (size_pt, text)
            if key not in self._widths:
                pdf.set_font("cjk", size=size_pt)
                self._widths[key] = pdf.get_string_width(text)
            return self._widths[key]

        return width

    def lines(self, text: str, width: float, size_pt: float) -> list[str]:
        # fpdf2 keeps a small clearance inside multi_cell: measure against slightly less than the width
        return break_lines(text, width - 2 * self.pdf.c_margin - 0.05, self.measure(size_pt))

    def text_height(self, text: str, kind: str, width: float | None = None, max_lines: int | None = None) -> float:
        size, line_h = TEXT_STYLE[kind]
        n = len(self.lines(text, width or self.pdf.epw, size))
        return line_h * (min(n, max_lines) if max_lines else n)

    def image_box(self, block: Image, scale: float = 1.0) -> tuple[float, float, float]:
        """(width, height of the picture, height of picture + caption + space) in mm at ``scale``."""
        w = min(block.width_cm * 10, self.pdf.epw) * scale
        px_w, px_h = png_size(block.png)
        h = w * px_h / px_w
        return w, h, h + self.text_height(block.caption, "caption") + 4.0

    def table_layout(self, table: Table) -> tuple[list[float], list[list[str]]]:
        """Column widths (mm) and the cells' texts broken into lines (header first)."""
        measure = self.measure(TABLE_FONT_PT)
        rows = [tuple(str(t) for t in r) for r in table.rows]
        widths = table.column_widths(self.pdf.epw, measure, padding=TABLE_PADDING_MM + 0.1)
        inner = [w - 2 * TABLE_PADDING_MM - 0.1 for w in widths]
        cells = [["\n".join(break_lines(str(t), inner[i], measure)) for i, t in enumerate(r)]
                 for r in [table.columns, *rows]]
        return widths, cells

    def table_start_height(self, table: Table, n_rows: int = 2) -> float:
        _, cells = self.table_layout(table)
        return sum(max(c.count("\n") + 1 for c in row) * TABLE_LINE_MM + 2 * TABLE_PADDING_MM
                   for row in cells[:1 + n_rows])

    def keep_height(self, blocks: tuple[Block, ...], i: int) -> float:
        """The least height that must fit on the page for block ``i`` to start there without being orphaned."""
        if i >= len(blocks):
            return 0.0
        block = blocks[i]
        if isinstance(block, Heading):
            size, line_h = HEADING_STYLE[min(block.level, 2)]
            own = line_h * len(self.lines(block.text, self.pdf.epw, size)) + 6.0
            return own + self.keep_height(blocks, i + 1)
        if isinstance(block, Para):
            full = self.text_height(block.text, block.kind)
            nxt = blocks[i + 1] if i + 1 < len(blocks) else None
            if full <= 4 * TEXT_STYLE[block.kind][1] and isinstance(nxt, (Table, Image)):
                return full + self.keep_height(blocks, i + 1)
            return min(full, 3 * TEXT_STYLE[block.kind][1])
        if isinstance(block, Bullets):
            return self.text_height(block.items[0], block.kind, max_lines=2) if block.items else 0.0
        if isinstance(block, Links):
            return TEXT_STYLE["body"][1]
        if isinstance(block, Table):
            return self.table_start_height(block)
        return self.image_box(block, MIN_IMAGE_SCALE)[2]

    # --- drawing ----------------------------------------------------------------------------------------------

    def write_lines(self, text: str, kind: str, *, x: float | None = None, width: float | None = None,
                    align: str = "L") -> None:
        pdf = self.pdf
        size, line_h = TEXT_STYLE[kind]
        x = pdf.l_margin if x is None else x
        width = pdf.epw - (x - pdf.l_margin) if width is None else width
        pdf.set_font("cjk", size=size)
        pdf.set_x(x)
        pdf.multi_cell(width, line_h, "\n".join(self.lines(text, width, size)), align=align, new_x="LMARGIN",
                       new_y="NEXT", wrapmode="WORD")

    def heading(self, block: Heading) -> None:
        pdf = self.pdf
        size, line_h = HEADING_STYLE[min(block.level, 2)]
        if pdf.get_y() > self.top + 1:
            pdf.ln(3)
        pdf.set_font("cjk", size=size)
        pdf.multi_cell(pdf.epw, line_h, "\n".join(self.lines(block.text, pdf.epw, size)), align="L",
                       new_x="LMARGIN", new_y="NEXT", wrapmode="WORD")
        if block.level == 1:
            pdf.line(pdf.l_margin, pdf.get_y() + 0.5, pdf.l_margin + pdf.epw, pdf.get_y() + 0.5)
        pdf.ln(2)

    def texts(self, block: Para | Bullets | Links) -> None:
        pdf = self.pdf
        kind = "note" if getattr(block, "kind", "body") == "note" else "body"
        pdf.set_text_color(68, 68, 68) if kind == "note" else pdf.set_text_color(0, 0, 0)
        if isinstance(block, Para):
            self.write_lines(block.text, kind)
            pdf.ln(0.8)
        else:
            items = block.items if isinstance(block, Bullets) else [f"{t} ({h})" for t, h in block.items]
            size, line_h = TEXT_STYLE[kind]
            for text in items:
                if self.room < line_h:
                    pdf.add_page()
                pdf.set_font("cjk", size=size)
                pdf.cell(BULLET_INDENT_MM, line_h, "•")
                self.write_lines(text, kind, x=pdf.l_margin + BULLET_INDENT_MM)
                pdf.ln(0.8)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(1.5)

    def table(self, table: Table) -> None:
        from fpdf.fonts import FontFace

        pdf = self.pdf
        widths, cells = self.table_layout(table)
        pdf.set_font("cjk", size=TABLE_FONT_PT)
        align = tuple("RIGHT" if table.is_numeric(i) else "LEFT" for i in range(len(table.columns)))
        heading = FontFace(emphasis=None, fill_color=(225, 225, 225))
        with pdf.table(col_widths=widths, width=min(sum(widths), pdf.epw), text_align=align, headings_style=heading,
                       line_height=TABLE_LINE_MM, padding=(TABLE_PADDING_MM, TABLE_PADDING_MM),
                       first_row_as_headings=True, wrapmode="WORD", v_align="TOP") as grid:
            for texts in cells:
                row = grid.row()
                for text in texts:
                    row.cell(text)
        pdf.ln(3)

    def image(self, block: Image, scale: float = 1.0) -> None:
        pdf = self.pdf
        w, h, _ = self.image_box(block, scale)
        pdf.image(io.BytesIO(block.png), x=pdf.l_margin + (pdf.epw - w) / 2, y=pdf.get_y(), w=w, h=h)
        pdf.set_y(pdf.get_y() + h + 1)
        self.write_lines(block.caption, "caption", align="C")
        pdf.ln(3)

    def place_image(self, block: Image) -> bool:
        """Draw the figure here if it fits (smaller if need be); False if it should float."""
        full = self.image_box(block)[2]
        if full <= self.room:
            self.image(block)
            return True
        if self.room < MAX_EMPTY_SHARE * self.body:
            return False
        caption = full - self.image_box(block)[1]
        scale = (self.room - caption) / self.image_box(block)[1]
        if scale >= MIN_IMAGE_SCALE:
            self.image(block, scale)
            return True
        return False

    def flush(self, force: bool) -> None:
        """Draw the floating figures that fit now (all of them, on new pages as needed, if ``force``)."""
        while self.pending:
            if self.place_image(self.pending[0]):
                self.pending.pop(0)
            elif force:
                self.pdf.add_page()
                self.image(self.pending.pop(0))
            else:
                return

    def block(self, blocks: tuple[Block, ...], i: int) -> None:
        block = blocks[i]
        chapter = isinstance(block, Heading) and block.level == 1
        self.flush(force=chapter)
        if isinstance(block, Image):
            if self.pending or not self.place_image(block):
                if self.room < MAX_EMPTY_SHARE * self.body and not self.pending:
                    self.pdf.add_page()
                    self.image(block)
                else:
                    self.pending.append(block)
            return
        if isinstance(block, (Heading, Para, Table)) and self.pdf.get_y() > self.top + 1 \
                and self.keep_height(blocks, i) > self.room:
            self.pdf.add_page()
            self.flush(force=False)
        if isinstance(block, Heading):
            self.heading(block)
        elif isinstance(block, Table):
            self.table(block)
        else:
            self.texts(block)


@lru_cache(maxsize=1)
def _font_path() -> str:
    return str(cjk_font_path())


def write_pdf(doc: Document, path: str | Path) -> Path:
    """Write the document as a printable A4 PDF (Noto Sans CJK SC embedded, subset), atomically."""
    pdf = _pdf_class()(format="A4")
    pdf.footer_text = doc.footer
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(True, margin=BOTTOM_MM)
    pdf.add_font("cjk", fname=_font_path())
    pdf.set_title(doc.title)
    pdf.set_creator("svcov")
    pdf.add_page()
    writer = _Writer(pdf)
    writer.write_lines(doc.title, "title")
    for line in doc.subtitle:
        writer.write_lines(line, "subtitle")
    pdf.ln(3)
    for i in range(len(doc.blocks)):
        writer.block(doc.blocks, i)
    writer.flush(force=True)
    path = Path(path)
    with atomic_path(path) as tmp:
        pdf.output(str(tmp))
    return path
