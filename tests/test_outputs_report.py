"""Tests of svcov.outputs.report: the numbers in the report are the numbers of the tables it is handed."""

import shutil
import subprocess
from html.parser import HTMLParser

import _outputs_data as data
import docx
import numpy as np
import pytest

from svcov.errors import MissingColumnError
from svcov.outputs.document import Bullets, Heading, Para, Table
from svcov.outputs.report import build_report, write_report


class _Tables(HTMLParser):
    """Cell texts of every <table id=...> of a page."""

    def __init__(self):
        super().__init__()
        self.tables, self._id, self._row, self._cell = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._id = dict(attrs).get("id")
            self.tables[self._id] = []
        elif tag == "tr" and self._id:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""

    def handle_data(self, text):
        if self._cell is not None:
            self._cell += text

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._id].append(self._row)
            self._row = None
        elif tag == "table":
            self._id = None


def pct(x):
    return f"{x * 100:.1f}%"


@pytest.fixture(scope="module")
def frames():
    inputs = data.songjiang()[1]
    return {"boundaries": inputs.boundaries, "coverage": data.coverage_table(inputs.boundaries, inputs.demand),
            "rule_status": data.rule_status(inputs.boundaries, gap_text=f"缺 {data.XSS}"),
            "sites": data.sites(inputs.boundaries, candidate_names={1: data.XSS})}


@pytest.fixture(scope="module")
def report(frames, tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    # dated within the plan period (2021-2023): a current report, the 2023 sites for 2023
    files = write_report(out, 2023, info=data.run_info(created="2023-06-01"), years=data.YEARS, **frames)
    tables = _Tables()
    tables.feed((out / "report.html").read_text(encoding="utf-8"))
    return out, files, tables.tables


def test_report_files(report):
    out, files, _ = report
    assert [p.name for p in files] == ["report.html", "report.docx", "report.pdf"]
    assert sorted(p.name for p in out.iterdir()) == ["report.docx", "report.html", "report.pdf"]


def test_coverage_table_equals_the_coverage_rows_of_the_year(frames, report):
    cov = frames["coverage"]
    rows = report[2]["coverage"]
    circle = cov[(cov["service"] == "inclusive_childcare") & (cov["threshold_min"] == 15)
                 & (cov["group"] == "children_0_3") & (cov["profile"] == "walk")]
    now = circle[circle["year"] == 2023].set_index("jiezhen_name")
    before = circle[circle["year"] == 2022].set_index("jiezhen_name")
    assert rows[0][0] == "街镇" and len(rows) == 1 + 18
    assert rows[1][0] == "全区"
    for name, pop, covered, share, prev, change, minutes in rows[1:]:
        r, b = now.loc[name], before.loc[name]
        assert pop == f"{round(r['pop']):,}"
        assert covered == f"{round(r['pop_covered']):,}"
        assert share == pct(r["share_covered"])
        assert prev == pct(b["share_covered"])
        assert change == f"{round((r['share_covered'] - b['share_covered']) * 100, 1) + 0.0:+.1f}"
        assert minutes == f"{r['mean_time_min']:.1f}"
    shares = [float(row[3].rstrip("%")) for row in rows[2:]]
    assert shares == sorted(shares)                                            # lowest coverage first


def test_trend_table_equals_district_rows_of_each_year(frames, report):
    cov = frames["coverage"]
    district = cov[(cov["service"] == "inclusive_childcare") & (cov["threshold_min"] == 15)
                 & (cov["group"] == "children_0_3") & (cov["profile"] == "walk")
                   & (cov["jiezhen_code"] == "全区")].set_index("year")
    assert report[2]["trend"][1:] == [[f"{y} 年", f"{round(district.loc[y, 'pop']):,}",
                                       f"{round(district.loc[y, 'pop_covered']):,}",
                                       pct(district.loc[y, "share_covered"]), f"{district.loc[y, 'n_facilities']}"]
                                      for y in data.YEARS]


def test_summary_sentences_state_the_district_share_change_and_layout_counts(frames, report):
    cov = frames["coverage"]
    d = cov[(cov["service"] == "inclusive_childcare") & (cov["threshold_min"] == 15)
                 & (cov["group"] == "children_0_3") & (cov["profile"] == "walk") & (cov["jiezhen_code"] == "全区")]
    now, before = (d[d["year"] == y].iloc[0] for y in (2023, 2022))
    html = (report[0] / "report.html").read_text(encoding="utf-8")
    change = round((now["share_covered"] - before["share_covered"]) * 100, 1)
    assert change > 0
    assert (f"<li>2023 年全区 0-3 岁儿童约 {round(now['pop']):,} 人 (估算), 其中约 "
            f"{round(now['pop_covered']):,} 人 ({pct(now['share_covered'])}) 在步行 15 分钟内能到达普惠性托育服务设施; "
            f"2022 年为 {pct(before['share_covered'])}, 提高了 {change:.1f} 个百分点。</li>") in html
    rules = frames["rule_status"]
    layout = rules[(rules["rule_id"] == data.LAYOUT_RULE) & (rules["year"] == 2023)]["status"].value_counts()
    assert (f"<li>「3个一」布局: 17 个街镇中达标 {layout['达标']} 个、未达标 {layout['未达标']} 个、"
            f"数据不足 {layout['数据不足']} 个。</li>") in html


def test_layout_table_equals_the_rule_rows(frames, report):
    rules = frames["rule_status"]
    rows = rules[(rules["rule_id"] == data.LAYOUT_RULE) & (rules["year"] == 2023)].set_index("jiezhen_name")
    table = report[2]["layout"]
    assert len(table) == 1 + 17
    for name, status, value, note in table[1:]:
        r = rows.loc[name]
        assert status == r["status"]
        assert value == ("—" if np.isnan(r["value"]) else f"{r['value']:.0f}")
        if status == "数据不足":        # what is missing, in words (the field key 「type」 is not printed)
            assert note.startswith("无法判断: 缺设施类型 (见第七节第 ") and "type" not in note
        else:                           # the shortfall as the rule table words it
            assert note == (r["gap_zh"] or "—")
    order = [row[1] for row in table[1:]]
    assert order == sorted(order, key=["未达标", "数据不足", "达标"].index)       # failing 街镇 first


def test_targets_table_counts_statuses_per_rule(frames, report):
    rules = frames["rule_status"]
    now = rules[rules["year"] == 2023]
    table = {row[1]: row for row in report[2]["targets"][1:]}
    district = now[now["rule_id"] == "new_points_per_year"].iloc[0]
    assert table["每年新增 5-7 个普惠性托育点"][3:] == ["全区", "4", "未达标", district["gap_zh"]]
    layout = now[now["rule_id"] == data.LAYOUT_RULE]["status"].value_counts()
    row = table["各街镇「3个一」普惠性托育布局"]
    assert row[4] == f"达标 {layout['达标']}; 未达标 {layout['未达标']}; 数据不足 {layout['数据不足']}"
    assert row[5] == "未达标"
    assert table["每个街镇 1-2 个家庭科学育儿指导站"][4:6] == ["达标 0; 未达标 0; 数据不足 17", "数据不足"]
    wide = report[2]["rules_by_jiezhen"]
    assert wide[0] == ["街镇", "各街镇「3个一」普惠性托育布局", "每个街镇 1-2 个家庭科学育儿指导站"]
    assert len(wide) == 18


def test_sites_table_equals_the_sites_of_the_year(frames, report):
    sites = frames["sites"]
    now = sites[sites["year"] == 2023].sort_values("rank")
    assert report[2]["sites"][0] == ["排名", "点位", "街镇", "新增覆盖 (人, 估算)", "所在街镇覆盖率 (建成后)"]
    assert report[2]["sites"][1:] == [
        [str(r["rank"]), r["candidate_name"], r["jiezhen_name"], f"{round(r['pop_newly_covered']):,}",
         pct(r["jiezhen_share_after"])] for _, r in now.iterrows()]


def test_word_tables_equal_html_tables(report):
    out, _, tables = report
    word = docx.Document(str(out / "report.docx"))
    word_tables = [[[c.text for c in row.cells] for row in t.rows] for t in word.tables]
    for key in ("coverage", "trend", "layout", "targets", "rules_by_jiezhen", "sites"):
        assert tables[key] in word_tables, key


def test_pdf_shows_the_same_numbers(frames, report):
    out, _, tables = report
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (Debian poppler-utils) not installed: PDF text not checked")
    text = subprocess.run(["pdftotext", str(out / "report.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    for row in tables["coverage"][1:]:
        assert row[0] in text and row[3] in text and row[1] in text


def test_estimates_and_caveats_are_marked(report):
    out, _, tables = report
    html = (out / "report.html").read_text(encoding="utf-8")
    assert tables["coverage"][0][1] == "0-3 岁儿童 (人, 估算)"
    assert data.TRAVEL_ZH in html and "步行时间按直线距离估算, 没有用路网" in html
    assert "设施的类型是按名称规则或默认值推断的" in html
    assert "OpenStreetMap contributors" in html


def test_script_in_names_is_text(report):
    out, _, tables = report
    html = (out / "report.html").read_text(encoding="utf-8")
    assert data.XSS not in html and "<script" not in html
    assert any(data.XSS in cell for row in tables["sites"] for cell in row)
    assert any(data.XSS in cell for row in tables["layout"] for cell in row)


def _headings(doc) -> list[str]:
    return [b.text for b in doc.blocks if isinstance(b, Heading) and b.level == 1]


def test_first_year_has_no_change_and_sections_without_tables_are_left_out(frames):
    doc = build_report(2021, info=data.run_info(), boundaries=frames["boundaries"], coverage=frames["coverage"])
    coverage = next(b for b in doc.blocks if isinstance(b, Table) and b.key == "coverage")
    assert coverage.columns[3:] == ("覆盖率", "平均步行时间 (分钟)")          # no earlier year: no change columns
    # no rule table, no sites: no layout, targets or sites section; the others are numbered on
    assert _headings(doc) == ["一、要点", "二、15 分钟覆盖率: 全区和各街镇", "三、规划期各年的变化",
                              "四、数据说明与待补充数据"]
    texts = [b.text for b in doc.blocks if isinstance(b, Para)]
    items = [i for b in doc.blocks if isinstance(b, Bullets) for i in b.items]
    assert any(i.startswith("要让这些数字能用于考核") and "全部 2 项列在第四节" in i for i in items)   # network, population
    assert not any("「3个一」" in t for t in texts + items)


def test_sections_follow_the_rules_that_exist(frames):
    full = build_report(2023, info=data.run_info(), **frames)
    assert _headings(full) == ["一、要点", "二、15 分钟覆盖率: 全区和各街镇", "三、规划期各年的变化", "四、「3个一」布局",
                               "五、规划目标检查", "六、建议新增点位 (若建成)", "七、数据说明与待补充数据"]
    no_layout = build_report(2023, info=data.run_info(layout_rule_id=None), **frames)
    assert "四、规划目标检查" in _headings(no_layout) and not any("3个一" in h for h in _headings(no_layout))
    assert not any("「3个一」" in b.text for b in no_layout.blocks if isinstance(b, Para))


def test_profiles_are_shown_side_by_side(frames):
    inputs = data.songjiang()[1]
    coverage = data.coverage_table(inputs.boundaries, inputs.demand, profiles=(("walk", "一般步行"),
                                                                                ("elderly", "老人步行")))
    info = data.run_info(profiles=(("walk", "一般步行"), ("elderly", "老人步行")), profile_name_zh="一般步行")
    doc = build_report(2023, info=info, boundaries=inputs.boundaries, coverage=coverage)
    assert "三、各出行方式的 15 分钟覆盖率" in _headings(doc)
    table = next(b for b in doc.blocks if isinstance(b, Table) and b.key == "profiles")
    assert table.columns == ("街镇", "一般步行", "老人步行")
    rows = coverage[(coverage["service"] == "inclusive_childcare") & (coverage["threshold_min"] == 15)
                    & (coverage["group"] == "children_0_3") & (coverage["year"] == 2023)
                    & (coverage["jiezhen_code"] == "全区")].set_index("profile")["share_covered"]
    assert table.rows[0] == ("全区", pct(rows["walk"]), pct(rows["elderly"]))
    assert rows["elderly"] < rows["walk"]


def test_a_siting_problem_has_its_section(frames):
    problem = "选址模型无解 (the siting model is infeasible):\n  - 2023 年: 叶榭镇没有候选点, 但规则要求至少 1 个"
    doc = build_report(2023, info=data.run_info(), boundaries=frames["boundaries"], coverage=frames["coverage"],
                       rule_status=frames["rule_status"], siting_problem=problem)
    assert "六、建议新增点位 (若建成)" in _headings(doc)
    bullets = [i for b in doc.blocks if isinstance(b, Bullets) for i in b.items]
    assert "2023 年: 叶榭镇没有候选点, 但规则要求至少 1 个" in bullets
    texts = [b.text for b in doc.blocks if isinstance(b, Para)]
    assert any("本次选址没有完成" in t and "选址模型无解" in t for t in texts)
    assert any("选址没有完成" in i and "第六节" in i for i in bullets)


def test_bad_tables_are_refused(frames, tmp_path):
    info = data.run_info()
    with pytest.raises(MissingColumnError, match="share_covered"):
        write_report(tmp_path, 2023, info=info, boundaries=frames["boundaries"],
                     coverage=frames["coverage"].drop(columns="share_covered"))
    with pytest.raises(MissingColumnError, match="gap_zh"):
        write_report(tmp_path, 2023, info=info, boundaries=frames["boundaries"], coverage=frames["coverage"],
                     rule_status=frames["rule_status"].drop(columns="gap_zh"))
    with pytest.raises(ValueError, match="覆盖表中没有服务「elderly_care」"):
        write_report(tmp_path, 2023, info=data.run_info(circle_service="elderly_care"),
                     boundaries=frames["boundaries"], coverage=frames["coverage"])
    assert list(tmp_path.iterdir()) == []
