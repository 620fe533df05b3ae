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
from .charts import cjk_font_path

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
        Relative column widths (PDF and Word).
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    key: str = ""
    numeric: tuple[bool, ...] = ()
    widths: tuple[float, ...] = ()

    def is_numeric(self, i: int) -> bool:
        return bool(self.numeric[i]) if i < len(self.numeric) else False

    def relative_widths(self) -> tuple[float, ...]:
        if len(self.widths) == len(self.columns):
            return self.widths
        longest = [max([_text_width(c)] + [_text_width(r[i]) for r in self.rows]) for i, c in
                   enumerate(self.columns)]
        return tuple(min(max(w, 4), 40) for w in longest)


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


def _text_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(text))


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


def _docx_table(document, table: Table) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Cm

    grid = document.add_table(rows=1 + len(table.rows), cols=len(table.columns))
    grid.style = "Table Grid"
    widths = table.relative_widths()
    total = sum(widths)
    for r, texts in enumerate([table.columns, *table.rows]):
        row = grid.rows[r]
        if r == 0:
            header = OxmlElement("w:tblHeader")
            header.set(qn("w:val"), "true")
            row._tr.get_or_add_trPr().append(header)
        for i, text in enumerate(texts):
            cell = row.cells[i]
            cell.width = Cm(16.4 * widths[i] / total)
            para = cell.paragraphs[0]
            if table.is_numeric(i) and r > 0:
                para.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            _set_fonts(para.add_run(str(text)), DOCX_HEADING_FONT if r == 0 else DOCX_BODY_FONT, 9,
                       bold=(r == 0))
    document.add_paragraph()


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
    for block in doc.blocks:
        _docx_block(document, block)
    if doc.footer:
        _docx_footer(document, doc.footer)
    path = Path(path)
    with atomic_path(path) as tmp:
        document.save(str(tmp))
    return path


def _docx_block(document, block: Block) -> None:
    from docx.shared import RGBColor

    if isinstance(block, Heading):
        document.add_heading(block.text, level=min(block.level, 3))
    elif isinstance(block, Para):
        run = document.add_paragraph().add_run(block.text)
        _set_fonts(run, DOCX_BODY_FONT, 9 if block.kind == "note" else None, bold=block.kind == "key")
        if block.kind == "note":
            run.font.color.rgb = RGBColor(0x44, 0x44, 0x44)
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


def _docx_image(document, block: Image) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt

    document.add_picture(io.BytesIO(block.png), width=Cm(min(block.width_cm, 16.0)))
    document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    caption = document.add_paragraph()
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _set_fonts(caption.add_run(block.caption), DOCX_BODY_FONT, 9)
    caption.paragraph_format.space_after = Pt(10)


# --- PDF --------------------------------------------------------------------------------------------------------

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


def _pdf_table(pdf, table: Table) -> None:
    from fpdf.fonts import FontFace

    pdf.set_font("cjk", size=8)
    align = tuple("RIGHT" if table.is_numeric(i) else "LEFT" for i in range(len(table.columns)))
    heading = FontFace(emphasis=None, fill_color=(225, 225, 225))
    with pdf.table(col_widths=table.relative_widths(), text_align=align, headings_style=heading,
                   line_height=4.6, padding=1, first_row_as_headings=True, wrapmode="CHAR") as grid:
        for texts in [table.columns, *table.rows]:
            row = grid.row()
            for text in texts:
                row.cell(str(text))
    pdf.ln(3)


def _pdf_block(pdf, block: Block) -> None:
    width = pdf.epw
    if isinstance(block, Heading):
        size = 14 if block.level == 1 else 11.5
        if pdf.get_y() > pdf.h - 45:
            pdf.add_page()
        pdf.ln(3)
        pdf.set_font("cjk", size=size)
        pdf.multi_cell(width, size * 0.55, block.text, align="L", new_x="LMARGIN", new_y="NEXT", wrapmode="CHAR")
        if block.level == 1:
            pdf.line(pdf.l_margin, pdf.get_y() + 0.5, pdf.l_margin + width, pdf.get_y() + 0.5)
        pdf.ln(2)
    elif isinstance(block, (Para, Bullets, Links)):
        items = ([block.text] if isinstance(block, Para) else
                 [f"• {t}" for t in block.items] if isinstance(block, Bullets) else
                 [f"• {t} ({h})" for t, h in block.items])
        small = getattr(block, "kind", "body") == "note"
        pdf.set_font("cjk", size=8.5 if small else 10)
        pdf.set_text_color(68, 68, 68) if small else pdf.set_text_color(0, 0, 0)
        for text in items:
            pdf.multi_cell(width, 4.6 if small else 5.6, text, align="L", new_x="LMARGIN", new_y="NEXT",
                           wrapmode="CHAR")
            pdf.ln(0.8)
        pdf.set_text_color(0, 0, 0)
        pdf.ln(1.5)
    elif isinstance(block, Table):
        _pdf_table(pdf, block)
    elif isinstance(block, Image):
        w = min(block.width_cm * 10, width)
        pdf.image(io.BytesIO(block.png), x=pdf.l_margin + (width - w) / 2, w=w)
        pdf.set_font("cjk", size=8.5)
        pdf.multi_cell(width, 4.5, block.caption, align="C", new_x="LMARGIN", new_y="NEXT", wrapmode="CHAR")
        pdf.ln(3)


def write_pdf(doc: Document, path: str | Path) -> Path:
    """Write the document as a printable A4 PDF (Noto Sans CJK SC embedded, subset), atomically."""
    pdf = _pdf_class()(format="A4")
    pdf.footer_text = doc.footer
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_font("cjk", fname=str(cjk_font_path()))
    pdf.set_title(doc.title)
    pdf.set_creator("svcov")
    pdf.add_page()
    pdf.set_font("cjk", size=18)
    pdf.multi_cell(pdf.epw, 9, doc.title, align="L", new_x="LMARGIN", new_y="NEXT", wrapmode="CHAR")
    pdf.set_font("cjk", size=8.5)
    for line in doc.subtitle:
        pdf.multi_cell(pdf.epw, 4.6, line, align="L", new_x="LMARGIN", new_y="NEXT", wrapmode="CHAR")
    pdf.ln(3)
    for block in doc.blocks:
        _pdf_block(pdf, block)
    path = Path(path)
    with atomic_path(path) as tmp:
        pdf.output(str(tmp))
    return path


def write_document(doc: Document, stem: str | Path, formats: Sequence[str] = ("html", "docx")) -> list[Path]:
    """Write ``stem.html``, ``stem.docx`` and/or ``stem.pdf``; returns the files written."""
    stem = Path(stem)
    writers = {"html": write_html, "docx": write_docx, "pdf": write_pdf}
    unknown = [f for f in formats if f not in writers]
    if unknown:
        raise ArgumentError(f"未知的文档格式 {unknown}, 可用 html, docx, pdf (unknown document formats {unknown})")
    return [writers[f](doc, stem.with_suffix(f".{f}")) for f in formats]
