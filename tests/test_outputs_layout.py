"""Typesetting of the report and memos, read back from the rendered files: the PDF (poppler), the Word file
(its XML, and as LibreOffice renders it). Needs Debian poppler-utils and libreoffice-writer-nogui (installed by
.ci/run); elsewhere these tests skip and name the package."""

import re
import zipfile

import _outputs_data as data
import _rendered as rendered
import docx
import pytest

from svcov.outputs.charts import coverage_bars, trend_chart
from svcov.outputs.document import Bullets, Document, Heading, Image, Para, Table, write_document
from svcov.outputs.report import build_report

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
LATIN_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.%-]{3,}")


def _stress_document() -> Document:
    """Long mixed Chinese/Latin cells, numbers, codes and short notes; figures and headings that meet the end of
    pages (made-up text, for layout only)."""
    gap = ("已知 0 个托位, 数据来源不是完整名册 (OpenStreetMap 幼儿园 (约占全区四成, 非完整名册)); 缺少字段 "
           "capacity_places (托位数): 请在名册中填写 (67 条记录为空); 缺少字段 has_nursery_class (开设托班)")
    rows = tuple((f"二(二){i}", f"每年新增普惠性托育点 S2023-{i:02d}", "2021-2023 年累计新增 ≥600 个托位 (估算)",
                  "全区" if i % 2 else "17 个街镇", f"{35.4 + i:.1f}% (0/67)", "数据不足", gap[: 40 + 7 * i])
                 for i in range(1, 16))
    chart = coverage_bars([f"街镇{i}" for i in range(17)], [i / 20 for i in range(17)], year=2023, title="覆盖率",
                          prev_shares=[i / 25 for i in range(17)], prev_year=2022)
    trend = trend_chart([2021, 2022, 2023], [0.3, 0.35, 0.4], title="全区覆盖率")
    blocks = [Heading("一、要点"), Para("本节说明 opened_year 与 capacity_places 两个字段。" * 12),
              Bullets(tuple(f"第 {i} 条: 覆盖率 35.4% (估算), 2021-2023 年" * 3 for i in range(6))),
              Heading("二、规划目标检查"), Para("下表逐条列出规则。"),
              Table(("条款", "目标", "要求", "范围", "现状", "状态", "差距 / 说明"), rows, key="stress"),
              Image(chart, "图 1: 覆盖率。"), Para("图后的文字。" * 30), Image(trend, "图 2: 逐年变化。", width_cm=13),
              Heading("三、附表", level=1), Heading("附表 1", level=2), Para("短段落。"),
              Table(("年份", "覆盖率"), tuple((f"{2000 + i} 年", f"{i}.5%") for i in range(30)), numeric=(False, True))]
    return Document(title="排版测试文档 (虚构文字)", subtitle=("副标题",), blocks=tuple(blocks), footer="排版测试")


@pytest.fixture(scope="module")
def documents(tmp_path_factory):
    """(Document, pdf path, docx path) of the stress document and of the report built from the test tables."""
    out = tmp_path_factory.mktemp("layout")
    inputs = data.songjiang()[1]
    report = build_report(2023, info=data.run_info(), years=data.YEARS, boundaries=inputs.boundaries,
                          coverage=data.coverage_table(inputs.boundaries, inputs.demand),
                          rule_status=data.rule_status(inputs.boundaries, gap_text="缺少字段 capacity_places (托位数)"),
                          sites=data.sites(inputs.boundaries))
    made = []
    for name, doc in (("stress", _stress_document()), ("report", report)):
        html, word, pdf = write_document(doc, out / name, ("html", "docx", "pdf"))
        made.append((doc, pdf, word))
    return made


def _need(*tools):
    reason = rendered.missing(*tools)
    if reason:
        pytest.skip(reason)


def test_pdf_never_splits_a_latin_word_or_number(documents):
    _need("pdftotext")
    for _, pdf, _ in documents:
        words = rendered.pdf_words(pdf)
        assert len(words) > 300
        assert rendered.split_words(words) == [], pdf.name


def test_the_checker_finds_split_words(tmp_path):
    """The read-back check itself: a PDF typeset by character breaking (as before) is caught."""
    _need("pdftotext")
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    from svcov.outputs.charts import cjk_font_path

    pdf = FPDF()
    pdf.add_font("cjk", fname=str(cjk_font_path()))
    pdf.add_page()
    pdf.set_font("cjk", size=8)
    with pdf.table(col_widths=(20, 20), wrapmode="CHAR", width=40, headings_style=FontFace(), line_height=4.2,
                   padding=1) as grid:
        for texts in (("条款", "现状"), ("请在配置 facilities 中加入", "覆盖率 35.4%")):
            row = grid.row()
            for text in texts:
                row.cell(text)
    pdf.output(str(tmp_path / "char.pdf"))
    assert rendered.split_words(rendered.pdf_words(tmp_path / "char.pdf"))


def test_pdf_pages_are_full_except_before_a_chapter(documents):
    _need("pdftoppm", "pdftotext")
    for doc, pdf, _ in documents:
        chapters = [b.text for b in doc.blocks if isinstance(b, Heading) and b.level == 1]
        fills, texts = rendered.page_bottoms(pdf), rendered.page_texts(pdf)
        assert len(fills) >= 3
        for page, fill in enumerate(fills[:-1]):
            following = next(line.strip() for line in texts[page + 1].splitlines() if line.strip())
            assert fill >= 0.7 or following in chapters, (pdf.name, page + 1, fill, following)


def test_pdf_headings_are_never_last_on_a_page(documents):
    _need("pdftotext")
    for doc, pdf, _ in documents:
        headings = {b.text for b in doc.blocks if isinstance(b, Heading)}
        for page, text in enumerate(rendered.page_texts(pdf)[:-1], start=1):
            lines = [line.strip() for line in text.splitlines() if line.strip()]
            body = [line for line in lines if "第" not in line or "页" not in line]
            assert body[-1] not in headings, (pdf.name, page)


def test_docx_tables_have_fixed_content_sized_columns_and_repeated_headers(documents):
    for _, _, word in documents:
        with zipfile.ZipFile(word) as z:
            xml = z.read("word/document.xml").decode("utf-8")
        document = docx.Document(str(word))
        for table in document.tables:
            tbl = table._tbl
            grid = [int(c.get(f"{W}w")) for c in tbl.tblGrid.findall(f"{W}gridCol")]
            assert len(set(grid)) > 1, [c.text for c in table.rows[0].cells]
            assert tbl.tblPr.find(f"{W}tblLayout").get(f"{W}type") == "fixed"
            assert int(tbl.tblPr.find(f"{W}tblW").get(f"{W}w")) == pytest.approx(sum(grid), abs=len(grid))
            for row in table.rows:
                assert [int(c._tc.tcPr.find(f"{W}tcW").get(f"{W}w")) for c in row.cells] == pytest.approx(grid, abs=1)
            assert table.rows[0]._tr.trPr.find(f"{W}tblHeader") is not None
        assert xml.count("<w:tblHeader") == len(document.tables)
        headings = [p for p in document.paragraphs if p.style.name.startswith("Heading")]
        assert headings and all(p.paragraph_format.keep_with_next for p in headings)


def _latin_tokens(texts):
    counts = {}
    for text in texts:
        for token in LATIN_TOKEN.findall(text):
            token = token.rstrip(".-_")
            counts[token] = counts.get(token, 0) + 1
    return counts


def test_libreoffice_keeps_words_whole_and_repeats_table_headers(documents, tmp_path):
    _need("soffice", "pdftotext")
    doc, _, word = documents[0]
    pdf = rendered.docx_to_pdf(word, tmp_path)
    words = " ".join(w.text for w in rendered.pdf_words(pdf))
    cells = [c for b in doc.blocks if isinstance(b, Table) for row in (b.columns, *b.rows) for c in row]
    for token, n in _latin_tokens(cells).items():
        assert words.count(token) >= n, token
    pages = rendered.page_texts(pdf)
    with_table = [i for i, text in enumerate(pages) if "S2023-" in text]
    assert len(with_table) >= 2                                   # the long table runs over a page break
    assert all("差距 / 说明" in pages[i] for i in with_table)        # and its header is repeated
