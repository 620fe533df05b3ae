"""The ``siting:`` section of the run configuration (svcov.config.SitingConfig): keys, defaults, and every
validation branch with the line it names."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from svcov.config import default_config_path, load_config
from svcov.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def config_with_siting(tmp_path: Path, siting: str) -> Path:
    """The bundled configuration with its ``siting:`` section replaced (paths made absolute)."""
    text = default_config_path().read_text(encoding="utf-8")
    text = text.replace("facility_types: facility_types_childcare.yaml",
                        f"facility_types: {ROOT / 'data/config/facility_types_childcare.yaml'}")
    text = text.replace("../../", f"{ROOT}/").replace("../", f"{ROOT / 'data'}/")
    text = re.sub(r"\nsiting:\n(  .*\n|\s*\n)*", "\nsiting:\n" + siting + "\n", text)
    path = tmp_path / "run.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_bundled_siting_section():
    s = load_config(default_config_path()).siting
    assert s.facility_type == "inclusive_childcare_point" and s.model == "mclp" and s.threshold_min == 15
    assert dict(s.sites_per_year) == {2021: 6, 2022: 6, 2023: 6} and s.min_spacing_m == 300
    assert [c["kind"] for c in s.candidates] == ["pois", "grid"] and Path(s.candidates[0]["path"]).is_file()
    assert s.require_in_each_jiezhen and "3个一" in s.rule_label_zh and s.method == "mip"


def test_all_keys(tmp_path):
    pois = ROOT / "data/pois/songjiang_pois_osm.geojson"
    path = config_with_siting(tmp_path, f"""  facility_type: inclusive_childcare_point
  count_existing: inclusive_childcare
  model: capacitated
  threshold_min: 10
  sites_per_year: {{2021: [5, 7], 2022: 6}}
  k: 3
  candidates:
    - {{kind: clusters, n_clusters: 20, seed: 1}}
    - {{kind: file, path: {pois}, coord_system: gcj02}}
  min_spacing_m: 200
  min_distance_to_existing_m: 50
  exclusions: [{pois}]
  require_in_each_jiezhen: false
  rule_ids: [R1]
  rule_deadline_year: 2023
  max_per_jiezhen: 2
  target_share: 0.8
  max_time_min: 25
  capacity_places_new: 30
  capacity_places_unknown: 40
  method: auto
  time_limit_s: 20
  mip_rel_gap: 0.001
  compounds: {{path: {pois}, fclass: residential}}
  n_alternatives: 5""")
    s = load_config(path).siting
    assert dict(s.sites_per_year) == {2021: (5, 7), 2022: 6} and s.k == 3 and s.model == "capacitated"
    assert s.exclusions == (pois,) and s.rule_ids == ("R1",) and s.max_per_jiezhen == 2
    assert (s.target_share, s.max_time_min, s.capacity_places_new, s.capacity_places_unknown) == (0.8, 25, 30, 40)
    assert (s.method, s.time_limit_s, s.mip_rel_gap, s.n_alternatives) == ("auto", 20, 0.001, 5)
    assert s.compounds["fclass"] == "residential" and not s.require_in_each_jiezhen


@pytest.mark.parametrize("siting, match", [
    ("  model: pmedian", "siting.model 应是 mclp, lscp, p_median, capacitated, p_center 之一"),
    ("  method: exact", "siting.method 应是 mip"),
    ("  facility_type: daycare", "siting.facility_type「daycare」不是已声明的类型或组"),
    ("  count_existing: schools", "siting.count_existing「schools」不是已声明的类型或组"),
    ("  sites_per_year: {2021: -1}", "siting.sites_per_year 应是"),
    ("  sites_per_year: {2021: [7, 5]}", "siting.sites_per_year 应是"),
    ("  k: 2.5", "siting.k 应是非负整数"),
    ("  candidates: [{kind: parcels}]", "候选点来源 kind 应是 file, pois, clusters, grid, facilities 之一"),
    ("  candidates: [{kind: pois}]", "siting.candidates \\(pois\\) 缺少必填的键「path」"),
    ("  candidates: [{kind: file, path: nowhere.csv}]", "文件不存在"),
    ("  candidates: [{kind: grid, spacing_m: 0}]", "spacing_m 应是数字"),
    ("  candidates: [{kind: clusters, n_clusters: 0}]", "n_clusters 应是正整数"),
    ("  candidates: [{kind: grid, spacing: 500}]", "未知的键「spacing」"),
    ("  candidates: [grid]", "siting.candidates 的每一项应是映射"),
    ("  target_share: 1.5", "siting.target_share 应是数字"),
    ("  compounds: residential", "siting.compounds 应是"),
    ("  exclusions: [no_such.geojson]", "siting.exclusions: 文件不存在"),
    ("  min_spacing: 300", "siting 中有未知的键「min_spacing」。是不是「min_spacing_m」"),
    ("  phasing: fair", "siting.phasing 应是 efficiency"),
    ("  capacity_per_new_site: 40", "siting.capacity_per_new_site 应是"),
    ("  capacity_per_new_site: {daycare: {places: 40, source_zh: x}}", "「daycare」不是已声明的类型"),
    ("  capacity_per_new_site: {inclusive_childcare_point: {places: 40}}", "缺少必填的键「source_zh」"),
    ("  capacity_per_new_site: {inclusive_childcare_point: {places: 40, source_zh: ''}}", "source_zh 不能为空"),
    ("  capacity_per_new_site: {inclusive_childcare_point: {places: -1, source_zh: x}}", "places 应是数字"),
    ("  capacity_per_new_site: {inclusive_childcare_point: {places: 4, source_zh: x, is_estimate: 1}}",
     "is_estimate 应是 true 或 false"),
    ("  place_target: 600", "siting.place_target 应是"),
    ("  place_target: {places: 600}", "缺少必填的键「label_zh」"),
    ("  place_target: {places: 600, label_zh: x, by_year: soon}", "by_year 应是年份"),
    ("  place_target: {places: 600, label_zh: x, types: [daycare]}", "place_target.types: 「daycare」"),
    ("  tradeoff_shares: [90]", "siting.tradeoff_shares 应是"),
    ("  tradeoff_max_k: -2", "siting.tradeoff_max_k 应是非负整数"),
    ("  legs: {key: x}", "siting.legs 应是列表"),
    ("  legs: [x]", "siting.legs\\[0\\] 应是映射"),
    ("  legs: [{key: x, label_zh: y}]", "siting.legs\\[0\\] 缺少必填的键「facility_type」"),
    ("  legs: [{key: 托班, label_zh: y, facility_type: inclusive_childcare_point}]", "key 应是唯一的英文标识"),
    ("  legs: [{key: a, label_zh: y, facility_type: inclusive_childcare_point, action: rebuild}]",
     "action 应是 new"),
    ("  legs: [{key: a, label_zh: y, facility_type: inclusive_childcare_point, id_prefix: '1'}]",
     "id_prefix 应是 1-3 个英文字母"),
    ("  legs: [{key: a, label_zh: y, facility_type: inclusive_childcare_point, legs: []}]", "未知的键「legs」"),
    ("  legs: [{key: a, label_zh: y, facility_type: daycare}]", "siting.legs\\[0\\].facility_type「daycare」"),
    ("  candidates: [{kind: facilities, types: [daycare]}]", "类型「daycare」未声明"),
    ("  candidates: [{kind: facilities, types: [other_kindergarten], where: {has_nursery_class: [maybe]}}]",
     "where.has_nursery_class 应是 true、false、unknown"),
    ("  candidates: [{kind: facilities, types: [other_kindergarten], where: [has_nursery_class]}]",
     "where 应是"),
    ("  candidates: [{kind: facilities, types: [other_kindergarten], exclude_name_pattern: '('}]",
     "exclude_name_pattern 不是有效的正则表达式"),
])
def test_siting_problems_name_the_line(tmp_path, siting, match):
    with pytest.raises(ConfigError, match=match) as caught:
        own_type = siting.startswith("  facility_type:")            # a key written twice is an error of its own
        load_config(config_with_siting(tmp_path, ("" if own_type else "  facility_type: inclusive_childcare_point\n")
                                       + siting))
    siting_line = 1 + next(i for i, line in enumerate((tmp_path / "run.yaml").read_text(encoding="utf-8")
                                                      .splitlines()) if line == "siting:")
    assert all(problem.row is not None and problem.row > siting_line for problem in caught.value.problems)


def test_legs_inherit_the_sections_settings(tmp_path):
    cfg = load_config(config_with_siting(tmp_path, """  facility_type: inclusive_childcare_point
  threshold_min: 10
  time_limit_s: 30
  phasing: equity
  capacity_per_new_site: {inclusive_childcare_point: {places: 40, source_zh: 假设}}
  place_target: {places: 600, by_year: 2023, label_zh: 目标}
  legs:
    - key: stations
      label_zh: 指导站
      facility_type: parenting_guidance_station
      min_per_jiezhen: 1
      max_per_jiezhen: 2
      k: 3"""))
    s = cfg.siting
    assert s.phasing == "equity" and s.place_target.places == 600 and s.capacity_per_new_site[
        "inclusive_childcare_point"].places == 40
    leg = s.legs[0]
    assert (leg.key, leg.action, leg.id_prefix) == ("stations", "new", "S")
    assert (leg.siting.threshold_min, leg.siting.time_limit_s, leg.siting.phasing) == (10, 30, "efficiency")
    assert (leg.siting.min_per_jiezhen, leg.siting.max_per_jiezhen, leg.siting.k) == (1, 2, 3)
    assert leg.siting.capacity_per_new_site == s.capacity_per_new_site and leg.siting.legs == ()
