"""Run configuration: the bundled file parses; every problem is reported with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from svcov.config import load_config, load_facility_types, load_type_file
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
    assert c.population.is_estimate and c.population.group("children_0_3").total == 62449
    assert c.population.group_keys == ("children_0_3", "residents") and c.served_group.name_zh == "0-3 岁儿童"
    assert [a.key for a in c.attributes] == ["capacity", "has_nursery_class", "is_demonstration"]
    assert c.capacity.noun_zh == "托位" and c.capacity.label_zh == "托位数"
    assert c.service.name_zh == "托育服务" and c.circle_service == "inclusive_childcare"
    assert [t.key for t in c.travel.profile_list()] == ["walk"] and c.travel.primary.speed_kph == 4.0
    assert c.travel.walk_speed_kph == 4.0 and c.travel.thresholds_min == (5, 10, 15)
    assert c.network.source is None
    assert c.output.dir == ROOT / "outputs"
    assert c.facilities[0].complete_register is False


def _write(tmp_path: Path, text: str) -> Path:
    types = ROOT / "data" / "config" / "facility_types_childcare.yaml"
    boundary = ROOT / "data" / "boundaries" / "songjiang_jiezhen_osm.geojson"
    register = ROOT / "tests" / "data" / "good" / "register_utf8.csv"
    base = (f"district: {{name_zh: 测试区}}\nboundaries: {{path: {boundary}}}\nfacility_types: {types}\n"
            f"facilities: [{{path: {register}}}]\npopulation: {{kind: estimate, groups: [{{key: residents, "
            f"name_zh: 常住人口, total: 100}}]}}\nyears: [2021]\n")
    given = {line.split(":")[0] for line in text.splitlines() if line and not line[0].isspace()}
    # a key given again replaces the base's line (a repeated key is an error), keeping the line numbers
    base = "".join("#\n" if line.split(":")[0] in given else line for line in base.splitlines(keepends=True))
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
    ("travel: {profiles: [{key: walk, name_zh: 步行, speed_kph: 4}, {key: walk, name_zh: 慢, speed_kph: 3}]}\n",
     "出行方式 key「walk」重复"),
    ("travel: {walk_speed_kph: 4, profiles: [{key: walk, name_zh: 步行, speed_kph: 4}]}\n", "不能同时使用"),
    ("travel: {profiles: [{key: walk, name_zh: 步行, speed_kph: 4}], primary_profile: bike}\n",
     "primary_profile「bike」"),
    ("travel: {profiles: [{key: Bike, name_zh: 骑行, speed_kph: 99}]}\n", "speed_kph 应是数字"),
    ("network: {min_fit_share: 1.5}\n", "network.min_fit_share 应是数字"),
    ("boundaries: {path: x.geojson, overlaps: ignore}\n", "boundaries.overlaps 应是 error"),
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


def test_minimal_config_is_one_group_of_residents_walking(tmp_path):
    c = load_config(_write(tmp_path, ""))
    assert c.population.group_keys == ("residents",) and c.served_group.name_zh == "常住人口"
    assert c.capacity.label_zh == "托位数" and c.service.name_zh == "托育服务"   # from the type file
    assert c.travel.profile_list()[0].name_zh == "步行" and c.network.min_fit_share == 0.9


def _population(tmp_path, population: str):
    path = _write(tmp_path, "")
    text = path.read_text(encoding="utf-8")
    start = text.index("population:")
    end = text.index("\n", start)
    path.write_text(text[:start] + population + text[end:], encoding="utf-8")
    return path


def test_population_groups_and_the_served_group(tmp_path):
    points = ROOT / "tests" / "data" / "good" / "population_points.csv"
    c = load_config(_population(tmp_path, f"population: {{kind: points, path: {points}, groups: [{{key: residents, "
                                          f"name_zh: 常住人口}}, {{key: elderly_60, name_zh: 60 岁及以上老人, short_zh: 老人, "
                                          f"share_of: residents, share: 0.3}}], served_group: elderly_60}}"))
    assert c.served_group.key == "elderly_60" and c.served_group.label_zh == "老人"
    assert c.served_group.share_of == "residents" and c.served_group.share == 0.3


@pytest.mark.parametrize("population,fragment", [
    ("population: {kind: estimate, estimate: {total_pop: 100, total_0_3: 3}}", "total_0_3 已不再使用"),
    ("population: {kind: points, path: x.csv, pop_0_3_column: 60岁及以上人口}", "pop_0_3_column 已不再使用"),
    ("population: {kind: estimate, groups: [{key: residents, name_zh: 常住人口}]}", "估算人口需要 total"),
    ("population: {kind: estimate, groups: [{key: cell_id, name_zh: 甲, total: 1}]}", "人群的 key 应是小写英文"),
    ("population: {kind: estimate, groups: [{key: a, name_zh: 甲, total: 1}], served_group: b}",
     "served_group「b」不是 groups 中的组"),
    ("population: {kind: estimate, groups: [{key: a, name_zh: 甲, share_of: z, share: 0.1}]}",
     "share_of 应是另一个不靠推算的组"),
    ("population: {kind: estimate, groups: [{key: a, name_zh: 甲, total: 1}, {key: a, name_zh: 乙, total: 2}]}",
     "人群 key「a」重复"),
])
def test_population_group_problems(tmp_path, population, fragment):
    with pytest.raises(ConfigError, match=fragment):
        load_config(_population(tmp_path, population))


def test_type_file_attributes_and_service(tmp_path):
    path = tmp_path / "types.yaml"
    path.write_text("service: {name_zh: 养老服务, circle: g}\ntypes:\n  - {key: a, name_zh: 甲, groups: [g]}\n"
                    "groups: {g: {name_zh: 组}}\nattributes:\n  capacity: {kind: number, label_zh: 床位数, noun_zh: 床位, "
                    "unit_zh: 张, aliases: [床位], integer: true, max: 500}\n  rehab: {kind: flag, label_zh: 设康复室}\n",
                    encoding="utf-8")
    spec = load_type_file(path)
    assert spec.service.name_zh == "养老服务" and spec.service.circle == "g"
    cap, flag = spec.attributes
    assert (cap.key, cap.kind, cap.amount_zh(), cap.min, cap.max, cap.aliases) == ("capacity", "number", "张床位", 0.0,
                                                                                  500.0, ("床位",))
    assert flag.is_flag and flag.condition_zh(True) == "设康复室" and flag.condition_zh(False) == "非设康复室"


@pytest.mark.parametrize("text,fragment", [
    ("attributes: {capacity: {kind: flag, label_zh: 容量}}", "capacity 必须是 number"),
    ("attributes: {name: {kind: number, label_zh: 名称}}", "不能是设施表的固有列"),
    ("attributes: {beds: {kind: count, label_zh: 床位}}", "kind 应是 number"),
    ("attributes: {beds: {kind: number, label_zh: 床位, min: low}}", "beds.min 应是数字"),
    ("attributes: [beds]", "attributes 应是映射"),
    ("service: {name_zh: 养老, circle: nowhere}", "service.circle「nowhere」不是已声明的类型或类型组"),
    ("service: 养老", "service 应是映射"),
    ("column_aliases: {nme: [机构名称]}", "column_aliases 应是"),
    ("attributes: {beds: {kind: number, label_zh: 床位, aliases: 床位数}}", "aliases 应是列名列表"),
    ("attributes: {beds: {kind: number, label_zh: 床位, integer: yes please}}", "integer 应是 true 或 false"),
])
def test_type_file_attribute_problems(tmp_path, text, fragment):
    path = tmp_path / "types.yaml"
    path.write_text("types:\n  - {key: a, name_zh: 甲}\n" + text + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=fragment):
        load_type_file(path)


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
