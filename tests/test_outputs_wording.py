"""The words leadership reads, on small cases worked out by hand: travel times a person believes, distances, the
plan's timing (evaluation after the plan period, sites for the next years), the data-gap table and site landmarks.
"""

from __future__ import annotations

import dataclasses

import _outputs_data as data
import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from svcov.outputs.context import fmt_distance, fmt_minutes
from svcov.outputs.datagaps import DATA_GAP_COLUMNS, data_gaps, gap_numbers, missing_zh
from svcov.outputs.landmarks import direction_zh, site_landmarks
from svcov.outputs.memotext import believable_times
from svcov.outputs.plantime import PlanTiming

CRS = "EPSG:32651"


@pytest.mark.parametrize(("minutes", "speed", "text"), [
    (12.34, 4.0, "12 分钟"), (0.0, 4.0, "1 分钟以内"), (0.99, 4.0, "1 分钟以内"), (60.0, 4.0, "60 分钟"),
    (60.5, 4.0, "60 分钟以上 (路程约 4.0 公里)"), (274.4, 4.0, "60 分钟以上 (路程约 18 公里)"), (90.0, None, "60 分钟以上"),
    (float("nan"), 4.0, "—"), (float("inf"), 4.0, "—")])
def test_times_a_person_believes(minutes, speed, text):
    assert fmt_minutes(minutes, speed) == text


def test_times_in_a_table_column_have_no_unit_and_keep_decimals():
    assert fmt_minutes(12.34, 4.0, digits=1, unit=False) == "12.3"
    assert fmt_minutes(159.0, 4.0, digits=1, unit=False) == "60 分钟以上 (路程约 11 公里)"


def test_minutes_in_site_table_texts_are_rewritten():
    text = "甲幼儿园 (公办托幼一体园): 步行约 271 分钟\n乙小区: 步行约 0 分钟\n丙园: 步行 17.5 分钟"
    out = believable_times(text, 4.0)
    assert out == "甲幼儿园 (公办托幼一体园): 步行 60 分钟以上 (路程约 18 公里)\n乙小区: 步行 1 分钟以内\n丙园: 步行 17.5 分钟"


@pytest.mark.parametrize(("metres", "text"), [(0, "约 10 米"), (347, "约 350 米"), (994, "约 990 米"),
                                              (1000, "约 1.0 公里"), (4830, "约 4.8 公里"), (12400, "约 12 公里")])
def test_distances(metres, text):
    assert fmt_distance(metres) == text


def test_a_running_plan_keeps_its_years():
    t = PlanTiming.of((2023, 2021, 2022), "2023-06-01")
    assert t.years == (2021, 2022, 2023) and not t.is_over and t.shift == 0
    assert t.span_zh == "2021-2023 年"
    assert t.site_when_zh(2023) == "2023 年"
    assert t.site_when_zh(2022) == "2022 年 (该年已过, 宜尽早安排)"


def test_a_plan_period_in_the_past_proposes_sites_for_the_next_years():
    t = PlanTiming.of((2021, 2022, 2023), "2026-12-01")
    assert t.is_over and t.shift == 6                      # the first plan year's batch is for 2027
    assert [t.site_year(y) for y in t.years] == [2027, 2028, 2029]
    assert t.site_when_zh(2021) == "第一批, 建议 2027 年" and t.batch_zh(2023) == "第三批"
    assert t.site_years_zh([2021, 2023]) == "2027-2029 年" and t.site_years_zh([2022]) == "2028 年"
    assert PlanTiming.of((2030,), "2026-12-01").span_zh == "2030 年"


def test_data_gaps_name_each_gap_once_most_consequential_first():
    info = data.run_info()
    rules = data.rule_status(data.songjiang()[1].boundaries)
    gaps = data_gaps(info, rule_status=rules, year=2023)
    assert list(gaps.columns) == list(DATA_GAP_COLUMNS) and gaps["gap_no"].tolist() == list(range(1, len(gaps) + 1))
    assert gaps["kind"].tolist() == ["network", "population", "field", "field"]     # straight lines, estimate
    assert gaps["item"].tolist()[2:] == ["facilities", "type"] or gaps["item"].tolist()[2:] == ["type", "facilities"]
    by_item = gaps.set_index("item")
    # 17 街镇 are 数据不足 for the guidance-station rule: one rule, one row
    assert by_item.loc["facilities", "n_rules"] == 1 and "每个街镇 1-2 个家庭科学育儿指导站" in by_item.loc[
        "facilities", "affects_zh"]
    assert gap_numbers(gaps)["type"] == int(by_item.loc["type", "gap_no"])
    # on a real network with counted people there is nothing to say about them
    real = dataclasses.replace(info, travel_is_fallback=False, population_is_estimate=False)
    assert set(data_gaps(real, rule_status=rules, year=2023)["kind"]) == {"field"}


def test_missing_data_in_leadership_words_name_no_key():
    info = data.run_info()
    assert missing_zh(["register:inclusive_childcare_point", "complete_register", "type", "x_unknown"], info) == [
        "普惠性托育点名册", "完整的设施名册", "设施类型", "名册中的一项字段"]


def test_a_grid_site_is_named_by_the_nearest_place_of_its_own_jiezhen():
    boundaries = gpd.GeoDataFrame({"name": ["甲镇", "乙镇"], "jiezhen_code": ["A", "B"]},
                                  geometry=[box(0, 0, 5000, 5000), box(5000, 0, 10000, 5000)], crs=CRS)
    places = gpd.GeoDataFrame({"name": ["乙小区", "甲学校", "甲小区"], "kind": ["residential", "school", "residential"],
                               "kind_zh": ["住宅小区", "学校", "住宅小区"]},
                              geometry=[Point(5100, 2500), Point(4000, 2500), Point(4900, 4900)], crs=CRS)
    sites = gpd.GeoDataFrame({"site_id": ["S1", "S2"], "candidate_id": ["grid-7", "poi-3"],
                              "candidate_name": ["甲镇 网格点 r6c29", "甲小区"], "jiezhen_name": ["甲镇", "甲镇"]},
                             geometry=[Point(4900, 2500), Point(4900, 4900)], crs=CRS)
    marks = site_landmarks(sites, places, boundaries)
    grid, named = marks["S1"], marks["S2"]
    # 乙小区 is nearer (200 m) but across the border; 甲学校 (900 m west) is of the site's own 街镇
    assert not grid.named and grid.place == "甲学校" and grid.label == "「甲学校」东约 900 米"
    assert "r6c29" not in grid.label and grid.n_compounds == 1
    assert [n for n, *_ in grid.nearby] == ["乙小区", "甲学校"]          # within 1.5 km; 甲小区 is 2.4 km away
    assert named.named and named.label == "甲小区"
    assert direction_zh(-1, -1) == "西南" and direction_zh(0, 1) == "北"


def test_without_places_a_grid_site_is_still_not_a_code():
    boundaries = gpd.GeoDataFrame({"name": ["甲镇"]}, geometry=[box(0, 0, 5000, 5000)], crs=CRS)
    sites = gpd.GeoDataFrame({"site_id": ["S1"], "candidate_id": ["grid-7"], "candidate_name": ["甲镇 网格点 r6c29"],
                              "jiezhen_name": ["甲镇"]}, geometry=[Point(10, 10)], crs=CRS)
    mark = site_landmarks(sites, None, boundaries)["S1"]
    assert mark.label == "甲镇的规划网格点" and not mark.named
    assert site_landmarks(sites.iloc[0:0], None, boundaries) == {}
    assert pd.isna(mark.distance_m)
