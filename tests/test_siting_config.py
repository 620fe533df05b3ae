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
    ("  model: pmedian", "siting.model 应是 mclp, lscp, p_median, capacitated 之一"),
    ("  method: exact", "siting.method 应是 mip"),
    ("  facility_type: daycare", "siting.facility_type「daycare」不是已声明的类型或组"),
    ("  count_existing: schools", "siting.count_existing「schools」不是已声明的类型或组"),
    ("  sites_per_year: {2021: -1}", "siting.sites_per_year 应是"),
    ("  sites_per_year: {2021: [7, 5]}", "siting.sites_per_year 应是"),
    ("  k: 2.5", "siting.k 应是非负整数"),
    ("  candidates: [{kind: parcels}]", "候选点来源 kind 应是 file, pois, clusters, grid 之一"),
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
])
def test_siting_problems_name_the_line(tmp_path, siting, match):
    with pytest.raises(ConfigError, match=match) as caught:
        own_type = siting.startswith("  facility_type:")            # a key written twice is an error of its own
        load_config(config_with_siting(tmp_path, ("" if own_type else "  facility_type: inclusive_childcare_point\n")
                                       + siting))
    siting_line = 1 + next(i for i, line in enumerate((tmp_path / "run.yaml").read_text(encoding="utf-8")
                                                      .splitlines()) if line == "siting:")
    assert all(problem.row is not None and problem.row > siting_line for problem in caught.value.problems)
