"""Tests of svcov.outputs.memo: one memo per proposed site, numbers from the site table, escaped names."""

import _outputs_data as data
import docx
import pytest

from svcov.errors import MissingColumnError
from svcov.outputs.document import Bullets, Image, Para, Table, render_html
from svcov.outputs.memo import SITE_COLUMNS, build_memo, memo_stem, write_memos


@pytest.fixture(scope="module")
def inputs():
    return data.songjiang()[1]


@pytest.fixture(scope="module")
def sites(inputs):
    frame = data.sites(inputs.boundaries, candidate_names={1: data.XSS})
    frame.loc[1, "nearest_facilities"] = f"{data.XSS} (公办托幼一体园): 步行 9.0 分钟\n{data.XSS_TEMPLATE}: 步行 12.0 分钟"
    return frame


@pytest.fixture(scope="module")
def written(inputs, sites, tmp_path_factory):
    out = tmp_path_factory.mktemp("memos")
    facilities = data.with_xss_facility(inputs.facilities)
    return out, write_memos(out, sites, info=data.run_info(), boundaries=inputs.boundaries, facilities=facilities,
                            service_areas=data.service_areas(facilities))


def test_memo_stem_is_safe_and_keeps_ids_apart():
    assert memo_stem("S2023-1") == "site_S2023-1"
    assert memo_stem("a/b") != memo_stem("a_b")
    assert memo_stem("../x y") .startswith("site_") and "/" not in memo_stem("../x y")
    assert memo_stem("叶榭镇1号").isascii()


def test_one_memo_per_site_in_html_and_word_plus_an_index(written, sites):
    out, files = written
    stems = [memo_stem(s) for s in sites.sort_values(["year", "rank"])["site_id"]]
    assert [p.name for p in files] == [f"{s}.{ext}" for s in stems for ext in ("html", "docx")] + ["index.html"]
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in files)       # nothing half-written
    index = (out / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{s}.html"' in index for s in stems)


def test_memo_numbers_are_the_site_table_numbers(inputs, sites):
    site = sites.iloc[0]
    doc = build_memo(site, info=data.run_info(), boundaries=inputs.boundaries, facilities=inputs.facilities,
                     image=False)
    text = " ".join(b.text for b in doc.blocks if isinstance(b, Para))
    assert "约 312 人 (估算)" in text                             # pop_newly_covered 312.4
    assert "叶榭镇的覆盖率从 20.0% 提高到 35.0%" in text
    coverage = next(b for b in doc.blocks if isinstance(b, Table) and b.key == "coverage")
    assert coverage.rows == (("叶榭镇", "20.0%", "35.0%", "+15.0"), ("全区", "41.2%", "41.8%", "+0.5"))
    location = dict(next(b for b in doc.blocks if isinstance(b, Table) and b.key == "location").rows)
    assert location["坐标 (WGS-84 经度, 纬度)"] == f"{site['lon_wgs84']:.6f}, {site['lat_wgs84']:.6f}"
    assert location["附近的有名称地点 (直线距离)"] == "阳光小区、绿地小区"   # no places given: the site table's list
    bullets = [i for b in doc.blocks if isinstance(b, Bullets) for i in b.items]
    assert "叶榭镇中心幼儿园 (公办托幼一体园): 步行 17.5 分钟" in bullets
    assert "候选点 poi-200: 新增覆盖 150 人, 少于本点" in bullets       # no alternatives table: the site table's list
    assert any("步行时间按直线距离估算 (没有用路网)" in i for i in bullets)      # caveat: fallback travel model
    assert "补上本街镇「3个一」中缺少的普惠性托育点" in text


def test_memo_without_rule_gap_says_why_it_was_chosen(inputs, sites):
    doc = build_memo(sites.iloc[1], info=data.run_info(), boundaries=inputs.boundaries, facilities=inputs.facilities,
                     image=False)
    assert any(isinstance(b, Para) and "不补规划规则的缺口" in b.text for b in doc.blocks)


def test_script_in_a_name_shows_as_text_in_html_and_word(written, sites):
    out, _ = written
    stem = memo_stem(sites.iloc[1]["site_id"])
    html = (out / f"{stem}.html").read_text(encoding="utf-8")
    assert data.XSS not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert data.XSS not in (out / "index.html").read_text(encoding="utf-8")
    assert "<li>&lt;script&gt;alert(1)&lt;/script&gt; (公办托幼一体园): 步行 9.0 分钟</li>" in html   # facility name
    assert "&lt;img src=x onerror=alert(3)&gt;" in html and "<img src=x" not in html
    word = docx.Document(str(out / f"{stem}.docx"))
    assert any(data.XSS in p.text for p in word.paragraphs)
    assert any(p.text == f"{data.XSS} (公办托幼一体园): 步行 9.0 分钟" for p in word.paragraphs)
    assert render_html(build_memo(sites.iloc[1], info=data.run_info(), boundaries=data.songjiang()[1].boundaries,
                                  facilities=data.songjiang()[1].facilities, image=False)).count("<script") == 0


def test_memo_html_embeds_its_map(written, sites):
    out, _ = written
    html = (out / f"{memo_stem(sites.iloc[0]['site_id'])}.html").read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') == 1


def test_missing_site_columns_are_all_named(inputs, sites, tmp_path):
    broken = sites.drop(columns=["alternatives", "nearest_compounds"])
    with pytest.raises(MissingColumnError, match=r"(?s)「nearest_compounds」.*「alternatives」"):
        write_memos(tmp_path, broken, info=data.run_info(), boundaries=inputs.boundaries,
                    facilities=inputs.facilities)
    assert list(tmp_path.iterdir()) == []
    assert set(SITE_COLUMNS) <= set(sites.columns)


def test_memo_says_when_the_site_table_lists_nothing(inputs, sites):
    site = sites.iloc[0].copy()
    site["nearest_facilities"], site["alternatives"], site["nearest_compounds"] = "", None, ""
    doc = build_memo(site, info=data.run_info(), boundaries=inputs.boundaries, facilities=inputs.facilities,
                     image=False)
    texts = [b.text for b in doc.blocks if isinstance(b, Para)] + [i for b in doc.blocks if isinstance(b, Bullets)
                                                                   for i in b.items]
    assert "选址表没有列出附近的现有设施。" in texts and "选址表没有记录其他候选点。" in texts
    location = dict(next(b for b in doc.blocks if isinstance(b, Table) and b.key == "location").rows)
    assert location["附近的有名称地点 (直线距离)"] == "—"


def test_memo_map_caption_says_whether_existing_facilities_are_in_view(inputs, sites):
    site = sites.iloc[0]
    distance = inputs.facilities.distance(site.geometry)
    near = build_memo(site, info=data.run_info(), boundaries=inputs.boundaries, facilities=inputs.facilities)
    caption = next(b for b in near.blocks if isinstance(b, Image)).caption
    assert "现有设施" in caption and "2022 年在办" in caption
    far = inputs.facilities[distance > 9000]
    doc = build_memo(site, info=data.run_info(), boundaries=inputs.boundaries, facilities=far)
    caption = next(b for b in doc.blocks if isinstance(b, Image)).caption
    assert f"最近的现有设施在直线 {distance[distance > 9000].min() / 1000:.1f} 公里外, 不在图中" in caption
    assert "周围约 2.4×2.4 公里" in caption          # the map stays around the site; the far facility is named
