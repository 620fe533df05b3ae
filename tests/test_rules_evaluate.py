"""Tests of svcov.rules.evaluate (with its measures and wording) on hand-made facilities whose answers are
worked out by hand: pass, fail, missing data, incomplete registers, estimates and edge years, for every measure."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import yaml
from shapely.geometry import Point, box

from svcov.config import DemandGroup, load_type_file
from svcov.data.facilities import facility_columns
from svcov.errors import ConfigError, MissingColumnError
from svcov.rules.evaluate import RULE_STATUS_COLUMNS, evaluate_rules
from svcov.rules.spec import RuleVocabulary, parse_rules

ROOT = Path(__file__).resolve().parents[1]
SPEC = load_type_file(ROOT / "data" / "config" / "facility_types_childcare.yaml")
TYPES, GROUPS = SPEC.types, SPEC.groups
#: The childcare words the rules are checked against: the type file's attributes, the served group, one profile.
VOCABULARY = RuleVocabulary(attributes=SPEC.attributes,
                            demand_groups=(DemandGroup("children_0_3", "0-3 岁儿童"), DemandGroup("residents", "常住人口")))
FACILITY_COLUMNS = facility_columns(SPEC.attributes)
NAMES = {t.key: t.name_zh for t in TYPES}
CRS = "EPSG:32651"

# Two 街镇 side by side, 1 km squares: 001 甲街道 (x 0-1000) and 002 乙镇 (x 1000-2000).
BOUNDARIES = gpd.GeoDataFrame({"jiezhen_code": ["002", "001"], "name": ["乙镇", "甲街道"], "area_km2": [1.0, 1.0]},
                              geometry=[box(1000, 0, 2000, 1000), box(0, 0, 1000, 1000)], crs=CRS)


def facilities(*rows: dict) -> gpd.GeoDataFrame:
    """Facility frame with the loader's columns; each row gives type, jz, x, y and any attribute to set."""
    records = []
    for i, r in enumerate(rows):
        complete = r.get("complete", True)
        records.append({
            "facility_id": f"f{i}", "name": r.get("name", f"设施{i}"), "type": r["type"],
            "type_name_zh": NAMES[r["type"]],
            "type_source": "名称推断" if r.get("est") else "登记类型", "type_is_estimate": r.get("est", False),
            "capacity": r.get("cap"), "opened_year": r.get("opened"), "closed_year": r.get("closed"),
            "has_nursery_class": r.get("nursery"), "is_demonstration": r.get("demo"), "address": None,
            "jiezhen_code": r.get("jz", "001"), "jiezhen_name": {"001": "甲街道", "002": "乙镇"}[r.get("jz", "001")],
            "source_label": "名册" if complete else "OSM (非完整名册)", "source_file": "f.xlsx", "source_row": i + 2,
            "complete_register": complete, "lon_wgs84": 121.0, "lat_wgs84": 31.0,
            "geometry": Point(r.get("x", 500 if r.get("jz", "001") == "001" else 1500), r.get("y", 500))})
    frame = pd.DataFrame(records, columns=FACILITY_COLUMNS)
    for col in ("capacity", "opened_year", "closed_year"):
        frame[col] = frame[col].astype("Int64")
    for col in ("has_nursery_class", "is_demonstration", "type_is_estimate"):
        frame[col] = frame[col].astype("boolean")
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=CRS)


def ruleset(body: str, years: str = "[2021, 2022, 2023]"):
    text = f"plan:\n  name_zh: 测试规划\n  years: {years}\nrules:\n" + textwrap.indent(textwrap.dedent(body), "  ")
    return parse_rules(yaml.safe_load(text), "rules.yaml", TYPES, GROUPS, vocabulary=VOCABULARY)


def evaluate(body: str, facs, **kwargs) -> pd.DataFrame:
    return evaluate_rules(ruleset(body), facs, BOUNDARIES, **kwargs)


def one(status: pd.DataFrame, year: int = 2023, code: str | None = None) -> pd.Series:
    rows = status[(status["year"] == year) & ((status["jiezhen_code"] == code) if code else True)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


POINT_EACH = """\
- id: point
  label_zh: 每街镇普惠性托育点
  clause: 二(二)1
  scope: jiezhen
  measure: count
  types: inclusive_childcare_point
  min: 1
"""


# --- count ----------------------------------------------------------------------------------------------------


def test_count_pass_and_fail_with_a_complete_register():
    status = evaluate(POINT_EACH, facilities({"type": "inclusive_childcare_point", "jz": "001"}))
    a, b = one(status, code="001"), one(status, code="002")
    assert (a["status"], a["value"], a["value_zh"], a["gap_zh"], a["based_on_estimate"]) == ("达标", 1, "1 个", "",
                                                                                              False)
    assert (b["status"], b["value"], b["gap_zh"], b["missing_fields"]) == ("未达标", 0, "缺 1 个普惠性托育点", "")
    assert b["target_zh"] == "≥1 个普惠性托育点" and b["clause"] == "二(二)1" and b["jiezhen_name"] == "乙镇"


def test_count_shortfall_in_an_incomplete_register_is_insufficient_not_a_fail():
    status = evaluate(POINT_EACH, facilities({"type": "inclusive_childcare_point", "jz": "001", "complete": False}))
    a, b = one(status, code="001"), one(status, code="002")
    assert a["status"] == "达标"  # what was found is enough
    assert b["status"] == "数据不足"
    assert b["gap_zh"] == "已知 0 个, 数据来源不是完整名册 (OSM (非完整名册))"
    assert b["missing_fields"] == "complete_register"


def test_count_with_no_record_of_the_type_names_the_register_to_load():
    status = evaluate(POINT_EACH, facilities({"type": "public_nursery_kindergarten"}))
    for code in ("001", "002"):
        row = one(status, code=code)
        assert row["status"] == "数据不足"
        assert row["gap_zh"] == "未加载普惠性托育点数据: 请在配置 facilities 中加入普惠性托育点名册"
        assert row["missing_fields"] == "register:inclusive_childcare_point"


def test_count_pass_resting_on_estimated_types_is_flagged():
    status = evaluate(POINT_EACH, facilities({"type": "inclusive_childcare_point", "jz": "001", "est": True},
                                            {"type": "inclusive_childcare_point", "jz": "002", "est": True},
                                            {"type": "inclusive_childcare_point", "jz": "002"}))
    assert one(status, code="001")["based_on_estimate"]
    assert not one(status, code="002")["based_on_estimate"]  # the registered one alone meets the target


@pytest.mark.parametrize("opened, closed, counted", [
    ({"opened": 2022}, {}, {2021: 0, 2022: 1, 2023: 1}),           # opens in 2022: counted from 2022
    ({"opened": 2019}, {"closed": 2022}, {2021: 1, 2022: 0, 2023: 0}),  # closed in 2022: not open that year
    ({}, {}, {2021: 1, 2022: 1, 2023: 1}),                         # unknown opening: open throughout
    ({"opened": 2023}, {"closed": 2023}, {2021: 0, 2022: 0, 2023: 0}),
])
def test_count_uses_facilities_open_in_each_year(opened, closed, counted):
    status = evaluate(POINT_EACH, facilities({"type": "inclusive_childcare_point", **opened, **closed},
                                            {"type": "inclusive_childcare_point", "jz": "002"}))
    a = status[status["jiezhen_code"] == "001"].set_index("year")
    assert a["value"].to_dict() == counted
    assert a["status"].to_dict() == {y: "达标" if n else "未达标" for y, n in counted.items()}


NEW_PER_YEAR = """\
- id: new_points
  label_zh: 每年新增普惠性托育点
  clause: 二(二)1
  scope: district
  measure: count
  types: inclusive_childcare_point
  new_in: year
  min: 2
  max: 3
"""


def test_count_new_in_year():
    facs = facilities({"type": "inclusive_childcare_point", "opened": 2021},
                      {"type": "inclusive_childcare_point", "opened": 2022},
                      {"type": "inclusive_childcare_point", "opened": 2022, "jz": "002"},
                      {"type": "inclusive_childcare_point", "opened": 2023, "closed": 2023})
    status = evaluate(NEW_PER_YEAR, facs, district_name_zh="测试区")
    y21, y22, y23 = (one(status, y) for y in (2021, 2022, 2023))
    assert (y21["status"], y21["value"], y21["gap_zh"]) == ("未达标", 1, "2021 年还需新增 1 个普惠性托育点")
    assert (y22["status"], y22["value"], y22["gap_zh"]) == ("达标", 2, "")
    assert (y23["status"], y23["value"]) == ("未达标", 0)  # opened and closed in 2023: not open
    assert y22["jiezhen_code"] == "全区" and y22["jiezhen_name"] == "测试区" and y22["scope"] == "全区"
    assert y22["target_zh"] == "2022 年新增 2-3 个普惠性托育点"


def test_count_new_in_year_with_unknown_opening_year():
    facs = facilities({"type": "inclusive_childcare_point", "opened": 2021},
                      {"type": "inclusive_childcare_point"},
                      {"type": "inclusive_childcare_point", "opened": 2021},
                      {"type": "inclusive_childcare_point", "opened": 2022})
    status = evaluate(NEW_PER_YEAR, facs)
    y21, y22 = one(status, 2021), one(status, 2022)
    assert y21["status"] == "达标"  # the two known 2021 openings are enough whatever the unknown one is
    assert (y22["status"], y22["value"], y22["missing_fields"]) == ("数据不足", 1, "opened_year")
    assert y22["gap_zh"] == "已知 1 个; 缺少字段 opened_year (开办年份): 请在名册中填写 (1 条记录为空)"


def test_count_above_the_upper_figure_passes_with_a_note():
    facs = facilities(*[{"type": "inclusive_childcare_point", "opened": 2023} for _ in range(4)])
    row = one(evaluate(NEW_PER_YEAR, facs), 2023)
    assert (row["status"], row["gap_zh"]) == ("达标", "已有 4 个, 超过目标上限 3 个")


def test_count_new_since_plan_start_with_a_target_per_year():
    body = """\
    - id: friendly
      label_zh: 儿童友好社区示范点
      clause: 二(二)1
      scope: district
      measure: count
      types: child_friendly_community
      new_in: plan
      min: {2021: 1, 2022: 2, 2023: 3}
      target_note_zh: 年均 ≥1 个
    """
    facs = facilities({"type": "child_friendly_community", "opened": 2020},  # before the plan: not new
                      {"type": "child_friendly_community", "opened": 2021},
                      {"type": "child_friendly_community", "opened": 2023})
    status = evaluate(body, facs).set_index("year")
    assert status["value"].to_dict() == {2021: 1, 2022: 1, 2023: 2}
    assert status["status"].to_dict() == {2021: "达标", 2022: "未达标", 2023: "未达标"}
    assert status.at[2023, "gap_zh"] == "还需新增 1 个儿童友好社区示范点"
    assert status.at[2023, "target_zh"] == "2021-2023 年累计新增 ≥3 个儿童友好社区示范点 (年均 ≥1 个)"
    assert status.at[2022, "target"] == 2


DEMONSTRATION = """\
- id: demo
  label_zh: 示范性托育机构
  clause: 二(二)4
  scope: district
  measure: count
  types: [kindergarten, inclusive_childcare_point]
  what_zh: 区级示范性托育机构
  unit_zh: 所
  where: {is_demonstration: true}
  min: 2
"""


@pytest.mark.parametrize("flags, status, missing", [
    ((True, True, None), "达标", ""),
    ((True, False, False), "未达标", ""),
    ((True, False, None), "数据不足", "is_demonstration"),
])
def test_count_filtered_on_a_yes_no_attribute(flags, status, missing):
    facs = facilities(*[{"type": "public_nursery_kindergarten", "demo": f} for f in flags],
                      {"type": "private_inclusive_nursery_kindergarten", "demo": False},
                      {"type": "other_kindergarten", "demo": False},
                      {"type": "inclusive_childcare_point", "demo": False})
    row = one(evaluate(DEMONSTRATION, facs))
    assert (row["status"], row["missing_fields"]) == (status, missing)
    if status == "未达标":
        assert row["gap_zh"] == "缺 1 所区级示范性托育机构"
    if status == "数据不足":
        assert row["gap_zh"] == "已知 1 所; 缺少字段 is_demonstration (示范性机构): 请在名册中填写 (1 条记录为空)"


# --- sum --------------------------------------------------------------------------------------------------------

PLACES = """\
- id: places
  label_zh: 新增托班学位
  clause: 三(一)1
  scope: district
  measure: sum
  types: kindergarten
  new_in: plan
  attribute: capacity
  min: 600
"""


def kindergartens_with_places(*places_and_years):
    types = ["public_nursery_kindergarten", "private_inclusive_nursery_kindergarten", "other_kindergarten"]
    rows = [{"type": types[i % 3], "cap": cap, "opened": year} for i, (cap, year) in enumerate(places_and_years)]
    return facilities(*rows, *[{"type": t, "opened": 2000, "cap": 1000} for t in types])  # old ones never count


def test_sum_of_places_fails_with_the_places_still_needed():
    status = evaluate(PLACES, kindergartens_with_places((150, 2021), (238, 2022), (75, 2024)))
    y23 = one(status, 2023)
    assert (y23["status"], y23["value"], y23["value_zh"]) == ("未达标", 388, "388 个托位")
    assert y23["gap_zh"] == "还需新增 212 个托位"
    assert y23["target_zh"] == "2021-2023 年累计新增 ≥600 个托位"
    assert one(status, 2021)["value"] == 150


def test_sum_with_unknown_places_is_insufficient_and_names_the_field():
    row = one(evaluate(PLACES, kindergartens_with_places((150, 2021), (None, 2022))))
    assert (row["status"], row["value"], row["missing_fields"]) == ("数据不足", 150, "capacity")
    assert row["gap_zh"] == "已知 150 个托位; 缺少字段 capacity (托位数): 请在名册中填写 (1 条记录为空)"


def test_sum_with_unknown_places_passes_when_the_known_places_suffice():
    row = one(evaluate(PLACES, kindergartens_with_places((400, 2021), (None, 2022), (250, 2023))))
    assert (row["status"], row["value"]) == ("达标", 650)


def test_sum_in_an_incomplete_register():
    facs = kindergartens_with_places((100, 2021))
    facs["complete_register"] = False
    row = one(evaluate(PLACES, facs))
    assert row["status"] == "数据不足" and row["missing_fields"] == "complete_register"
    assert row["gap_zh"].startswith("已知 100 个托位, 数据来源不是完整名册")


# --- share ------------------------------------------------------------------------------------------------------


def share_rule(minimum: float) -> str:
    return f"""\
    - id: tuoyou
      label_zh: 托幼一体园占比
      clause: 二(二)1
      scope: district
      measure: share
      types: kindergarten
      what_zh: 幼儿园
      unit_zh: 所
      numerator:
        where: {{has_nursery_class: true}}
      min: {minimum}
    """


TWO_OF_FOUR = ({"type": "public_nursery_kindergarten", "nursery": True},
               {"type": "private_inclusive_nursery_kindergarten", "nursery": True},
               {"type": "other_kindergarten", "nursery": False, "name": "丙园"},
               {"type": "other_kindergarten", "nursery": None, "name": "丁园"})


@pytest.mark.parametrize("minimum, status, gap", [
    (0.5, "达标", ""),  # 2 of 4 is 50% even if the unknown one has no nursery class
    (0.75, "数据不足", "已知记录中占比 50.0% (2/4); 缺少字段 has_nursery_class (开设托班): 请在名册中填写 (1 条记录为空)"),
    (0.8, "未达标", "占比 50.0%, 距目标 80% 还差 30.0 个百分点: 还需 2 所幼儿园开设托班 (尚未开设托班的: 丙园)"),
])
def test_share_bounds_with_an_unknown_attribute(minimum, status, gap):
    row = one(evaluate(share_rule(minimum), facilities(*TWO_OF_FOUR)))
    assert (row["status"], row["value"], row["value_zh"], row["gap_zh"]) == (status, 0.5, "50.0% (2/4)", gap)


def test_share_in_an_incomplete_register_is_never_judged():
    facs = facilities(*TWO_OF_FOUR[:2])
    facs["complete_register"] = False
    row = one(evaluate(share_rule(0.5), facs))
    assert (row["status"], row["value"]) == ("数据不足", 1.0)
    assert "complete_register" in row["missing_fields"]


NEW_PUBLIC = """\
- id: new_public
  label_zh: 新建公办幼儿园开设托班
  clause: 二(二)1
  scope: district
  measure: share
  types: public_nursery_kindergarten
  what_zh: 公办幼儿园
  unit_zh: 所
  new_in: plan
  numerator:
    where: {has_nursery_class: true}
  min: 1.0
"""


def test_every_new_public_kindergarten_opens_nursery_classes():
    facs = facilities({"type": "public_nursery_kindergarten", "opened": 2010, "nursery": False},  # old: not in
                      {"type": "public_nursery_kindergarten", "opened": 2022, "nursery": True},
                      {"type": "public_nursery_kindergarten", "opened": 2023, "nursery": False, "name": "新城幼儿园"},
                      {"type": "private_inclusive_nursery_kindergarten", "opened": 2023, "nursery": False})
    status = evaluate(NEW_PUBLIC, facs).set_index("year")
    assert status.at[2021, "status"] == "达标" and status.at[2021, "gap_zh"] == "没有公办幼儿园, 无需检查"
    assert math.isnan(status.at[2021, "value"]) and status.at[2021, "value_zh"] == "无公办幼儿园"
    assert (status.at[2022, "status"], status.at[2022, "value"]) == ("达标", 1.0)
    assert status.at[2023, "status"] == "未达标"
    assert status.at[2023, "gap_zh"] == "1 所公办幼儿园未开设托班: 新城幼儿园"
    assert status.at[2023, "target_zh"] == "2021-2023 年新建的公办幼儿园全部开设托班"


def test_new_public_kindergartens_with_unknown_opening_year():
    facs = facilities({"type": "public_nursery_kindergarten", "nursery": False},
                      {"type": "public_nursery_kindergarten", "opened": 2022, "nursery": True})
    status = evaluate(NEW_PUBLIC, facs).set_index("year")
    # 2021: the one of unknown year has no nursery class; if it is new the share is 0%, if not there is none
    assert (status.at[2021, "status"], status.at[2021, "missing_fields"]) == ("数据不足", "opened_year")
    assert status.at[2021, "value_zh"] == "1 所公办幼儿园是否计入未知"
    assert status.at[2021, "gap_zh"] == ("已知记录中没有确定为 2021 年新建的公办幼儿园; "
                                         "缺少字段 opened_year (开办年份): 请在名册中填写 (1 条记录为空)")
    # 2022: 1 of 1 known, but 1 of 2 if the unknown one is new
    assert (status.at[2022, "status"], status.at[2022, "value_zh"]) == ("数据不足", "100.0% (1/1)")


def test_new_public_kindergarten_of_unknown_year_with_nursery_classes_cannot_break_the_rule():
    facs = facilities({"type": "public_nursery_kindergarten", "nursery": True},
                      {"type": "public_nursery_kindergarten", "opened": 2022, "nursery": True})
    assert set(evaluate(NEW_PUBLIC, facs)["status"]) == {"达标"}


# --- share of 街镇 ------------------------------------------------------------------------------------------------

JIEZHEN_SHARE = """\
- id: coverage_jz
  label_zh: 街镇普惠性托育点覆盖率
  clause: 二(二)1
  scope: district
  measure: share_of_jiezhen
  types: inclusive_childcare_point
  min: 1.0
"""


def test_share_of_jiezhen():
    row = one(evaluate(JIEZHEN_SHARE, facilities({"type": "inclusive_childcare_point", "jz": "001"})))
    assert (row["status"], row["value"], row["value_zh"]) == ("未达标", 0.5, "50.0% (1/2 个街镇)")
    assert row["gap_zh"] == "1 个街镇没有普惠性托育点: 乙镇"
    assert row["target_zh"] == "每个街镇都有普惠性托育点"
    both = facilities({"type": "inclusive_childcare_point", "jz": "001"},
                      {"type": "inclusive_childcare_point", "jz": "002"})
    assert one(evaluate(JIEZHEN_SHARE, both))["status"] == "达标"


def test_share_of_jiezhen_in_an_incomplete_register():
    row = one(evaluate(JIEZHEN_SHARE, facilities({"type": "inclusive_childcare_point", "jz": "001",
                                                  "complete": False})))
    assert (row["status"], row["missing_fields"]) == ("数据不足", "complete_register")
    assert row["gap_zh"].startswith("已知 1/2 个街镇有普惠性托育点, 无法确定的: 乙镇")


# --- spacing ----------------------------------------------------------------------------------------------------

SPACING = """\
- id: spacing
  label_zh: 托育点间距
  clause: 示例
  scope: jiezhen
  measure: spacing
  types: inclusive_childcare_point
  min_m: 300
"""


def test_spacing_fails_on_two_close_facilities_and_passes_elsewhere():
    facs = facilities({"type": "inclusive_childcare_point", "x": 100, "name": "甲一"},
                      {"type": "inclusive_childcare_point", "x": 300, "name": "甲二"},
                      {"type": "inclusive_childcare_point", "jz": "002", "x": 1100})
    status = evaluate(SPACING, facs)
    a, b = one(status, code="001"), one(status, code="002")
    assert (a["status"], a["value"], a["gap_zh"]) == ("未达标", 200, "「甲一」与「甲二」相距 200 米, 小于要求的 300 米")
    assert (b["status"], b["value"], b["value_zh"]) == ("达标", 800, "800 米")  # nearest neighbour is in 甲街道


def test_spacing_in_an_incomplete_register_can_prove_only_a_shortfall():
    facs = facilities({"type": "inclusive_childcare_point", "x": 100, "complete": False},
                      {"type": "inclusive_childcare_point", "x": 300, "complete": False},
                      {"type": "inclusive_childcare_point", "jz": "002", "x": 1100, "complete": False})
    status = evaluate(SPACING, facs)
    assert one(status, code="001")["status"] == "未达标"
    b = one(status, code="002")
    assert (b["status"], b["missing_fields"]) == ("数据不足", "complete_register")


def test_spacing_with_fewer_than_two_facilities():
    row = one(evaluate(SPACING, facilities({"type": "inclusive_childcare_point"})), code="001")
    assert (row["status"], row["value_zh"], row["gap_zh"]) == ("达标", "—", "不足两个设施, 无需检查间距")


# --- coverage (the 15-minute circle) ----------------------------------------------------------------------------

CIRCLE = """\
- id: circle
  label_zh: 15 分钟覆盖率
  clause: 三(一)2
  scope: [jiezhen, district]
  measure: coverage
  service: inclusive_childcare
  threshold_min: 15
  min: 0.9
"""

CHILDCARE = facilities({"type": "public_nursery_kindergarten"}, {"type": "private_inclusive_nursery_kindergarten"},
                       {"type": "inclusive_childcare_point", "jz": "002"})


def coverage_table(rows, *, year=2023, service="inclusive_childcare", threshold=15, estimate=False,
                   mode="network") -> pd.DataFrame:
    """A coverage table following the contract; rows: (jiezhen_code, share, people of children_0_3). Residents
    (30 × as many, covered half as well) have rows too, so a rule that reads the wrong group shows it."""
    base = {"year": year, "service": service, "service_name_zh": "普惠性托育服务", "threshold_min": threshold,
            "profile": "walk", "profile_name_zh": "步行", "mean_time_min": 9.0, "median_time_min": 8.0,
            "p95_time_min": 20.0, "n_facilities": 3, "population_is_estimate": estimate, "travel_mode": mode}
    kids = [{**base, "jiezhen_code": code, "jiezhen_name": code, "group": "children_0_3", "pop": pop,
             "pop_covered": share * pop, "share_covered": share} for code, share, pop in rows]
    adults = [{**base, "jiezhen_code": code, "jiezhen_name": code, "group": "residents", "pop": pop * 30,
               "pop_covered": share * pop * 15, "share_covered": share / 2} for code, share, pop in rows]
    return pd.DataFrame(kids + adults)


def test_coverage_without_a_table_is_insufficient():
    status = evaluate(CIRCLE, CHILDCARE)
    assert set(status["status"]) == {"数据不足"} and len(status) == 9  # (2 街镇 + 全区) × 3 years
    assert set(status["missing_fields"]) == {"coverage_table"}
    assert status.iloc[0]["gap_zh"].startswith("未计算覆盖率")


def test_coverage_pass_and_fail_with_the_children_still_outside():
    table = coverage_table([("001", 0.623, 4455.0), ("002", 0.95, 1000.0), ("全区", 0.6955, 5455.0)])
    status = evaluate(CIRCLE, CHILDCARE, coverage=table, years=[2023])
    a, b, d = one(status, code="001"), one(status, code="002"), one(status, code="全区")
    assert (a["status"], a["value_zh"], a["based_on_estimate"]) == ("未达标", "62.3%", False)
    assert a["gap_zh"] == "15 分钟覆盖率 62.3%, 距目标 90% 还差 27.7 个百分点 (约 1,234 名 0-3 岁儿童)"
    assert (b["status"], b["gap_zh"]) == ("达标", "")
    assert d["status"] == "未达标" and d["scope"] == "全区"
    assert a["target_zh"] == "15 分钟步行范围覆盖 ≥90% 的 0-3 岁儿童 (普惠性托育服务)"


@pytest.mark.parametrize("estimate, mode", [(True, "network"), (False, "straight_line")])
def test_coverage_on_estimated_population_or_straight_lines_is_flagged(estimate, mode):
    table = coverage_table([("001", 0.5, 100.0), ("002", 0.95, 100.0), ("全区", 0.7, 200.0)], estimate=estimate,
                           mode=mode)
    status = evaluate(CIRCLE, CHILDCARE, coverage=table, years=[2023])
    assert status["based_on_estimate"].all()
    gap = one(status, code="001")["gap_zh"]
    assert gap.endswith("(约 40 名 0-3 岁儿童, 人口为估算)" if estimate else "(约 40 名 0-3 岁儿童)")


def test_coverage_shortfall_with_an_incomplete_register_is_insufficient():
    facs = CHILDCARE.copy()
    facs["complete_register"] = False
    table = coverage_table([("001", 0.5, 100.0), ("002", 0.95, 100.0), ("全区", 0.7, 200.0)])
    status = evaluate(CIRCLE, facs, coverage=table, years=[2023])
    a = one(status, code="001")
    assert (a["status"], a["missing_fields"]) == ("数据不足", "complete_register")
    assert a["gap_zh"].startswith("已知设施的 15 分钟覆盖率 50.0%, 数据来源不是完整名册")
    assert one(status, code="002")["status"] == "达标"


def test_coverage_table_without_the_year_or_threshold():
    table = coverage_table([("001", 0.95, 100.0), ("002", 0.95, 100.0), ("全区", 0.95, 200.0)], threshold=10)
    row = one(evaluate(CIRCLE, CHILDCARE, coverage=table, years=[2023]), code="001")
    assert (row["status"], row["missing_fields"]) == ("数据不足", "coverage_table")
    assert row["gap_zh"].startswith("覆盖率表中没有 2023 年「普惠性托育服务」15 分钟 (0-3 岁儿童, 步行) 的结果")


def test_coverage_reads_the_group_and_profile_the_rule_names():
    table = coverage_table([("001", 0.8, 100.0), ("002", 0.8, 100.0), ("全区", 0.8, 200.0)])
    kids = one(evaluate(CIRCLE, CHILDCARE, coverage=table, years=[2023]), code="001")
    assert kids["value"] == pytest.approx(0.8)
    adults = one(evaluate(CIRCLE + "  group: residents\n", CHILDCARE, coverage=table, years=[2023]), code="001")
    assert adults["value"] == pytest.approx(0.4) and "常住人口" in adults["target_zh"]
    with pytest.raises(Exception, match="profile「bike」不是配置 travel.profiles 中的出行方式"):
        ruleset(CIRCLE + "  profile: bike\n")


NUMBER_WHERE = """\
- id: big_points
  label_zh: 大托育点
  clause: 测试
  scope: district
  measure: count
  types: inclusive_childcare_point
  what_zh: 托位不少于 50 的托育点
  where: {capacity: {min: 50}}
  min: 2
"""


def test_count_where_a_number_is_in_range_by_hand():
    point = "inclusive_childcare_point"
    facs = facilities({"type": point, "cap": 80}, {"type": point, "cap": 50}, {"type": point, "cap": 20})
    row = one(evaluate(NUMBER_WHERE, facs, years=[2023]))
    assert (row["status"], row["value"]) == ("达标", 2)
    unknown = facilities({"type": "inclusive_childcare_point", "cap": 80}, {"type": "inclusive_childcare_point"})
    row = one(evaluate(NUMBER_WHERE, unknown, years=[2023]))
    assert (row["status"], row["missing_fields"]) == ("数据不足", "capacity")
    assert "缺少字段 capacity (托位数): 请在名册中填写 (1 条记录为空)" in row["gap_zh"]
    small = facilities({"type": point, "cap": 10}, {"type": point, "cap": 49})
    assert one(evaluate(NUMBER_WHERE, small, years=[2023]))["status"] == "未达标"


def test_coverage_with_no_children_counted():
    table = coverage_table([("001", math.nan, 0.0), ("002", 0.95, 100.0), ("全区", 0.95, 100.0)])
    row = one(evaluate(CIRCLE, CHILDCARE, coverage=table, years=[2023]), code="001")
    assert (row["status"], row["missing_fields"]) == ("数据不足", "children_0_3")


def test_coverage_default_target_is_labelled_as_the_tools_own():
    body = CIRCLE.replace("  min: 0.9\n", "")
    row = one(evaluate(body, CHILDCARE), code="001")
    assert row["target"] == 0.9 and row["target_zh"].endswith("(本工具默认目标, 规划未规定数值)")


def test_coverage_table_missing_a_column():
    table = coverage_table([("001", 0.9, 1.0)]).drop(columns=["travel_mode"])
    with pytest.raises(MissingColumnError, match="travel_mode"):
        evaluate(CIRCLE, CHILDCARE, coverage=table)


# --- the table as a whole ---------------------------------------------------------------------------------------


def test_table_columns_order_and_inputs_untouched():
    facs = facilities({"type": "inclusive_childcare_point"}, {"type": "inclusive_childcare_point", "jz": "002"})
    before, boundaries_before = facs.copy(), BOUNDARIES.copy()
    status = evaluate(POINT_EACH + NEW_PER_YEAR, facs)
    assert list(status.columns) == RULE_STATUS_COLUMNS
    assert len(status) == 3 * (2 + 1)
    assert list(status["year"].unique()) == [2021, 2022, 2023]
    first_year = status[status["year"] == 2021]
    assert list(first_year["rule_id"]) == ["point", "point", "new_points"]
    assert list(first_year["jiezhen_code"]) == ["001", "002", "全区"]  # sorted by code, district last
    pd.testing.assert_frame_equal(facs, before)
    pd.testing.assert_frame_equal(BOUNDARIES, boundaries_before)


def test_years_argument_and_rule_years():
    body = POINT_EACH.replace("  min: 1\n", "  min: 1\n  years: [2023]\n")
    facs = facilities({"type": "inclusive_childcare_point"})
    assert set(evaluate(body, facs)["year"]) == {2023}
    assert set(evaluate(POINT_EACH, facs, years=[2022, 2030])["year"]) == {2022}
    with pytest.raises(ConfigError, match="没有 \\[2030\\] 年的规则"):
        evaluate(POINT_EACH, facs, years=[2030])


def test_missing_facility_column_is_reported():
    facs = facilities({"type": "inclusive_childcare_point"}).drop(columns=["complete_register"])
    with pytest.raises(MissingColumnError, match="complete_register"):
        evaluate(POINT_EACH, facs)


def test_boundaries_with_jiezhen_name_column_are_accepted():
    boundaries = pd.DataFrame({"jiezhen_code": ["001"], "jiezhen_name": ["甲街道"]})
    status = evaluate_rules(ruleset(POINT_EACH), facilities({"type": "inclusive_childcare_point"}), boundaries)
    assert set(status["jiezhen_name"]) == {"甲街道"}
    with pytest.raises(MissingColumnError, match="jiezhen_code"):
        evaluate_rules(ruleset(POINT_EACH), facilities({"type": "inclusive_childcare_point"}),
                       pd.DataFrame({"code": ["001"], "name": ["甲"]}))


def test_facilities_with_a_repeated_index_are_evaluated_record_by_record():
    facs = facilities({"type": "inclusive_childcare_point", "x": 100}, {"type": "inclusive_childcare_point", "x": 150},
                      {"type": "inclusive_childcare_point", "jz": "002"})
    facs.index = [7, 7, 7]
    status = evaluate(POINT_EACH + SPACING.replace("scope: jiezhen", "scope: district"), facs)
    assert one(status[status["rule_id"] == "point"], code="001")["value"] == 2
    assert one(status[status["rule_id"] == "spacing"])["value"] == 50


# --- all_of (the "3个一" as one status) -----------------------------------------------------------------------

THREE = """\
- id: pub
  label_zh: "3个一: 公办托幼一体园"
  clause: 二(二)1
  scope: jiezhen
  measure: count
  types: public_nursery_kindergarten
  min: 1
- id: priv
  label_zh: "3个一: 普惠性民办托幼一体园"
  clause: 二(二)1
  scope: jiezhen
  measure: count
  types: private_inclusive_nursery_kindergarten
  min: 1
- id: point
  label_zh: "3个一: 普惠性托育点"
  clause: 二(二)1
  scope: jiezhen
  measure: count
  types: inclusive_childcare_point
  min: 1
- id: all3
  label_zh: "3个一 (三项均达标)"
  clause: 二(二)1
  scope: jiezhen
  measure: all_of
  rules: [pub, priv, point]
"""


def _all3(status: pd.DataFrame, code: str) -> pd.Series:
    return one(status[status["rule_id"] == "all3"], code=code)


def test_all_of_passes_only_when_every_part_passes():
    # 甲街道 has all three types (complete register); 乙镇 has two of them: a proven shortfall
    facs = facilities({"type": "public_nursery_kindergarten"}, {"type": "private_inclusive_nursery_kindergarten"},
                      {"type": "inclusive_childcare_point"}, {"type": "public_nursery_kindergarten", "jz": "002"},
                      {"type": "inclusive_childcare_point", "jz": "002"})
    status = evaluate(THREE, facs)
    jia, yi = _all3(status, "001"), _all3(status, "002")
    assert (jia["status"], jia["value"], jia["target"], jia["value_zh"]) == ("达标", 3.0, 3.0, "3/3 项达标")
    assert jia["gap_zh"] == ""
    assert (yi["status"], yi["value"]) == ("未达标", 2.0)
    assert yi["gap_zh"].startswith("普惠性民办托幼一体园: ")
    assert "普惠性民办托幼一体园" in yi["gap_zh"] and "公办" not in yi["gap_zh"]


def test_all_of_is_insufficient_when_a_part_is_and_none_fails():
    # OSM-like incomplete source: the public kindergarten is found, the others cannot be shown missing
    facs = facilities({"type": "public_nursery_kindergarten", "complete": False, "est": True},
                      {"type": "inclusive_childcare_point", "complete": False, "jz": "002"})
    status = evaluate(THREE, facs)
    jia = _all3(status, "001")
    assert jia["status"] == "数据不足" and jia["value"] == 1.0
    assert jia["based_on_estimate"]
    assert jia["missing_fields"]  # the parts' missing data are listed


def test_all_of_validation_names_the_line(tmp_path):
    from svcov.errors import RuleFileError
    from svcov.rules.spec import load_rules

    bad = THREE.replace("rules: [pub, priv, point]", "rules: [pub, nope]") + """\
- id: nested
  label_zh: 嵌套
  clause: 二(二)1
  scope: district
  measure: all_of
  rules: [all3]
"""
    path = tmp_path / "rules.yaml"
    path.write_text("plan:\n  years: [2021]\nrules:\n" + textwrap.indent(bad, "  "), encoding="utf-8")
    with pytest.raises(RuleFileError) as info:
        load_rules(path, TYPES, GROUPS, vocabulary=VOCABULARY)
    text = str(info.value)
    assert "「nope」不是前面定义过的规则 id" in text
    assert "「all3」本身是 all_of 规则" in text
    assert {p.row for p in info.value.problems} == {25, 31}  # the lines where the two composite rules start
