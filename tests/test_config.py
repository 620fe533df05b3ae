"""Run configuration: the bundled file parses; every problem is reported with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from svcov.config import load_config, load_facility_types
from svcov.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def test_bundled_config(songjiang_config):
    c = songjiang_config
    assert c.run_name == "songjiang"
    assert c.district_name_zh == "松江区"
    assert c.years == (2021, 2022, 2023) and c.report_year == 2023
    assert [t.key for t in c.facility_types][:3] == ["public_nursery_kindergarten",
                                                     "private_inclusive_nursery_kindergarten",
                                                     "inclusive_childcare_point"]
    assert c.group_types("inclusive_childcare") == ("public_nursery_kindergarten",
                                                    "private_inclusive_nursery_kindergarten",
                                                    "inclusive_childcare_point")
    assert c.group_types("other_kindergarten") == ("other_kindergarten",)
    assert c.population.is_estimate and c.population.estimate.total_0_3 == 62449
    assert c.travel.walk_speed_kph == 4.0 and c.travel.thresholds_min == (5, 10, 15)
    assert c.network.source is None
    assert c.output.dir == ROOT / "outputs"
    assert c.facilities[0].complete_register is False


def _write(tmp_path: Path, text: str) -> Path:
    types = ROOT / "data" / "config" / "facility_types_childcare.yaml"
    boundary = ROOT / "data" / "boundaries" / "songjiang_jiezhen_osm.geojson"
    register = ROOT / "tests" / "data" / "good" / "register_utf8.csv"
    base = (f"district: {{name_zh: 测试区}}\nboundaries: {{path: {boundary}}}\nfacility_types: {types}\n"
            f"facilities: [{{path: {register}}}]\npopulation: {{kind: estimate, estimate: {{total_pop: 100, "
            f"total_0_3: 3}}}}\nyears: [2021]\n")
    path = tmp_path / "c.yaml"
    path.write_text(base + text, encoding="utf-8")
    return path


def test_minimal_config_gets_defaults(tmp_path):
    c = load_config(_write(tmp_path, ""))
    assert c.run_name == "c"
    assert c.travel.circuity_factor == 1.3
    assert c.report_year == 2021
    assert c.output.dir == tmp_path / "outputs"


@pytest.mark.parametrize("extra,fragment", [
    ("travel: {walk_speed_kph: 0}\n", "travel.walk_speed_kph 应是数字"),
    ("travel: {circuity_factor: 0.8}\n", "circuity_factor"),
    ("travel: {thresholds_min: [0, 15]}\n", "thresholds_min"),
    ("network: {source: /no/such/network.osm}\n", "network: 文件不存在"),
    ("outputs: {basemap: google}\n", "basemap"),
    ("outputs: {basemap: 'http://10.0.0.1/tiles/{z}/{x}/{y}.png'}\n", "basemap_attribution"),
    ("outputs: {basemap: 'http://10.0.0.1/tiles/{z}/{x}.png', basemap_attribution: 局}\n", "缺少瓦片占位符"),
    ("outputs: {basemap: 'https://a/{z}/{x}/{y}.png', basemap_attribution: 局, basemap_max_zoom: 30}\n",
     "basemap_max_zoom"),
    ("outputs: {crs: 'EPSG:999999'}\n", "outputs.crs「EPSG:999999」"),
    ("outputs: {memo_base_url: 'D:/memos'}\n", "memo_base_url"),
    ("outputs: {context: {path: no_such_places.geojson}}\n", "outputs.context: 文件不存在"),
    ("outputs: {context: 3}\n", "outputs.context 应是"),
    ("siting: {facility_type: hospital}\n", "siting.facility_type「hospital」"),
    ("siting: {sites_per_year: {2021: -1}}\n", "sites_per_year"),
    ("rules: no_rules.yaml\n", "规则文件不存在"),
    ("colour: red\n", "未知的键「colour」"),
])
def test_bad_values_name_the_line(tmp_path, extra, fragment):
    with pytest.raises(ConfigError) as info:
        load_config(_write(tmp_path, extra))
    assert fragment in str(info.value)
    assert any(p.row == 7 for p in info.value.problems), str(info.value)


def test_output_options(tmp_path):
    c = load_config(_write(tmp_path, "outputs: {basemap: 'https://gis.example.cn/wmts/{TileMatrix}/{TileRow}/"
                                     "{TileCol}.png', basemap_attribution: 区内网底图, crs: 'EPSG:4490', "
                                     "memo_base_url: 'file://server/share/memos', context: none}\n"))
    out = c.output
    assert out.basemap_is_url and out.basemap_attribution == "区内网底图" and out.basemap_max_zoom == 18
    assert out.crs == "EPSG:4490" and out.memo_base_url == "file://server/share/memos/"
    assert out.context is None and not out.context_default
    default = load_config(_write(tmp_path, "")).output
    assert default.crs == "EPSG:4326" and default.context is None and default.context_default
    bundled = load_config(ROOT / "data/config/songjiang.yaml").output
    assert bundled.context.path.name == "songjiang_pois_osm.geojson" and bundled.basemap == "none"


def test_missing_required_sections(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("run_name: x\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    text = str(info.value)
    for key in ("district", "boundaries", "facility_types", "facilities", "population", "years"):
        assert f"缺少必填的键「{key}」" in text


def test_not_a_mapping_and_not_utf8(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="顶层应是"):
        load_config(path)
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes("名称: 松江\n".encode("gbk"))
    with pytest.raises(ConfigError, match="UTF-8"):
        load_config(gbk)
    with pytest.raises(ConfigError, match="找不到文件"):
        load_config(tmp_path / "missing.yaml")


def test_facility_types_file_problems(tmp_path):
    path = tmp_path / "types.yaml"
    path.write_text("types:\n  - {key: A-1, name_zh: 甲, groups: [g]}\n  - {key: b, name_zh: 乙}\n"
                    "  - {key: b, name_zh: 丙}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_facility_types(path)
    text = str(info.value)
    assert "小写英文" in text and "'A-1'" in text
    assert "类型 key「b」重复" in text
    assert "未声明的组「g」" in text


def test_type_rule_validation(tmp_path):
    extra = ("facilities:\n  - path: " + str(ROOT / "tests/data/good/register_utf8.csv") +
             "\n    type_from_name:\n      - {pattern: '[unclosed', type: nope}\n")
    path = _write(tmp_path, "")
    text = path.read_text(encoding="utf-8").replace(
        "facilities: [{path: " + str(ROOT / "tests/data/good/register_utf8.csv") + "}]\n", extra)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "正则表达式有误" in str(info.value) and "「nope」未声明" in str(info.value)
