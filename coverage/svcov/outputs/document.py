"""A small document model rendered three ways: HTML (Jinja2, autoescaped), Word (.docx) and PDF.

Memos and the yearly report are built once as a :class:`Document` — headings, paragraphs, bullet lists, tables,
images — and written as HTML for the browser, Word for the bureau (Chinese fonts 宋体/黑体 set for East Asian
text, so it opens right on Chinese Windows) and PDF for print (Noto Sans CJK SC embedded). All text is plain text:
the HTML template escapes it, Word and PDF take it as text, so names from input files can never become markup.
"""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jinja2

from ..errors import ArgumentError
from ..files import atomic_path, atomic_write_text
from .typeset import column_widths, estimate_width_em

__all__ = ["Heading", "Para", "Bullets", "Table", "Image", "Links", "Document", "render_html", "write_html",
           "write_docx", "write_pdf", "write_document", "template_env"]

log = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).parent / "templates"
#: Word fonts: 宋体 (SimSun) for body text and 黑体 (SimHei) for headings ship with every Chinese Windows.
DOCX_BODY_FONT = "宋体"
DOCX_HEADING_FONT = "黑体"
DOCX_LATIN_FONT = "Times New Roman"


@dataclass(frozen=True)
class Heading:
    """A section heading (level 1 or 2)."""

    text: str
    level: int = 1


@dataclass(frozen=True)
class Para:
    """A paragraph; ``kind`` is ``body``, ``key`` (a highlighted finding) or ``note`` (small print)."""

    text: str
    kind: str = "body"


@dataclass(frozen=True)
class Bullets:
    """A bullet list; ``kind`` as for :class:`Para`."""

    items: tuple[str, ...]
    kind: str = "body"


@dataclass(frozen=True)
class Table:
    """A table of strings.

    Parameters
    ----------
    columns
        Header texts.
    rows
        Cell texts, one tuple per row.
    key
        Identifier (HTML ``id``; lets tests find the table).
    numeric
        Per column: right-align (numbers).
    widths
        Fixed relative column widths (PDF and Word); empty (the default): columns sized to their content
        (:func:`svcov.outputs.typeset.column_widths`).
    links
        Per row and column, the target of a link on the cell's text (HTML; Word and PDF show the text); empty
        string: no link. Empty (the default): no links.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    key: str = ""
    numeric: tuple[bool, ...] = ()
    widths: tuple[float, ...] = ()
    links: tuple[tuple[str, ...], ...] = ()

    def is_numeric(self, i: int) -> bool:
        return bool(self.numeric[i]) if i < len(self.numeric) else False

    def link(self, row: int, column: int) -> str:
        """The link target of a cell ('' if none)."""
        if row < len(self.links) and column < len(self.links[row]):
            return self.links[row][column] or ""
        return ""

    def column_widths(self, total: float, measure, *, padding: float = 0.0) -> list[float]:
        """Widths adding up to ``total``: the fixed ``widths`` scaled, or sized to the content measured by
        ``measure`` (text → width in the unit of ``total``)."""
        if len(self.widths) == len(self.columns):
            return [total * w / sum(self.widths) for w in self.widths]
        rows = [tuple(str(t) for t in r) for r in self.rows]
        return column_widths(self.columns, rows, total, measure, padding=padding)


@dataclass(frozen=True)
class Image:
    """A PNG image with a caption; ``width_cm`` on paper."""

    png: bytes
    caption: str
    width_cm: float = 15.0

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass(frozen=True)
class Links:
    """A list of links (HTML); Word and PDF show the texts with their targets."""

    items: tuple[tuple[str, str], ...]


Block = Heading | Para | Bullets | Table | Image | Links


@dataclass(frozen=True)
class Document:
    """Title, subtitle lines, blocks and a footer line (printed on every PDF/Word page)."""

    title: str
    subtitle: tuple[str, ...]
    blocks: tuple[Block, ...]
    footer: str = ""


# --- HTML -------------------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def template_env() -> jinja2.Environment:
    """The Jinja2 environment of the output templates (autoescape on for every template)."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE_DIR)), autoescape=True,
                              undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)


def render_html(doc: Document) -> str:
    """The document as one self-contained HTML page (images inline, print style sheet included)."""
    kinds = {Heading: "heading", Para: "para", Bullets: "bullets", Table: "table", Image: "image",
             Links: "links"}
    blocks = [(kinds[type(b)], b) for b in doc.blocks]
    return template_env().get_template("document.html.j2").render(doc=doc, blocks=blocks)


def write_html(doc: Document, path: str | Path) -> Path:
    """Write :func:`render_html` atomically."""
    return atomic_write_text(path, render_html(doc))


# --- Word -------------------------------------------------------------------------------------------------------

def _set_fonts(run_or_style, east_asia: str, size_pt: float | None = None, bold: bool | None = None) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    font = run_or_style.font
    font.name = DOCX_LATIN_FONT
    if size_pt is not None:
        font.size = Pt(size_pt)
    if bold is not None:
        font.bold = bold
    element = run_or_style.element
    rpr = element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, rfonts)
    rfonts.set(qn("w:eastAsia"), east_asia)
    rfonts.set(qn("w:ascii"), DOCX_LATIN_FONT)
    rfonts.set(qn("w:hAnsi"), DOCX_LATIN_FONT)


def _docx_styles(document) -> None:
    from docx.shared import Cm, RGBColor

    _set_fonts(document.styles["Normal"], DOCX_BODY_FONT, 10.5)
    for level, size in ((1, 15), (2, 12.5), (3, 11)):
        style = document.styles[f"Heading {level}"]
        _set_fonts(style, DOCX_HEADING_FONT, size, bold=True)
        style.font.color.rgb = RGBColor(0, 0, 0)
    _set_fonts(document.styles["Title"], DOCX_HEADING_FONT, 18, bold=True)
    document.styles["Title"].font.color.rgb = RGBColor(0, 0, 0)
    for section in document.sections:
        section.page_width, section.page_height = Cm(21.0), Cm(29.7)
        section.left_margin = section.right_margin = Cm(2.3)
        section.top_margin = section.bottom_margin = Cm(2.2)


def _docx_footer(document, text: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    para = document.sections[0].footer.paragraphs[0]
    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_fonts(para.add_run(f"{text}  第 "), DOCX_BODY_FONT, 8)
    run = para.add_run()
    _set_fonts(run, DOCX_BODY_FONT, 8)
    for tag, attrs in (("w:fldChar", {"w:fldCharType": "begin"}), ("w:instrText", {}),
                       ("w:fldChar", {"w:fldCharType": "end"})):
        element = OxmlElement(tag)
        for key, value in attrs.items():
            element.set(qn(key), value)
        if tag == "w:instrText":
            element.set(qn("xml:space"), "preserve")
            element.text = "PAGE"
        run._r.append(element)
    _set_fonts(para.add_run(" 页"), DOCX_BODY_FONT, 8)


#: Text width of an A4 page with the Word margins of :func:`_docx_styles`, and the cells' left/right margin (cm).
DOCX_TEXT_WIDTH_CM = 16.4
DOCX_CELL_MARGIN_CM = 0.19
DOCX_TABLE_PT = 9.0


def _docx_measure_cm(size_pt: float):
    """Estimated width in cm of a text at ``size_pt`` (Word lays the text out itself; this sizes columns)."""
    return lambda text: estimate_width_em(text) * size_pt * 2.54 / 72 * 1.04


def _docx_table_widths(table: Table) -> list[float]:
    return table.column_widths(DOCX_TEXT_WIDTH_CM, _docx_measure_cm(DOCX_TABLE_PT), padding=DOCX_CELL_MARGIN_CM)


def _docx_fix_layout(grid, widths_cm: Sequence[float]) -> None:
    """Fixed layout with the widths in all three places the word processors read: the table width (tblW), the
    grid (gridCol: LibreOffice and WPS) and every cell (tcW: Word)."""
    from docx.oxml.ns import qn
    from docx.shared import Cm

    grid.autofit = False
    tbl_pr = grid._tbl.tblPr
    tbl_w = tbl_pr.find(qn("w:tblW"))
    if tbl_w is None:
        tbl_w = tbl_pr.makeelement(qn("w:tblW"), {})
        tbl_pr.append(tbl_w)
    tbl_w.set(qn("w:type"), "dxa")
    tbl_w.set(qn("w:w"), str(round(sum(widths_cm) / 2.54 * 1440)))
    for column, width in zip(grid.columns, widths_cm):
        column.width = Cm(width)
    for row in grid.rows:
        for cell, width in zip(row.cells, widths_cm):
            cell.width = Cm(width)


def _docx_header_row(row) -> None:
    """Repeat the row at the top of every page, keep it on one page, shade it light grey."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    tr_pr = row._tr.get_or_add_trPr()
    for tag in ("w:cantSplit", "w:tblHeader"):
        element = OxmlElement(tag)
        element.set(qn("w:val"), "true")
        tr_pr.append(element)
    for cell in row.cells:
        shading = OxmlElement("w:shd")
        for key, value in (("w:val", "clear"), ("w:color", "auto"), ("w:fill", "E1E1E1")):
            shading.set(qn(key), value)
        cell._tc.get_or_add_tcPr().append(shading)


def _docx_table(document, table: Table) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    grid = document.add_table(rows=1 + len(table.rows), cols=len(table.columns))
    grid.style = "Table Grid"
    _docx_fix_layout(grid, _docx_table_widths(table))
    _docx_header_row(grid.rows[0])
    for r, texts in enumerate([table.columns, *table.rows]):
        for i, text in enumerate(texts):
            para = grid.rows[r].cells[i].paragraphs[0]
            para.paragraph_format.space_after = Pt(0)
            if table.is_numeric(i) and r > 0:
                para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            _set_fonts(para.add_run(str(text)), DOCX_HEADING_FONT if r == 0 else DOCX_BODY_FONT, DOCX_TABLE_PT,
                       bold=(r == 0))
    document.add_paragraph().paragraph_format.space_after = Pt(4)


def write_docx(doc: Document, path: str | Path) -> Path:
    """Write the document as Word (.docx), atomically."""
    import docx

    document = docx.Document()
    _docx_styles(document)
    document.core_properties.title = doc.title
    document.core_properties.author = "svcov"
    document.add_paragraph(doc.title, style="Title")
    for line in doc.subtitle:
        _set_fonts(document.add_paragraph().add_run(line), DOCX_BODY_FONT, 9)
    for i, block in enumerate(doc.blocks):
        _docx_block(document, block, doc.blocks[i + 1] if i + 1 < len(doc.blocks) else None)
    if doc.footer:
        _docx_footer(document, doc.footer)
    path = Path(path)
    with atomic_path(path) as tmp:
        document.save(str(tmp))
    return path


#: A paragraph up to this many characters is kept on the page of the table or figure that follows it.
DOCX_SHORT_PARA_CHARS = 200


def _docx_block(document, block: Block, following: Block | None = None) -> None:
    """Add one block; headings (and a short paragraph introducing a table or figure) keep with what follows."""
    if isinstance(block, Heading):
        heading = document.add_heading(block.text, level=min(block.level, 3))
        heading.paragraph_format.keep_with_next = True
        heading.paragraph_format.keep_together = True
    elif isinstance(block, Para):
        _docx_para(document, block, following)
    elif isinstance(block, Bullets):
        for item in block.items:
            para = document.add_paragraph(style="List Bullet")
            _set_fonts(para.add_run(item), DOCX_BODY_FONT, 9 if block.kind == "note" else None)
    elif isinstance(block, Links):
        for text, href in block.items:
            para = document.add_paragraph(style="List Bullet")
            _set_fonts(para.add_run(f"{text} ({href})"), DOCX_BODY_FONT)
    elif isinstance(block, Table):
        _docx_table(document, block)
    elif isinstance(block, Image):
        _docx_image(document, block)


def _docx_para(document, block: Para, following: Block | None) -> None:
    from docx.shared import RGBColor

    para = document.add_paragraph()
    run = para.add_run(block.text)
    _set_fonts(run, DOCX_BODY_FONT, 9 if block.kind == "note" else None, bold=block.kind == "key")
    if block.kind == "note":
        run.font.color.rgb = RGBColor(0x44, 0x44, 0x44)
    if isinstance(following, (Table, Image)) and len(block.text) <= DOCX_SHORT_PARA_CHARS:
        para.paragraph_format.keep_with_next = True


def _docx_image(document, block: Image) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    document.add_picture(io.BytesIO(block.png), width=Cm(min(block.width_cm, 16.0)))
    document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.paragraphs[-1].paragraph_format.keep_with_next = True
    caption = document.add_paragraph()
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_fonts(caption.add_run(block.caption), DOCX_BODY_FONT, 9)
    caption.paragraph_format.space_after = Pt(10)


# --- PDF --------------------------------------------------------------------------------------------------------

def write_pdf(doc: Document, path: str | Path) -> Path:
    """Write the document as a printable A4 PDF (Noto Sans CJK SC embedded, subset), atomically
    (:mod:`svcov.outputs.pdfwriter`)."""
    from .pdfwriter import write_pdf as _write

    return _write(doc, path)


def write_document(doc: Document, stem: str | Path, formats: Sequence[str] = ("html", "docx")) -> list[Path]:
    """Write ``stem.html``, ``stem.docx`` and/or ``stem.pdf``; returns the files written."""
    stem = Path(stem)
    writers = {"html": write_html, "docx": write_docx, "pdf": write_pdf}
    unknown = [f for f in formats if f not in writers]
    if unknown:
        raise ArgumentError(f"未知的文档格式 {unknown}, 可用 html, docx, pdf (unknown document formats {unknown})")
    return [writers[f](doc, stem.with_suffix(f".{f}")) for f in formats]
