"""The leadership text of the bundled run, read back from the files it wrote (HTML, Word, PDF; memos): no
configuration key, field name, English code or solver term; no time over an hour printed as minutes; yearly reports
that say why they do not differ; after the plan period no site proposed for a year that is over; the data gaps
named once, in the appendix and ``tables/data_gaps``; memos that state ties with the tie-break rule.

Reuses the session's one bundled run (``songjiang_run_dir``): no run of its own.
"""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re
import shutil
import subprocess

import docx
import pandas as pd
import pytest

APPENDIX = "数据说明与待补充数据"
#: English words a leader may read: the tool's name, the map data's name, the programs the files open in.
ALLOWED_ASCII = {"svcov", "OpenStreetMap", "Excel", "Word", "WGS-84"}
SOLVER_ZH = ("求解", "相对差距", "最优解", "目标值", "候选点 883", "请在配置", "配置项", "网格点 r")
_MINUTES = re.compile(r"(\d+(?:\.\d+)?)\s*分钟(?!以)")


def _text(path) -> str:
    page = path.read_text(encoding="utf-8")
    page = re.sub(r"<(style|script)\b.*?</\1>|<img[^>]*>", " ", page, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", page))


def _leadership(text: str) -> str:
    """Everything before the appendix heading (the part written for leadership)."""
    head = re.search(r"[一二三四五六七八九十]+、" + APPENDIX, text)
    assert head, "no appendix heading"
    return text[:head.start()]


def _forbidden(config) -> set[str]:
    """Keys of the configuration a leader must never read: types, groups, services, fields, sections."""
    words = {t.key for t in config.facility_types} | {g.key for g in config.type_groups}
    words |= {a.key for a in config.attributes} | {config.served_group.key, config.circle_service}
    words |= {"opened_year", "closed_year", "capacity_places", "complete_register", "type_is_estimate",
              "facilities", "siting", "network", "population", "travel", "mip", "optimal", "HiGHS", "mclp"}
    return words


def _check(text: str, config, where: str) -> None:
    ascii_words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_.:-]*[A-Za-z0-9]", text))
    assert ascii_words <= ALLOWED_ASCII, (where, ascii_words - ALLOWED_ASCII)
    assert not ascii_words & _forbidden(config), where
    assert not [w for w in SOLVER_ZH if w in text], where
    assert not re.findall(r"[\u4e00-\u9fff]\d{4} 年", text), where            # 「与2022 年」: a space is missing
    too_long = [m for m in _MINUTES.findall(text) if float(m) > 60 or float(m) < 1]
    assert not too_long, (where, too_long)


def _docx_text(path) -> str:
    doc = docx.Document(str(path))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def _reports(out):
    return sorted(out.glob("report*.html"))


def test_leadership_text_of_reports_has_no_keys_codes_or_long_minutes(songjiang_run_dir, songjiang_config):
    out = songjiang_run_dir
    assert [p.name for p in _reports(out)] == ["report.html", "report_2021.html", "report_2022.html"]
    for page in _reports(out):
        _check(_leadership(_text(page)), songjiang_config, page.name)
    word = _docx_text(out / "report.docx")
    # Word keeps the tables after the paragraphs: check the paragraphs up to the appendix, and every table cell
    # of the leadership tables (the appendix has no table)
    paragraphs = "\n".join(p.text for p in docx.Document(str(out / "report.docx")).paragraphs)
    _check(_leadership(paragraphs), songjiang_config, "report.docx")
    cells = word[len("\n".join(p.text for p in docx.Document(str(out / "report.docx")).paragraphs)):]
    _check(cells, songjiang_config, "report.docx tables")


def test_leadership_text_of_the_pdf(songjiang_run_dir, songjiang_config):
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (Debian poppler-utils) not installed: PDF text not checked")
    text = subprocess.run(["pdftotext", str(songjiang_run_dir / "report.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    _check(_leadership(text.replace("\n", " ")), songjiang_config, "report.pdf")


def test_memos_and_their_index_have_no_keys_codes_or_long_minutes(songjiang_run_dir, songjiang_config):
    memos = sorted((songjiang_run_dir / "memos").glob("*.html"))
    assert len(memos) == 42                          # 18 points, 6 托班 conversions, 17 guidance stations, index
    for page in memos:
        _check(_text(page), songjiang_config, page.name)
        if re.search(r"多 \d", _text(page)):  # an alternative covers more in the site's batch (a multi-year plan)
            assert "本点位新增覆盖最多" not in _text(page) and "整体最好" in _text(page), page.name
    _check(_docx_text(songjiang_run_dir / "memos" / "site_S2023-06.docx"), songjiang_config, "memo docx")


def test_the_three_yearly_reports_say_why_they_do_not_differ(songjiang_run_dir):
    cov = pd.read_csv(songjiang_run_dir / "tables" / "coverage.csv", encoding="utf-8-sig")
    assert cov.columns[0] != "year"                                        # Chinese headers: read by position
    for page, year in zip(_reports(songjiang_run_dir), (2023, 2021, 2022)):
        text = _text(page)
        first = text[text.index("本报告"):text.index("一、要点")]
        # no facility has an opening year: said in the first paragraph, not left to the reader
        assert "各年的数字相同" in first and "开办" in first, page.name
        # one district figure for the year: the key finding and the trend table agree, the sites are a scenario
        finding = re.search(rf"{year} 年全区.*?\((\d+\.\d)%\) 在步行 15 分钟内", text)
        assert finding and finding.group(1) == "23.5", page.name
        assert "这是假设情景, 不是现状" in text
        # a previous year equal in every row gets no columns of +0.0 (the first year has none anyway)
        assert "变化 (百分点)" not in text and "+0.0" not in text, page.name
        assert f"{year} 年覆盖报告" in text


def test_after_the_plan_period_no_site_is_proposed_for_a_past_year(songjiang_run_dir):
    this_year = dt.date.today().year
    pages = _reports(songjiang_run_dir) + sorted((songjiang_run_dir / "memos").glob("*.html"))
    for page in pages:
        text = _text(page)
        years = [int(y) for y in re.findall(r"(?:建议 |批 \()(\d{4}) 年", text)]
        years += [int(y) for span in re.findall(r"(\d{4})-(\d{4}) 年的安排", text) for y in span]
        assert years and min(years) > this_year, (page.name, years)
        assert "规划期" in text
    sites = pd.read_csv(songjiang_run_dir / "tables" / "proposed_sites.csv", encoding="utf-8-sig")
    assert len(sites) == 18 + 6 + 17                                      # every leg of the plan (issue 13)


def test_data_gaps_are_one_table_and_one_appendix(songjiang_run_dir):
    gaps = pd.read_csv(songjiang_run_dir / "tables" / "data_gaps.csv", encoding="utf-8-sig")
    assert gaps.columns[0] == "序号" and gaps["序号"].tolist() == list(range(1, len(gaps) + 1))
    assert gaps["缺少的数据"].is_unique
    text = _text(songjiang_run_dir / "report.html")
    appendix = text[text.index("、" + APPENDIX):]
    assert [int(n) for n in re.findall(r"第 (\d+) 条 — ", appendix)] == gaps["序号"].tolist()
    lead = _leadership(text)
    number = re.search(r"([一二三四五六七八九十]+)、" + APPENDIX, text).group(1)   # after the scenario section
    assert f"全部 {len(gaps)} 项列在第{number}节" in lead
    assert "名册中加入" not in lead and lead.count("不是完整名册") == 1           # said once, on page 1
    assert lead.count("直线距离估算") == 1


def test_a_tied_grid_site_memo_says_so_with_the_rule_and_a_landmark(songjiang_run_dir):
    # the 叶榭镇 point of the new-point leg (its year depends on the phasing: equity serves 叶榭镇 in the first batch)
    page = next(p for p in sorted((songjiang_run_dir / "memos").glob("site_S*.html")) if "叶榭镇 · 「" in _text(p))
    text = _text(page)
    assert "叶榭镇 · 「" in text and "网格点 r" not in text                   # named by a landmark, town once
    assert "另有 3 个候选点新增覆盖与本点位相同" in text
    assert "本工具按固定规则取舍: 先取有名称的地点" in text
    assert "叶榭镇没有住宅小区的数据" in text and text.count("叶榭镇没有住宅小区的数据") == 1
    assert "60 分钟以上 (路程约" in text and "这正是在这里新设的理由" in text
    index = (songjiang_run_dir / "memos" / "index.html").read_text(encoding="utf-8")
    assert index.count('href="site_') == 3 * 41                     # the name, 网页版 and Word 版 of each site
    assert 'id="memo_index"' in index


def test_the_map_names_proposed_sites_by_their_landmark(songjiang_run_dir):
    page = (songjiang_run_dir / "map.html").read_text(encoding="utf-8")
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page)   # the map's JSON strings
    assert "网格点 r" not in text                                          # site markers and 街镇 popups
    assert "叶榭镇 · 「叶榭学校」" not in text and "「叶榭学校」西南约 4.8 公里" in text
    assert "建议点位 (第三批, 建议 2029 年)" in text
