"""Scenarios (svcov.access.scenarios, svcov.config.scenarios): facilities added and closed, another walking speed,
the comparison per 街镇, and the errors a user meets with a wrong scenario file."""

from __future__ import annotations

import dataclasses
import json

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point

from svcov.access.scenarios import compare_coverage, run_scenario, with_facilities, without_facilities
from svcov.cli import main
from svcov.config import ScenarioConfig, load_scenario
from svcov.config.sources import FacilitySource
from svcov.errors import ConfigError, InputError, MissingColumnError, ValidationFailed

SCENARIOS = __import__("pathlib").Path(__file__).resolve().parents[1] / "data" / "scenarios"


def _keys(config):
    return {t.key for t in config.facility_types}


def _new_point(facilities, fid="NEW-1", xy=(340000.0, 3440000.0)):
    return gpd.GeoDataFrame({"facility_id": [fid], "name": ["新点"], "type": ["inclusive_childcare_point"]},
                            geometry=[Point(*xy)], crs=facilities.crs)


def test_with_and_without_facilities(songjiang_inputs):
    f = songjiang_inputs.facilities
    more = with_facilities(f, _new_point(f))
    assert len(more) == len(f) + 1 and more["facility_id"].iloc[-1] == "NEW-1" and more.crs == f.crs
    assert list(more.columns) == list(f.columns) and len(f) == 67  # the input is unchanged
    fewer = without_facilities(more, ["NEW-1", f["facility_id"].iloc[0]])
    assert len(fewer) == len(f) - 1


def test_with_facilities_checks_its_input(songjiang_inputs):
    f = songjiang_inputs.facilities
    with pytest.raises(InputError, match="编号已被现有设施使用"):
        with_facilities(f, _new_point(f, fid=str(f["facility_id"].iloc[0])))
    twice = pd.concat([_new_point(f), _new_point(f)], ignore_index=True)
    with pytest.raises(InputError, match="新增设施的编号重复: NEW-1"):
        with_facilities(f, twice)
    with pytest.raises(MissingColumnError, match="缺少列「type」"):
        with_facilities(f, _new_point(f).drop(columns="type"))
    with pytest.raises(MissingColumnError, match="没有坐标系"):
        with_facilities(f, _new_point(f).set_crs(None, allow_override=True))
    with pytest.raises(MissingColumnError, match="GeoDataFrame"):
        with_facilities(f, pd.DataFrame({"facility_id": ["x"]}))


def test_without_facilities_names_unknown_ids(songjiang_inputs):
    with pytest.raises(InputError, match="没有这些编号的设施: node/404"):
        without_facilities(songjiang_inputs.facilities, ["node/404"])


def test_prams_lower_the_coverage_and_new_points_raise_it(songjiang_config, songjiang_inputs):
    from svcov.access.stage import coverage_only

    cfg, i = songjiang_config, songjiang_inputs
    _, base = coverage_only(cfg, i.boundaries, i.facilities, i.demand)
    prams = load_scenario(SCENARIOS / "prams.yaml", _keys(cfg), cfg.travel)
    assert prams.travel.walk_speed_kph == 3.2 and prams.travel.thresholds_min == cfg.travel.thresholds_min
    slow = run_scenario(cfg, prams, i.boundaries, i.facilities, i.demand, base, service="inclusive_childcare",
                        threshold_min=15).comparison
    district = slow[(slow["jiezhen_code"] == "全区")].set_index("year")
    assert (district["share_change"] < 0).all() and district["travel_changed"].all()
    example = load_scenario(SCENARIOS / "example_new_points.yaml", _keys(cfg), cfg.travel)
    result = run_scenario(cfg, example, i.boundaries, i.facilities, i.demand, base, service="inclusive_childcare",
                          threshold_min=15)
    table = result.comparison[result.comparison["year"] == 2023].set_index("jiezhen_name")
    assert table.loc["岳阳街道", "share_change"] > 0 and table.loc["九亭镇", "share_change"] > 0
    assert set(result.changes["change"]) == {"add", "close"} and len(result.changes) == 3
    assert result.comparison["n_added"].eq(2).all() and "增加 2 处设施、关闭 1 处设施" in table["description_zh"].iloc[0]


def test_compare_coverage_puts_the_district_first():
    rows = [{"year": 2023, "jiezhen_code": c, "jiezhen_name": c, "service": "s", "threshold_min": 15,
             "group": "g", "profile": "walk", "pop": 10.0, "pop_covered": v, "share_covered": v / 10}
            for c, v in (("A", 1), ("全区", 2))]
    before = pd.DataFrame(rows)
    after = before.assign(pop_covered=[5, 6], share_covered=[0.5, 0.6])
    out = compare_coverage(before, after, service="s", threshold_min=15, group="g", profile_before="walk")
    assert out["jiezhen_code"].tolist() == ["全区", "A"] and out["share_change"].tolist() == pytest.approx([0.4, 0.4])


def test_unknown_ids_to_close_name_the_scenario_file(songjiang_config, songjiang_inputs, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: bad\nlabel_zh: 坏情景\nclose: [node/1, node/2]\n", encoding="utf-8")
    scenario = load_scenario(path, _keys(songjiang_config), songjiang_config.travel)
    i = songjiang_inputs
    with pytest.raises(ConfigError, match="(?s)s.yaml.*没有这些编号的设施: node/1, node/2"):
        run_scenario(songjiang_config, scenario, i.boundaries, i.facilities, i.demand, pd.DataFrame(),
                     service="inclusive_childcare", threshold_min=15)


def test_a_broken_added_register_is_reported_with_its_rows(songjiang_config, songjiang_inputs, tmp_path):
    register = tmp_path / "新增.csv"
    register.write_text("编号,名称,经度,纬度\nA,甲,121.2,abc\n", encoding="utf-8")
    scenario = ScenarioConfig("x", "x", add=(FacilitySource(path=register, label_zh="新增",
                                                            default_type="inclusive_childcare_point"),))
    i = songjiang_inputs
    with pytest.raises(ValidationFailed, match="新增.csv"):
        run_scenario(songjiang_config, scenario, i.boundaries, i.facilities, i.demand, pd.DataFrame(),
                     service="inclusive_childcare", threshold_min=15)


@pytest.mark.parametrize("text, match", [
    ("label_zh: 无名\nclose: [a]\n", "缺少必填的键「name」"),
    ("name: 中文名\nlabel_zh: x\nclose: [a]\n", "scenario.name 应只含英文字母"),
    ("name: x\nlabel_zh: x\n", "情景没有任何改动"),
    ("name: x\nlabel_zh: x\nclose: a\n", "scenario.close 应是要关闭的设施编号列表"),
    ("name: x\nlabel_zh: x\ntravel: {walk_speed_kph: -1}\n", "travel.walk_speed_kph 应是数字"),
    ("name: x\nlabel_zh: x\nadd: [{path: nope.csv}]\n", "文件不存在"),
    ("name: x\nlabel_zh: x\nspeed: 3\nclose: [a]\n", "未知的键「speed」"),
])
def test_scenario_file_problems_name_the_line(songjiang_config, tmp_path, text, match):
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=match):
        load_scenario(path, _keys(songjiang_config), songjiang_config.travel)


def test_scenarios_in_the_configuration(songjiang_config, tmp_path):
    from svcov.config import load_config

    text = songjiang_config.path.read_text(encoding="utf-8").replace(
        "boundaries:\n", f"scenarios:\n  - {SCENARIOS / 'prams.yaml'}\n  - {{name: shut, label_zh: 关闭, close: [x]}}\n"
        "boundaries:\n", 1)
    path = songjiang_config.path.parent / "_test_scenarios.yaml"
    try:
        path.write_text(text, encoding="utf-8")
        cfg = load_config(path)
        assert [s.name for s in cfg.scenarios] == ["prams_3_2kph", "shut"]
        path.write_text(text.replace("name: shut", "name: prams_3_2kph"), encoding="utf-8")
        with pytest.raises(ConfigError, match="情景代码「prams_3_2kph」重复"):
            load_config(path)
    finally:
        path.unlink(missing_ok=True)


def test_svcov_run_with_a_broken_scenario_file_exits_1(tmp_path, capsys):
    path = tmp_path / "s.yaml"
    path.write_text("name: x\nlabel_zh: [\n", encoding="utf-8")
    assert main(["run", "--scenario", str(path), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "s.yaml" in err and "YAML 语法错误" in err and not (tmp_path / "out").exists()


def test_the_run_writes_the_comparison(songjiang_run_dir):
    table = pd.read_csv(songjiang_run_dir / "tables" / "scenario_comparison.csv", encoding="utf-8-sig")
    assert set(table["情景代码"]) == {"prams_3_2kph", "example_new_points"}
    assert {"覆盖率(现状)", "覆盖率(情景)", "覆盖率变化"} <= set(table.columns)
    report = (songjiang_run_dir / "report.html").read_text(encoding="utf-8")
    assert "、情景比较 (假设增加或关闭设施)" in report and "推婴儿车步行" in report and "+0.0" not in report
    html = (songjiang_run_dir / "map.html").read_text(encoding="utf-8")
    assert json.dumps("情景: 示例 (虚构)")[1:-1] in html and "EX-1" in html  # layer names are JSON in the page


def test_dataclass_replace_keeps_scenarios(songjiang_config):
    assert dataclasses.replace(songjiang_config).scenarios == ()
