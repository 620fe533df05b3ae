"""Tests of svcov.outputs.document: the same document as HTML (escaped), Word (Chinese fonts) and PDF."""

import re
import shutil
import subprocess
import zipfile

import docx
import pytest

from svcov.outputs.charts import trend_chart
from svcov.outputs.document import (
    DOCX_BODY_FONT,
    Bullets,
    Document,
    Heading,
    Image,
    Links,
    Para,
    Table,
    render_html,
    write_document,
)

XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def doc():
    png = trend_chart([2021, 2022], [0.25, 0.5], title="覆盖率")
    return Document(title=f"测试报告 {XSS}", subtitle=("副标题",), footer="页脚", blocks=(
        Heading("一、要点"), Para(f"名称 {XSS} 与 ${{alert(2)}}", kind="key"), Bullets(("甲", f"乙 {XSS}"), kind="note"),
        Table(("街镇", "覆盖率"), (("方松街道", "45.6%"), (XSS, "1.0%")), key="t1", numeric=(False, True)),
        Image(png, "图 1: 覆盖率", width_cm=8), Links(((f"说明 {XSS}", "site_a.html"),))))


def test_html_escapes_all_text(doc):
    html = render_html(doc)
    assert XSS not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 6
    assert '<table id="t1">' in html
    assert '<td class="num">45.6%</td>' in html and "<td>方松街道</td>" in html
    assert 'src="data:image/png;base64,' in html
    assert '<a href="site_a.html">' in html
    assert "<h2>一、要点</h2>" in html


def test_docx_has_chinese_fonts_text_and_tables(doc, tmp_path):
    path, = write_document(doc, tmp_path / "d", ("docx",))
    word = docx.Document(str(path))
    text = "\n".join(p.text for p in word.paragraphs)
    assert f"测试报告 {XSS}" in text and f"名称 {XSS}" in text and "说明 <script>alert(1)</script> (site_a.html)" in text
    assert [[c.text for c in row.cells] for row in word.tables[0].rows] == [["街镇", "覆盖率"], ["方松街道", "45.6%"],
                                                                            [XSS, "1.0%"]]
    fonts = word.styles["Normal"].element.rPr.rFonts
    assert fonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == DOCX_BODY_FONT
    assert len(word.inline_shapes) == 1
    with zipfile.ZipFile(path) as z:
        assert "PAGE" in z.read("word/footer1.xml").decode("utf-8")


def test_pdf_is_written_with_embedded_cjk_font(doc, tmp_path):
    path, = write_document(doc, tmp_path / "d", ("pdf",))
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    assert b"NotoSansCJK" in data
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (Debian poppler-utils) not installed: PDF text not checked")
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "测试报告" in text and "方松街道" in text and "45.6%" in text
    assert re.search(r"页脚\s+第 1 页", text)


def test_write_document_writes_each_format_and_rejects_unknown(doc, tmp_path):
    written = write_document(doc, tmp_path / "out", ("html", "docx"))
    assert [p.name for p in written] == ["out.html", "out.docx"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.docx", "out.html"]   # no temporary files left
    with pytest.raises(ValueError, match="未知的文档格式"):
        write_document(doc, tmp_path / "x", ("odt",))
